import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStep, type StepInput } from './next-step';

type Standing = 'healthy' | 'unproven' | 'down';
const as = (standing: Standing) => ({ healthy: standing === 'healthy', unproven: standing === 'unproven' });
const healthy = (n: number, prefix = 'h') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, ...as('healthy') }));
/** New tasks on their way (PENDING, or RUNNING and not proven yet): the keep side only asks "healthy or not". */
const pending = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, ...as('unproven') }));
const old = (n: number, standing: Standing = 'healthy', prefix = 'o') =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, ...as(standing), reason: 'Scaling activity initiated by (deployment ecs-svc/1)' }));

function step(desired: number, min: number, max: number, keep: StepInput['keep'], replace: StepInput['replace'], canStart = true) {
  const s = nextStep({ desired, configuration: { minimumHealthyPercent: min, maximumPercent: max }, keep, replace, canStart });
  return { start: s.start, stop: s.stop.length, blocked: s.blocked, minHealthy: s.minHealthy, maxTotal: s.maxTotal };
}

const stopped = (desired: number, min: number, max: number, keep: StepInput['keep'], replace: StepInput['replace']) =>
  nextStep({ desired, configuration: { minimumHealthyPercent: min, maximumPercent: max }, keep, replace, canStart: true }).stop.map((s) => s.taskId);

test('ECS documented examples of the bounds', () => {
  // D=4, min 50: may stop 2 before starting; max 100 leaves room for the 2 freed.
  assert.deepEqual(step(4, 50, 100, [], old(4)), { start: 2, stop: 2, blocked: false, minHealthy: 2, maxTotal: 4 });
  // D=2, min 75: ceil(1.5) = 2, nothing can stop first; max 200 starts both replacements.
  assert.deepEqual(step(2, 75, 200, [], old(2)), { start: 2, stop: 0, blocked: false, minHealthy: 2, maxTotal: 4 });
  // D=4, max 200: 4 new before any old stops (min 100).
  assert.deepEqual(step(4, 100, 200, [], old(4)), { start: 4, stop: 0, blocked: false, minHealthy: 4, maxTotal: 8 });
  // D=3, max 125: floor(3.75) = 3, no extra task; min 50 (ceil 1.5 = 2) lets one stop first.
  assert.deepEqual(step(3, 50, 125, [], old(3)), { start: 1, stop: 1, blocked: false, minHealthy: 2, maxTotal: 3 });
  // D=1, min 100, max 200: start 1, stop the old once the new one is healthy.
  assert.deepEqual(step(1, 100, 200, [], old(1)), { start: 1, stop: 0, blocked: false, minHealthy: 1, maxTotal: 2 });
  assert.deepEqual(step(1, 100, 200, pending(1), old(1)), { start: 0, stop: 0, blocked: false, minHealthy: 1, maxTotal: 2 });
  assert.deepEqual(step(1, 100, 200, healthy(1), old(1)), { start: 0, stop: 1, blocked: false, minHealthy: 1, maxTotal: 2 });
});

test('minimumHealthyPercent 100: an old task stops only once a replacement counts as healthy', () => {
  assert.equal(step(4, 100, 200, pending(4), old(4)).stop, 0);
  assert.equal(step(4, 100, 200, [...healthy(1), ...pending(3)], old(4)).stop, 1);
  assert.equal(step(4, 100, 200, healthy(4), old(4)).stop, 4);
});

test('min = max = 100, or D=1 with max 150, is blocked: the ECS event case', () => {
  assert.deepEqual(step(4, 100, 100, [], old(4)), { start: 0, stop: 0, blocked: true, minHealthy: 4, maxTotal: 4 });
  assert.equal(step(1, 100, 150, [], old(1)).blocked, true);
  // Not blocked while a replacement is on its way to healthy: that will free a stop.
  assert.equal(step(2, 100, 150, pending(1), old(2)).blocked, false);
  // Nothing left to replace: never blocked.
  assert.equal(step(4, 100, 100, healthy(4), []).blocked, false);
});

test('old tasks that are down (failed checks, not RUNNING) are stopped at once; minimum 0 / maximum 100 replaces in place', () => {
  assert.deepEqual(step(4, 100, 200, [], old(4, 'down')), { start: 4, stop: 4, blocked: false, minHealthy: 4, maxTotal: 8 });
  assert.deepEqual(step(4, 0, 100, [], old(4)), { start: 4, stop: 4, blocked: false, minHealthy: 0, maxTotal: 4 });
});

