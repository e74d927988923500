import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';

type Harness = Awaited<ReturnType<typeof startTestControlPlane>>;

async function setup(t: { after: (fn: () => unknown) => void }, opts: Parameters<typeof startTestControlPlane>[0] = {}, cluster = 'svc') {
  const h = await startTestControlPlane({ heartbeatPeriodMs: 300, ...opts });
  const agents: SimAgent[] = [];
  t.after(async () => {
    agents.forEach((a) => a.close());
    await h.cp.stop();
  });
  await h.call('CreateCluster', { clusterName: cluster });
  const td = await h.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 128 }] });
  assert.equal(td.status, 200, JSON.stringify(td.body));
  const addAgent = async (zone: string, extra: Partial<ConstructorParameters<typeof SimAgent>[1]> = {}) => {
    const a = new SimAgent(h.agentAddress, { cluster, ec2InstanceId: `host-${agents.length}`, zone, ...extra });
    await a.start();
    agents.push(a);
    return a;
  };
  return { h, agents, addAgent, cluster };
}

async function describe(h: Harness, cluster: string, name = 'web') {
  const r = await h.call('DescribeServices', { cluster, services: [name] });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body['services'][0] as Record<string, any>;
}

async function steady(h: Harness, cluster: string, desired: number, name = 'web') {
  return eventually(
    async () => {
      const s = await describe(h, cluster, name);
      return s['runningCount'] === desired && s['pendingCount'] === 0 && s['desiredCount'] === desired && s;
    },
    `service ${name} steady at ${desired}`,
    10_000,
  );
}

const totalRunning = (agents: SimAgent[]) => agents.reduce((n, a) => n + a.running().length, 0);

test('bad input gets ECS errors and creates nothing', async (t) => {
  const { h, cluster } = await setup(t);
  const base = { cluster, serviceName: 'bad', taskDefinition: 'web', desiredCount: 1 };
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ ...base, desiredCount: -1 }, 'InvalidParameterException', /desiredCount/],
    [{ ...base, taskDefinition: 'nope' }, 'ClientException', /^TaskDefinition not found\.$/],
    [{ ...base, schedulingStrategy: 'DAEMON', placementStrategy: [{ type: 'binpack', field: 'memory' }] }, 'InvalidParameterException', /DAEMON/],
    [{ ...base, schedulingStrategy: 'DAEMON', deploymentConfiguration: { maximumPercent: 200 } }, 'InvalidParameterException', /maximumPercent must be 100/],
    [{ ...base, placementStrategy: Array.from({ length: 6 }, () => ({ type: 'random' })) }, 'InvalidParameterException', /at most 5/],
    [{ ...base, placementConstraints: Array.from({ length: 11 }, () => ({ type: 'distinctInstance' })) }, 'InvalidParameterException', /at most 10/],
    [{ ...base, placementConstraints: [{ type: 'memberOf', expression: 'attribute:stack == prod and' }] }, 'InvalidParameterException', /Invalid expression at position 28: expected a subject/],
    [{ ...base, placementStrategy: [{ type: 'binpack', field: 'disk' }] }, 'InvalidParameterException', /binpack/],
    [{ ...base, serviceName: 'no spaces' }, 'InvalidParameterException', /serviceName/],
    [{ ...base, clientToken: 'x'.repeat(37) }, 'InvalidParameterException', /clientToken/],
  ];
  for (const [body, type, re] of cases) {
    const r = await h.call('CreateService', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body['__type'], type, JSON.stringify(r.body));
    assert.match(r.body['message'], re);
  }
  const list = await h.call('ListServices', { cluster });
  assert.deepEqual(list.body['serviceArns'], []);
  const d = await h.call('DescribeServices', { cluster, services: ['bad'] });
  assert.deepEqual(d.body['failures'], [{ arn: `arn:aws:ecs:us-east-1:000000000000:service/${cluster}/bad`, reason: 'MISSING' }]);
  const filter = await h.call('ListContainerInstances', { cluster, filter: 'attribute:ecs.availability-zone in [a, b' });
  assert.equal(filter.body['__type'], 'InvalidParameterException');
  assert.match(filter.body['message'], /position 41: expected ',' or '\]'/);
});

