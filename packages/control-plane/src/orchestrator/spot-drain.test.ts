import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';

// Draining a host reclaims its FARGATE_SPOT capacity (docs/design/fargate.md):
// the service's spot tasks there stop as ECS stops an interrupted Spot task.
test('draining a host interrupts the FARGATE_SPOT service tasks on it; FARGATE ones stop as usual', async (t) => {
  const h = await startTestControlPlane({ heartbeatPeriodMs: 300 });
  const agents: SimAgent[] = [];
  t.after(async () => {
    agents.forEach((a) => a.close());
    await h.cp.stop();
  });
  const cluster = 'spot';
  await h.call('CreateCluster', { clusterName: cluster });
  const td = await h.call('RegisterTaskDefinition', {
    family: 'ft',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'web', image: 'img' }],
  });
  assert.equal(td.status, 200, JSON.stringify(td.body));
  const a = new SimAgent(h.agentAddress, { cluster, ec2InstanceId: 'host-a', zone: 'za' });
  await a.start();
  agents.push(a);
  const created = await h.call('CreateService', {
    cluster,
    serviceName: 'web',
    taskDefinition: 'ft',
    desiredCount: 2,
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1, weight: 0 }, { capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  await eventually(() => a.running().length === 2, 'two tasks on a', 10_000);
  const before = await h.call('DescribeTasks', { cluster, tasks: a.running() });
  assert.deepEqual(before.body['tasks'].map((x: any) => x.capacityProviderName).sort(), ['FARGATE', 'FARGATE_SPOT']);
  const b = new SimAgent(h.agentAddress, { cluster, ec2InstanceId: 'host-b', zone: 'zb' });
  await b.start();
  agents.push(b);
  await h.call('UpdateContainerInstancesState', { cluster, containerInstances: [a.instanceId], status: 'DRAINING' });
  await eventually(() => b.running().length === 2 && a.running().length === 0, 'tasks moved to b', 10_000);
  const after = await h.call('DescribeTasks', { cluster, tasks: before.body['tasks'].map((x: any) => x.taskArn) });
  const byProvider = new Map(after.body['tasks'].map((x: any) => [x.capacityProviderName, x]));
  assert.equal((byProvider.get('FARGATE_SPOT') as any).stopCode, 'SpotInterruption');
  assert.equal((byProvider.get('FARGATE_SPOT') as any).stoppedReason, 'Your Spot Task was interrupted.');
  assert.equal((byProvider.get('FARGATE') as any).stopCode, 'ServiceSchedulerInitiated');
});
