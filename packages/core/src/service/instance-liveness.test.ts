import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { judgeInstances, type LivenessPolicy } from './instance-liveness';
import { reconcileService } from './reconcile-service';
import { input, instance, service, task } from './test-builders';
import type { ContainerInstance } from '../model/container-instance';

const NOW = 1_000_000;
const GRACE = 30_000;
const up = (id: string) => instance(id);
/** Disconnected `ago` ms before NOW. */
const down = (id: string, ago: number) => instance(id, { agentConnected: false, lastHeartbeatAt: NOW - ago });

test('table: lost only past the grace, and only while at most half of the cluster is disconnected', () => {
  const long = GRACE + 1;
  const cases: { name: string; instances: ContainerInstance[]; policy?: Partial<LivenessPolicy>; lost: string[]; withheld: string[]; partitioned: boolean }[] = [
    { name: 'all connected', instances: [up('a'), up('b')], lost: [], withheld: [], partitioned: false },
    { name: '1 of 4 within the grace', instances: [down('a', GRACE - 1), up('b'), up('c'), up('d')], lost: [], withheld: [], partitioned: false },
    { name: '1 of 4 past the grace', instances: [down('a', long), up('b'), up('c'), up('d')], lost: ['a'], withheld: [], partitioned: false },
    { name: 'exactly at the grace', instances: [down('a', GRACE), up('b'), up('c')], lost: ['a'], withheld: [], partitioned: false },
    { name: '2 of 4 is not more than half', instances: [down('a', long), down('b', long), up('c'), up('d')], lost: ['a', 'b'], withheld: [], partitioned: false },
    { name: '3 of 4: partitioned, nobody lost', instances: [down('a', long), down('b', long), down('c', 5), up('d')], lost: [], withheld: ['a', 'b'], partitioned: true },
    { name: '2 of 3: partitioned', instances: [down('a', long), down('b', long), up('c')], lost: [], withheld: ['a', 'b'], partitioned: true },
    { name: '1 of 2 is not more than half', instances: [down('a', long), up('b')], lost: ['a'], withheld: [], partitioned: false },
    // One host of one: replacing has nowhere to go; its tasks keep running until it returns.
    { name: '1 of 1: partitioned', instances: [down('a', long)], lost: [], withheld: ['a'], partitioned: true },
    { name: 'INACTIVE instances do not count', instances: [down('a', long), up('b'), instance('x', { status: 'INACTIVE', agentConnected: false }), instance('y', { status: 'INACTIVE', agentConnected: false })], lost: ['a'], withheld: [], partitioned: false },
    { name: 'DRAINING instances count', instances: [down('a', long), instance('b', { status: 'DRAINING', agentConnected: false, lastHeartbeatAt: NOW }), up('c')], lost: [], withheld: ['a'], partitioned: true },
    { name: 'grace counts from the control plane start', instances: [down('a', 10 * GRACE), up('b'), up('c')], policy: { watchingSince: NOW - GRACE + 1 }, lost: [], withheld: [], partitioned: false },
    { name: 'a full grace after the start, lost', instances: [down('a', 10 * GRACE), up('b'), up('c')], policy: { watchingSince: NOW - GRACE }, lost: ['a'], withheld: [], partitioned: false },
    { name: 'a later heartbeat than the start still counts', instances: [down('a', GRACE - 1), up('b'), up('c')], policy: { watchingSince: NOW - 5 * GRACE }, lost: [], withheld: [], partitioned: false },
    { name: 'never connected: from registration', instances: [instance('a', { agentConnected: false, registeredAt: NOW - long }), up('b'), up('c')], lost: ['a'], withheld: [], partitioned: false },
    { name: 'empty cluster', instances: [], lost: [], withheld: [], partitioned: false },
  ];
  for (const c of cases) {
    const v = judgeInstances(c.instances, NOW, { graceMs: GRACE, ...c.policy });
    assert.deepEqual([...v.lost].sort(), c.lost, `${c.name}: lost`);
    assert.deepEqual([...v.withheld].sort(), c.withheld, `${c.name}: withheld`);
    assert.equal(v.partitioned, c.partitioned, `${c.name}: partitioned`);
  }
});

