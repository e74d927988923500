import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskDefinitionInput } from '../model/task-definition';
import { computeCompatibilities } from './compatibilities';
import { validateRegisterTaskDefinition } from './register-task-definition';
import { computeRequiresAttributes } from './requires-attributes';
import { ec2KitchenSink, fargateKitchenSink } from './kitchen-sink-fixtures';

/** What registration must return: the request, in ECS units, plus the defaults ECS fills. */
function expectedEc2(): TaskDefinitionInput {
  const expected = structuredClone(ec2KitchenSink) as unknown as TaskDefinitionInput;
  expected.cpu = '2048';
  expected.memory = '4096';
  const [, logRouter, envoy, migrate] = expected.containerDefinitions;
  logRouter!.essential = true;
  envoy!.healthCheck = { ...envoy!.healthCheck!, interval: 30, timeout: 5, retries: 3 };
  migrate!.essential = false;
  return expected;
}

function expectedFargate(): TaskDefinitionInput {
  const expected = structuredClone(fargateKitchenSink) as unknown as TaskDefinitionInput;
  expected.cpu = '1024';
  expected.memory = '2048';
  const api = expected.containerDefinitions[0]!;
  api.essential = true;
  api.portMappings = [
    { containerPort: 443, hostPort: 443, protocol: 'tcp', name: 'https', appProtocol: 'http2' },
    { containerPortRange: '7000-7010', protocol: 'tcp' },
  ];
  api.mountPoints = [{ sourceVolume: 'task-storage', containerPath: '/tmp/work', readOnly: false }, { sourceVolume: 'efs', containerPath: '/efs', readOnly: true }];
  api.healthCheck = { command: ['CMD', '/bin/healthcheck'], interval: 30, timeout: 5, retries: 3, startPeriod: 0 };
  expected.volumes![1]!.efsVolumeConfiguration = {
    fileSystemId: 'fs-1',
    rootDirectory: '/',
    transitEncryption: 'ENABLED',
    authorizationConfig: { accessPointId: 'fsap-1', iam: 'DISABLED' },
  };
  return expected;
}

describe('kitchen-sink task definitions', () => {
  it('registers an EC2 definition using every member, keeping every value and filling only defaults', () => {
    assert.deepEqual(validateRegisterTaskDefinition(ec2KitchenSink), expectedEc2());
  });

  it('registers a Fargate + EC2 definition and normalizes its sizes', () => {
    assert.deepEqual(validateRegisterTaskDefinition(fargateKitchenSink), expectedFargate());
  });

  it('gives back the same definition when the registered JSON is registered again', () => {
    for (const body of [ec2KitchenSink, fargateKitchenSink]) {
      const once = validateRegisterTaskDefinition(body);
      assert.deepEqual(validateRegisterTaskDefinition(JSON.parse(JSON.stringify(once))), once);
    }
  });

  it('computes the launch types each can run on', () => {
    assert.deepEqual(computeCompatibilities(validateRegisterTaskDefinition(ec2KitchenSink)), ['EC2']);
    assert.deepEqual(computeCompatibilities(validateRegisterTaskDefinition(fargateKitchenSink)), ['EC2', 'FARGATE']);
  });

  it('lists the agent capabilities the EC2 definition needs', () => {
    const names = computeRequiresAttributes(validateRegisterTaskDefinition(ec2KitchenSink)).map((a) => a.name);
    for (const expected of [
      'com.amazonaws.ecs.capability.privileged-container',
      'com.amazonaws.ecs.capability.selinux',
      'com.amazonaws.ecs.capability.apparmor',
      'com.amazonaws.ecs.capability.ecr-auth',
      'ecs.capability.execution-role-ecr-pull',
      'ecs.capability.private-registry-authentication.secretsmanager',
      'com.amazonaws.ecs.capability.logging-driver.awslogs',
      'com.amazonaws.ecs.capability.logging-driver.json-file',
      'ecs.capability.execution-role-awslogs',
      'ecs.capability.secrets.asm.environment-variables',
      'ecs.capability.secrets.ssm.environment-variables',
      'ecs.capability.secrets.ssm.bootstrap.log-driver',
      'ecs.capability.container-health-check',
      'com.amazonaws.ecs.capability.docker-remote-api.1.24',
      'com.amazonaws.ecs.capability.docker-remote-api.1.25',
      'ecs.capability.container-ordering',
      'ecs.capability.env-files.s3',
      'ecs.capability.firelens.fluentbit',
      'ecs.capability.firelens.options.config.file',
      'ecs.capability.network.container-port-range',
      'ecs.capability.container-restart-policy',
      'ecs.capability.gmsa-domainless',
      'com.amazonaws.ecs.capability.task-iam-role',
      'ecs.capability.task-cpu-mem-limit',
      'ecs.capability.pid-ipc-namespace-sharing',
      'ecs.capability.aws-appmesh',
      'ecs.capability.task-eia',
      'ecs.capability.docker-plugin.local',
      'ecs.capability.docker-plugin.rexray/ebs',
      'ecs.capability.efs',
      'ecs.capability.efsAuth',
      'ecs.capability.fsxWindowsFileServer',
      'ecs.capability.storage.ebs-task-volume-attach',
    ]) {
      assert.ok(names.includes(expected), `missing ${expected}`);
    }
    assert.equal(new Set(names).size, names.length, 'attributes are listed once');
    assert.ok(!names.includes('ecs.capability.task-eni'));
  });
});
