import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileService } from './reconcile-service';
import { appendServiceEvents } from '../model/service';
import { applyResult, DEPLOYMENT, input, instance, service, task } from './test-builders';
import type { ServiceTask } from './service-view';

const NOW = 1_000_000;
const byInstance = (ids: string[]) => ids.reduce<Record<string, number>>((m, id) => ({ ...m, [id]: (m[id] ?? 0) + 1 }), {});

test('a new service places desiredCount tasks spread over zones, then reports a steady state', () => {
  const insts = [instance('a1', {}, 'za'), instance('a2', {}, 'za'), instance('b1', {}, 'zb')];
  const r = reconcileService(input(service({ desiredCount: 4 }), insts, []));
  assert.equal(r.place.length, 4);
  const c = byInstance(r.place.map((p) => p.instanceId));
  assert.equal(c['b1'], 2);
  assert.equal((c['a1'] ?? 0) + (c['a2'] ?? 0), 2);
  assert.ok(r.place.every((p) => p.deploymentId === DEPLOYMENT));
  assert.equal(r.steady, false);
  const running = [task('a1'), task('a2'), task('b1'), task('b1')];
  const again = reconcileService(input(service({ desiredCount: 4 }), insts, running));
  assert.deepEqual([again.place, again.stop], [[], []]);
  assert.equal(again.steady, true);
  assert.deepEqual(again.events, ['(service web) has reached a steady state.']);
});

test('scale in stops pending tasks first, then keeps the zones balanced', () => {
  const insts = [instance('a', {}, 'za'), instance('b', {}, 'zb')];
  const pending = task('a', { lastStatus: 'PENDING', createdAt: 99 });
  const tasks = [task('a'), task('a'), task('a'), task('b'), pending];
  const r = reconcileService(input(service({ desiredCount: 2 }), insts, tasks));
  assert.equal(r.stop.length, 3);
  assert.ok(r.stop.some((s) => s.taskId === pending.id));
  const left = tasks.filter((t) => !r.stop.some((s) => s.taskId === t.id));
  assert.deepEqual(byInstance(left.map((t) => t.containerInstanceId!)), { a: 1, b: 1 });
  assert.match(r.stop[0]!.reason, /^Scaling activity initiated by \(deployment ecs-svc\/\d{19}\)$/);
});

test('binpack scale in frees the least-used instance first', () => {
  const insts = [instance('full'), instance('light')];
  const tasks = [task('full'), task('full'), task('full'), task('light')];
  const s = service({ desiredCount: 3, placementStrategy: [{ type: 'binpack', field: 'memory' }] });
  const r = reconcileService(input(s, insts, tasks));
  assert.equal(r.stop.length, 1);
  assert.equal(tasks.find((t) => t.id === r.stop[0]!.taskId)!.containerInstanceId, 'light');
});

test('draining: replacements start first within maximumPercent, old tasks stop once that keeps minimumHealthyPercent', () => {
  const insts = [instance('old', { status: 'DRAINING' }), instance('new')];
  let tasks: ServiceTask[] = [task('old'), task('old')];
  const s = service({ desiredCount: 2 });
  const first = reconcileService(input(s, insts, tasks));
  assert.deepEqual(first.place.map((p) => p.instanceId), ['new', 'new']);
  assert.equal(first.stop.length, 0, 'minimumHealthyPercent 100: nothing stops before replacements run');
  tasks = applyResult(tasks, first, NOW).map((t) => (t.lastStatus === 'PENDING' ? { ...t, lastStatus: 'RUNNING', startedAt: NOW } : t));
  const second = reconcileService(input(s, insts, tasks));
  assert.equal(second.place.length, 0);
  assert.equal(second.stop.length, 2);
  assert.match(second.stop[0]!.reason, /is DRAINING/);
});

test('draining with minimum 50% stops half first; min=max=100 is stuck and says so', () => {
  const insts = [instance('old', { status: 'DRAINING' }), instance('new')];
  const tasks = [task('old'), task('old'), task('old'), task('old')];
  const half = service({ desiredCount: 4, deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false } } });
  const r = reconcileService(input(half, insts, tasks));
  assert.equal(r.stop.length, 2);
  assert.equal(r.place.length, 2);
  const stuck = service({ desiredCount: 4, deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false } } });
  const s = reconcileService(input(stuck, insts, tasks));
  assert.deepEqual([s.place.length, s.stop.length], [0, 0]);
  assert.match(s.events.join('\n'), /was unable to stop or start tasks during a deployment because of the service deployment configuration/);
});

test('pending tasks on a draining instance stop at once', () => {
  const insts = [instance('old', { status: 'DRAINING' }), instance('new')];
  const p = task('old', { lastStatus: 'PENDING' });
  const r = reconcileService(input(service({ desiredCount: 1 }), insts, [p]));
  assert.deepEqual(r.stop.map((s) => s.taskId), [p.id]);
  assert.deepEqual(r.place.map((x) => x.instanceId), ['new']);
});

