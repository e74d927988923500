import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { appendServiceEvents, defaultArnContext, MAX_SERVICE_EVENTS, type Service } from '@stevedore/core';
import { Store } from '../store/store';
import type { StoredTask } from '../store/tasks-repo';
import { TaskReaper } from './task-reaper';
import { testService } from '../testing/service-builder';
import { testContainer, testTask } from '../testing/task-builder';

const HOUR = 3600_000;

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function setup(retentionMs = HOUR) {
  const clock = fakeClock();
  const store = Store.open(':memory:', clock, defaultArnContext);
  const reaper = new TaskReaper(store, pino({ level: 'silent' }), { retentionMs, intervalMs: 60_000, batchSize: 50 });
  return { clock, store, reaper };
}

let ids = 0;
/** A valid task row with one container; `stoppedAt` makes it STOPPED. */
function task(store: Store, now: number, over: Partial<StoredTask> = {}): StoredTask {
  const id = `t${++ids}`;
  const stopped = over.stoppedAt !== undefined;
  return testTask({
    id,
    containerInstanceId: 'i-1',
    lastStatus: stopped ? 'STOPPED' : 'RUNNING',
    desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
    memory: 10,
    group: 'family:web',
    createdAt: now,
    containers: [testContainer('app', { id: `${id}-c`, image: 'busybox', status: stopped ? 'STOPPED' : 'RUNNING' })],
    seq: store.tasks.nextSeq(),
    ...over,
  });
}

function service(over: Partial<Service> = {}): Service {
  return testService({
    name: 'api',
    deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: false } },
    ...over,
  });
}

test('2,000 short tasks through the store: rows stay bounded by the retention, seqs never repeat', async () => {
  const { clock, store, reaper } = setup();
  const seqs: number[] = [];
  let maxTasks = 0;
  // One task every 10 s, each running 5 s: 2,000 tasks over about 5.5 hours.
  for (let i = 0; i < 2000; i++) {
    const t = task(store, clock.now());
    seqs.push(t.seq);
    store.tx(() => store.tasks.put(t));
    clock.advance(5_000);
    store.tx(() => store.tasks.put({ ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: clock.now(), version: 2 }));
    clock.advance(5_000);
    if (i % 6 === 5) await reaper.pass(); // the role's 60 s interval
    maxTasks = Math.max(maxTasks, store.retention.taskRowCounts().tasks);
  }
  // An hour of history is 360 tasks; a pass every minute adds at most 6.
  assert.ok(maxTasks <= 367, `at most an hour of stopped tasks plus one interval is kept, saw ${maxTasks}`);
  assert.ok(maxTasks >= 360, `stopped tasks stay describable for the whole hour, saw only ${maxTasks}`);
  const { tasks, containers } = store.retention.taskRowCounts();
  assert.equal(containers, tasks, 'containers go with their tasks');
  const recent = store.tasks.list({ cluster: 'c' });
  assert.ok(recent.every((t) => t.stoppedAt! >= clock.now() - HOUR - 60_000), 'only tasks stopped within the hour (and the last interval) remain');
  assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'seq strictly increases although older tasks were deleted');

  clock.advance(HOUR + 1);
  await reaper.pass();
  const left = store.retention.taskRowCounts();
  assert.deepEqual([left.tasks, left.containers], [0, 0]);
  const next = store.tasks.nextSeq();
  assert.ok(next > seqs.at(-1)!, 'a deleted task’s seq is not handed out again when the table is empty');
  store.close();
});

test('running tasks and tasks stopped within the retention are never deleted', async () => {
  const { clock, store, reaper } = setup();
  const running = task(store, clock.now(), { createdAt: clock.now() - 10 * HOUR });
  store.tx(() => store.tasks.put(running));
  const fresh = task(store, clock.now(), { stoppedAt: clock.now() - HOUR + 1000 });
  const old = task(store, clock.now(), { stoppedAt: clock.now() - HOUR - 1 });
  store.tx(() => {
    store.tasks.put(fresh);
    store.tasks.put(old);
  });
  assert.equal(await reaper.pass(), 1);
  assert.ok(store.tasks.get(running.id));
  assert.ok(store.tasks.get(fresh.id));
  assert.equal(store.tasks.get(old.id), undefined);
  store.close();
});

test('deletes in batches, each its own transaction, until nothing is due', async () => {
  const { clock, store, reaper } = setup();
  store.tx(() => {
    for (let i = 0; i < 175; i++) store.tasks.put(task(store, clock.now(), { stoppedAt: clock.now() - 2 * HOUR }));
  });
  let commits = 0;
  store.changes.on(() => commits++);
  const before = store.retention.taskRowCounts().tasks;
  assert.equal(before, 175);
  assert.equal(reaper.reapBatch(), 50, 'one batch deletes batchSize rows');
  assert.equal(await reaper.pass(), 125);
  assert.equal(store.retention.taskRowCounts().tasks, 0);
  assert.equal(commits, 0, 'deleting stopped tasks wakes no role');
  store.close();
});

