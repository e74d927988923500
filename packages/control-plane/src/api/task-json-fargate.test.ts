import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultArnContext, newTask, type ContainerInstance, type TaskDefinition } from '@stevedore/core';
import { taskJson } from './serialize';

// The ECS shapes a FARGATE awsvpc task is shown in (docs/design/fargate.md), checked against botocore's model.
const MODEL = JSON.parse(readFileSync('/usr/lib/python3/dist-packages/awscli/botocore/data/ecs/2014-11-13/service-2.json', 'utf8')) as {
  shapes: Record<string, { members?: Record<string, unknown> }>;
};
const members = (shape: string) => Object.keys(MODEL.shapes[shape]!.members!);

const td = {
  family: 'f',
  revision: 1,
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:1',
  status: 'ACTIVE',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  compatibilities: ['EC2', 'FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'web', image: 'i', portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }] }],
  registeredAt: 0,
} as unknown as TaskDefinition;

const instance = { id: 'i1', clusterName: 'c', ec2InstanceId: 'h', hostIp: '127.0.12.3', status: 'ACTIVE', agentConnected: true, attributes: [] } as unknown as ContainerInstance;

function fargateTask(lastStatus: 'RUNNING' | 'STOPPED') {
  const t = newTask({
    clusterName: 'c',
    td,
    containerInstanceId: 'i1',
    group: 'family:f',
    now: 1000,
    launchType: 'FARGATE',
    capacityProviderName: 'FARGATE_SPOT',
    platformVersion: '1.4.0',
    awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' },
  });
  return { ...t, lastStatus };
}

test('a FARGATE task: no container instance, platform and provider shown, only members of ECS Task', () => {
  const j = taskJson(defaultArnContext, fargateTask('RUNNING'), instance) as Record<string, any>;
  assert.equal(j['containerInstanceArn'], undefined);
  assert.equal(j['launchType'], 'FARGATE');
  assert.equal(j['capacityProviderName'], 'FARGATE_SPOT');
  assert.equal(j['platformVersion'], '1.4.0');
  assert.equal(j['platformFamily'], 'Linux');
  assert.deepEqual(j['ephemeralStorage'], { sizeInGiB: 20 });
  const known = new Set(members('Task'));
  for (const k of Object.keys(j)) assert.ok(known.has(k), `Task has no member ${k}`);
});

test('the ENI attachment and the containers network interfaces, as ECS shapes them', () => {
  const running = taskJson(defaultArnContext, fargateTask('RUNNING'), instance) as Record<string, any>;
  const [eni] = running['attachments'];
  assert.deepEqual(Object.keys(eni).sort(), members('Attachment').sort());
  assert.equal(eni.type, 'ElasticNetworkInterface');
  assert.equal(eni.status, 'ATTACHED');
  assert.match(eni.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const details = Object.fromEntries(eni.details.map((d: { name: string; value: string }) => [d.name, d.value]));
  assert.deepEqual(Object.keys(details), ['subnetId', 'networkInterfaceId', 'privateDnsName', 'privateIPv4Address']);
  assert.equal(details['subnetId'], 'subnet-1');
  assert.match(details['networkInterfaceId'], /^eni-[0-9a-f]{17}$/);
  assert.equal(details['privateIPv4Address'], '127.0.12.3');
  const ni = running['containers'][0].networkInterfaces;
  assert.deepEqual(ni, [{ attachmentId: eni.id, privateIpv4Address: '127.0.12.3' }]);
  for (const k of Object.keys(ni[0]!)) assert.ok(members('NetworkInterface').includes(k), k);
  const stopped = taskJson(defaultArnContext, fargateTask('STOPPED'), instance) as Record<string, any>;
  assert.equal(stopped['attachments'][0].status, 'DELETED');
});

test('an EC2 bridge task keeps its container instance and has no attachment', () => {
  const t = newTask({ clusterName: 'c', td: { ...td, networkMode: 'bridge' }, containerInstanceId: 'i1', group: 'g', now: 1 });
  const j = taskJson(defaultArnContext, t, instance) as Record<string, any>;
  assert.match(j['containerInstanceArn'], /container-instance\/c\/i1$/);
  assert.deepEqual(j['attachments'], []);
  assert.equal(j['platformVersion'], undefined);
});
