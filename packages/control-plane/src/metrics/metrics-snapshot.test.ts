import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { defaultArnContext, systemClock } from '@stevedore/core';
import { Store } from '../store/store';
import { testContainer, testInstance, testTask } from '../testing/task-builder';
import { snapshotSteps, takeSnapshot } from './metrics-snapshot';
import { MetricPublisher } from './metric-publisher';

/** Two clusters, 2,500 tasks in one (three pages of the stepped read), some PENDING, some of a second service. */
function storeWithTasks(): Store {
  const store = Store.open(':memory:', systemClock, defaultArnContext);
  store.tx(() => {
    for (const name of ['c', 'd']) store.clusters.upsert({ name, status: 'ACTIVE', tags: [], settings: [], createdAt: 1 });
    store.instances.put(testInstance('i-1', 'c'));
    store.instances.put(testInstance('i-2', 'c', { status: 'DRAINING' }));
    store.instances.put(testInstance('i-3', 'd'));
    for (let n = 0; n < 2500; n++) {
      store.tasks.put(
        testTask({
          id: `t${n}`,
          seq: n + 1,
          containerInstanceId: n % 2 ? 'i-1' : 'i-2',
          group: n % 3 ? 'service:web' : 'service:api',
          lastStatus: n % 7 ? 'RUNNING' : 'PENDING',
          containers: [testContainer('a', { cpu: 10, memory: 32 })],
        }),
      );
    }
    store.tasks.put(testTask({ id: 'other', seq: 2501, clusterName: 'd', containerInstanceId: 'i-3', containers: [testContainer('a', { cpu: 5, memory: 8 })] }));
  });
  return store;
}

test('the stepped snapshot pauses between pages of a large cluster and ends with the figures of the one-shot read', () => {
  const store = storeWithTasks();
  const now = Date.now();
  const whole = takeSnapshot(store, now, now - 30_000, new Map(), false);
  const steps = snapshotSteps(store, now, now - 30_000, new Map(), false);
  let pauses = 0;
  let r = steps.next();
  for (; !r.done; r = steps.next()) pauses++;
  assert.ok(pauses >= 2, `paused between the pages of 2,500 tasks (${pauses})`);
  assert.deepEqual(r.value.snapshot, whole.snapshot);
  assert.deepEqual(
    whole.snapshot.services.map((s) => `${s.cluster}/${s.service}`),
    ['c/api', 'c/web', 'd/web'],
  );
  // Reservation: 2,500 tasks of 10 CPU units / 32 MiB over the ACTIVE and the DRAINING instance (2 x 1,024 units, 2 x 2,048 MiB).
  const c = whole.snapshot.clusters.find((x) => x.cluster === 'c')!;
  assert.ok(Math.abs(c.figures.cpuReservation! - (2500 * 10 * 100) / 2048) < 0.01, String(c.figures.cpuReservation));
  assert.ok(Math.abs(c.figures.memoryReservation! - (2500 * 32 * 100) / 4096) < 0.01, String(c.figures.memoryReservation));
  store.close();
});

test("the publisher's timer publishes the stepped period: the same figures as a one-shot period", async () => {
  const store = storeWithTasks();
  const puts: number[] = [];
  const durations: number[] = [];
  const publisher = new MetricPublisher(store, pino({ level: 'silent' }), {
    periodMs: 20,
    staleAfterMs: 30_000,
    insightsPeriodMs: 60_000,
    sink: { put: (points) => puts.push(points.length) },
    observeDuration: (s) => durations.push(s),
  });
  publisher.start();
  const deadline = Date.now() + 20_000;
  while (!publisher.latest && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  publisher.stop();
  assert.ok(publisher.latest, 'a period was published by the timer');
  const stepped = publisher.latest!;
  const now = Date.now();
  const whole = takeSnapshot(store, now, now - 30_000, new Map(), false);
  assert.deepEqual(stepped.services, whole.snapshot.services);
  assert.deepEqual(stepped.clusters, whole.snapshot.clusters);
  assert.ok(puts.length > 0 && puts[0]! > 0, 'datapoints went to the sink');
  assert.ok(durations.length > 0 && durations.every((d) => d >= 0));
  store.close();
});
