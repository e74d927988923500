import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nextStep, type ReplacedTask, type StepTask } from './next-step';

/** One state of a rolling replacement: counts of tasks per kind. */
const arbState = fc.record({
  desired: fc.integer({ min: 0, max: 40 }),
  min: fc.integer({ min: 0, max: 100 }),
  max: fc.integer({ min: 100, max: 300 }),
  newHealthy: fc.nat({ max: 40 }),
  newPending: fc.nat({ max: 40 }),
  oldHealthy: fc.nat({ max: 40 }),
  oldPending: fc.nat({ max: 20 }),
  canStart: fc.boolean(),
});
type State = typeof arbState extends fc.Arbitrary<infer T> ? T : never;

function tasks(s: Pick<State, 'newHealthy' | 'newPending' | 'oldHealthy' | 'oldPending'>): { keep: StepTask[]; replace: ReplacedTask[] } {
  const keep = [
    ...Array.from({ length: s.newHealthy }, (_, i) => ({ id: `nh${i}`, healthy: true })),
    ...Array.from({ length: s.newPending }, (_, i) => ({ id: `np${i}`, healthy: false })),
  ];
  const replace = [
    ...Array.from({ length: s.oldHealthy }, (_, i) => ({ id: `oh${i}`, healthy: true, reason: 'old' })),
    ...Array.from({ length: s.oldPending }, (_, i) => ({ id: `op${i}`, healthy: false, reason: 'old' })),
  ];
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
      const healthyBefore = s.newHealthy + s.oldHealthy;
      const healthyAfter = healthyBefore - replace.filter((t) => t.healthy && stopped.has(t.id)).length;
      assert.ok(healthyAfter >= Math.min(healthyBefore, minHealthy), `healthy ${healthyBefore} -> ${healthyAfter} under the floor ${minHealthy}`);
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
        assert.ok(s.newHealthy + s.oldHealthy - 1 < minHealthy, 'a stop was allowed');
        assert.ok(keep.length + replace.length >= maxTotal, 'a start was allowed');
        assert.equal(s.oldPending, 0);
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
    // Per round, how many pending new tasks become healthy (the rest take longer).
    ripen: fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 10 }),
  });
  fc.assert(
    fc.property(arbRun, ({ desired, min, max, ripen }) => {
      const minHealthy = Math.ceil((desired * min) / 100);
      const maxTotal = Math.max(desired, Math.floor((desired * max) / 100));
      let keep: StepTask[] = [];
      let replace: ReplacedTask[] = Array.from({ length: desired }, (_, i) => ({ id: `o${i}`, healthy: true, reason: 'old' }));
      let seq = 0;
      for (let round = 0; round < 4 * desired + 20; round++) {
        const r = nextStep({ desired, configuration: { minimumHealthyPercent: min, maximumPercent: max }, keep, replace, canStart: true });
        if (r.blocked) {
          // Only the configurations that cannot stop nor start one task block: ECS's deadlock.
          assert.ok(desired - 1 < minHealthy && maxTotal <= desired, `blocked with room: ${JSON.stringify({ desired, min, max })}`);
          return;
        }
        const stopped = new Set(r.stop.map((x) => x.taskId));
        replace = replace.filter((t) => !stopped.has(t.id));
        keep = [...keep, ...Array.from({ length: r.start }, () => ({ id: `n${seq++}`, healthy: false }))];
        const healthy = keep.filter((t) => t.healthy).length + replace.filter((t) => t.healthy).length;
        assert.ok(healthy >= minHealthy, `round ${round}: ${healthy} healthy < ${minHealthy}`);
        assert.ok(keep.length + replace.length <= maxTotal, `round ${round}: ${keep.length + replace.length} > ${maxTotal}`);
        if (replace.length === 0 && keep.length === desired && keep.every((t) => t.healthy)) return;
        // Agents: some pending new tasks become healthy; at least one eventually (health checks pass).
        let n = Math.max(1, ripen[round % ripen.length]!);
        keep = keep.map((t) => (!t.healthy && n-- > 0 ? { ...t, healthy: true } : t));
      }
      assert.fail(`did not converge: ${JSON.stringify({ desired, min, max, keep: keep.length, replace: replace.length })}`);
    }),
    { numRuns: 3000 },
  );
});
