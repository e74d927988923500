import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerDefinition, LinuxParameters, ResolvedEfsVolume, TaskAssignment, TaskReport, Volume } from '@stevedore/core';
import { dispatcherService } from './index';
import { fromWireAssignment, fromWireTaskStatus, secretsOfWire, toWireAssignment, toWireTaskStatus, WireFormatError } from './task-convert';
import type { SessionMessage, UpdateTaskStatusRequest, WireAssignment } from './wire-types';

// Fixtures typed Required<...>: a field added to core's model does not
// compile here until the fixture (and so the round trip) covers it.
const linux: Required<LinuxParameters> = {
  capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] },
  devices: [{ hostPath: '/dev/fuse', containerPath: '/dev/fuse', permissions: ['read', 'write'] }],
  initProcessEnabled: true,
  sharedMemorySize: 64,
  tmpfs: [{ containerPath: '/scratch', size: 32, mountOptions: ['noexec'] }],
  maxSwap: 0,
  swappiness: 0,
};

const container: Required<ContainerDefinition & { containerArn: string }> = {
  name: 'web',
  image: 'stevedore-test/busybox:latest',
  containerArn: 'arn:aws:ecs:us-east-1:000000000000:container/c1/t1/web',
  repositoryCredentials: { credentialsParameter: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:registry' },
  cpu: 0,
  memory: 128,
  memoryReservation: 64,
  links: ['db:db'],
  portMappings: [
    { containerPort: 8080, hostPort: 0, protocol: 'tcp', name: 'http', appProtocol: 'http' },
    { containerPortRange: '9000-9001', protocol: 'udp' },
  ],
  essential: false,
  restartPolicy: { enabled: true, ignoredExitCodes: [0, 2], restartAttemptPeriod: 60 },
  entryPoint: ['sh', '-c'],
  command: ['httpd -f -p 8080'],
  environment: [{ name: 'A', value: '' }, { name: 'B', value: 'b' }],
  environmentFiles: [{ value: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:env', type: 's3' }],
  mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: false }],
  volumesFrom: [{ sourceContainer: 'side', readOnly: true }],
  linuxParameters: linux,
  secrets: [{ name: 'TOKEN', valueFrom: 'token' }],
  dependsOn: [{ containerName: 'side', condition: 'HEALTHY' }],
  startTimeout: 30,
  stopTimeout: 2,
  versionConsistency: 'disabled',
  hostname: 'web',
  user: '1000:1000',
  workingDirectory: '/srv',
  disableNetworking: false,
  privileged: false,
  readonlyRootFilesystem: true,
  dnsServers: ['127.0.0.53'],
  dnsSearchDomains: ['example.internal'],
  extraHosts: [{ hostname: 'db.local', ipAddress: '127.0.0.9' }],
  dockerSecurityOptions: ['no-new-privileges'],
  interactive: false,
  pseudoTerminal: false,
  dockerLabels: { team: 'core', 'com.example.empty': '' },
  ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 1048576 }],
  logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' }, secretOptions: [{ name: 'k', valueFrom: 'v' }] },
  healthCheck: { command: ['CMD-SHELL', 'true'], interval: 1, timeout: 1, retries: 3, startPeriod: 0 },
  systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
  resourceRequirements: [{ value: '1', type: 'GPU' }],
  firelensConfiguration: { type: 'fluentbit', options: { 'enable-ecs-log-metadata': 'true' } },
  credentialSpecs: ['credentialspecdomainless:arn'],
};

const volume: Required<Volume> = {
  name: 'data',
  host: { sourcePath: '/srv/data' },
  configuredAtLaunch: false,
  dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, driver: 'local', driverOpts: { type: 'tmpfs' }, labels: { a: 'b' } },
  efsVolumeConfiguration: {
    fileSystemId: 'fs-1',
    rootDirectory: '/',
    transitEncryption: 'ENABLED',
    transitEncryptionPort: 2049,
    authorizationConfig: { accessPointId: 'fsap-1', iam: 'DISABLED' },
  },
  fsxWindowsFileServerVolumeConfiguration: { fileSystemId: 'fs-2', rootDirectory: '\\share', authorizationConfig: { credentialsParameter: 'arn:p', domain: 'corp' } },
};

