import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateRegisterTaskDefinition } from './register-task-definition';
import { build, expectRejection, type ExpectedRejection } from './fixtures';

type Case = [name: string, body: unknown, expected: ExpectedRejection];

const C = 'ClientException' as const;
const P = 'InvalidParameterException' as const;
const c = build.container;
const td = build.taskDefinition;
const two = (second: Record<string, unknown>, first: Record<string, unknown> = {}, fields: Record<string, unknown> = {}) =>
  build.withContainers([first, { name: 'side', ...second }], fields);

const cases: Case[] = [
  // The request itself
  ['null body', null, { code: P, field: undefined, message: ['must be a JSON object', 'null'] }],
  ['array body', [], { code: P, field: undefined, message: ['must be a JSON object'] }],
  ['string body', 'family', { code: P, field: undefined, message: ['must be a JSON object'] }],
  ['whole DescribeTaskDefinition response', { taskDefinition: td() }, { code: P, field: 'taskDefinition', message: ['register the object inside it'] }],
  // The execution role (ECS: the agent reads secrets and pulls private images with it)
  ['secrets without an execution role', td({ containerDefinitions: [c({ secrets: [{ name: 'A', valueFrom: 'db' }] })] }), { code: C, field: 'containerDefinitions[0].secrets', message: ["When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."] }],
  ['repositoryCredentials without an execution role', td({ containerDefinitions: [c({ repositoryCredentials: { credentialsParameter: 'reg' } })] }), { code: C, field: 'containerDefinitions[0].repositoryCredentials', message: ['Private repository authentication requires that the task definition specify a value for executionRoleArn.'] }],
  ['family missing', { containerDefinitions: [c()] }, { code: P, field: 'family', message: ["'family' is required"] }],
  ['family with a space', td({ family: 'my app' }), { code: P, field: 'family', message: ['letters, digits, hyphens and underscores'] }],
  ['family too long', td({ family: 'f'.repeat(256) }), { code: P, field: 'family', message: ['1-255'] }],
  ['family not a string', td({ family: 7 }), { code: P, field: 'family', message: ['expected a string', 'the number 7'] }],
  ['containerDefinitions missing', { family: 'x' }, { code: P, field: 'containerDefinitions', message: ['is required'] }],
  ['containerDefinitions empty', td({ containerDefinitions: [] }), { code: P, field: 'containerDefinitions', message: ['at least 1 item'] }],
  ['containerDefinitions not an array', td({ containerDefinitions: c() }), { code: P, field: 'containerDefinitions', message: ['expected an array'] }],
  [
    'eleven containers',
    build.withContainers(Array.from({ length: 11 }, (_, i) => ({ name: `c${i}` }))),
    { code: P, field: 'containerDefinitions', message: ['at most 10 items, got 11'] },
  ],
  ['networkMode unknown', td({ networkMode: 'nat' }), { code: P, field: 'networkMode', message: ["'bridge', 'host', 'awsvpc', 'none'", 'nat'] }],
  ['requiresCompatibilities unknown', td({ requiresCompatibilities: ['EC2', 'LAMBDA'] }), { code: P, field: 'requiresCompatibilities[1]', message: ["'EC2', 'FARGATE', 'EXTERNAL'"] }],
  ['pidMode unknown', td({ pidMode: 'container' }), { code: P, field: 'pidMode', message: ["'host', 'task'"] }],
  ['ephemeralStorage too small', td({ ephemeralStorage: { sizeInGiB: 20 } }), { code: P, field: 'ephemeralStorage.sizeInGiB', message: ['between 21 and 200 GiB'] }],
  ['runtimePlatform arch unknown', td({ runtimePlatform: { cpuArchitecture: 'ARM32' } }), { code: P, field: 'runtimePlatform.cpuArchitecture', message: ["'X86_64', 'ARM64'"] }],
  ['taskRoleArn empty', td({ taskRoleArn: '' }), { code: P, field: 'taskRoleArn', message: ['must not be empty'] }],

  // Container shape
  ['container is not an object', td({ containerDefinitions: ['web'] }), { code: P, field: 'containerDefinitions[0]', message: ['expected ContainerDefinition object'] }],
  ['memory as a string', build.withContainers([{ memory: '256' }]), { code: P, field: 'containerDefinitions[0].memory', message: ['expected an integer MiB', 'the string "256"'] }],
  ['essential as a string', build.withContainers([{ essential: 'true' }]), { code: P, field: 'containerDefinitions[0].essential', message: ['expected a boolean'] }],
  ['command as a string', build.withContainers([{ command: 'sleep 10' }]), { code: P, field: 'containerDefinitions[0].command', message: ['expected an array'] }],
  ['command element not a string', build.withContainers([{ command: ['sleep', 10] }]), { code: P, field: 'containerDefinitions[0].command[1]', message: ['expected a string'] }],
  ['container name missing', build.withContainers([{ name: undefined }]), { code: P, field: 'containerDefinitions[0].name', message: ["'name' is required"] }],
  ['container name with a dot', build.withContainers([{ name: 'web.1' }]), { code: P, field: 'containerDefinitions[0].name', message: ['"web.1" is not valid'] }],
  ['image missing', build.withContainers([{ image: undefined }]), { code: C, field: 'containerDefinitions[0].image', message: ['Container.image should not be null or empty.'] }],
  ['image blank', build.withContainers([{ image: '  ' }]), { code: C, field: 'containerDefinitions[0].image', message: ['Container.image should not be null or empty.'] }],
  ['image too long', build.withContainers([{ image: `r/${'x'.repeat(254)}` }]), { code: P, field: 'containerDefinitions[0].image', message: ['at most 255 characters'] }],
  ['environment value not a string', build.withContainers([{ environment: [{ name: 'PORT', value: 80 }] }]), { code: P, field: 'containerDefinitions[0].environment[0].value', message: ['expected a string'] }],
  ['environment entry without name', build.withContainers([{ environment: [{ value: 'x' }] }]), { code: P, field: 'containerDefinitions[0].environment[0].name', message: ['is required'] }],
  [
    'dockerLabels value not a string',
    build.withContainers([{ dockerLabels: { 'com.example.tier': 1 } }]),
    { code: P, field: 'containerDefinitions[0].dockerLabels["com.example.tier"]', message: ['expected a string'] },
  ],
  ['dockerLabels not a map', build.withContainers([{ dockerLabels: ['a=b'] }]), { code: P, field: 'containerDefinitions[0].dockerLabels', message: ['expected an object of string values'] }],
  ['stopTimeout zero', build.withContainers([{ stopTimeout: 0 }]), { code: P, field: 'containerDefinitions[0].stopTimeout', message: ['at least 1 seconds'] }],
  ['startTimeout fractional', build.withContainers([{ startTimeout: 1.5 }]), { code: P, field: 'containerDefinitions[0].startTimeout', message: ['expected an integer'] }],
  ['ulimit name unknown', build.withContainers([{ ulimits: [{ name: 'files', softLimit: 1, hardLimit: 2 }] }]), { code: P, field: 'containerDefinitions[0].ulimits[0].name', message: ["'nofile'"] }],
  ['ulimit without hardLimit', build.withContainers([{ ulimits: [{ name: 'nofile', softLimit: 1 }] }]), { code: P, field: 'containerDefinitions[0].ulimits[0].hardLimit', message: ['is required'] }],
  ['log driver unknown', build.withContainers([{ logConfiguration: { logDriver: 'loki' } }]), { code: P, field: 'containerDefinitions[0].logConfiguration.logDriver', message: ["'json-file'", 'loki'] }],
  [
    'awslogs without required options',
    build.withContainers([{ logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } } }]),
    { code: C, field: 'containerDefinitions[0].logConfiguration.options', message: ['Log driver awslogs requires options: awslogs-region, awslogs-group', 'missing awslogs-region'] },
  ],
  [
    'awsfirelens without a log router',
    build.withContainers([{ logConfiguration: { logDriver: 'awsfirelens' } }]),
    { code: C, field: 'containerDefinitions[0].logConfiguration.logDriver', message: ['firelensConfiguration'] },
  ],
  ['restartPolicy period too short', build.withContainers([{ restartPolicy: { enabled: true, restartAttemptPeriod: 59 } }]), { code: P, field: 'containerDefinitions[0].restartPolicy.restartAttemptPeriod', message: ['between 60 and 1800 seconds'] }],
  ['restartPolicy period too long', build.withContainers([{ restartPolicy: { enabled: true, restartAttemptPeriod: 1801 } }]), { code: P, field: 'containerDefinitions[0].restartPolicy.restartAttemptPeriod', message: ['got 1801'] }],
  [
    'restartPolicy too many ignored exit codes',
    build.withContainers([{ restartPolicy: { enabled: true, ignoredExitCodes: Array.from({ length: 51 }, (_, i) => i) } }]),
    { code: P, field: 'containerDefinitions[0].restartPolicy.ignoredExitCodes', message: ['at most 50 items'] },
  ],
  ['restartPolicy without enabled', build.withContainers([{ restartPolicy: {} }]), { code: P, field: 'containerDefinitions[0].restartPolicy.enabled', message: ['is required'] }],
  ['swappiness above 100', build.withContainers([{ linuxParameters: { maxSwap: 0, swappiness: 101 } }]), { code: P, field: 'containerDefinitions[0].linuxParameters.swappiness', message: ['between 0 and 100'] }],
  [
    'capability with CAP_ prefix',
    build.withContainers([{ linuxParameters: { capabilities: { add: ['CAP_NET_ADMIN'] } } }]),
    { code: P, field: 'containerDefinitions[0].linuxParameters.capabilities.add[0]', message: ['without the CAP_ prefix'] },
  ],
  ['tmpfs without size', build.withContainers([{ linuxParameters: { tmpfs: [{ containerPath: '/tmp' }] } }]), { code: P, field: 'containerDefinitions[0].linuxParameters.tmpfs[0].size', message: ['is required'] }],
  ['GPU count not a whole number', build.withContainers([{ resourceRequirements: [{ type: 'GPU', value: '0.5' }] }]), { code: P, field: 'containerDefinitions[0].resourceRequirements[0].value', message: ['positive whole number'] }],
  ['environmentFiles type unknown', build.withContainers([{ environmentFiles: [{ value: 'arn:aws:s3:::b/a.env', type: 'http' }] }]), { code: P, field: 'containerDefinitions[0].environmentFiles[0].type', message: ["'s3'"] }],

  // Container names and essential
  ['duplicate container names', build.withContainers([{}, {}]), { code: C, field: 'containerDefinitions[1].name', message: ["Duplicate container name 'web'", 'containerDefinitions[0]'] }],
  ['no essential container', build.withContainers([{ essential: false }]), { code: C, field: 'containerDefinitions', message: ['at least one essential container'] }],

  // cpu and memory
  [
    'no memory anywhere',
    build.withContainers([{ memory: undefined }]),
    { code: C, field: 'containerDefinitions[0].memory', message: ["Invalid setting for container 'web'. At least one of 'memory' or 'memoryReservation' must be specified."] },
  ],
  ['memory zero', build.withContainers([{ memory: 0 }]), { code: C, field: 'containerDefinitions[0].memory', message: ["Invalid 'memory' setting for container 'web'."] }],
  ['memory under the Docker minimum', build.withContainers([{ memory: 4 }]), { code: C, field: 'containerDefinitions[0].memory', message: ["Invalid 'memory' setting for container 'web'.", 'at least 6 MiB'] }],
  ['memoryReservation zero', build.withContainers([{ memory: undefined, memoryReservation: 0 }]), { code: C, field: 'containerDefinitions[0].memoryReservation', message: ["Invalid 'memoryReservation' setting"] }],
  [
    'memory below memoryReservation',
    build.withContainers([{ memory: 128, memoryReservation: 256 }]),
    { code: C, field: 'containerDefinitions[0].memoryReservation', message: ["'memory' must be greater than or equal to 'memoryReservation'", '128', '256'] },
  ],
  ['container cpu above 10 vCPU', build.withContainers([{ cpu: 10241 }]), { code: C, field: 'containerDefinitions[0].cpu', message: ["Invalid 'cpu' setting for container 'web'.", '10240'] }],
  ['container cpu negative', build.withContainers([{ cpu: -1 }]), { code: C, field: 'containerDefinitions[0].cpu', message: ["Invalid 'cpu' setting for container 'web'."] }],
  ['container cpu fractional', build.withContainers([{ cpu: 0.5 }]), { code: P, field: 'containerDefinitions[0].cpu', message: ['expected an integer CPU units'] }],
  ['task cpu below 128', td({ cpu: '64' }), { code: C, field: 'cpu', message: ["Invalid 'cpu' setting for task.", '128'] }],
  ['task cpu above 192 vCPU', td({ cpu: '193 vCPU' }), { code: C, field: 'cpu', message: ["Invalid 'cpu' setting for task.", '196608'] }],
  ['task cpu not a quantity', td({ cpu: 'lots' }), { code: P, field: 'cpu', message: ['"lots" is not valid', '1 vCPU'] }],
  ['task cpu as a number', td({ cpu: 1024 }), { code: P, field: 'cpu', message: ['expected a string'] }],
  ['task cpu not whole units', td({ cpu: '0.3 vCPU' }), { code: P, field: 'cpu', message: ['not a whole number'] }],
  ['task memory below 6 MiB', td({ memory: '4' }), { code: C, field: 'memory', message: ["Invalid 'memory' setting for task."] }],
  ['task memory in TB', td({ memory: '1 TB' }), { code: P, field: 'memory', message: ['2 GB'] }],
  [
    'container cpu sum above task cpu',
    build.withContainers([{ cpu: 512 }, { name: 'side', cpu: 768 }], { cpu: '1 vCPU' }),
    { code: C, field: 'cpu', message: ["The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.", '1280', '1024'] },
  ],
  [
    'container memory sum above task memory',
    build.withContainers([{ memory: 1024 }, { name: 'side', memory: 2048, memoryReservation: 1536 }], { memory: '2 GB' }),
    { code: C, field: 'memory', message: ["cannot be greater than the value of the task 'memory'", '2560'] },
  ],

  // Health checks
  ['healthCheck interval too short', two({ healthCheck: { command: ['CMD', 'true'], interval: 0 } }), { code: P, field: 'containerDefinitions[1].healthCheck.interval', message: ['between 1 and 300 seconds', 'got 0'] }],
  ['healthCheck interval too long', two({ healthCheck: { command: ['CMD', 'true'], interval: 301 } }), { code: P, field: 'containerDefinitions[1].healthCheck.interval', message: ['between 1 and 300 seconds', 'got 301'] }],
  ['healthCheck timeout too short', two({ healthCheck: { command: ['CMD', 'true'], timeout: 0 } }), { code: P, field: 'containerDefinitions[1].healthCheck.timeout', message: ['between 1 and 60 seconds', 'got 0'] }],
  ['healthCheck timeout too long', two({ healthCheck: { command: ['CMD', 'true'], timeout: 61 } }), { code: P, field: 'containerDefinitions[1].healthCheck.timeout', message: ['between 1 and 60 seconds'] }],
  ['healthCheck retries zero', two({ healthCheck: { command: ['CMD', 'true'], retries: 0 } }), { code: P, field: 'containerDefinitions[1].healthCheck.retries', message: ['between 1 and 10'] }],
  ['healthCheck startPeriod too long', two({ healthCheck: { command: ['CMD', 'true'], startPeriod: 301 } }), { code: P, field: 'containerDefinitions[1].healthCheck.startPeriod', message: ['between 0 and 300'] }],
  ['healthCheck command empty', two({ healthCheck: { command: [] } }), { code: P, field: 'containerDefinitions[1].healthCheck.command', message: ['at least 1 item'] }],
  ['healthCheck command missing', two({ healthCheck: { interval: 10 } }), { code: P, field: 'containerDefinitions[1].healthCheck.command', message: ['is required'] }],
  ['healthCheck interval as string', two({ healthCheck: { command: ['CMD', 'true'], interval: '30' } }), { code: P, field: 'containerDefinitions[1].healthCheck.interval', message: ['expected an integer seconds'] }],

  // dependsOn
  ['dependsOn unknown container', build.withContainers([{ dependsOn: [{ containerName: 'db', condition: 'START' }] }]), { code: C, field: 'containerDefinitions[0].dependsOn[0].containerName', message: ["Container 'db' is not defined"] }],
  ['dependsOn itself', build.withContainers([{ dependsOn: [{ containerName: 'web', condition: 'START' }] }]), { code: C, field: 'containerDefinitions[0].dependsOn[0].containerName', message: ['cannot depend on itself'] }],
  ['dependsOn condition unknown', two({ dependsOn: [{ containerName: 'web', condition: 'READY' }] }), { code: P, field: 'containerDefinitions[1].dependsOn[0].condition', message: ["'START', 'COMPLETE', 'SUCCESS', 'HEALTHY'"] }],
  [
    'SUCCESS on an essential container',
    two({ dependsOn: [{ containerName: 'web', condition: 'SUCCESS' }] }),
    { code: C, field: 'containerDefinitions[1].dependsOn[0].condition', message: ['A dependency container with SUCCESS or COMPLETE condition cannot be an essential container', "'web' is essential"] },
  ],
  [
    'COMPLETE on an implicitly essential container',
    two({ dependsOn: [{ containerName: 'web', condition: 'COMPLETE' }] }),
    { code: C, field: 'containerDefinitions[1].dependsOn[0].condition', message: ['cannot be an essential container'] },
  ],
  [
    'HEALTHY on a container without healthCheck',
    two({ dependsOn: [{ containerName: 'web', condition: 'HEALTHY' }] }),
    { code: C, field: 'containerDefinitions[1].dependsOn[0].condition', message: ["'web' declares no healthCheck"] },
  ],
  [
    'two-container dependsOn cycle',
    two({ dependsOn: [{ containerName: 'web', condition: 'START' }] }, { dependsOn: [{ containerName: 'side', condition: 'START' }] }),
    { code: C, field: 'containerDefinitions[0].dependsOn[0]', message: ["cycle: 'web' -> 'side' -> 'web'", 'containerDefinitions[1].dependsOn[0] (dependsOn START)'] },
  ],
  [
    'three-container cycle through links and volumesFrom',
    build.withContainers([
      { name: 'a', dependsOn: [{ containerName: 'b', condition: 'START' }] },
      { name: 'b', links: ['c:cache'] },
      { name: 'c', volumesFrom: [{ sourceContainer: 'a' }] },
    ]),
    { code: C, field: 'containerDefinitions[0].dependsOn[0]', message: ["'a' -> 'b' -> 'c' -> 'a'", 'containerDefinitions[1].links[0] (links)', 'containerDefinitions[2].volumesFrom[0] (volumesFrom)'] },
  ],

  // links, volumes, volumesFrom
  ['links outside bridge mode', build.withContainers([{ name: 'a' }, { name: 'b', links: ['a'] }], { networkMode: 'host' }), { code: C, field: 'containerDefinitions[1].links', message: ['only supported when networkMode=bridge', "'host'"] }],
  ['link to an unknown container', build.withContainers([{ links: ['db:database'] }]), { code: C, field: 'containerDefinitions[0].links[0]', message: ["Container 'db' is not defined"] }],
  ['link to itself', build.withContainers([{ links: ['web'] }]), { code: C, field: 'containerDefinitions[0].links[0]', message: ['cannot link to itself'] }],
  ['link alias invalid', two({ links: ['web:my alias'] }), { code: C, field: 'containerDefinitions[1].links[0]', message: ['Invalid link "web:my alias"'] }],
  ['mount of an undeclared volume', build.withContainers([{ mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }]), { code: C, field: 'containerDefinitions[0].mountPoints[0].sourceVolume', message: ["Unknown volume 'data'"] }],
  ['mount point without containerPath', build.withContainers([{ mountPoints: [{ sourceVolume: 'data' }] }], { volumes: [{ name: 'data' }] }), { code: P, field: 'containerDefinitions[0].mountPoints[0].containerPath', message: ['is required'] }],
  ['volumesFrom unknown container', build.withContainers([{ volumesFrom: [{ sourceContainer: 'data' }] }]), { code: C, field: 'containerDefinitions[0].volumesFrom[0].sourceContainer', message: ["Container 'data' is not defined"] }],
  ['volumesFrom itself', build.withContainers([{ volumesFrom: [{ sourceContainer: 'web' }] }]), { code: C, field: 'containerDefinitions[0].volumesFrom[0].sourceContainer', message: ['from itself'] }],
  ['volume without name', td({ volumes: [{ host: { sourcePath: '/srv' } }] }), { code: P, field: 'volumes[0].name', message: ['is required'] }],
  ['volume name invalid', td({ volumes: [{ name: 'my data' }] }), { code: P, field: 'volumes[0].name', message: ['letters, digits'] }],
  ['duplicate volume names', td({ volumes: [{ name: 'd' }, { name: 'd' }] }), { code: C, field: 'volumes[1].name', message: ["Duplicate volume name 'd'"] }],
  ['volume with two types', td({ volumes: [{ name: 'd', host: {}, dockerVolumeConfiguration: {} }] }), { code: P, field: 'volumes[0].dockerVolumeConfiguration', message: ['exactly one type'] }],
  ['blank host sourcePath', td({ volumes: [{ name: 'd', host: { sourcePath: '' } }] }), { code: C, field: 'volumes[0].host.sourcePath', message: ['host.sourcePath should not be blank.'] }],
  ['docker volume scope unknown', td({ volumes: [{ name: 'd', dockerVolumeConfiguration: { scope: 'global' } }] }), { code: P, field: 'volumes[0].dockerVolumeConfiguration.scope', message: ["'task', 'shared'"] }],
  ['efs without fileSystemId', td({ volumes: [{ name: 'd', efsVolumeConfiguration: {} }] }), { code: P, field: 'volumes[0].efsVolumeConfiguration.fileSystemId', message: ['is required'] }],
  [
    'efs access point without transit encryption',
    td({ volumes: [{ name: 'd', efsVolumeConfiguration: { fileSystemId: 'fs-1', authorizationConfig: { accessPointId: 'fsap-1' } } }] }),
    { code: C, field: 'volumes[0].efsVolumeConfiguration.transitEncryption', message: ['Transit encryption must be enabled'] },
  ],
  [
    'efs access point with a root directory',
    td({ volumes: [{ name: 'd', efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/x', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-1' } } }] }),
    { code: C, field: 'volumes[0].efsVolumeConfiguration.rootDirectory', message: ['rootDirectory must be omitted or set to /'] },
  ],
  ['fsx without authorizationConfig', td({ volumes: [{ name: 'd', fsxWindowsFileServerVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: 'share' } }] }), { code: P, field: 'volumes[0].fsxWindowsFileServerVolumeConfiguration.authorizationConfig', message: ['is required'] }],
  ['two volumes configured at launch', td({ volumes: [{ name: 'a', configuredAtLaunch: true }, { name: 'b', configuredAtLaunch: true }] }), { code: C, field: 'volumes[1].configuredAtLaunch', message: ['Only one volume'] }],

  // Port mappings
  ['containerPort zero', build.withContainers([{ portMappings: [{ containerPort: 0 }] }]), { code: P, field: 'containerDefinitions[0].portMappings[0].containerPort', message: ['between 1 and 65535'] }],
  ['containerPort too high', build.withContainers([{ portMappings: [{ containerPort: 65536 }] }]), { code: P, field: 'containerDefinitions[0].portMappings[0].containerPort', message: ['got 65536'] }],
  ['hostPort too high', build.withContainers([{ portMappings: [{ containerPort: 80, hostPort: 70000 }] }]), { code: P, field: 'containerDefinitions[0].portMappings[0].hostPort', message: ['between 0 and 65535'] }],
  ['containerPort missing', build.withContainers([{ portMappings: [{ hostPort: 80 }] }]), { code: P, field: 'containerDefinitions[0].portMappings[0].containerPort', message: ['is required'] }],
  ['protocol unknown', build.withContainers([{ portMappings: [{ containerPort: 80, protocol: 'sctp' }] }]), { code: P, field: 'containerDefinitions[0].portMappings[0].protocol', message: ["'tcp', 'udp'"] }],
  ['appProtocol unknown', build.withContainers([{ portMappings: [{ containerPort: 80, appProtocol: 'https' }] }]), { code: P, field: 'containerDefinitions[0].portMappings[0].appProtocol', message: ["'http', 'http2', 'grpc'"] }],
  ['containerPortRange backwards', build.withContainers([{ portMappings: [{ containerPortRange: '9000-8000' }] }]), { code: P, field: 'containerDefinitions[0].portMappings[0].containerPortRange', message: ['first < last'] }],
  ['containerPortRange with hostPort', build.withContainers([{ portMappings: [{ containerPortRange: '8000-8010', hostPort: 8000 }] }]), { code: P, field: 'containerDefinitions[0].portMappings[0].hostPort', message: ['cannot be combined'] }],
  ['containerPortRange in host mode', build.withContainers([{ portMappings: [{ containerPortRange: '8000-8010' }] }], { networkMode: 'host' }), { code: C, field: 'containerDefinitions[0].portMappings[0].containerPortRange', message: ['bridge or awsvpc'] }],
  [
    'same static host port in two containers',
    two({ portMappings: [{ containerPort: 8080, hostPort: 80 }] }, { portMappings: [{ containerPort: 80, hostPort: 80 }] }),
    { code: C, field: 'containerDefinitions[1].portMappings[0]', message: ['Port conflict: host port 80/tcp', 'containerDefinitions[0].portMappings[0]'] },
  ],
  [
    'same containerPort twice in host mode',
    two({ portMappings: [{ containerPort: 9000 }] }, { portMappings: [{ containerPort: 9000 }] }, { networkMode: 'host' }),
    { code: C, field: 'containerDefinitions[1].portMappings[0]', message: ['host port 9000/tcp'] },
  ],
  ['port mappings in none mode', build.withContainers([{ portMappings: [{ containerPort: 80 }] }], { networkMode: 'none' }), { code: C, field: 'containerDefinitions[0].portMappings', message: ['networkMode=none'] }],
  [
    'awsvpc host port differs',
    build.withContainers([{ portMappings: [{ containerPort: 80, hostPort: 8080 }] }], { networkMode: 'awsvpc' }),
    { code: C, field: 'containerDefinitions[0].portMappings[0].hostPort', message: ['When networkMode=awsvpc, the host ports and container ports in port mappings must match.'] },
  ],
  [
    'host mode host port differs',
    build.withContainers([{ portMappings: [{ containerPort: 80, hostPort: 8080 }] }], { networkMode: 'host' }),
    { code: C, field: 'containerDefinitions[0].portMappings[0].hostPort', message: ['When networkMode=host, the host ports and container ports'] },
  ],
  [
    'duplicate port mapping names',
    two({ portMappings: [{ containerPort: 81, name: 'http' }] }, { portMappings: [{ containerPort: 80, name: 'http' }] }),
    { code: C, field: 'containerDefinitions[1].portMappings[0].name', message: ["Port mapping name 'http'"] },
  ],
  ['hostname with awsvpc', build.withContainers([{ hostname: 'web' }], { networkMode: 'awsvpc' }), { code: C, field: 'containerDefinitions[0].hostname', message: ['hostname is not supported on container when networkMode=awsvpc.'] }],
  ['dnsServers with awsvpc', build.withContainers([{ dnsServers: ['10.0.0.2'] }], { networkMode: 'awsvpc' }), { code: C, field: 'containerDefinitions[0].dnsServers', message: ['networkMode=awsvpc'] }],

  // Task-level lists
  ['distinctInstance in a task definition', td({ placementConstraints: [{ type: 'distinctInstance' }] }), { code: C, field: 'placementConstraints[0].type', message: ["'distinctInstance'", 'RunTask or CreateService'] }],
  ['memberOf without expression', td({ placementConstraints: [{ type: 'memberOf' }] }), { code: P, field: 'placementConstraints[0].expression', message: ['is required'] }],
  [
    'eleven placement constraints',
    td({ placementConstraints: Array.from({ length: 11 }, () => ({ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' })) }),
    { code: P, field: 'placementConstraints', message: ['at most 10 items'] },
  ],
  ['51 tags', td({ tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })) }), { code: P, field: 'tags', message: ['at most 50 items'] }],
  ['tag key empty', td({ tags: [{ key: '', value: 'v' }] }), { code: P, field: 'tags[0].key', message: ['must not be empty'] }],
  ['tag key too long', td({ tags: [{ key: 'k'.repeat(129) }] }), { code: P, field: 'tags[0].key', message: ['at most 128 characters'] }],
  ['tag value too long', td({ tags: [{ key: 'k', value: 'v'.repeat(257) }] }), { code: P, field: 'tags[0].value', message: ['at most 256 characters'] }],
  ['tag key with aws: prefix', td({ tags: [{ key: 'AWS:owner', value: 'me' }] }), { code: C, field: 'tags[0].key', message: ["'aws:' are reserved"] }],
  ['tag key with invalid characters', td({ tags: [{ key: 'a#b' }] }), { code: P, field: 'tags[0].key', message: ['"a#b" is not valid'] }],
  ['duplicate tag keys', td({ tags: [{ key: 'team', value: 'a' }, { key: 'team', value: 'b' }] }), { code: P, field: 'tags[1].key', message: ['duplicate tag key "team"'] }],
  ['proxy container unknown', td({ proxyConfiguration: { containerName: 'envoy' } }), { code: C, field: 'proxyConfiguration.containerName', message: ["'envoy' is not defined"] }],
  [
    'accelerator requirement not declared',
    build.withContainers([{ resourceRequirements: [{ type: 'InferenceAccelerator', value: 'device_1' }] }]),
    { code: C, field: 'containerDefinitions[0].resourceRequirements[0].value', message: ["'device_1' is not declared"] },
  ],

  // Launch types
  ['Fargate without cpu', build.fargate({ cpu: undefined }), { code: C, field: 'cpu', message: ["Fargate requires that 'cpu' be defined at the task level."] }],
  ['Fargate without memory', build.fargate({ memory: undefined }), { code: C, field: 'memory', message: ["Fargate requires that 'memory' be defined at the task level."] }],
  ['Fargate in bridge mode', build.fargate({ networkMode: undefined }), { code: C, field: 'networkMode', message: ["Fargate only supports network mode 'awsvpc'.", "'bridge'"] }],
  ['Fargate memory not offered for the cpu', build.fargate({ cpu: '256', memory: '4096' }), { code: C, field: 'memory', message: ['No Fargate configuration exists for given values.', '512, 1024, 2048'] }],
  ['Fargate cpu not a tier', build.fargate({ cpu: '384', memory: '1024' }), { code: C, field: 'cpu', message: ['No Fargate configuration exists for given values.', 'must be one of 256, 512'] }],
  ['Fargate 8 vCPU off the 4 GB step', build.fargate({ cpu: '8 vCPU', memory: '18432' }), { code: C, field: 'memory', message: ['No Fargate configuration exists', 'steps of 4096'] }],
  ['Fargate Windows 0.25 vCPU', build.fargate({ runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' } }), { code: C, field: 'cpu', message: ['No Fargate configuration exists', 'must be one of 1024, 2048, 4096'] }],
  ['Fargate privileged', build.fargate({ containerDefinitions: [c({ privileged: true })] }), { code: C, field: 'containerDefinitions[0].privileged', message: ['Fargate compatible task definitions do not support privileged.'] }],
  ['Fargate host sourcePath', build.fargate({ volumes: [{ name: 'd', host: { sourcePath: '/srv' } }] }), { code: C, field: 'volumes[0].host.sourcePath', message: ['do not support sourcePath'] }],
  ['Fargate ipcMode', build.fargate({ ipcMode: 'task' }), { code: C, field: 'ipcMode', message: ['Tasks using the Fargate launch type do not support ipcMode.'] }],
  ['Fargate json-file logs', build.fargate({ containerDefinitions: [c({ logConfiguration: { logDriver: 'json-file' } })] }), { code: C, field: 'containerDefinitions[0].logConfiguration.logDriver', message: ["log driver 'json-file'"] }],
  [
    'Fargate awslogs without an execution role',
    build.fargate({ containerDefinitions: [c({ logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'p' } } })] }),
    { code: C, field: 'executionRoleArn', message: ['Fargate requires task definition to have execution role ARN to support log driver awslogs.'] },
  ],
  ['Fargate stopTimeout above 120', build.fargate({ containerDefinitions: [c({ stopTimeout: 121 })] }), { code: C, field: 'containerDefinitions[0].stopTimeout', message: ['stopTimeout above 120'] }],
  ['EXTERNAL with awsvpc', td({ networkMode: 'awsvpc', requiresCompatibilities: ['EXTERNAL'] }), { code: C, field: 'networkMode', message: ["EXTERNAL launch type does not support network mode 'awsvpc'"] }],
];

describe('validateRegisterTaskDefinition ignores members the model does not have, as ECS does', () => {
  for (const [name, body] of [
    ['unknown top-level member', td({ foo: 1 })],
    ['misspelt member', td({ memroy: '512' })],
    ['DescribeTaskDefinition output member', td({ revision: 3, status: 'ACTIVE' })],
    ['unknown container member', td({ containerDefinitions: [c({ foo: true })] })],
    ['unknown environment entry member', td({ containerDefinitions: [c({ environment: [{ name: 'A', value: 'x', valeu: 'y' }] })] })],
  ] as const) {
    it(name, () => assert.deepEqual(validateRegisterTaskDefinition(body), validateRegisterTaskDefinition(JSON.parse(JSON.stringify(body, (k, v) => (['foo', 'memroy', 'revision', 'status', 'valeu'].includes(k) ? undefined : v))))));
  }
});

describe('validateRegisterTaskDefinition rejects', () => {
  for (const [name, body, expected] of cases) {
    it(name, () => expectRejection(() => validateRegisterTaskDefinition(body), expected));
  }
});
