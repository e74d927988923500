import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { defaultArnContext, newTask, StevedoreError, type ScheduleSpec, type TaskDefinition } from '@stevedore/core';
import { Store } from '../store/store';
import { ScheduleRunner, type LaunchResult } from './schedule-runner';

/**
 * The runner against a real store and a fake clock. The launcher stands in
 * for RunTask with its behaviour that matters here: it creates tasks in the
 * store and answers a repeated clientToken with the tasks it made then.
 */
const T0 = Date.parse('2026-12-03T10:00:00Z');
const td = {
  family: 'job',
  revision: 1,
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/job:1',
  status: 'ACTIVE',
  containerDefinitions: [{ name: 'job', image: 'busybox', essential: true, memory: 32 }],
} as unknown as TaskDefinition;

function rig(spec: Partial<ScheduleSpec> & { ScheduleExpression: string }) {
  let now = T0;
  const clock = { now: () => now };
  const store = Store.open(':memory:', clock, defaultArnContext);
  const calls: { role: string; body: Record<string, unknown> }[] = [];
  const byToken = new Map<string, LaunchResult>();
  let fail: (() => LaunchResult) | undefined;
  const launch = async (role: string, _session: string, body: Record<string, unknown>): Promise<LaunchResult> => {
    calls.push({ role, body });
    const token = body['clientToken'] as string;
    const prior = byToken.get(token);
    if (prior) return prior;
    if (fail) return fail();
    const t = newTask({ clusterName: 'default', td, group: 'family:job', startedBy: body['startedBy'] as string, now });
    store.tx(() => store.tasks.put({ ...t, lastStatus: 'RUNNING', seq: store.tasks.nextSeq() }));
    const result = { tasks: [{ taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${t.id}` }], failures: [] };
    byToken.set(token, result);
    return result;
  };
  const runner = new ScheduleRunner(store, pino({ level: 'silent' }), clock, launch, { resyncMs: 30_000, isLeader: () => true });
  const full: ScheduleSpec = {
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    ActionAfterCompletion: 'NONE',
    Target: {
      Arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default',
      RoleArn: 'arn:aws:iam::000000000000:role/scheduler',
      Input: JSON.stringify({ containerOverrides: [{ name: 'job', command: ['sh', '-c', 'exit 3'] }] }),
      EcsParameters: { TaskDefinitionArn: 'job', Tags: [{ 'stevedore:overlap': 'SKIP', team: 'data' }] },
    },
    ...spec,
  };
  store.tx(() => store.schedules.put({ uid: 'uid-1', groupName: 'default', name: 'nightly', spec: full, createdAt: T0, updatedAt: T0, anchorAt: T0, cursor: T0 - 1, nextFireAt: undefined }));
  const runs = () => store.schedules.listRuns('default', 'nightly', undefined, 100).reverse();
  const stopTask = (taskArn: string, exitCode: number) =>
    store.tx(() => {
      const t = store.tasks.get(taskArn.split('/').pop()!)!;
      store.tasks.put({ ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedReason: 'Essential container in task exited', containers: t.containers.map((c) => ({ ...c, exitCode })) });
    });
  return {
    store,
    runner,
    calls,
    runs,
    stopTask,
    at: (ms: number) => (now = T0 + ms),
    failWith: (f: (() => LaunchResult) | undefined) => (fail = f),
  };
}

test('rate(1 minute): runs at creation and each minute; overlap skipped with its reason; exit codes recorded; an outage runs once', async () => {
  const r = rig({ ScheduleExpression: 'rate(1 minute)' });
  await r.runner.pass();
  assert.equal(r.calls.length, 1);
  const body = r.calls[0]!.body;
  assert.equal(r.calls[0]!.role, 'arn:aws:iam::000000000000:role/scheduler');
  assert.equal(body['cluster'], 'arn:aws:ecs:us-east-1:000000000000:cluster/default');
  assert.equal(body['taskDefinition'], 'job');
  assert.equal(body['startedBy'], 'schedule/default/nightly');
  assert.deepEqual(body['overrides'], { containerOverrides: [{ name: 'job', command: ['sh', '-c', 'exit 3'] }] });
  assert.deepEqual(body['tags'], [{ key: 'team', value: 'data' }], 'the extension tag stays with the schedule');
  assert.deepEqual(r.runs().map((x) => [x.status, x.scheduledTime - T0]), [['RUNNING', 0]]);

  // A minute later the first task still runs: skipped, as the extension says.
  r.at(60_000);
  await r.runner.pass();
  assert.equal(r.calls.length, 1);
  assert.deepEqual(r.runs().map((x) => [x.status, x.scheduledTime - T0]), [['RUNNING', 0], ['SKIPPED', 60_000]]);
  assert.match(r.runs()[1]!.reason!, /overlap: the previous run of this schedule is still running/);

  r.stopTask(r.runs()[0]!.tasks[0]!.taskArn, 3);
  r.at(61_000);
  await r.runner.pass();
  assert.equal(r.runs()[0]!.status, 'STOPPED');
  assert.equal(r.runs()[0]!.tasks[0]!.exitCode, 3);

  r.at(120_000);
  await r.runner.pass();
  assert.equal(r.calls.length, 2);
  r.stopTask(r.runs()[2]!.tasks[0]!.taskArn, 0);

  // Down for half an hour: one skipped record for the missed fire times, one run.
  r.at(30 * 60_000 + 5_000);
  await r.runner.pass();
  assert.equal(r.calls.length, 3, 'once, not a burst');
  const last = r.runs().slice(-2);
  assert.deepEqual(last.map((x) => [x.status, x.scheduledTime - T0]), [['SKIPPED', 3 * 60_000], ['RUNNING', 30 * 60_000]]);
  assert.match(last[0]!.reason!, /missed: 27 fire times/);
  // A second pass at the same time decides nothing new.
  await r.runner.pass();
  assert.equal(r.calls.length, 3);
  assert.equal(r.runs().length, 5);
});

test('a launch attempt left open by a crash is repeated with its own client token: no second task', async () => {
  const r = rig({ ScheduleExpression: 'rate(1 hour)' });
  await r.runner.pass();
  const run = r.runs()[0]!;
  assert.equal(run.status, 'RUNNING');
  // As if the control plane died after RunTask committed and before the run was updated.
  r.store.tx(() => r.store.db.prepare("UPDATE schedule_runs SET status = 'PENDING', attempt_open = 1, tasks_json = '[]' WHERE id = ?").run(run.id));
  await r.runner.pass();
  assert.equal(r.calls.length, 2);
  assert.equal(r.calls[1]!.body['clientToken'], r.calls[0]!.body['clientToken'], 'the same attempt, the same token');
  const after = r.runs()[0]!;
  assert.equal(after.status, 'RUNNING');
  assert.deepEqual(after.tasks.map((t) => t.taskArn), run.tasks.map((t) => t.taskArn), 'the task RunTask made the first time');
});

test('retry policy: placement failures are retried with backoff until MaximumRetryAttempts; a refusal fails at once', async () => {
  const r = rig({ ScheduleExpression: 'rate(1 hour)' });
  const spec = r.store.schedules.get('default', 'nightly')!;
  r.store.tx(() => r.store.schedules.put({ ...spec, spec: { ...spec.spec, Target: { ...spec.spec.Target, RetryPolicy: { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 } } } }));
  r.failWith(() => ({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] }));
  await r.runner.pass();
  let run = r.runs()[0]!;
  assert.equal(run.status, 'PENDING');
  assert.equal(run.nextAttemptAt, T0 + 10_000);
  assert.match(run.reason!, /attempt 1 failed: RunTask placed no task: RESOURCE:MEMORY/);
  r.at(5_000);
  await r.runner.pass();
  assert.equal(r.calls.length, 1, 'not before its backoff');
  r.at(10_000);
  await r.runner.pass();
  run = r.runs()[0]!;
  assert.equal(r.calls.length, 2);
  assert.equal(run.status, 'FAILED');
  assert.match(run.reason!, /MaximumRetryAttempts \(1\) reached/);
  assert.notEqual(r.calls[0]!.body['clientToken'], r.calls[1]!.body['clientToken'], 'each attempt its own token');

  r.failWith(() => {
    throw new StevedoreError('AccessDeniedException', 'not allowed to run tasks');
  });
  r.at(3_600_000);
  await r.runner.pass();
  const denied = r.runs().at(-1)!;
  assert.equal(denied.status, 'FAILED');
  assert.match(denied.reason!, /AccessDeniedException: not allowed to run tasks; the failure is not retryable/);
});

test('at() with ActionAfterCompletion DELETE: runs once, then the schedule goes and its run stays', async () => {
  const r = rig({ ScheduleExpression: 'at(2026-12-03T10:05:00)', ActionAfterCompletion: 'DELETE' });
  await r.runner.pass();
  assert.equal(r.calls.length, 0);
  assert.equal(r.store.schedules.get('default', 'nightly')?.nextFireAt, T0 + 5 * 60_000);
  r.at(5 * 60_000);
  await r.runner.pass();
  await r.runner.pass();
  assert.equal(r.calls.length, 1);
  assert.equal(r.store.schedules.get('default', 'nightly'), undefined);
  assert.deepEqual(r.runs().map((x) => x.status), ['RUNNING']);
});

test('a DISABLED schedule runs nothing, and enabling it does not run what passed meanwhile', async () => {
  const r = rig({ ScheduleExpression: 'rate(1 minute)', State: 'DISABLED' });
  await r.runner.pass();
  r.at(10 * 60_000 + 1);
  await r.runner.pass();
  assert.equal(r.calls.length, 0);
  assert.deepEqual(r.runs(), []);
  const s = r.store.schedules.get('default', 'nightly')!;
  assert.equal(s.cursor, T0 + 10 * 60_000 + 1);
});
