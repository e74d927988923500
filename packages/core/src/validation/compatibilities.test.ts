import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeCompatibilities, fargateIncompatibilities } from './compatibilities';
import { build } from './fixtures';
import { computeRequiresAttributes } from './requires-attributes';
import { unsupportedFeatures } from './unsupported-features';

const c = build.container;
const AWSLOGS = { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'p' } };

describe('computeCompatibilities', () => {
  const cases: [name: string, fields: Record<string, unknown>, expected: string[]][] = [
    ['bridge definition runs on EC2 and EXTERNAL', {}, ['EC2', 'EXTERNAL']],
    ['host mode runs on EC2 and EXTERNAL', { networkMode: 'host' }, ['EC2', 'EXTERNAL']],
    ['none mode runs on EC2 and EXTERNAL', { networkMode: 'none' }, ['EC2', 'EXTERNAL']],
    ['awsvpc without task size is EC2 only', { networkMode: 'awsvpc' }, ['EC2']],
    ['awsvpc with a Fargate size adds FARGATE', { networkMode: 'awsvpc', cpu: '512', memory: '1 GB' }, ['EC2', 'FARGATE']],
    ['awsvpc with a non-Fargate size is EC2 only', { networkMode: 'awsvpc', cpu: '512', memory: '512' }, ['EC2']],
    ['privileged keeps it off Fargate', { networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [c({ privileged: true })] }, ['EC2']],
    ['a Docker volume keeps it off Fargate', { networkMode: 'awsvpc', cpu: '256', memory: '512', volumes: [{ name: 'v', dockerVolumeConfiguration: {} }] }, ['EC2']],
    ['awslogs without an execution role keeps it off Fargate', { networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [c({ logConfiguration: AWSLOGS })] }, ['EC2']],
    ['awslogs with an execution role runs on Fargate', { networkMode: 'awsvpc', cpu: '256', memory: '512', executionRoleArn: 'arn:aws:iam::1:role/exec', containerDefinitions: [c({ logConfiguration: AWSLOGS })] }, ['EC2', 'FARGATE']],
    ['App Mesh keeps it off EXTERNAL', { containerDefinitions: [c(), c({ name: 'envoy' })], proxyConfiguration: { containerName: 'envoy' } }, ['EC2']],
  ];
  for (const [name, fields, expected] of cases) {
    it(name, () => assert.deepEqual(computeCompatibilities(build.validated(fields)), expected));
  }

  it('reports every Fargate incompatibility with its field, not just the first', () => {
    const td = build.validated({ containerDefinitions: [c({ privileged: true, links: [] }), c({ name: 'b', linuxParameters: { tmpfs: [{ containerPath: '/t', size: 1 }] } })] });
    assert.deepEqual(
      fargateIncompatibilities(td).map((i) => i.field),
      ['networkMode', 'cpu', 'memory', 'containerDefinitions[0].privileged', 'containerDefinitions[1].linuxParameters.tmpfs'],
    );
  });
});

describe('computeRequiresAttributes', () => {
  it('needs nothing for a plain container', () => {
    assert.deepEqual(computeRequiresAttributes(build.validated()), []);
  });

  it('asks for the log driver and the Docker API that introduced it', () => {
    const names = computeRequiresAttributes(build.validated({ containerDefinitions: [c({ logConfiguration: { logDriver: 'json-file' } })] })).map((a) => a.name);
    assert.deepEqual(names, ['com.amazonaws.ecs.capability.docker-remote-api.1.18', 'com.amazonaws.ecs.capability.logging-driver.json-file']);
  });

  it('asks for task ENI in awsvpc and the host-network role variant in host mode', () => {
    assert.ok(computeRequiresAttributes(build.validated({ networkMode: 'awsvpc' })).some((a) => a.name === 'ecs.capability.task-eni'));
    const host = computeRequiresAttributes(build.validated({ networkMode: 'host', taskRoleArn: 'arn:aws:iam::1:role/r' })).map((a) => a.name);
    assert.deepEqual(host, ['com.amazonaws.ecs.capability.task-iam-role', 'com.amazonaws.ecs.capability.task-iam-role-network-host']);
  });
});