test('tasks a load balancer still drains or lists as targets are kept until it lets go', async () => {
  const { clock, store, reaper } = setup();
  const drained = task(store, clock.now(), { stoppedAt: clock.now() - 2 * HOUR });
  store.tx(() => {
    store.tasks.put(drained);
    store.targets.putDrain({ taskId: drained.id, state: 'draining', registeredAt: 0, drainingUntil: clock.now() + 1000 }, drained);
  });
  assert.equal(await reaper.pass(), 0);
  assert.ok(store.tasks.get(drained.id));
  store.tx(() => store.targets.deleteDrain(drained.id));
  assert.equal(await reaper.pass(), 1);
  store.close();
});

test('circuit-breaker failures of an open rollout outlive the retention; once it ends they go', async () => {
  const { clock, store, reaper } = setup();
  const svc = service();
  const deployment = svc.deployments[0]!.id;
  store.tx(() => store.services.create(svc));
  const failed = task(store, clock.now(), {
    group: 'service:api',
    startedBy: deployment,
    stoppedAt: clock.now() - 2 * HOUR,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
  });
  const scaledIn = task(store, clock.now(), { group: 'service:api', startedBy: deployment, stoppedAt: clock.now() - 2 * HOUR, stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by deployment' });
  store.tx(() => {
    store.tasks.put(failed);
    store.tasks.put(scaledIn);
  });
  assert.equal(store.tasks.countDeploymentFailures('c', 'service:api', deployment), 1);
  assert.equal(await reaper.pass(), 1, 'only the task that is no evidence is deleted');
  assert.ok(store.tasks.get(failed.id));
  assert.equal(store.tasks.countDeploymentFailures('c', 'service:api', deployment), 1, 'the breaker still sees its failure');
  store.tx(() => store.services.putRuntime('c', 'api', { events: [], rollouts: { [deployment]: { rolloutState: 'COMPLETED', rolloutStateReason: 'done', updatedAt: clock.now(), failedTasks: 1 } } }));
  assert.equal(await reaper.pass(), 1);
  assert.equal(store.tasks.get(failed.id), undefined);
  store.close();
});

test('a service keeps its latest 100 events however many it is given', () => {
  const { clock, store } = setup();
  store.tx(() => store.services.create(service()));
  for (let i = 0; i < 500; i++) {
    clock.advance(61_000);
    const stored = store.services.get('c', 'api')!;
    store.tx(() => store.services.putRuntime('c', 'api', { ...stored.runtime, events: appendServiceEvents(stored.runtime.events, [`(service api) event ${i}.`], clock.now(), () => `e${i}`) }));
  }
  const events = store.services.get('c', 'api')!.runtime.events;
  assert.equal(events.length, MAX_SERVICE_EVENTS);
  assert.equal(events[0]!.message, '(service api) event 499.', 'newest first');
  assert.equal(events.at(-1)!.message, '(service api) event 400.');
  store.close();
});

test('start() reaps what fell due while the control plane was down, then keeps passing', async () => {
  const { clock, store } = setup();
  const t = task(store, clock.now(), { stoppedAt: clock.now() - 2 * HOUR });
  store.tx(() => store.tasks.put(t));
  const reaper = new TaskReaper(store, pino({ level: 'silent' }), { retentionMs: HOUR, intervalMs: 20, batchSize: 50 });
  reaper.start();
  try {
    const deadline = Date.now() + 5000;
    while (reaper.deletedTotal < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(store.tasks.get(t.id), undefined, 'the first pass runs at start');
    const later = task(store, clock.now(), { stoppedAt: clock.now() });
    store.tx(() => store.tasks.put(later));
    clock.advance(HOUR + 1);
    while (reaper.deletedTotal < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(store.tasks.get(later.id), undefined, 'later passes run on the interval');
  } finally {
    await reaper.stop();
    store.close();
  }
});

test('RunTask idempotency tokens are forgotten after the retention', async () => {
  const { clock, store, reaper } = setup();
  store.tx(() => {
    for (let i = 0; i < 120; i++) store.clientTokens.put('RunTask/c', `old-${i}`, 'h', { tasks: [], failures: [] }, clock.now() - HOUR - 1);
    store.clientTokens.put('RunTask/c', 'recent', 'h', { tasks: [], failures: [] }, clock.now() - 1000);
  });
  await reaper.pass();
  assert.equal(store.retention.taskRowCounts().clientTokens, 1);
  assert.ok(store.clientTokens.get('RunTask/c', 'recent'), 'a token within the retention still answers a retry');
  assert.equal(store.clientTokens.get('RunTask/c', 'old-0'), undefined);
  store.close();
});

test('an INACTIVE service is deleted after the retention; ACTIVE and DRAINING ones never are', async () => {
  const { clock, store, reaper } = setup();
  store.tx(() => {
    store.services.create(service({ name: 'gone', status: 'DRAINING' }));
    store.services.markInactive('c', 'gone', { events: [], rollouts: {}, inactiveAt: clock.now() });
    store.services.create(service({ name: 'draining', status: 'DRAINING', createdAt: clock.now() - 10 * HOUR }));
    store.services.create(service({ name: 'live', createdAt: clock.now() - 10 * HOUR }));
  });
  clock.advance(HOUR - 1000);
  await reaper.pass();
  assert.equal(store.services.get('c', 'gone')?.service.status, 'INACTIVE', 'describable for the retention');
  clock.advance(2000);
  await reaper.pass();
  assert.equal(store.services.get('c', 'gone'), undefined);
  assert.ok(store.services.get('c', 'draining'));
  assert.ok(store.services.get('c', 'live'));
  store.close();
});
