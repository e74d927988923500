import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceError } from '@grpc/grpc-js';
import { fromWireAssignment, type WireTaskStatus } from '@stevedore/proto';
import { startTestControlPlane, FakeAgent, eventually } from '../testing/harness';
import { diffAssignments } from './assignment-set';
import { runningContainer, runningReport } from '../testing/wire-reports';

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 200 });
  await h.call('CreateCluster', { clusterName: 'd' });
  await h.call('RegisterTaskDefinition', {
    family: 'dweb',
    containerDefinitions: [
      { name: 'web', image: 'img', memory: 32, healthCheck: { command: ['CMD-SHELL', 'true'] } },
      { name: 'side', image: 'img', memory: 32, essential: false },
    ],
  });
});
after(async () => {
  await h.cp.stop();
});

function running(taskArn: string): WireTaskStatus {
  return runningReport(taskArn, [
    runningContainer('web', { runtime_id: 'abc', network_bindings: [{ bind_ip: '127.0.0.2', container_port: 8080, host_port: 32770, protocol: 'tcp' }], health_status: 'HEALTHY' }),
    runningContainer('side', { runtime_id: 'def' }),
  ]);
}

test('diffAssignments sends new and newer versions and removes forgotten tasks', () => {
  const d = diffAssignments(new Map([['a', 1], ['b', 1], ['gone', 3]]), new Map([['a', 1], ['b', 2], ['new', 1]]));
  assert.deepEqual(d, { changed: ['b', 'new'], removed: ['gone'] });
});

test('rolling upgrade: an agent older than the typed spec gets the assignment as spec_json only', async () => {
  const agent = new FakeAgent(h.agentAddress);
  await agent.register({ cluster: 'd' });
  agent.openSession({ readsTaskSpec: false });
  await eventually(() => agent.messages[0], 'COMPLETE');
  const run = await h.call('RunTask', { cluster: 'd', taskDefinition: 'dweb' });
  const taskArn: string = run.body['tasks'][0].taskArn;
  const w = await eventually(() => agent.messages.flatMap((m) => m.assignments).find((a) => a.task_arn === taskArn), 'assignment');
  assert.equal(w.spec, null);
  const legacy = JSON.parse(w.spec_json) as { taskArn: string; containers: { name: string }[] };
  assert.equal(legacy.taskArn, taskArn);
  assert.deepEqual(legacy.containers.map((c) => c.name), ['web', 'side']);
  await h.call('StopTask', { cluster: 'd', task: taskArn });
  agent.closeSession();
});

test('session: COMPLETE first, then incremental changes in sequence, reports applied, stopped tasks removed', async () => {
  const agent = new FakeAgent(h.agentAddress);
  await agent.register({ cluster: 'd' });
  agent.openSession();
  const complete = await eventually(() => agent.messages[0], 'COMPLETE');
  assert.equal(complete.type, 'COMPLETE');
  assert.equal(complete.applies_to, 0);
  assert.equal(complete.results_in, 1);
  assert.equal(complete.assignments.length, 0);
  const inst = await h.call('DescribeContainerInstances', { cluster: 'd', containerInstances: [agent.instanceId] });
  assert.equal(inst.body['containerInstances'][0].agentConnected, true);

  const run = await h.call('RunTask', { cluster: 'd', taskDefinition: 'dweb' });
  const taskArn: string = run.body['tasks'][0].taskArn;
  const inc = await eventually(() => agent.messages.find((m) => m.type === 'INCREMENTAL' && m.assignments.length > 0), 'assignment');
  assert.equal(inc.applies_to, 1);
  assert.equal(inc.results_in, 2);
  assert.ok(inc.assignments[0]!.spec, 'a current agent gets the typed spec');
  assert.equal(inc.assignments[0]!.spec_json, '', 'and no JSON beside it');
  const spec = fromWireAssignment(inc.assignments[0]!);
  assert.equal(spec.taskArn, taskArn);
  const before = await h.call('DescribeTasks', { cluster: 'd', tasks: [taskArn] });
  assert.equal(before.body['tasks'][0].connectivityAt, undefined, 'no connectivityAt before the agent reported the task');
  assert.equal(spec.desiredStatus, 'RUNNING');
  assert.deepEqual(spec.containers.map((c) => c.name), ['web', 'side']);

  const res = await agent.update([running(taskArn)]);
  assert.deepEqual(res.applied, [taskArn]);
  const d = await h.call('DescribeTasks', { cluster: 'd', tasks: [taskArn] });
  const t = d.body['tasks'][0];
  assert.equal(t.lastStatus, 'RUNNING');
  assert.equal(t.healthStatus, 'HEALTHY');
  assert.ok(t.connectivityAt >= t.createdAt && t.startedAt >= t.createdAt, 'connectivityAt: the agent holds the task');
  assert.deepEqual(t.containers[0].networkBindings, [{ bindIP: '127.0.0.2', containerPort: 8080, hostPort: 32770, protocol: 'tcp' }]);

  await h.call('StopTask', { cluster: 'd', task: taskArn });
  const stopMsg = await eventually(
    () => agent.messages.find((m) => m.assignments.some((a) => fromWireAssignment(a).desiredStatus === 'STOPPED')),
    'stop assignment',
  );
  assert.equal(stopMsg.applies_to, stopMsg.results_in - 1);
  const stopped = running(taskArn);
  stopped.last_status = 'STOPPED';
  stopped.containers.forEach((c) => {
    c.status = 'STOPPED';
    c.exit_code = 143;
  });
  stopped.stopped_at = Date.now();
  await agent.update([stopped]);
  await eventually(() => agent.messages.find((m) => m.removed.includes(taskArn)), 'removal');
  const after = await h.call('DescribeTasks', { cluster: 'd', tasks: [taskArn] });
  assert.equal(after.body['tasks'][0].lastStatus, 'STOPPED');
  assert.equal(after.body['tasks'][0].stopCode, 'UserInitiated');
  assert.equal(after.body['tasks'][0].containers[0].exitCode, 143);
  const seqs = agent.messages.map((m) => [m.applies_to, m.results_in]);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i]![0], seqs[i - 1]![1], 'messages chain without gaps');
  agent.close();
});