describe('unsupportedFeatures', () => {
  it('is empty for what the agents run today', () => {
    const td = build.validated({
      networkMode: 'host',
      taskRoleArn: 'arn:aws:iam::123456789012:role/app',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      cpu: '1 vCPU',
      memory: '1 GB',
      tags: [{ key: 'team', value: 'a' }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }],
      volumes: [{ name: 'task', dockerVolumeConfiguration: {} }, { name: 'shared', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true } }, { name: 'bind', host: { sourcePath: '/srv' } }],
      containerDefinitions: [
        c({
          cpu: 256,
          portMappings: [{ containerPort: 8080 }],
          healthCheck: { command: ['CMD', 'true'] },
          dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }],
          environment: [{ name: 'A', value: '1' }],
          entryPoint: ['/bin/sh', '-c'],
          command: ['exec app'],
          workingDirectory: '/srv',
          user: 'app',
          dockerLabels: { team: 'a' },
          ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
          stopTimeout: 10,
          startTimeout: 30,
          readonlyRootFilesystem: true,
          volumesFrom: [{ sourceContainer: 'init', readOnly: true }],
          mountPoints: [{ sourceVolume: 'task', containerPath: '/t' }, { sourceVolume: 'shared', containerPath: '/s' }, { sourceVolume: 'bind', containerPath: '/b' }],
          logConfiguration: { logDriver: 'json-file', options: { 'max-size': '10m' } },
          linuxParameters: { initProcessEnabled: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, tmpfs: [{ containerPath: '/run', size: 16 }], sharedMemorySize: 64 },
        }),
        c({ name: 'init', essential: false, logConfiguration: { logDriver: 'none' } }),
      ],
    });
    assert.deepEqual(unsupportedFeatures(td), []);
  });

  it('accepts efsVolumeConfiguration (served from the file system registry)', () => {
    assert.deepEqual(unsupportedFeatures(build.validated({ volumes: [{ name: 'shared', efsVolumeConfiguration: { fileSystemId: 'fs-1', transitEncryption: 'ENABLED' } }] })), []);
  });

  it('accepts links in bridge mode', () => {
    assert.deepEqual(unsupportedFeatures(build.validated({ containerDefinitions: [c({ links: ['db'] }), c({ name: 'db' })] })), []);
  });

  const cases: [name: string, fields: Record<string, unknown>, reason: string][] = [
    [
      'FSx volume',
      { volumes: [{ name: 'w', fsxWindowsFileServerVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: 'r', authorizationConfig: { credentialsParameter: 'p', domain: 'd' } } }] },
      'volumes[0].fsxWindowsFileServerVolumeConfiguration',
    ],
    ['log secretOptions', { containerDefinitions: [c({ logConfiguration: { logDriver: 'json-file', secretOptions: [{ name: 'a', valueFrom: 'b' }] } })] }, 'containerDefinitions[0].logConfiguration.secretOptions'],
    ['environmentFiles', { containerDefinitions: [c({ environmentFiles: [{ value: 'arn:aws:s3:::b/x.env', type: 's3' }] })] }, 'containerDefinitions[0].environmentFiles[0]: environmentFiles from Amazon S3'],
    ['firelens', { containerDefinitions: [c({ firelensConfiguration: { type: 'fluentbit' } })] }, 'containerDefinitions[0].firelensConfiguration'],
    ['logentries', { containerDefinitions: [c({ logConfiguration: { logDriver: 'logentries', options: { 'logentries-token': 't' } } })] }, "containerDefinitions[0].logConfiguration.logDriver: log driver 'logentries' (use syslog or fluentd"],
    ['GPU', { containerDefinitions: [c({ resourceRequirements: [{ type: 'GPU', value: '1' }] })] }, 'containerDefinitions[0].resourceRequirements[0]: GPU resourceRequirements'],
    ['proxyConfiguration', { containerDefinitions: [c(), c({ name: 'envoy' })], proxyConfiguration: { containerName: 'envoy' } }, 'proxyConfiguration (App Mesh)'],
    ['inferenceAccelerators', { inferenceAccelerators: [{ deviceName: 'd', deviceType: 'eia2.medium' }] }, 'inferenceAccelerators (Elastic Inference)'],
    ['EBS configured at launch', { volumes: [{ name: 'ebs', configuredAtLaunch: true }] }, 'volumes[0].configuredAtLaunch'],
  ];
  for (const [name, fields, reason] of cases) {
    it(`names ${name}`, () => {
      const reasons = unsupportedFeatures(build.validated(fields));
      assert.ok(reasons.some((r) => r.includes(reason)), `no reason contains ${JSON.stringify(reason)}: ${JSON.stringify(reasons)}`);
    });
  }

  it('lists every reason, each once', () => {
    const reasons = unsupportedFeatures(
      build.validated({ containerDefinitions: [c({ environmentFiles: [{ value: 'arn:aws:s3:::b/x.env', type: 's3' }], logConfiguration: { logDriver: 'logentries' }, resourceRequirements: [{ type: 'GPU', value: '1' }] })] }),
    );
    assert.equal(reasons.length, 3);
  });

  it('secrets, registry credentials, privileged, devices and added capabilities are supported (cluster settings decide host access)', () => {
    const td = build.validated({
      executionRoleArn: 'app-exec',
      containerDefinitions: [
        c({
          secrets: [{ name: 'A', valueFrom: 'db-password' }],
          repositoryCredentials: { credentialsParameter: 'registry' },
          privileged: true,
          linuxParameters: { capabilities: { add: ['NET_ADMIN'] }, devices: [{ hostPath: '/dev/fuse' }] },
        }),
      ],
    });
    assert.deepEqual(unsupportedFeatures(td), []);
  });

  it('runs Fargate definitions (awsvpc, FARGATE-only) and task-shared pid and ipc namespaces', () => {
    assert.deepEqual(unsupportedFeatures(build.validated(build.fargate({ requiresCompatibilities: ['FARGATE'] }))), []);
    assert.deepEqual(unsupportedFeatures(build.validated({ pidMode: 'task', ipcMode: 'task' })), []);
  });
});