const efs: Required<ResolvedEfsVolume> = {
  name: 'data',
  fileSystemId: 'fs-1',
  server: '127.0.0.10',
  path: '/exports/a',
  nfsVersion: '4.1',
  mountOptions: 'hard',
  transitEncryption: 'DISABLED',
  transitEncryptionPort: 0,
  error: 'no such file system',
  mountError: 'access denied',
};

const full: Required<TaskAssignment> = {
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c1/t1',
  taskId: 't1',
  cluster: 'c1',
  family: 'web',
  revision: 3,
  desiredStatus: 'STOPPED',
  version: 2 ** 40,
  networkMode: 'awsvpc',
  launchType: 'FARGATE',
  cpu: '256',
  memory: '512',
  ephemeralStorageGiB: 21,
  pidMode: 'task',
  ipcMode: 'none',
  volumes: [volume, { name: 'empty' }],
  containers: [container, { name: 'side', image: 'busybox', containerArn: 'arn:side' }],
  efsVolumes: [efs],
  serviceName: 'web-svc',
  tags: [{ key: 'k', value: 'v' }, { key: 'only-key' }],
  taskRoleArn: 'arn:aws:iam::000000000000:role/task',
  executionRoleArn: 'arn:aws:iam::000000000000:role/exec',
  hostAccess: {
    privileged: true,
    hostNetwork: false,
    hostPid: true,
    hostIpc: false,
    addedCapabilities: true,
    hostDevices: false,
    hostPathVolumes: true,
    hostDockerVolumes: false,
    securityOptions: true,
    hostSystemControls: false,
  },
  stopCode: 'UserInitiated',
  stoppedReason: 'done',
  enableExecuteCommand: true,
};

const minimal: TaskAssignment = {
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c1/t2',
  taskId: 't2',
  cluster: 'c1',
  family: 'batch',
  revision: 1,
  desiredStatus: 'RUNNING',
  version: 1,
  networkMode: 'bridge',
  volumes: [],
  containers: [{ name: 'job', image: 'busybox', containerArn: 'arn:job', portMappings: [{ containerPort: 80 }] }],
};

/** Through protobuf bytes, as the agent receives it. */
function overTheWire(assignments: WireAssignment[]): WireAssignment[] {
  const def = dispatcherService()['Session']!;
  const msg: SessionMessage = {
    type: 'COMPLETE', session_id: 's', applies_to: 0, results_in: 1, assignments, removed: [], heartbeat_period_ms: 3000, log_requests: [], load_balancers: null, exec_requests: [],
  };
  return (def.responseDeserialize(def.responseSerialize(msg)) as SessionMessage).assignments;
}

