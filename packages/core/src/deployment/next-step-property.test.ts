import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nextStep, type ReplacedTask, type StepTask } from './next-step';

type Standing = 'healthy' | 'unproven' | 'down';

/** One state of a rolling replacement: new tasks by count, old tasks (to replace) in any order and mix. */
const arbState = fc.record({
  desired: fc.integer({ min: 0, max: 40 }),
  min: fc.integer({ min: 0, max: 100 }),
  max: fc.integer({ min: 100, max: 300 }),
  newHealthy: fc.nat({ max: 40 }),
  newPending: fc.nat({ max: 40 }),
  // healthy; unproven: RUNNING, not proven yet (warm-up, startPeriod, LB initial); down: failed its checks, or not RUNNING.
  old: fc.array(fc.constantFrom<Standing>('healthy', 'unproven', 'down'), { maxLength: 60 }),
  canStart: fc.boolean(),
});
type State = typeof arbState extends fc.Arbitrary<infer T> ? T : never;

const count = (old: Standing[], k: Standing) => old.filter((x) => x === k).length;

function tasks(s: Pick<State, 'newHealthy' | 'newPending' | 'old'>): { keep: StepTask[]; replace: ReplacedTask[] } {
  const keep = [
    ...Array.from({ length: s.newHealthy }, (_, i) => ({ id: `nh${i}`, healthy: true, unproven: false })),
    ...Array.from({ length: s.newPending }, (_, i) => ({ id: `np${i}`, healthy: false, unproven: true })),
  ];
  const replace = s.old.map((k, i) => ({ id: `o${i}`, healthy: k === 'healthy', unproven: k === 'unproven', reason: 'old' }));
  return { keep, replace };
}

test('property: a step never breaks the bounds (healthy floor, RUNNING+PENDING ceiling)', () => {
  fc.assert(
    fc.property(arbState, (s) => {
      // The reconciler scales in surplus current tasks before the step.
      fc.pre(s.newHealthy + s.newPending <= s.desired);
      const { keep, replace } = tasks(s);
      const r = nextStep({ desired: s.desired, configuration: { minimumHealthyPercent: s.min, maximumPercent: s.max }, keep, replace, canStart: s.canStart });
      const minHealthy = Math.ceil((s.desired * s.min) / 100);
      const maxTotal = Math.floor((s.desired * s.max) / 100);
      const stopped = new Set(r.stop.map((x) => x.taskId));
      const healthyBefore = s.newHealthy + count(s.old, 'healthy');
      const healthyAfter = healthyBefore - replace.filter((t) => t.healthy && stopped.has(t.id)).length;
      assert.ok(healthyAfter >= Math.min(healthyBefore, minHealthy), `healthy ${healthyBefore} -> ${healthyAfter} under the floor ${minHealthy}`);
      // Unproven is not unhealthy: only tasks that failed (or are not RUNNING) go below the floor.
      const alive = (t: StepTask) => t.healthy || t.unproven;
      const aliveBefore = [...keep, ...replace].filter(alive).length;
      const aliveAfter = aliveBefore - replace.filter((t) => alive(t) && stopped.has(t.id)).length;
      assert.ok(aliveAfter >= Math.min(aliveBefore, minHealthy), `healthy + unproven ${aliveBefore} -> ${aliveAfter} under the floor ${minHealthy}`);
      // The same with only the old unproven counted (new unproven ones are not yet part of the floor): stronger.
      const standingBefore = healthyBefore + count(s.old, 'unproven');
      const standingAfter = standingBefore - replace.filter((t) => alive(t) && stopped.has(t.id)).length;
      assert.ok(standingAfter >= Math.min(standingBefore, minHealthy), `healthy + old unproven ${standingBefore} -> ${standingAfter} under the floor ${minHealthy}`);
      // Failed ones always go; a healthy old task only once no unproven old one is left to stop first.
      assert.ok(replace.filter((t) => !alive(t)).every((t) => stopped.has(t.id)), 'a failed task was kept');
      if (replace.some((t) => t.healthy && stopped.has(t.id))) assert.ok(replace.filter((t) => t.unproven && !t.healthy).every((t) => stopped.has(t.id)), 'a healthy task went before an unproven one');
      const totalBefore = keep.length + replace.length;
      const totalAfter = totalBefore - r.stop.length + r.start;
      assert.ok(totalAfter <= Math.max(totalBefore, maxTotal), `total ${totalBefore} -> ${totalAfter} over the ceiling ${maxTotal}`);
      if (r.start > 0) assert.ok(totalAfter <= maxTotal);
      assert.ok(r.stop.every((x) => replace.some((t) => t.id === x.taskId)), 'only replaced tasks stop');
      assert.ok(keep.length + r.start <= s.desired, 'never more new tasks than desired');
      if (!s.canStart) assert.equal(r.start, 0);
    }),
    { numRuns: 5000 },
  );
});

