import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultArnContext, percentile, type Clock, type MetricDatum } from '@stevedore/core';
import { Store } from './store';
import type { Change } from './changes';
import { HOUR_RETENTION_MS, MINUTE_RETENTION_MS, RAW_RETENTION_MS } from './metrics-repo';
import { backendTests, type StoreBackend } from '../testing/store-backends';

const storeTest = backendTests();

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const clock: Clock = { now: () => T0 };
const open = (b: StoreBackend) => Store.open(b.location(), clock, defaultArnContext);
const cpu = (ts: number, v: Partial<MetricDatum> = {}): MetricDatum => ({
  namespace: 'AWS/ECS',
  metricName: 'CPUUtilization',
  dimensions: [{ name: 'ServiceName', value: 'web' }, { name: 'ClusterName', value: 'prod' }],
  timestamp: ts,
  unit: 'Percent',
  ...v,
});
const id = { namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: 'web' }] };

storeTest('statistics over [start, end) by period, from values, statistic sets and Values/Counts; dimension order does not matter', (b) => {
  const store = open(b);
  const changes: Change[] = [];
  store.changes.on((c) => changes.push(c));
  store.metrics.put([
    cpu(T0, { value: 10 }),
    cpu(T0 + 10_000, { value: 30 }),
    cpu(T0 + 60_000, { statisticValues: { sampleCount: 4, sum: 100, minimum: 5, maximum: 50 } }),
    cpu(T0 + 70_000, { values: [1, 2], counts: [3, 1] }),
    cpu(T0 + 120_000, { value: 99 }), // at end: excluded
  ]);
  assert.deepEqual(changes, [{ kind: 'metric-data', namespace: 'AWS/ECS' }]);
  const q = { ...id, start: T0, end: T0 + 120_000, periodMs: 60_000, nowMs: T0 + 130_000 };
  const buckets = store.metrics.statistics(q);
  assert.deepEqual(buckets.map((b) => [b.timestamp, b.stats]), [
    [T0, { sampleCount: 2, sum: 40, minimum: 10, maximum: 30 }],
    [T0 + 60_000, { sampleCount: 8, sum: 105, minimum: 1, maximum: 50 }],
  ]);
  // Exact percentiles from raw values; none for a period holding a statistic set.
  assert.equal(percentile(buckets[0]!.values, 50), 10);
  assert.deepEqual(buckets[1]!.values, []);
  // A five-minute period over the same points.
  assert.equal(store.metrics.statistics({ ...q, periodMs: 300_000 })[0]!.stats.sampleCount, 10);
  assert.deepEqual(store.metrics.statistics({ ...q, dimensions: [{ name: 'ClusterName', value: 'prod' }] }), []);
  assert.equal(store.metrics.find(id)?.unit, 'Percent');
});

storeTest('rollups: 1-minute and 1-hour periods answer old ranges, with sketch percentiles within 1%', (b) => {
  const store = open(b);
  const points: MetricDatum[] = [];
  for (let i = 0; i < 600; i++) points.push(cpu(T0 + i * 6_000, { value: i + 1 })); // one hour, 1..600
  store.metrics.put(points.slice(0, 300));
  store.metrics.put(points.slice(300)); // a second batch merges into the same rollups
  const later = T0 + 2 * 86_400_000; // raw is gone by then: 1-minute rollups answer
  assert.equal(store.metrics.rollUpHours(later, 1000), 1);
  assert.equal(store.metrics.rollUpHours(later, 1000), 0);
  const minutes = store.metrics.statistics({ ...id, start: T0, end: T0 + 3600_000, periodMs: 60_000, nowMs: later });
  assert.equal(minutes.length, 60);
  assert.deepEqual(minutes[0]!.stats, { sampleCount: 10, sum: 55, minimum: 1, maximum: 10 });
  const hour = store.metrics.statistics({ ...id, start: T0, end: T0 + 3600_000, periodMs: 3600_000, nowMs: later })[0]!;
  assert.deepEqual(hour.stats, { sampleCount: 600, sum: 180_300, minimum: 1, maximum: 600 });
  const p90 = percentile(hour.values, 90)!;
  assert.ok(Math.abs(p90 - 540) / 540 < 0.01, `p90 ${p90}`);
  const old = T0 + 20 * 86_400_000; // 1-hour rollups
  const h = store.metrics.statistics({ ...id, start: T0, end: T0 + 3600_000, periodMs: 3600_000, nowMs: old })[0]!;
  assert.deepEqual(h.stats, hour.stats);
  assert.ok(Math.abs(percentile(h.values, 99)! - 594) / 594 < 0.01);
});