test('a service keeps its desired count spread over zones, replaces a crashed task, and reports it in events', async (t) => {
  const { h, cluster, addAgent, agents } = await setup(t);
  await addAgent('za');
  await addAgent('zb');
  const c1 = await h.call('CreateService', { cluster, serviceName: 'web', taskDefinition: 'web', desiredCount: 4, clientToken: 'tok-1' });
  assert.equal(c1.status, 200, JSON.stringify(c1.body));
  const again = await h.call('CreateService', { cluster, serviceName: 'web', taskDefinition: 'web', desiredCount: 4, clientToken: 'tok-1' });
  assert.equal(again.body['service'].serviceArn, c1.body['service'].serviceArn, 'an identical retry returns the same service');
  const different = await h.call('CreateService', { cluster, serviceName: 'web', taskDefinition: 'web', desiredCount: 5 });
  assert.equal(different.body['message'], 'Creation of service was not idempotent.');
  assert.match(c1.body['service'].deployments[0].id, /^ecs-svc\/\d{19}$/);

  const s = await steady(h, cluster, 4);
  assert.deepEqual(agents.map((a) => a.running().length), [2, 2]);
  assert.equal(totalRunning(agents), 4);
  assert.match(s['events'].map((e: any) => e.message).join('\n'), /\(service web\) has started 4 tasks: \(task [0-9a-f]{32}\)/);
  await eventually(async () => (await describe(h, cluster))['events'][0]?.message === '(service web) has reached a steady state.', 'steady-state event');
  const tasks = await h.call('ListTasks', { cluster, serviceName: 'web' });
  const dt = await h.call('DescribeTasks', { cluster, tasks: tasks.body['taskArns'] });
  for (const task of dt.body['tasks']) {
    assert.equal(task.group, 'service:web');
    assert.equal(task.startedBy, c1.body['service'].deployments[0].id);
  }
  const clusters = await h.call('DescribeClusters', { clusters: [cluster] });
  assert.equal(clusters.body['clusters'][0].activeServicesCount, 1);

  const victim = agents[0]!.running()[0]!;
  await agents[0]!.crash(victim);
  await eventually(() => totalRunning(agents) === 4 && !agents.some((a) => a.running().includes(victim)), 'replacement running');
  const after = await steady(h, cluster, 4);
  assert.equal(after['runningCount'], 4);

  // Scale in via UpdateService, then delete.
  const up = await h.call('UpdateService', { cluster, service: 'web', desiredCount: 2 });
  assert.equal(up.status, 200, JSON.stringify(up.body));
  await steady(h, cluster, 2);
  await eventually(() => totalRunning(agents) === 2, 'agents run 2');
  assert.deepEqual(agents.map((a) => a.running().length), [1, 1], 'scale-in keeps the zones balanced');
  const refused = await h.call('DeleteService', { cluster, service: 'web' });
  assert.equal(refused.body['message'], 'The service cannot be stopped while it is scaled above 0.');
  const del = await h.call('DeleteService', { cluster, service: 'web', force: true });
  assert.equal(del.body['service'].status, 'DRAINING');
  await eventually(async () => (await describe(h, cluster))['status'] === 'INACTIVE', 'service INACTIVE');
  assert.equal(totalRunning(agents), 0);
  assert.deepEqual((await h.call('ListServices', { cluster })).body['serviceArns'], []);
});

test('draining moves service tasks within the deployment bounds; standalone tasks stay', async (t) => {
  const { h, cluster, addAgent, agents } = await setup(t);
  const a = await addAgent('za');
  await h.call('CreateService', { cluster, serviceName: 'web', taskDefinition: 'web', desiredCount: 3 });
  await steady(h, cluster, 3);
  const solo = await h.call('StartTask', { cluster, taskDefinition: 'web', containerInstances: [a.instanceId] });
  const soloArn = solo.body['tasks'][0].taskArn as string;
  const b = await addAgent('zb');
  const drain = await h.call('UpdateContainerInstancesState', { cluster, containerInstances: [a.instanceId], status: 'DRAINING' });
  assert.equal(drain.body['containerInstances'][0].status, 'DRAINING');
  await eventually(() => b.running().length === 3 && a.running().length === 1 && a.running()[0] === soloArn, 'tasks moved to b, standalone kept on a', 10_000);
  await steady(h, cluster, 3);
  const missing = await h.call('UpdateContainerInstancesState', { cluster, containerInstances: ['nope'], status: 'DRAINING' });
  assert.equal(missing.body['failures'][0].reason, 'MISSING');
  void agents;
});

