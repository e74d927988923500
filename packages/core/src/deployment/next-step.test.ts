import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStep, type StepInput } from './next-step';

const healthy = (n: number, prefix = 'h') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, healthy: true }));
const pending = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, healthy: false }));
const old = (n: number, isHealthy = true) => Array.from({ length: n }, (_, i) => ({ id: `o${i}`, healthy: isHealthy, reason: 'Scaling activity initiated by (deployment ecs-svc/1)' }));

function step(desired: number, min: number, max: number, keep: StepInput['keep'], replace: StepInput['replace'], canStart = true) {
  const s = nextStep({ desired, configuration: { minimumHealthyPercent: min, maximumPercent: max }, keep, replace, canStart });
  return { start: s.start, stop: s.stop.length, blocked: s.blocked, minHealthy: s.minHealthy, maxTotal: s.maxTotal };
}

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

test('old tasks that do not count as healthy are stopped at once; minimum 0 / maximum 100 replaces in place', () => {
  assert.deepEqual(step(4, 100, 200, [], old(4, false)), { start: 4, stop: 4, blocked: false, minHealthy: 4, maxTotal: 8 });
  assert.deepEqual(step(4, 0, 100, [], old(4)), { start: 4, stop: 4, blocked: false, minHealthy: 0, maxTotal: 4 });
});

test('a FAILED deployment (canStart false) starts nothing', () => {
  assert.deepEqual(step(4, 100, 200, [], old(4), false), { start: 0, stop: 0, blocked: false, minHealthy: 4, maxTotal: 8 });
});

test('desired 0 stops everything', () => {
  assert.deepEqual(step(0, 100, 200, [], old(3)), { start: 0, stop: 3, blocked: false, minHealthy: 0, maxTotal: 0 });
});
