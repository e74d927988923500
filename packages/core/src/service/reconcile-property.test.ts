import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { reconcileService } from './reconcile-service';
import { applyResult, input, instance, service, task } from './test-builders';
import { deploymentBounds } from '../model/service';
import { seededRandom } from '../placement/pipeline';
import type { ServiceTask } from './service-view';
import { indexInstances } from './instance-index';

/** Agents in a test: what was told to stop stops, what was placed starts. */
function agentsAct(tasks: ServiceTask[], now: number): ServiceTask[] {
  return tasks.map((t) => {
    if (t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED') return { ...t, lastStatus: 'STOPPED', stoppedAt: now };
    if (t.lastStatus === 'PENDING') return { ...t, lastStatus: 'RUNNING', startedAt: now };
    return t;
  });
}

const arbWorld = fc.record({
  zones: fc.array(fc.constantFrom('za', 'zb', 'zc'), { minLength: 1, maxLength: 6 }),
  memory: fc.array(fc.integer({ min: 0, max: 2048 }), { minLength: 6, maxLength: 6 }),
  draining: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  desired: fc.integer({ min: 0, max: 12 }),
  initial: fc.array(fc.nat({ max: 5 }), { maxLength: 14 }),
  min: fc.constantFrom(0, 50, 100),
  max: fc.constantFrom(100, 150, 200),
  binpack: fc.boolean(),
  seed: fc.nat(),
});

test('property: reconcile never exceeds maximumPercent nor an instance capacity, and never places on draining instances', () => {
  fc.assert(
    fc.property(arbWorld, (w) => {
      const insts = w.zones.map((z, k) => instance(`i${k}`, { status: w.draining[k] ? 'DRAINING' : 'ACTIVE', registeredResources: { cpu: 100_000, memory: w.memory[k]!, ports: [], portsUdp: [] } }, z));
      const s = service({
        desiredCount: w.desired,
        deploymentConfiguration: { minimumHealthyPercent: w.min, maximumPercent: w.max, deploymentCircuitBreaker: { enable: false, rollback: false } },
        placementStrategy: w.binpack ? [{ type: 'binpack', field: 'memory' }] : [],
      });
      let tasks = w.initial.filter((k) => k < insts.length).map((k) => task(`i${k}`));
      const { maxTotal } = deploymentBounds(w.desired, s.deploymentConfiguration);
      const rnd = seededRandom(w.seed);
      for (let step = 0; step < 6; step++) {
        const now = 1_000_000 + step * 1000;
        const before = tasks.filter((t) => t.desiredStatus === 'RUNNING').length;
        const r = reconcileService(input(s, insts, tasks, { now, random: rnd }));
        for (const p of r.place) assert.equal(insts.find((i) => i.id === p.instanceId)!.status, 'ACTIVE');
        tasks = applyResult(tasks, r, now);
        const active = tasks.filter((t) => t.desiredStatus === 'RUNNING');
        if (r.place.length > 0) assert.ok(active.length <= Math.max(maxTotal, w.desired), `active ${active.length} > max ${maxTotal}`);
        assert.ok(active.length <= Math.max(before, maxTotal, w.desired));
        for (const i of insts) {
          const used = tasks.filter((t) => t.containerInstanceId === i.id && t.lastStatus !== 'STOPPED').reduce((m, t) => m + t.memory, 0);
          const placedHere = r.place.filter((p) => p.instanceId === i.id).length;
          if (placedHere > 0) assert.ok(used <= i.registeredResources.memory, `instance ${i.id} over-committed: ${used} > ${i.registeredResources.memory}`);
        }
        tasks = agentsAct(tasks, now + 500);
      }
    }),
    { numRuns: 200 },
  );
});

test('property: with room enough the service converges to desiredCount, balanced over zones within one task', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('za', 'zb', 'zc'), { minLength: 1, maxLength: 7 }), fc.integer({ min: 0, max: 20 }), fc.array(fc.nat({ max: 6 }), { maxLength: 25 }), fc.nat(), (zones, desired, initial, seed) => {
      const insts = zones.map((z, k) => instance(`i${k}`, { registeredResources: { cpu: 100_000, memory: 100_000, ports: [], portsUdp: [] } }, z));
      const s = service({ desiredCount: desired });
      let tasks = initial.filter((k) => k < insts.length).map((k) => task(`i${k}`));
      const rnd = seededRandom(seed);
      let steady = false;
      for (let step = 0; step < 8 && !steady; step++) {
        const r = reconcileService(input(s, insts, tasks, { now: 1_000_000 + step, random: rnd }));
        steady = r.steady;
        tasks = agentsAct(applyResult(tasks, r, 1_000_000 + step), 1_000_000 + step);
      }
      assert.ok(steady, 'reaches a steady state');
      const running = tasks.filter((t) => t.desiredStatus === 'RUNNING');
      assert.equal(running.length, desired);
      // Only placements are steered by spread; a scale-in keeps balance; initial tasks may be skewed
      // when they already outnumber desired, so check balance when the service had to grow.
      if (initial.filter((k) => k < insts.length).length === 0) {
        const per = new Map<string, number>();
        for (const t of running) {
          const z = zones[Number(t.containerInstanceId!.slice(1))]!;
          per.set(z, (per.get(z) ?? 0) + 1);
        }
        const counts = [...new Set(zones)].map((z) => per.get(z) ?? 0);
        assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, JSON.stringify([...per]));
      }
    }),
    { numRuns: 200 },
  );
});

test('property: a kept instance index (indexInstances, as the control plane passes it) decides exactly what one built per input does', () => {
  const arb = fc.record({
    // Per instance: zone, connected, disconnected since (ms before now), status.
    instances: fc.array(fc.record({ zone: fc.constantFrom('za', 'zb', 'zc'), connected: fc.boolean(), awayMs: fc.nat({ max: 90_000 }), status: fc.constantFrom('ACTIVE', 'ACTIVE', 'DRAINING', 'INACTIVE') }), { minLength: 1, maxLength: 8 }),
    desired: fc.integer({ min: 0, max: 10 }),
    initial: fc.array(fc.nat({ max: 7 }), { maxLength: 12 }),
    daemon: fc.boolean(),
    draining: fc.boolean(),
    watching: fc.option(fc.nat({ max: 60_000 })),
    seed: fc.nat(),
  });
  fc.assert(
    fc.property(arb, (w) => {
      const now = 1_000_000;
      const insts = w.instances.map((x, k) =>
        instance(`i${k}`, { status: x.status as 'ACTIVE' | 'DRAINING' | 'INACTIVE', agentConnected: x.connected, lastHeartbeatAt: now - x.awayMs }, x.zone),
      );
      const s = service({ desiredCount: w.desired, schedulingStrategy: w.daemon ? 'DAEMON' : 'REPLICA', status: w.draining ? 'DRAINING' : 'ACTIVE' });
      const tasks = w.initial.filter((k) => k < insts.length).map((k) => task(`i${k}`));
      const over = { now, random: seededRandom(w.seed), ...(w.watching !== null ? { watchingSince: now - w.watching } : {}) };
      const plain = input(s, insts, tasks, over);
      const indexed = input(s, insts, tasks, { ...over, random: seededRandom(w.seed) });
      indexed.instanceIndex = indexInstances(indexed.instances);
      assert.deepEqual(reconcileService(indexed), reconcileService(plain));
    }),
    { numRuns: 500 },
  );
});