test('a FAILED deployment (canStart false) starts nothing', () => {
  assert.deepEqual(step(4, 100, 200, [], old(4), false), { start: 0, stop: 0, blocked: false, minHealthy: 4, maxTotal: 8 });
});

test('desired 0 stops everything', () => {
  assert.deepEqual(step(0, 100, 200, [], old(3)), { start: 0, stop: 3, blocked: false, minHealthy: 0, maxTotal: 0 });
});

test('unproven is not unhealthy: a deployment on top of an IN_PROGRESS one (10 tasks, 100/120) never stops the unproven old tasks below the floor', () => {
  // The case: 10 old tasks RUNNING, none proven yet (warm-up, startPeriod, LB initial).
  assert.deepEqual(step(10, 100, 120, [], old(10, 'unproven')), { start: 2, stop: 0, blocked: false, minHealthy: 10, maxTotal: 12 });
  // Two replacements on their way: nothing moves until one of them (or an old task) is proven.
  assert.deepEqual(step(10, 100, 120, pending(2), old(10, 'unproven')), { start: 0, stop: 0, blocked: false, minHealthy: 10, maxTotal: 12 });
  // Two replacements healthy: two old ones go, two more start.
  assert.deepEqual(step(10, 100, 120, healthy(2), old(10, 'unproven')), { start: 2, stop: 2, blocked: false, minHealthy: 10, maxTotal: 12 });
  // The old tasks proven meanwhile: they are healthy tasks, stopped only as replacements count.
  assert.deepEqual(step(10, 100, 120, pending(2), old(10)), { start: 0, stop: 0, blocked: false, minHealthy: 10, maxTotal: 12 });
  assert.deepEqual(step(10, 100, 120, healthy(2), old(10)), { start: 2, stop: 2, blocked: false, minHealthy: 10, maxTotal: 12 });
});

test('unproven old tasks count toward the floor, below minimumHealthyPercent 100 too', () => {
  // D=4, min 50: two of four unproven old tasks may go first, as healthy ones would.
  assert.deepEqual(step(4, 50, 200, [], old(4, 'unproven')), { start: 4, stop: 2, blocked: false, minHealthy: 2, maxTotal: 8 });
  // minimum 0 still replaces in place.
  assert.deepEqual(step(4, 0, 100, [], old(4, 'unproven')), { start: 4, stop: 4, blocked: false, minHealthy: 0, maxTotal: 4 });
  // desired 0: everything goes.
  assert.deepEqual(step(0, 100, 200, [], old(3, 'unproven')), { start: 0, stop: 3, blocked: false, minHealthy: 0, maxTotal: 0 });
});

test('failed old tasks go ahead of the floor, unproven ones within it', () => {
  // 3 failed their checks, 7 unproven: the 3 go at once, the 7 stay (7 < 10 already), 5 start (12 - 7).
  const replace = [...old(3, 'down', 'f'), ...old(7, 'unproven', 'u')];
  assert.deepEqual(stopped(10, 100, 120, [], replace), ['f0', 'f1', 'f2']);
  assert.equal(step(10, 100, 120, [], replace).start, 5);
});

test('unproven old tasks go before healthy ones: what is proven keeps serving', () => {
  // D=5, min 40 (floor 2): 3 healthy + 2 unproven old, nothing new yet.
  assert.deepEqual(stopped(5, 40, 200, [], [...old(3, 'healthy', 'h'), ...old(2, 'unproven', 'u')]), ['u0', 'u1', 'h0']);
  // D=10, 100/120: 5 healthy + 5 unproven old, 2 replacements healthy: the two unproven go.
  assert.deepEqual(stopped(10, 100, 120, healthy(2, 'n'), [...old(5, 'healthy', 'h'), ...old(5, 'unproven', 'u')]), ['u0', 'u1']);
});

test('min = max = 100 with unproven old tasks is ECS\'s blocked case, as with healthy ones', () => {
  assert.deepEqual(step(4, 100, 100, [], old(4, 'unproven')), { start: 0, stop: 0, blocked: true, minHealthy: 4, maxTotal: 4 });
});
