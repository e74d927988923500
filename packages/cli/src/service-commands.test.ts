import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli';
import { captureIo } from './testing/capture-io';
import { startFakeEcs } from './testing/fake-ecs-server';
import type { EcsService } from './ecs-types';

const svc = (over: Partial<EcsService> = {}): EcsService => ({
  serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/c1/web',
  serviceName: 'web',
  status: 'ACTIVE',
  taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:3',
  desiredCount: 2,
  runningCount: 0,
  pendingCount: 0,
  schedulingStrategy: 'REPLICA',
  deployments: [{ id: 'ecs-svc/1234567890123456789', status: 'PRIMARY', taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:3', desiredCount: 2, runningCount: 0, pendingCount: 0, rolloutState: 'IN_PROGRESS' }],
  events: [],
  ...over,
});

test('service create builds CreateService from flags and --input JSON, then --wait follows it to a steady state', async (t) => {
  const snapshots = [svc({ pendingCount: 2 }), svc({ runningCount: 1, pendingCount: 1 }), svc({ runningCount: 2, events: [{ id: 'e1', createdAt: Date.now() / 1000 + 1, message: '(service web) has reached a steady state.' }] })];
  let polls = 0;
  const fake = await startFakeEcs({
    CreateService: () => ({ service: svc() }),
    DescribeServices: () => ({ services: [snapshots[Math.min(polls++, snapshots.length - 1)]], failures: [] }),
  });
  t.after(() => fake.close());
  const io = captureIo({ env: { STEVEDORE_ENDPOINT: fake.endpoint }, files: { 'svc.json': JSON.stringify({ serviceName: 'web', taskDefinition: 'web', deploymentConfiguration: { maximumPercent: 150 } }) } });
  const code = await run(['service', 'create', '--input', 'svc.json', '--desired-count', '2', '--constraint', 'memberOf:attribute:stack == prod', '--strategy', 'spread:attribute:ecs.availability-zone', '--strategy', 'binpack:memory', '--minimum-healthy-percent', '50', '--wait', '--cluster', 'c1'], io);
  assert.equal(code, 0, io.err());
  assert.deepEqual(fake.callsTo('CreateService')[0]!.body, {
    serviceName: 'web',
    taskDefinition: 'web',
    desiredCount: 2,
    deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: 50 },
    placementConstraints: [{ type: 'memberOf', expression: 'attribute:stack == prod' }],
    placementStrategy: [
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
      { type: 'binpack', field: 'memory' },
    ],
    cluster: 'c1',
  });
  assert.match(io.err(), /web: 1\/2 running, 1 pending/);
  assert.match(io.err(), /has reached a steady state/);
});

test('service scale, drain and attribute put send the ECS requests; describe explains missing tasks', async (t) => {
  const unable = '(service web) was unable to place a task because no container instance met all of its requirements. (2 instances: memberOf constraint)';
  const fake = await startFakeEcs({
    UpdateService: () => ({ service: svc({ desiredCount: 5 }) }),
    UpdateContainerInstancesState: () => ({ containerInstances: [{ containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/c1/abc', status: 'DRAINING' }], failures: [] }),
    PutAttributes: (b) => ({ attributes: b.attributes }),
    DescribeServices: () => ({ services: [svc({ runningCount: 1, events: [{ id: 'e2', createdAt: 1, message: unable }] })], failures: [] }),
    ListTasks: () => ({ taskArns: [] }),
  });
  t.after(() => fake.close());
  const env = { STEVEDORE_ENDPOINT: fake.endpoint };
  assert.equal(await run(['service', 'scale', 'web', '5', '--cluster', 'c1'], captureIo({ env })), 0);
  assert.deepEqual(fake.callsTo('UpdateService')[0]!.body, { cluster: 'c1', service: 'web', desiredCount: 5 });
  assert.equal(await run(['instance', 'drain', 'abc', '--cluster', 'c1'], captureIo({ env })), 0);
  assert.deepEqual(fake.callsTo('UpdateContainerInstancesState')[0]!.body, { cluster: 'c1', containerInstances: ['abc'], status: 'DRAINING' });
  assert.equal(await run(['attribute', 'put', 'abc', 'stack=prod', '--cluster', 'c1'], captureIo({ env })), 0);
  assert.deepEqual(fake.callsTo('PutAttributes')[0]!.body, { cluster: 'c1', attributes: [{ name: 'stack', value: 'prod', targetType: 'container-instance', targetId: 'abc' }] });
  const io = captureIo({ env });
  assert.equal(await run(['service', 'describe', 'web', '--cluster', 'c1'], io), 0, io.err());
  assert.match(io.out(), /Why tasks are missing:\n  \(service web\) was unable to place a task/);
  assert.match(io.out(), /Deployments:/);
  assert.match(io.out(), /Tasks per instance:/);
  const bad = captureIo({ env });
  assert.equal(await run(['service', 'create', 'x', '--task-definition', 'web', '--constraint', 'sameHost'], bad), 2);
  assert.match(bad.err(), /expected distinctInstance or memberOf/);
});
