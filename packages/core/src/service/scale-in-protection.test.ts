import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileService } from './reconcile-service';
import { input, instance, service, task } from './test-builders';

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
