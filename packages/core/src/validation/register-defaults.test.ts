import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateRegisterTaskDefinition } from './register-task-definition';
import { build } from './fixtures';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

describe('validateRegisterTaskDefinition accepts and fills ECS defaults', () => {
  it('fills essential, networkMode and nothing else on a minimal definition', () => {
    assert.deepEqual(validateRegisterTaskDefinition(build.taskDefinition()), {
      family: 'web',
      networkMode: 'bridge',
      containerDefinitions: [{ name: 'web', image: 'public.ecr.aws/nginx/nginx:1.25', memory: 256, essential: true }],
    });
  });

  it('keeps an explicit essential: false on a sidecar', () => {
    const td = validateRegisterTaskDefinition(build.withContainers([{}, { name: 'side', essential: false }]));
    assert.deepEqual(td.containerDefinitions.map((c) => c.essential), [true, false]);
  });

  it('accepts task-level memory instead of container memory', () => {
    const td = validateRegisterTaskDefinition(build.withContainers([{ memory: undefined }], { memory: '512' }));
    assert.equal(td.containerDefinitions[0]!.memory, undefined);
    assert.equal(td.memory, '512');
  });

  it('accepts memoryReservation alone and memory equal to memoryReservation', () => {
    validateRegisterTaskDefinition(build.withContainers([{ memory: undefined, memoryReservation: 128 }]));
    validateRegisterTaskDefinition(build.withContainers([{ memory: 128, memoryReservation: 128 }]));
  });

  const sizes: [cpu: string, expected: string][] = [
    ['1024', '1024'],
    [' 512 ', '512'],
    ['1 vCPU', '1024'],
    ['1 vcpu', '1024'],
    ['2vCPU', '2048'],
    ['0.25 vCPU', '256'],
    ['.5 vCPU', '512'],
    ['192 vCPU', '196608'],
  ];
  for (const [cpu, expected] of sizes) {
    it(`normalizes task cpu ${JSON.stringify(cpu)} to "${expected}"`, () => {
      assert.equal(validateRegisterTaskDefinition(build.taskDefinition({ cpu })).cpu, expected);
    });
  }

  const memories: [memory: string, expected: string][] = [
    ['2048', '2048'],
    ['2 GB', '2048'],
    ['2GB', '2048'],
    ['2 gb', '2048'],
    ['0.5 GB', '512'],
    ['6', '6'],
  ];
  for (const [memory, expected] of memories) {
    it(`normalizes task memory ${JSON.stringify(memory)} to "${expected}"`, () => {
      const td = validateRegisterTaskDefinition(build.withContainers([{ memory: undefined }], { memory }));
      assert.equal(td.memory, expected);
    });
  }

  it('defaults protocol to tcp and leaves bridge host ports dynamic', () => {
    const td = validateRegisterTaskDefinition(build.withContainers([{ portMappings: [{ containerPort: 80 }, { containerPort: 53, hostPort: 0, protocol: 'udp' }] }]));
    assert.deepEqual(td.containerDefinitions[0]!.portMappings, [
      { containerPort: 80, protocol: 'tcp' },
      { containerPort: 53, hostPort: 0, protocol: 'udp' },
    ]);
  });

  for (const networkMode of ['host', 'awsvpc'] as const) {
    it(`defaults hostPort to containerPort in ${networkMode} mode`, () => {
      const td = validateRegisterTaskDefinition(build.withContainers([{ portMappings: [{ containerPort: 8080 }, { containerPort: 9090, hostPort: 9090 }] }], { networkMode }));
      assert.deepEqual(td.containerDefinitions[0]!.portMappings, [
        { containerPort: 8080, hostPort: 8080, protocol: 'tcp' },
        { containerPort: 9090, hostPort: 9090, protocol: 'tcp' },
      ]);
    });
  }

  it('allows the same container port on different protocols and dynamic ports twice', () => {
    validateRegisterTaskDefinition(
      build.withContainers([
        { portMappings: [{ containerPort: 53, hostPort: 53 }, { containerPort: 53, hostPort: 53, protocol: 'udp' }] },
        { name: 'side', portMappings: [{ containerPort: 80 }, { containerPort: 80, hostPort: 0 }] },
      ]),
    );
  });

  it('fills health check defaults but leaves startPeriod off', () => {
    const td = validateRegisterTaskDefinition(build.withContainers([{ healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] } }]));
    assert.deepEqual(td.containerDefinitions[0]!.healthCheck, { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 30, timeout: 5, retries: 3 });
  });

  it('accepts 1 s health check intervals and timeouts (a departure from ECS 5 s / 2 s)', () => {
    const td = validateRegisterTaskDefinition(build.withContainers([{ healthCheck: { command: ['CMD', 'true'], interval: 1, timeout: 1, retries: 1, startPeriod: 0 } }]));
    assert.deepEqual(td.containerDefinitions[0]!.healthCheck, { command: ['CMD', 'true'], interval: 1, timeout: 1, retries: 1, startPeriod: 0 });
  });

  it('fills volume, mount and volumesFrom defaults', () => {
    const td = validateRegisterTaskDefinition(
      build.withContainers(
        [
          { mountPoints: [{ sourceVolume: 'scratch', containerPath: '/scratch' }] },
          { name: 'side', volumesFrom: [{ sourceContainer: 'web' }], mountPoints: [{ sourceVolume: 'cache', containerPath: '/cache', readOnly: true }] },
        ],
        {
          volumes: [
            { name: 'scratch', dockerVolumeConfiguration: {} },
            { name: 'cache', dockerVolumeConfiguration: { scope: 'shared' } },
            { name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-12345678' } },
            { name: 'efs-ap', efsVolumeConfiguration: { fileSystemId: 'fs-12345678', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-1' } } },
            { name: 'bind', host: { sourcePath: '/srv/data' } },
            { name: 'anon', host: {} },
            { name: 'plain' },
          ],
        },
      ),
    );
    assert.deepEqual(td.volumes, [
      { name: 'scratch', dockerVolumeConfiguration: { scope: 'task', driver: 'local' } },
      { name: 'cache', dockerVolumeConfiguration: { scope: 'shared', autoprovision: false, driver: 'local' } },
      { name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-12345678', rootDirectory: '/', transitEncryption: 'DISABLED' } },
      {
        name: 'efs-ap',
        efsVolumeConfiguration: { fileSystemId: 'fs-12345678', rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-1', iam: 'DISABLED' } },
      },
      { name: 'bind', host: { sourcePath: '/srv/data' } },
      { name: 'anon', host: {} },
      { name: 'plain' },
    ]);
    assert.deepEqual(td.containerDefinitions[0]!.mountPoints, [{ sourceVolume: 'scratch', containerPath: '/scratch', readOnly: false }]);
    assert.deepEqual(td.containerDefinitions[1]!.mountPoints, [{ sourceVolume: 'cache', containerPath: '/cache', readOnly: true }]);
    assert.deepEqual(td.containerDefinitions[1]!.volumesFrom, [{ sourceContainer: 'web', readOnly: false }]);
  });

  it('fills restartPolicy period and proxy type defaults', () => {
    const td = validateRegisterTaskDefinition(
      build.withContainers([{ restartPolicy: { enabled: true } }, { name: 'envoy' }], { proxyConfiguration: { containerName: 'envoy' } }),
    );
    assert.deepEqual(td.containerDefinitions[0]!.restartPolicy, { enabled: true, restartAttemptPeriod: 300 });
    assert.deepEqual(td.proxyConfiguration, { type: 'APPMESH', containerName: 'envoy' });
  });

  it('treats explicit nulls as absent members', () => {
    const td = validateRegisterTaskDefinition({ ...build.taskDefinition(), cpu: null, volumes: null, containerDefinitions: [build.container({ essential: null, healthCheck: null })] });
    assert.deepEqual(td, validateRegisterTaskDefinition(build.taskDefinition()));
  });

  it('accepts dependsOn START/HEALTHY on essential containers and COMPLETE/SUCCESS on non-essential ones', () => {
    validateRegisterTaskDefinition(
      build.withContainers([
        { name: 'app', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }, { containerName: 'migrate', condition: 'SUCCESS' }, { containerName: 'init', condition: 'COMPLETE' }, { containerName: 'log', condition: 'START' }] },
        { name: 'db', healthCheck: { command: ['CMD', 'pg_isready'] } },
        { name: 'migrate', essential: false, dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] },
        { name: 'init', essential: false },
        { name: 'log', links: ['db:database'], volumesFrom: [{ sourceContainer: 'init' }] },
      ]),
    );
  });

  it('accepts links in bridge mode to existing containers', () => {
    const td = validateRegisterTaskDefinition(build.withContainers([{ links: ['db', 'cache:redis'] }, { name: 'db' }, { name: 'cache' }]));
    assert.deepEqual(td.containerDefinitions[0]!.links, ['db', 'cache:redis']);
  });

  it('accepts a valid Fargate definition of every tier boundary', () => {
    for (const [cpu, memory] of [['256', '512'], ['512', '4 GB'], ['1 vCPU', '8192'], ['4096', '30720'], ['8192', '61440'], ['16 vCPU', '120 GB']]) {
      const td = validateRegisterTaskDefinition(build.fargate({ cpu, memory }));
      assert.equal(td.networkMode, 'awsvpc');
    }
  });

  it('does not modify the request and gives the same result when validated again', () => {
    const body = deepFreeze(
      build.withContainers([{ portMappings: [{ containerPort: 80 }], healthCheck: { command: ['CMD', 'true'] }, mountPoints: [{ sourceVolume: 'v', containerPath: '/v' }] }], {
        networkMode: 'host',
        cpu: '1 vCPU',
        memory: '1 GB',
        volumes: [{ name: 'v', dockerVolumeConfiguration: { scope: 'shared' } }],
      }),
    );
    const once = validateRegisterTaskDefinition(body);
    assert.deepEqual(validateRegisterTaskDefinition(JSON.parse(JSON.stringify(once))), once);
  });
});