test('a lost instance: its service tasks are replaced after the grace and stopped when its agent returns', async (t) => {
  const { h, cluster, addAgent, agents } = await setup(t, { instanceLostGraceSeconds: 1 });
  const a = await addAgent('za');
  const b = await addAgent('zb');
  await h.call('CreateService', { cluster, serviceName: 'web', taskDefinition: 'web', desiredCount: 4 });
  await steady(h, cluster, 4);
  const solo = await h.call('StartTask', { cluster, taskDefinition: 'web', containerInstances: [a.instanceId] });
  const soloArn = solo.body['tasks'][0].taskArn as string;
  await eventually(() => a.running().includes(soloArn), 'standalone running');
  const onA = a.running().filter((x) => x !== soloArn);
  assert.equal(onA.length, 2);
  const diedAt = Date.now();
  a.die();
  await eventually(() => b.running().length === 4, 'replacements on b', 10_000);
  const replacedAfter = Date.now() - diedAt;
  assert.ok(replacedAfter >= 1000, `replaced after ${replacedAfter} ms, not before the grace`);
  const lost = await h.call('DescribeTasks', { cluster, tasks: [...onA, soloArn] });
  for (const task of lost.body['tasks']) {
    if (task.taskArn === soloArn) {
      assert.equal(task.desiredStatus, 'RUNNING', 'standalone task left alone');
      continue;
    }
    assert.equal(task.desiredStatus, 'STOPPED');
    assert.equal(task.stopCode, 'ServiceSchedulerInitiated');
    assert.match(task.stoppedReason, /^Task lost: container instance [0-9a-f]{32} disconnected$/);
  }
  const s = await steady(h, cluster, 4);
  assert.equal(s['runningCount'], 4, 'lost tasks do not count');
  await a.revive();
  await eventually(() => a.running().length === 1 && a.running()[0] === soloArn, 'returning agent stops the superseded tasks');
  await eventually(() => totalRunning(agents) === 5, 'exactly 4 service tasks + 1 standalone');
  await steady(h, cluster, 4);
});

test('a control-plane restart mid-service loses nothing and places no duplicates', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-restart-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = await startTestControlPlane({ heartbeatPeriodMs: 300, dataDir: dir });
  await first.call('CreateCluster', { clusterName: 'r' });
  await first.call('RegisterTaskDefinition', { family: 'web', containerDefinitions: [{ name: 'web', image: 'img', memory: 128 }] });
  const agents = [new SimAgent(first.agentAddress, { cluster: 'r', ec2InstanceId: 'h0', zone: 'za' }), new SimAgent(first.agentAddress, { cluster: 'r', ec2InstanceId: 'h1', zone: 'zb' })];
  for (const a of agents) await a.start();
  await first.call('CreateService', { cluster: 'r', serviceName: 'web', taskDefinition: 'web', desiredCount: 6 });
  // Stop while the service is still being brought up.
  await eventually(() => totalRunning(agents) >= 1, 'first tasks running');
  const ids = agents.map((a) => a.instanceId);
  agents.forEach((a) => a.close());
  await first.cp.stop();

  const second = await startTestControlPlane({ heartbeatPeriodMs: 300, dataDir: dir, orchestrator: { startupDelayMs: 500 } });
  const again = ids.map((id, i) => new SimAgent(second.agentAddress, { cluster: 'r', ec2InstanceId: `h${i}`, zone: i === 0 ? 'za' : 'zb', instanceId: id }));
  t.after(async () => {
    again.forEach((a) => a.close());
    await second.cp.stop();
  });
  for (const a of again) await a.start();
  assert.deepEqual(again.map((a) => a.instanceId), ids, 'same identities');
  const s = await steady(second, 'r', 6);
  const all = await second.call('ListTasks', { cluster: 'r', serviceName: 'web' });
  assert.equal(all.body['taskArns'].length, 6, 'no duplicates after the restart');
  await eventually(() => totalRunning(again) === 6, 'agents run the 6 tasks again');
  assert.equal(s['deployments'].length, 1);
});