storeTest('late points land in the rollups they belong to; prune keeps each resolution for its retention and is repeatable', (b) => {
  const store = open(b);
  store.metrics.put([cpu(T0, { value: 1 })]);
  store.metrics.put([cpu(T0 + 30_000, { value: 3 })]); // late, same minute and hour
  const now = T0 + RAW_RETENTION_MS + 60_000;
  const m = store.metrics.statistics({ ...id, start: T0, end: T0 + 60_000, periodMs: 60_000, nowMs: now })[0]!;
  assert.deepEqual(m.stats, { sampleCount: 2, sum: 4, minimum: 1, maximum: 3 });
  const count = (t: string) => (store.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  // The hour is rolled up once complete; a late point into it marks it again, and it is recomputed, not added twice.
  assert.equal(store.metrics.rollUpHours(T0 + 1000, 1000), 0);
  assert.equal(store.metrics.rollUpHours(now, 1000), 1);
  store.metrics.put([cpu(T0 + 45_000, { value: 5 })]);
  assert.equal(store.metrics.rollUpHours(now, 1000), 1);
  const hour = store.metrics.statistics({ ...id, start: T0, end: T0 + 3600_000, periodMs: 3600_000, nowMs: T0 + 20 * 86_400_000 })[0]!;
  assert.deepEqual(hour.stats, { sampleCount: 3, sum: 9, minimum: 1, maximum: 5 });
  assert.equal(store.metrics.prune(now, 1000), 3);
  assert.deepEqual([count('metric_raw'), count('metric_1m'), count('metric_1h')], [0, 1, 1]);
  assert.equal(store.metrics.prune(now, 1000), 0);
  store.metrics.prune(T0 + MINUTE_RETENTION_MS + 1, 1000);
  assert.deepEqual([count('metric_raw'), count('metric_1m'), count('metric_1h')], [0, 0, 1]);
  store.metrics.prune(T0 + HOUR_RETENTION_MS + 3600_001, 1000);
  assert.deepEqual([count('metric_1h'), count('metric_series')], [0, 0]);
  // The metric can come back after it was forgotten.
  store.metrics.put([cpu(T0 + HOUR_RETENTION_MS, { value: 5 })]);
  assert.equal(count('metric_series'), 1);
});

storeTest('list: filters by namespace, name and dimensions (with or without value), pages by id', (b) => {
  const store = open(b);
  const pts: MetricDatum[] = [];
  for (const svc of ['a', 'b', 'c']) {
    pts.push(cpu(T0, { value: 1, dimensions: [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: svc }] }));
    pts.push({ ...cpu(T0, { value: 1, dimensions: [{ name: 'ServiceName', value: svc }] }), metricName: 'MemoryUtilization' });
  }
  pts.push({ namespace: 'App', metricName: 'Hits', dimensions: [], timestamp: T0, value: 1 });
  store.metrics.put(pts);
  assert.equal(store.metrics.list({}, 0, 100).metrics.length, 7);
  assert.equal(store.metrics.list({ namespace: 'AWS/ECS' }, 0, 100).metrics.length, 6);
  assert.equal(store.metrics.list({ metricName: 'MemoryUtilization' }, 0, 100).metrics.length, 3);
  assert.equal(store.metrics.list({ dimensions: [{ name: 'ClusterName' }] }, 0, 100).metrics.length, 3);
  assert.deepEqual(
    store.metrics.list({ dimensions: [{ name: 'ServiceName', value: 'b' }] }, 0, 100).metrics.map((m) => m.metricName).sort(),
    ['CPUUtilization', 'MemoryUtilization'],
  );
  const p1 = store.metrics.list({ namespace: 'AWS/ECS' }, 0, 4);
  assert.equal(p1.metrics.length, 4);
  assert.ok(p1.lastId);
  const p2 = store.metrics.list({ namespace: 'AWS/ECS' }, p1.lastId!, 4);
  assert.equal(p2.metrics.length, 2);
  assert.equal(p2.lastId, undefined);
  assert.equal(store.metrics.list({ activeSince: T0 + 1 }, 0, 100).metrics.length, 0);
});
