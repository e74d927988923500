import assert from 'node:assert/strict';
import { defaultArnContext, systemClock, utilizationBase } from '@stevedore/core';
import { Store } from './store';
import type { StoredTask } from './tasks-repo';
import { activeTaskMetrics, activeTaskMetricsPage } from './task-metrics-view';
import { backendTests } from '../testing/store-backends';
import { testContainer, testTask } from '../testing/task-builder';

const storeTest = backendTests();

const container = testContainer;
const task = (id: string, seq: number, over: Partial<StoredTask>): StoredTask => testTask({ id, seq, cpu: 100, memory: 300, ...over });

// The shapes the utilization base depends on: container cpu and memory (hard limit, else reservation, else nothing), task-level overrides.
const TASKS: StoredTask[] = [
  task('plain', 1, { containers: [container('a', { cpu: 256, memory: 128, memoryReservation: 64 })] }),
  task('reservation-only', 2, { containers: [container('a', { memoryReservation: 64 }), container('b', { cpu: 10, memory: 32 })] }),
  task('no-figures', 3, { containers: [container('a', {})] }),
  task('no-containers', 4, { containers: [], containerInstanceId: 'i-1', group: 'family:batch' }),
  task('cpu-override', 5, { overrides: { cpu: '512' }, cpu: 512, containers: [container('a', { cpu: 256, memory: 128 })] }),
  task('memory-override', 6, { overrides: { memory: '1024' }, memory: 1024, containers: [container('a', { cpu: 256, memory: 128 })], containerInstanceId: 'i-2' }),
  task('stopped', 7, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', containers: [container('a', { cpu: 1 })] }),
  task('other-cluster', 8, { clusterName: 'd', containers: [container('a', { cpu: 1 })] }),
];

storeTest('metrics rows give the utilization base, reservation and placement of each task not STOPPED, as the full task does', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  store.tx(() => TASKS.forEach((t) => store.tasks.put(t)));
  const rows = activeTaskMetrics(store, 'c');
  const expected = store.tasks.activeInCluster('c');
  assert.deepEqual(
    rows.map((r) => r.id),
    expected.map((t) => t.id),
  );
  assert.deepEqual(rows.map((r) => r.id), ['plain', 'reservation-only', 'no-figures', 'no-containers', 'cpu-override', 'memory-override']);
  for (const [i, t] of expected.entries()) {
    const r = rows[i]!;
    assert.equal(r.cpuOverridden, t.overrides.cpu !== undefined, t.id);
    assert.equal(r.memoryOverridden, t.overrides.memory !== undefined, t.id);
    // With and without a task-level figure from the definition.
    for (const level of [{}, { cpu: t.cpu }, { memory: t.memory }]) {
      assert.deepEqual(utilizationBase(level, [r.containers]), utilizationBase(level, t.containers), `${t.id} ${JSON.stringify(level)}`);
    }
    assert.deepEqual([r.family, r.revision, r.cpu, r.memory, r.lastStatus, r.group, r.containerInstanceId], [t.family, t.revision, t.cpu, t.memory, t.lastStatus, t.group, t.containerInstanceId], t.id);
  }
  assert.deepEqual(rows.find((r) => r.id === 'reservation-only')!.containers, { cpu: 10, memory: 96 });
  store.close();
});

storeTest('metrics rows page by page in seq order give the same rows as one read', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  store.tx(() => TASKS.forEach((t) => store.tasks.put(t)));
  const whole = activeTaskMetrics(store, 'c');
  for (const size of [1, 2, 4, 100]) {
    const paged = [];
    let after = -1;
    for (;;) {
      const page = activeTaskMetricsPage(store, 'c', after, size);
      if (page.rows.length === 0) break;
      assert.ok(page.rows.length <= size);
      paged.push(...page.rows);
      after = page.lastSeq;
    }
    assert.deepEqual(paged, whole, `pages of ${size}`);
  }
  store.close();
});
