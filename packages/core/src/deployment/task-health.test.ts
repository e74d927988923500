import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HEALTHY_AFTER_RUNNING_MS, HEALTHY_AFTER_RUNNING_SETTING, healthyAfterRunningMs, healthyAfterRunningSettingError, taskHealth } from './task-health';
import type { ServiceTask } from '../service/service-view';

const T0 = 1_800_000_000_000;
const task: ServiceTask = { id: 't', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNKNOWN', createdAt: T0 - 10_000, startedAt: T0 - 2_000, cpu: 0, memory: 16, hasHealthCheck: false };
const setting = (value: string) => [{ name: 'containerInsights', value: 'disabled' }, { name: HEALTHY_AFTER_RUNNING_SETTING, value }];

test('the cluster warm-up setting overrides the control plane default', () => {
  assert.equal(healthyAfterRunningMs([], DEFAULT_HEALTHY_AFTER_RUNNING_MS), 5_000);
  assert.equal(healthyAfterRunningMs(setting('0'), 5_000), 0);
  assert.equal(healthyAfterRunningMs(setting('1'), 5_000), 1_000);
  assert.equal(healthyAfterRunningMs(setting('40'), 5_000), 40_000);
  // A value that slipped past validation (older store) falls back to the default rather than NaN.
  assert.equal(healthyAfterRunningMs(setting('abc'), 5_000), 5_000);
});

test('the warm-up setting accepts whole seconds 0..600 and names the setting otherwise', () => {
  for (const ok of ['0', '1', '5', '600']) assert.equal(healthyAfterRunningSettingError(ok), undefined, ok);
  for (const bad of ['', '-1', '1.5', '601', '1e3', ' 5', 'five', '99999']) {
    assert.match(healthyAfterRunningSettingError(bad) ?? '', /stevedore:healthyAfterRunningSeconds must be a whole number of seconds between 0 and 600/, bad);
  }
});

test('a check-less task 2 s after start: unproven under the 5 s default, healthy with a 1 s cluster setting', () => {
  const def = taskHealth(task, { now: T0, graceMs: 0, healthyAfterRunningMs: healthyAfterRunningMs([], 5_000) });
  assert.equal(def.healthy, false);
  assert.equal(def.unproven, true);
  assert.equal(def.wakeAt, T0 + 3_000);
  const fast = taskHealth(task, { now: T0, graceMs: 0, healthyAfterRunningMs: healthyAfterRunningMs(setting('1'), 5_000) });
  assert.equal(fast.healthy, true);
});

test('a task that is no longer running (its containers exited) is never warming up', () => {
  for (const t of [{ ...task, desiredStatus: 'STOPPED' as const }, { ...task, lastStatus: 'STOPPED' as const, stoppedAt: T0 - 1_000 }, { ...task, lastStatus: 'DEACTIVATING' as const }]) {
    const h = taskHealth(t, { now: T0, graceMs: 0, healthyAfterRunningMs: 5_000 });
    assert.deepEqual([h.healthy, h.unproven, h.wakeAt], [false, false, undefined], JSON.stringify(t));
  }
});