describe('task conversions', () => {
  it('a task assignment with every field set survives the trip through protobuf unchanged', () => {
    const [w] = overTheWire([toWireAssignment(full)]);
    assert.equal(w!.spec_json, '', 'no JSON beside the typed spec');
    assert.deepEqual(fromWireAssignment(w!), full);
  });

  it('absent optional fields stay absent: an unset essential is not false, an unset hostPort is not 0', () => {
    const [w] = overTheWire([toWireAssignment(minimal)]);
    const back = fromWireAssignment(w!);
    assert.deepEqual(back, minimal);
    assert.equal('essential' in back.containers[0]!, false);
    assert.equal('hostPort' in back.containers[0]!.portMappings![0]!, false);
    assert.equal(back.hostAccess, undefined);
  });

  it('empty optional lists and maps arrive as absent (task.proto rule)', () => {
    const withEmpty: TaskAssignment = { ...minimal, tags: [], containers: [{ ...minimal.containers[0]!, command: [], dockerLabels: {} }] };
    const back = fromWireAssignment(overTheWire([toWireAssignment(withEmpty)])[0]!);
    assert.deepEqual(back, minimal);
  });

  it('an agent older than the typed spec gets spec_json only, and a newer agent still reads it', () => {
    const w = toWireAssignment(full, { typedSpec: false });
    assert.equal(w.spec, null);
    const [back] = overTheWire([w]);
    assert.equal(back!.spec, null);
    assert.deepEqual(fromWireAssignment(back!), full);
  });

  it('secret values travel beside the spec, never in it', () => {
    const secrets = {
      environment: [{ container: 'web', name: 'TOKEN', value: 's3cr3t' }],
      registryAuth: [{ container: 'web', username: 'u', password: 'p4ss' }],
      environmentFiles: [{ container: 'web', name: 'E', value: 'from-file' }],
    };
    const [w] = overTheWire([toWireAssignment(full, { typedSpec: true }, secrets)]);
    assert.deepEqual(secretsOfWire(w!), secrets);
    assert.ok(!JSON.stringify(w!.spec).includes('s3cr3t') && !JSON.stringify(w!.spec).includes('p4ss'));
    assert.deepEqual(secretsOfWire(overTheWire([toWireAssignment(full, { typedSpec: true }, { environment: [], registryAuth: [], error: 'denied' })])[0]!), {
      environment: [],
      registryAuth: [],
      error: 'denied',
    });
    assert.equal(secretsOfWire(overTheWire([toWireAssignment(full)])[0]!), undefined);
  });

  it('refuses values outside ECS lists and missing required fields, naming the field', () => {
    const cases: [string, (w: WireAssignment) => void, RegExp][] = [
      ['desired status', (w) => (w.spec!.desired_status = 'PAUSED'), /^spec\.desired_status: "PAUSED" is not one of RUNNING, STOPPED$/],
      ['protocol', (w) => (w.spec!.containers[0]!.port_mappings[0]!.protocol = 'sctp'), /^spec\.containers\[0\]\.port_mappings\[0\]\.protocol: /],
      ['condition', (w) => (w.spec!.containers[0]!.depends_on[0]!.condition = 'READY'), /^spec\.containers\[0\]\.depends_on\[0\]\.condition: /],
      ['image', (w) => (w.spec!.containers[1]!.image = ''), /^spec\.containers\[1\]\.image: is required$/],
      ['volume scope', (w) => (w.spec!.volumes[0]!.docker_volume_configuration!.scope = 'global'), /^spec\.volumes\[0\]\.docker_volume_configuration\.scope: /],
      ['stop code', (w) => (w.spec!.stop_code = 'Whatever'), /^spec\.stop_code: /],
      ['no spec at all', (w) => (w.spec = null), /^spec: is required$/],
    ];
    for (const [what, mutate, message] of cases) {
      const [w] = overTheWire([toWireAssignment(full)]);
      mutate(w!);
      assert.throws(() => fromWireAssignment(w!), (e: unknown) => e instanceof WireFormatError && message.test(e.message), what);
    }
  });

  it('a task report survives the trip through protobuf, timestamps and exit codes included', () => {
    const report: TaskReport = {
      taskArn: full.taskArn,
      lastStatus: 'STOPPED',
      containers: [
        { name: 'web', status: 'STOPPED', runtimeId: 'a'.repeat(64), exitCode: 0, reason: 'exited', networkBindings: [{ bindIP: '127.0.0.2', containerPort: 8080, hostPort: 32768, protocol: 'udp' }], healthStatus: 'UNHEALTHY' },
        { name: 'side', status: 'NONE', networkBindings: [], healthStatus: 'UNKNOWN' },
      ],
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      pullStartedAt: 1_700_000_000_001,
      pullStoppedAt: 1_700_000_000_002,
      startedAt: 1_700_000_000_003,
      executionStoppedAt: 1_700_000_000_004,
      stoppedAt: 1_700_000_000_005,
    };
    const def = dispatcherService()['UpdateTaskStatus']!;
    const req: UpdateTaskStatusRequest = { session_id: 's', updates: [toWireTaskStatus(report), toWireTaskStatus({ taskArn: 'arn:t3', lastStatus: 'PENDING', containers: [] })] };
    const back = (def.requestDeserialize(def.requestSerialize(req)) as UpdateTaskStatusRequest).updates.map(fromWireTaskStatus);
    assert.deepEqual(back[0], report);
    assert.deepEqual(back[1], { taskArn: 'arn:t3', lastStatus: 'PENDING', containers: [] }, 'unset timestamps and exit codes stay unset');
  });
});