test('a lost instance: nothing happens within the grace, then its tasks are stopped as lost and replaced elsewhere', () => {
  const gone = instance('gone', { agentConnected: false, lastHeartbeatAt: NOW - 10_000 });
  const insts = [gone, instance('ok')];
  const tasks = [task('gone'), task('gone'), task('ok')];
  const s = service({ desiredCount: 3 });
  const within = reconcileService(input(s, insts, tasks));
  assert.deepEqual([within.place.length, within.stop.length], [0, 0]);
  assert.equal(within.nextWakeAt, NOW - 10_000 + 30_000);
  const after = reconcileService(input(s, insts, tasks, { now: NOW + 25_000 }));
  assert.equal(after.stop.length, 2);
  assert.ok(after.stop.every((x) => x.lost && x.reason === 'Task lost: container instance gone disconnected'));
  assert.deepEqual(after.place.map((p) => p.instanceId), ['ok', 'ok']);
});

test('an UNHEALTHY task is replaced; tasks stopped by an essential exit are replaced', () => {
  const insts = [instance('a'), instance('b')];
  const sick = task('a', { healthStatus: 'UNHEALTHY', hasHealthCheck: true });
  const ok = task('b', { healthStatus: 'HEALTHY', hasHealthCheck: true });
  const r = reconcileService(input(service({ desiredCount: 2 }), insts, [sick, ok]));
  assert.deepEqual(r.stop.map((s) => [s.taskId, s.reason]), [[sick.id, 'Task failed container health checks']]);
  assert.equal(r.place.length, 1);
  const exited = task('a', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', stoppedAt: NOW - 1 });
  const r2 = reconcileService(input(service({ desiredCount: 2 }), insts, [exited, ok]));
  assert.equal(r2.place.length, 1);
});

test('tasks that never start throttle launches with backoff; an update resets it', () => {
  const insts = [instance('a')];
  const failed = [1, 2, 3].map((k) => task('a', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', startedAt: undefined, stopCode: 'TaskFailedToStart', createdAt: NOW - 100 + k, stoppedAt: NOW - 10 + k } as Partial<ServiceTask>));
  failed.forEach((t) => delete (t as Partial<ServiceTask>).startedAt);
  const s = service({ desiredCount: 1 });
  const r = reconcileService(input(s, insts, failed));
  assert.equal(r.place.length, 0);
  assert.deepEqual(r.events, ['(service web) is unable to consistently start tasks successfully.']);
  assert.ok(r.nextWakeAt! > NOW);
  const later = reconcileService(input(s, insts, failed, { now: r.nextWakeAt! }));
  assert.equal(later.place.length, 1, 'retried after the backoff');
  const updated = reconcileService(input(service({ desiredCount: 1, updatedAt: NOW }), insts, failed));
  assert.equal(updated.place.length, 1, 'UpdateService resets the throttle');
});

test('a new deployment replaces old tasks within the deployment bounds', () => {
  const insts = [instance('a'), instance('b')];
  const next = 'ecs-svc/9999999999999999999';
  const s = service({
    desiredCount: 2,
    deployments: [
      { id: next, status: 'PRIMARY', taskDefinitionArn: 'td:2', createdAt: 1 },
      { id: DEPLOYMENT, status: 'ACTIVE', taskDefinitionArn: 'td:1', createdAt: 0 },
    ],
  });
  const r = reconcileService(input(s, insts, [task('a'), task('b')]));
  assert.equal(r.stop.length, 0);
  assert.deepEqual(r.place.map((p) => p.deploymentId), [next, next]);
});

test('DAEMON: one task per matching ACTIVE instance; draining and non-matching instances lose theirs', () => {
  const insts = [
    instance('a', { attributes: [{ name: 'role', value: 'edge' }] }),
    instance('b', { attributes: [{ name: 'role', value: 'edge' }] }),
    instance('c', { attributes: [{ name: 'role', value: 'edge' }], status: 'DRAINING' }),
    instance('d', { attributes: [{ name: 'role', value: 'db' }] }),
  ];
  const onC = task('c');
  const onD = task('d');
  const onA = task('a');
  const s = service({ schedulingStrategy: 'DAEMON', desiredCount: 0, placementConstraints: [{ type: 'memberOf', expression: 'attribute:role == edge' }] });
  const r = reconcileService(input(s, insts, [onA, onC, onD]));
  assert.deepEqual(r.place.map((p) => p.instanceId), ['b']);
  assert.deepEqual(r.stop.map((x) => x.taskId).sort(), [onC.id, onD.id].sort());
  assert.equal(r.daemonDesiredCount, 2);
});

test('a deleted (DRAINING) service stops everything and becomes inactive when nothing runs', () => {
  const insts = [instance('a')];
  const t = task('a');
  const r = reconcileService(input(service({ status: 'DRAINING' }), insts, [t]));
  assert.deepEqual(r.stop.map((x) => x.taskId), [t.id]);
  assert.equal(r.inactive, false);
  const done = reconcileService(input(service({ status: 'DRAINING' }), insts, [{ ...t, desiredStatus: 'STOPPED', lastStatus: 'STOPPED' }]));
  assert.equal(done.inactive, true);
});

test('events: newest first, bounded, identical repeats suppressed', () => {
  let n = 0;
  const id = () => String(++n);
  let ev = appendServiceEvents([], ['a', 'a', 'b'], 0, id);
  assert.deepEqual(ev.map((e) => e.message), ['b', 'a']);
  ev = appendServiceEvents(ev, ['b'], 7 * 3600_000, id);
  assert.deepEqual(ev.map((e) => e.message), ['b', 'b', 'a'], 'repeated after the suppression window');
  for (let k = 0; k < 150; k++) ev = appendServiceEvents(ev, [`m${k}`], k, id);
  assert.equal(ev.length, 100);
  assert.equal(ev[0]!.message, 'm149');
});
