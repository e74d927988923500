import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: SimAgent;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 300 });
  await h.call('CreateCluster', { clusterName: 'prot' });
  await h.call('RegisterTaskDefinition', { family: 'worker', containerDefinitions: [{ name: 'w', image: 'img', memory: 64 }] });
  agent = new SimAgent(h.agentAddress, { cluster: 'prot', ec2InstanceId: 'prot-host' });
  await agent.start();
});
after(async () => {
  agent.close();
  await h.cp.stop();
});

const running = async (service: string) => {
  const list = await h.call('ListTasks', { cluster: 'prot', serviceName: service, desiredStatus: 'RUNNING' });
  const arns = list.body['taskArns'] as string[];
  if (arns.length === 0) return [];
  const d = await h.call('DescribeTasks', { cluster: 'prot', tasks: arns });
  return (d.body['tasks'] as { taskArn: string; lastStatus: string }[]).filter((t) => t.lastStatus === 'RUNNING').map((t) => t.taskArn);
};

test('UpdateTaskProtection / GetTaskProtection: ECS shapes, default 120 minutes, a protected task survives a scale-in', async () => {
  await h.call('CreateService', { cluster: 'prot', serviceName: 'jobs', taskDefinition: 'worker', desiredCount: 3 });
  const tasks = await eventually(async () => {
    const r = await running('jobs');
    return r.length === 3 && r;
  }, 'three running tasks', 30_000);
  const busy = tasks[1]!;
  const before = Date.now();
  const u = await h.call('UpdateTaskProtection', { cluster: 'prot', tasks: [busy, 'arn:aws:ecs:us-east-1:000000000000:task/prot/nope'], protectionEnabled: true });
  assert.equal(u.status, 200, JSON.stringify(u.body));
  assert.equal(u.body['protectedTasks'].length, 1);
  const p = u.body['protectedTasks'][0];
  assert.equal(p.taskArn, busy);
  assert.equal(p.protectionEnabled, true);
  const minutes = (p.expirationDate * 1000 - before) / 60_000;
  assert.ok(minutes > 119.9 && minutes < 120.1, String(minutes));
  assert.deepEqual(u.body['failures'], [{ arn: 'arn:aws:ecs:us-east-1:000000000000:task/prot/nope', reason: 'MISSING' }]);

  const g = await h.call('GetTaskProtection', { cluster: 'prot', tasks: [busy, tasks[0]] });
  assert.deepEqual(g.body['protectedTasks'].map((t: { protectionEnabled: boolean }) => t.protectionEnabled), [true, false]);
  for (const [body, field] of [
    [{ cluster: 'prot', tasks: [busy], protectionEnabled: true, expiresInMinutes: 2881 }, /expiresInMinutes must be at most 2880/],
    [{ cluster: 'prot', tasks: [busy] }, /protectionEnabled is required/],
    [{ cluster: 'prot', tasks: [], protectionEnabled: true }, /tasks must contain at least 1 item/],
  ] as const) {
    const e = await h.call('UpdateTaskProtection', body);
    assert.equal(e.body['__type'], 'InvalidParameterException');
    assert.match(e.body['message'], field);
  }

  await h.call('UpdateService', { cluster: 'prot', service: 'jobs', desiredCount: 1 });
  const left = await eventually(async () => {
    const r = await running('jobs');
    return r.length === 1 && r;
  }, 'scaled in to one task', 30_000);
  assert.deepEqual(left, [busy], 'the protected task is the one kept');
  await h.call('UpdateService', { cluster: 'prot', service: 'jobs', desiredCount: 0 });
  const svc = await eventually(async () => {
    const d = await h.call('DescribeServices', { cluster: 'prot', services: ['jobs'] });
    const s = d.body['services'][0];
    return s.events.some((e: { message: string }) => e.message === '(service jobs) was unable to scale in due to (reason 1 tasks under protection).') && s;
  }, 'the service says protection holds the scale-in', 20_000);
  assert.equal(svc.runningCount, 1);
  // Protection off: the scale-in proceeds.
  const off = await h.call('UpdateTaskProtection', { cluster: 'prot', tasks: [busy], protectionEnabled: false });
  assert.deepEqual(off.body['protectedTasks'], [{ taskArn: busy, protectionEnabled: false }]);
  await eventually(async () => (await running('jobs')).length === 0, 'scaled in to zero', 30_000);
});