test('an agent cannot update another instance\'s task: the whole batch is refused', async () => {
  const a = await new FakeAgent(h.agentAddress).connect({ cluster: 'd', ec2_instance_id: 'a', host_ip: '127.0.0.3' });
  const b = await new FakeAgent(h.agentAddress).connect({ cluster: 'd', ec2_instance_id: 'b', host_ip: '127.0.0.4' });
  const run = await h.call('StartTask', { cluster: 'd', taskDefinition: 'dweb', containerInstances: [a.instanceId] });
  const taskArn: string = run.body['tasks'][0].taskArn;
  await assert.rejects(b.update([running(taskArn)]), (e: ServiceError) => e.code === 7 /* PERMISSION_DENIED */);
  const d = await h.call('DescribeTasks', { cluster: 'd', tasks: [taskArn] });
  assert.equal(d.body['tasks'][0].lastStatus, 'PENDING');
  a.close();
  b.close();
});

test('reports sent together are applied together, each batch alone: one naming another instance\'s task writes nothing, the other agent\'s applies', async () => {
  const a = await new FakeAgent(h.agentAddress).connect({ cluster: 'd', ec2_instance_id: 'ga', host_ip: '127.0.0.5' });
  const b = await new FakeAgent(h.agentAddress).connect({ cluster: 'd', ec2_instance_id: 'gb', host_ip: '127.0.0.6' });
  const start = async (instance: string) => (await h.call('StartTask', { cluster: 'd', taskDefinition: 'dweb', containerInstances: [instance] })).body['tasks'][0].taskArn as string;
  const taskA = await start(a.instanceId);
  const taskB = await start(b.instanceId);
  // b's batch names its own task first, then a's: refused whole, so its own task is not written either.
  const [fromA, fromB] = await Promise.allSettled([a.update([running(taskA)]), b.update([running(taskB), running(taskA)])]);
  assert.equal(fromA.status, 'fulfilled');
  assert.deepEqual(fromA.status === 'fulfilled' && fromA.value.applied, [taskA]);
  assert.equal(fromB.status === 'rejected' && (fromB.reason as ServiceError).code, 7 /* PERMISSION_DENIED */);
  const d = await h.call('DescribeTasks', { cluster: 'd', tasks: [taskA, taskB] });
  const status = new Map((d.body['tasks'] as { taskArn: string; lastStatus: string }[]).map((t) => [t.taskArn, t.lastStatus]));
  assert.equal(status.get(taskA), 'RUNNING');
  assert.equal(status.get(taskB), 'PENDING');
  a.close();
  b.close();
});

test('an agent that stops heartbeating is marked disconnected; a new session supersedes the old', async () => {
  const a = await new FakeAgent(h.agentAddress).connect({ cluster: 'd', ec2_instance_id: 'hb' });
  const desc = async () => (await h.call('DescribeContainerInstances', { cluster: 'd', containerInstances: [a.instanceId] })).body['containerInstances'][0];
  assert.equal((await desc()).agentConnected, true);
  await eventually(async () => (await desc()).agentConnected === false, 'disconnect after missed heartbeats', 5000);
  a.messages.length = 0;
  a.sessionId = '';
  a.openSession();
  await eventually(() => a.messages[0]?.type === 'COMPLETE', 'new COMPLETE');
  await a.heartbeat();
  assert.equal((await desc()).agentConnected, true);
  a.close();
});

test('re-registering keeps the identity; a deregistered instance is refused', async () => {
  const a = new FakeAgent(h.agentAddress);
  const first = await a.register({ cluster: 'd', ec2_instance_id: 'keep' });
  const again = await a.register({ cluster: 'd', ec2_instance_id: 'keep', instance_id: first.instance_id });
  assert.equal(again.instance_id, first.instance_id);
  const dereg = await h.call('DeregisterContainerInstance', { cluster: 'd', containerInstance: first.instance_id });
  assert.equal(dereg.body['containerInstance'].status, 'INACTIVE');
  await assert.rejects(a.register({ cluster: 'd', instance_id: first.instance_id }), (e: ServiceError) => e.code === 9 && /InactiveInstanceException/.test(e.details));
  a.close();
  // The certificate names the cluster: registering in another is not this agent's to ask.
  const b = new FakeAgent(h.agentAddress);
  await b.register({ cluster: 'd', ec2_instance_id: 'other' });
  await assert.rejects(b.register({ cluster: 'nope' }), (e: ServiceError) => e.code === 7 && /cluster d/.test(e.details));
  b.close();
});
