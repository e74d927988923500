import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileService } from './reconcile-service';
import { DEPLOYMENT, input, instance, service, task } from './test-builders';

test('scale-in never picks a task under scale-in protection; the others go, in reverse placement order', () => {
  const insts = [instance('a', {}, 'za'), instance('b', {}, 'zb')];
  const busy = task('a', { scaleInProtected: true });
  const tasks = [busy, task('a'), task('b'), task('b')];
  const r = reconcileService(input(service({ desiredCount: 1 }), insts, tasks));
  assert.equal(r.stop.length, 3);
  assert.ok(!r.stop.some((s) => s.taskId === busy.id));
  assert.deepEqual(r.events, []);
});

test('when only protected tasks are left above the desired count, nothing stops and the service says why', () => {
  const insts = [instance('a')];
  const tasks = [task('a', { scaleInProtected: true }), task('a', { scaleInProtected: true }), task('a')];
  const r = reconcileService(input(service({ desiredCount: 1 }), insts, tasks));
  assert.equal(r.stop.length, 1, 'the unprotected one');
  const r2 = reconcileService(input(service({ desiredCount: 0 }), insts, tasks.slice(0, 2)));
  assert.equal(r2.stop.length, 0);
  assert.equal(r2.place.length, 0);
  assert.equal(r2.steady, false);
  assert.deepEqual(r2.events, ['(service web) was unable to scale in due to (reason 2 tasks under protection).']);
});

test('a deployment replaces old tasks around a protected one, which stays (and counts) until its protection ends', () => {
  const insts = [instance('a'), instance('b')];
  const next = 'ecs-svc/9999999999999999999';
  const s = service({
    desiredCount: 2,
    deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200, deploymentCircuitBreaker: { enable: false, rollback: false } },
    deployments: [
      { id: next, status: 'PRIMARY', taskDefinitionArn: 'td:2', createdAt: 1 },
      { id: DEPLOYMENT, status: 'ACTIVE', taskDefinitionArn: 'td:1', createdAt: 0 },
    ],
  });
  const busy = task('a', { scaleInProtected: true });
  const idle = task('b');
  const r = reconcileService(input(s, insts, [busy, idle]));
  assert.deepEqual(r.stop.map((x) => x.taskId), [idle.id], 'the unprotected old task goes (minimumHealthyPercent 50: the protected one serves)');
  assert.equal(r.place.length, 2);
  // Replacements healthy: still only the protected task is left of the old deployment, and it stays.
  const fresh = [task('a', { startedBy: next }), task('b', { startedBy: next })];
  const later = reconcileService(input(s, insts, [busy, ...fresh]));
  assert.deepEqual(later.stop, []);
  assert.equal(later.steady, false);
  assert.ok(!later.events.some((e) => /unable to stop or start tasks/.test(e)), 'waiting for protection is not a blocked deployment');
  // Protection off: it goes.
  const off = reconcileService(input(s, insts, [{ ...busy, scaleInProtected: false }, ...fresh]));
  assert.deepEqual(off.stop.map((x) => x.taskId), [busy.id]);
});