test('property: progress is always possible when the bounds allow it, and "blocked" only when they do not', () => {
  fc.assert(
    fc.property(arbState, (s) => {
      fc.pre(s.canStart && s.newHealthy + s.newPending <= s.desired);
      const { keep, replace } = tasks(s);
      const r = nextStep({ desired: s.desired, configuration: { minimumHealthyPercent: s.min, maximumPercent: s.max }, keep, replace, canStart: true });
      const done = replace.length === 0 && keep.length === s.desired;
      const waitingForHealth = s.newPending > 0;
      if (!done && !waitingForHealth) assert.ok(r.start > 0 || r.stop.length > 0 || r.blocked, `stuck without saying so: ${JSON.stringify(s)}`);
      if (r.blocked) {
        const minHealthy = Math.ceil((s.desired * s.min) / 100);
        const maxTotal = Math.max(s.desired, Math.floor((s.desired * s.max) / 100));
        assert.ok(s.newHealthy + count(s.old, 'healthy') - 1 < minHealthy, 'a stop was allowed');
        assert.ok(s.newHealthy + count(s.old, 'healthy') + count(s.old, 'unproven') - 1 < minHealthy, 'an unproven task could stop');
        assert.ok(keep.length + replace.length >= maxTotal, 'a start was allowed');
        assert.equal(count(s.old, 'down'), 0);
      }
    }),
    { numRuns: 5000 },
  );
});

test('property: a whole rolling update converges to desiredCount new tasks, inside the bounds at every step, unless blocked', () => {
  const arbRun = fc.record({
    desired: fc.integer({ min: 1, max: 30 }),
    min: fc.integer({ min: 0, max: 100 }),
    max: fc.integer({ min: 100, max: 250 }),
    // The old tasks when the deployment starts: proven, or still unproven (the previous deployment IN_PROGRESS).
    oldProven: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
    // Per round, how many pending new tasks become healthy (the rest take longer).
    ripen: fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 10 }),
    // Per round, how many unproven old tasks become healthy (0: they may never be).
    oldRipen: fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 10 }),
  });
  fc.assert(
    fc.property(arbRun, ({ desired, min, max, oldProven, ripen, oldRipen }) => {
      const minHealthy = Math.ceil((desired * min) / 100);
      const maxTotal = Math.max(desired, Math.floor((desired * max) / 100));
      let keep: StepTask[] = [];
      let replace: ReplacedTask[] = Array.from({ length: desired }, (_, i) => ({ id: `o${i}`, healthy: oldProven[i]!, unproven: !oldProven[i], reason: 'old' }));
      let seq = 0;
      for (let round = 0; round < 4 * desired + 20; round++) {
        const healthyBefore = keep.filter((t) => t.healthy).length + replace.filter((t) => t.healthy).length;
        const r = nextStep({ desired, configuration: { minimumHealthyPercent: min, maximumPercent: max }, keep, replace, canStart: true });
        if (r.blocked) {
          // Only the configurations that cannot stop nor start one task block: ECS's deadlock.
          assert.ok(desired - 1 < minHealthy && maxTotal <= desired, `blocked with room: ${JSON.stringify({ desired, min, max })}`);
          return;
        }
        const stopped = new Set(r.stop.map((x) => x.taskId));
        replace = replace.filter((t) => !stopped.has(t.id));
        keep = [...keep, ...Array.from({ length: r.start }, () => ({ id: `n${seq++}`, healthy: false, unproven: false }))];
        const healthy = keep.filter((t) => t.healthy).length + replace.filter((t) => t.healthy).length;
        const standing = healthy + replace.filter((t) => t.unproven && !t.healthy).length;
        assert.ok(healthy >= Math.min(healthyBefore, minHealthy), `round ${round}: healthy ${healthyBefore} -> ${healthy} < ${minHealthy}`);
        assert.ok(standing >= minHealthy, `round ${round}: ${standing} healthy or unproven old < ${minHealthy}`);
        assert.ok(keep.length + replace.length <= maxTotal, `round ${round}: ${keep.length + replace.length} > ${maxTotal}`);
        if (replace.length === 0 && keep.length === desired && keep.every((t) => t.healthy)) return;
        // Agents: some pending new tasks become healthy; at least one eventually (health checks pass).
        let n = Math.max(1, ripen[round % ripen.length]!);
        keep = keep.map((t) => (!t.healthy && n-- > 0 ? { ...t, healthy: true } : t));
        let o = oldRipen[round % oldRipen.length]!;
        replace = replace.map((t) => (t.unproven && o-- > 0 ? { ...t, healthy: true, unproven: false } : t));
      }
      assert.fail(`did not converge: ${JSON.stringify({ desired, min, max, keep: keep.length, replace: replace.length })}`);
    }),
    { numRuns: 3000 },
  );
});