test('nextWakeAt is the earliest grace end still ahead, never one in the past', () => {
  const v = judgeInstances([down('a', 10_000), down('b', 20_000), down('c', 40_000), up('d'), up('e'), up('f')], NOW, { graceMs: GRACE });
  assert.equal(v.nextWakeAt, NOW - 20_000 + GRACE);
  const restart = judgeInstances([down('a', 100_000), up('b')], NOW, { graceMs: GRACE, watchingSince: NOW - 1000 });
  assert.equal(restart.nextWakeAt, NOW - 1000 + GRACE);
  // Withheld instances have nothing to wait for: only a store change (reconnects) can change the verdict.
  const held = judgeInstances([down('a', 100_000), down('b', 100_000), up('c')], NOW, { graceMs: GRACE });
  assert.equal(held.nextWakeAt, undefined);
});

const arbCluster = fc.array(
  fc.record({ connected: fc.boolean(), ago: fc.integer({ min: 0, max: 5 * GRACE }), status: fc.constantFrom('ACTIVE', 'ACTIVE', 'DRAINING', 'INACTIVE') }),
  { maxLength: 9 },
);

test('property: never more than half lost at once; nothing lost before a full grace after watchingSince; lost and withheld are the disconnected past the grace', () => {
  fc.assert(
    fc.property(arbCluster, fc.integer({ min: 0, max: 5 * GRACE }), (spec, startedAgo) => {
      const insts = spec.map((s, k) => instance(`i${k}`, { status: s.status as ContainerInstance['status'], agentConnected: s.connected, lastHeartbeatAt: NOW - s.ago }));
      const watchingSince = NOW - startedAgo;
      const v = judgeInstances(insts, NOW, { graceMs: GRACE, watchingSince });
      const registered = insts.filter((i) => i.status !== 'INACTIVE');
      assert.ok(v.lost.size * 2 <= registered.length, `${v.lost.size} lost of ${registered.length}`);
      if (startedAgo < GRACE) assert.equal(v.lost.size + v.withheld.length, 0);
      const past = registered.filter((i) => !i.agentConnected && NOW - Math.max(i.lastHeartbeatAt!, watchingSince) >= GRACE).map((i) => i.id).sort();
      assert.deepEqual([...v.lost, ...v.withheld].sort(), past);
      assert.ok(v.lost.size === 0 || v.withheld.length === 0, 'one verdict for the whole cluster');
      for (const i of insts) if (i.agentConnected) assert.ok(!v.lost.has(i.id));
      if (v.nextWakeAt !== undefined) assert.ok(v.nextWakeAt > NOW);
    }),
    { numRuns: 500 },
  );
});

test('reconcile: a partitioned cluster replaces nothing; once the majority is back, only the still-disconnected are replaced', () => {
  const s = service({ desiredCount: 3 });
  const tasks = [task('a'), task('b'), task('c')];
  const partition = [down('a', GRACE * 2), down('b', GRACE * 2), up('c')];
  const held = reconcileService(input(s, partition, tasks));
  assert.deepEqual([held.stop.length, held.place.length], [0, 0]);
  assert.equal(held.nextWakeAt, undefined, 'no busy wake-ups while withheld');
  // b is back; a has been gone past its grace: lost now (or after a fresh grace from the partition's end, given one).
  const healed = [down('a', GRACE * 2), up('b'), up('c')];
  const after = reconcileService(input(s, healed, tasks));
  assert.deepEqual(after.stop.map((x) => [x.taskId, x.lost]), [[tasks[0]!.id, true]]);
  assert.equal(after.place.length, 1);
  const fresh = reconcileService(input(s, healed, tasks, { watchingSince: NOW - 1000 }));
  assert.deepEqual([fresh.stop.length, fresh.place.length], [0, 0]);
  assert.equal(fresh.nextWakeAt, NOW - 1000 + GRACE);
});

test('reconcile: after a control-plane restart every instance gets a full grace, whatever its last heartbeat', () => {
  const s = service({ desiredCount: 2 });
  const tasks = [task('a'), task('b')];
  // The control plane was down 3 minutes; a's agent has not reconnected yet, b's has.
  const insts = [down('a', 180_000), up('b')];
  const early = reconcileService(input(s, insts, tasks, { watchingSince: NOW - 5000 }));
  assert.deepEqual([early.stop.length, early.place.length], [0, 0]);
  assert.equal(early.nextWakeAt, NOW - 5000 + GRACE);
  const late = reconcileService(input(s, insts, tasks, { now: NOW - 5000 + GRACE, watchingSince: NOW - 5000 }));
  assert.equal(late.stop.filter((x) => x.lost).length, 1);
});

test('reconcile: a one-host cluster whose host disappears keeps its tasks', () => {
  const s = service({ desiredCount: 2 });
  const tasks = [task('only'), task('only')];
  const r = reconcileService(input(s, [down('only', GRACE * 10)], tasks));
  assert.deepEqual([r.stop.length, r.place.length], [0, 0]);
});