test('attributes: put, list, delete, limits; memberOf and distinctInstance through RunTask and services', async (t) => {
  const { h, cluster, addAgent } = await setup(t);
  const a = await addAgent('za');
  const b = await addAgent('zb');
  const put = await h.call('PutAttributes', { cluster, attributes: [{ name: 'stack', value: 'prod', targetId: a.instanceId }] });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const listed = await h.call('ListAttributes', { cluster, targetType: 'container-instance', attributeName: 'stack' });
  assert.deepEqual(listed.body['attributes'].map((x: any) => [x.name, x.value, x.targetId.endsWith(a.instanceId)]), [['stack', 'prod', true]]);
  const tooMany = await h.call('PutAttributes', { cluster, attributes: Array.from({ length: 10 }, (_, i) => ({ name: `k${i}`, value: 'v', targetId: b.instanceId })).concat([]) });
  assert.equal(tooMany.status, 200);
  const over = await h.call('PutAttributes', { cluster, attributes: [{ name: 'k10', value: 'v', targetId: b.instanceId }] });
  assert.equal(over.body['__type'], 'AttributeLimitExceededException');
  const missing = await h.call('PutAttributes', { cluster, attributes: [{ name: 'x', value: 'v', targetId: 'nope' }] });
  assert.equal(missing.body['__type'], 'TargetNotFoundException');
  const reserved = await h.call('PutAttributes', { cluster, attributes: [{ name: 'ecs.availability-zone', value: 'v', targetId: a.instanceId }] });
  assert.equal(reserved.body['__type'], 'InvalidParameterException');
  const filtered = await h.call('ListContainerInstances', { cluster, filter: 'attribute:stack == prod' });
  assert.deepEqual(filtered.body['containerInstanceArns'].map((x: string) => x.endsWith(a.instanceId)), [true]);

  const run = await h.call('RunTask', { cluster, taskDefinition: 'web', count: 3, placementConstraints: [{ type: 'memberOf', expression: 'attribute:stack == prod' }] });
  assert.equal(run.body['tasks'].length, 3);
  assert.ok(run.body['tasks'].every((x: any) => x.containerInstanceArn.endsWith(a.instanceId)));
  const distinct = await h.call('RunTask', { cluster, taskDefinition: 'web', count: 3, group: 'db', placementConstraints: [{ type: 'distinctInstance' }] });
  assert.equal(distinct.body['tasks'].length, 2);
  assert.match(distinct.body['failures'][0].detail, /distinctInstance constraint/);
  const badStrategy = await h.call('RunTask', { cluster, taskDefinition: 'web', placementStrategy: [{ type: 'spread' }] });
  assert.equal(badStrategy.body['__type'], 'InvalidParameterException');

  const del = await h.call('DeleteAttributes', { cluster, attributes: [{ name: 'stack', targetId: a.instanceId }] });
  assert.equal(del.status, 200);
  const none = await h.call('ListContainerInstances', { cluster, filter: 'attribute:stack exists' });
  assert.deepEqual(none.body['containerInstanceArns'], []);

  // A service that cannot be placed explains why, with counts per reason.
  await h.call('CreateService', { cluster, serviceName: 'pinned', taskDefinition: 'web', desiredCount: 1, placementConstraints: [{ type: 'memberOf', expression: 'attribute:stack == qa' }] });
  const ev = await eventually(async () => (await describe(h, cluster, 'pinned'))['events'].find((e: any) => /was unable to place a task/.test(e.message)), 'placement failure event');
  assert.match(ev.message, /^\(service pinned\) was unable to place a task because no container instance met all of its requirements\. The closest matching container-instance [0-9a-f]{32} does not match the memberOf placement constraint/);
  assert.match(ev.message, /\(2 instances: memberOf constraint\)$/);
});

test('DAEMON: one task per instance, new instances get one, draining instances lose theirs', async (t) => {
  const { h, cluster, addAgent, agents } = await setup(t);
  const a = await addAgent('za');
  await addAgent('zb');
  const c = await h.call('CreateService', { cluster, serviceName: 'd', taskDefinition: 'web', schedulingStrategy: 'DAEMON' });
  assert.equal(c.status, 200, JSON.stringify(c.body));
  await steady(h, cluster, 2, 'd');
  const third = await addAgent('zc');
  await eventually(() => third.running().length === 1, 'new instance gets the daemon task');
  await h.call('UpdateContainerInstancesState', { cluster, containerInstances: [a.instanceId], status: 'DRAINING' });
  await eventually(() => a.running().length === 0, 'draining instance loses its daemon task');
  await steady(h, cluster, 2, 'd');
  assert.deepEqual(agents.map((x) => x.running().length), [0, 1, 1]);
});

test('a tick past its time budget leaves the other services for the next turn, and they are all reconciled', async (t) => {
  // Budget 0: every tick reconciles one service and defers the rest.
  const { h, addAgent, cluster } = await setup(t, { orchestrator: { tickBudgetMs: 0 } });
  await addAgent('zone-a');
  await addAgent('zone-b');
  const deferred = h.cp.orchestrator.stats.deferred;
  for (const name of ['b1', 'b2', 'b3', 'b4']) {
    const r = await h.call('CreateService', { cluster, serviceName: name, taskDefinition: 'web', desiredCount: 2 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  for (const name of ['b1', 'b2', 'b3', 'b4']) await steady(h, cluster, 2, name);
  assert.ok(h.cp.orchestrator.stats.deferred > deferred, 'some services waited for a later turn');
});

test('the resync heals a change no event told of: the service is reconciled within one resync period', async (t) => {
  const { h, addAgent, cluster } = await setup(t, { orchestrator: { resyncMs: 1000 } });
  await addAgent('zone-a');
  const r = await h.call('CreateService', { cluster, serviceName: 'quiet', taskDefinition: 'web', desiredCount: 1 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await steady(h, cluster, 1, 'quiet');
  // Nothing time-based left to wake it (the check-less task's warm-up ends the rollout).
  await eventually(async () => (await describe(h, cluster, 'quiet'))['deployments'][0]['rolloutState'] === 'COMPLETED', 'rollout COMPLETED', 20_000);
  // A write the change feed never saw (as a lost replica notification would be): only the resync can find it.
  h.cp.store.db.prepare("UPDATE services SET spec_json = json_set(spec_json, '$.desiredCount', 2) WHERE cluster = ? AND name = 'quiet'").run(cluster);
  await steady(h, cluster, 2, 'quiet');
});

test('the DAEMON groups the orchestrator keeps per cluster follow services created, re-created and deleted', async (t) => {
  const { h, addAgent, cluster } = await setup(t);
  await addAgent('zone-a');
  const o = h.cp.orchestrator as unknown as { daemonGroups: Map<string, ReadonlySet<string>> };
  const kept = () => [...(o.daemonGroups.get(cluster) ?? [])].sort();
  const create = async (serviceName: string, schedulingStrategy: string) => {
    const r = await h.call('CreateService', { cluster, serviceName, taskDefinition: 'web', schedulingStrategy, ...(schedulingStrategy === 'REPLICA' ? { desiredCount: 1 } : {}) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  await create('web', 'REPLICA');
  await steady(h, cluster, 1, 'web');
  assert.deepEqual(kept(), [], 'read once a tick ran');
  await create('logs', 'DAEMON');
  await steady(h, cluster, 1, 'logs');
  assert.deepEqual(kept(), ['service:logs']);
  // Deleted, then the name re-created as a REPLICA service once INACTIVE: no longer a DAEMON group.
  assert.equal((await h.call('DeleteService', { cluster, service: 'logs', force: true })).status, 200);
  await eventually(async () => (await describe(h, cluster, 'logs'))['status'] === 'INACTIVE', 'logs INACTIVE');
  await create('logs', 'REPLICA');
  await steady(h, cluster, 1, 'logs');
  assert.deepEqual(kept(), []);
});
