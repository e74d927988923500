import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideServiceScaling, type ServiceScalingInput, type ScalingMemory } from './decide-scaling';
import { percentChange, stepFor, type PolicyTrigger } from './proposals';

const NOT_SUSPENDED = { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false };
const T0 = 1_800_000_000_000;

function input(over: Partial<ServiceScalingInput> = {}): ServiceScalingInput {
  return { now: T0, minCapacity: 1, maxCapacity: 10, suspendedState: NOT_SUSPENDED, desiredCount: 2, deploymentInProgress: false, dueScheduledActions: [], triggers: [], memory: { policies: [] }, ...over };
}

const cpu = (alarm?: { side: 'high' | 'low'; metricValue: number }, config: Partial<{ ScaleOutCooldown: number; ScaleInCooldown: number; DisableScaleIn: boolean }> = {}): PolicyTrigger => ({
  kind: 'target-tracking',
  policy: 'cpu50',
  config: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ...config },
  ...(alarm ? { alarm: { name: `TargetTracking-service/c/web-Alarm${alarm.side === 'high' ? 'High' : 'Low'}-x`, ...alarm } } : {}),
});

const step = (metricValue: number | undefined, config: Partial<import('./model').StepScalingConfiguration> = {}): PolicyTrigger => ({
  kind: 'step',
  policy: 'step-out',
  config: {
    AdjustmentType: 'ChangeInCapacity',
    StepAdjustments: [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
    ],
    ...config,
  },
  ...(metricValue !== undefined ? { alarm: { name: 'queue-high', metricValue, threshold: 100 } } : {}),
});

test('target tracking: out proportionally, ceil(current x metric / target)', () => {
  for (const [current, metric, want] of [[1, 100, 2], [2, 100, 4], [2, 76, 4], [3, 51, 4], [4, 250, 10], [4, 1000, 10]] as const) {
    const d = decideServiceScaling(input({ desiredCount: current, triggers: [cpu({ side: 'high', metricValue: metric })] }));
    assert.equal(d.desiredCount, want, `${current} at ${metric}%`);
  }
  const d = decideServiceScaling(input({ triggers: [cpu({ side: 'high', metricValue: 100 })] }));
  assert.equal(d.activities.length, 1);
  assert.match(d.activities[0]!.cause, /^monitor alarm TargetTracking-service\/c\/web-AlarmHigh-x in state ALARM triggered policy cpu50 changing the desired capacity from 2 to 4$/);
  assert.equal(d.activities[0]!.description, 'Setting desired count to 4.');
  assert.equal(d.memory.policies[0]!.lastScaleOutAt, T0);
});

test('target tracking: a high alarm whose metric is back at the target does nothing', () => {
  assert.equal(decideServiceScaling(input({ triggers: [cpu({ side: 'high', metricValue: 50 })] })).desiredCount, 2);
});

test('target tracking: in by half the gap, never below Min, not with DisableScaleIn', () => {
  assert.equal(decideServiceScaling(input({ desiredCount: 8, triggers: [cpu({ side: 'low', metricValue: 0 })] })).desiredCount, 4);
  assert.equal(decideServiceScaling(input({ desiredCount: 2, triggers: [cpu({ side: 'low', metricValue: 10 })] })).desiredCount, 1);
  assert.equal(decideServiceScaling(input({ desiredCount: 2, minCapacity: 2, triggers: [cpu({ side: 'low', metricValue: 0 })] })).desiredCount, 2);
  assert.equal(decideServiceScaling(input({ desiredCount: 4, triggers: [cpu({ side: 'low', metricValue: 0 }, { DisableScaleIn: true })] })).desiredCount, 4);
  // 4 tasks at 40% of a 50% target: 4 x 40 / 50 = 3.2 -> 4, nothing to remove.
  assert.equal(decideServiceScaling(input({ desiredCount: 4, triggers: [cpu({ side: 'low', metricValue: 40 })] })).desiredCount, 4);
});

test('target tracking cooldowns: no second scale-out within ScaleOutCooldown, no scale-in within either', () => {
  const memory: ScalingMemory = { policies: [{ policy: 'cpu50', lastScaleOutAt: T0 - 30_000, lastTo: 4 }] };
  const out = (now: number) => decideServiceScaling(input({ now, desiredCount: 4, memory, triggers: [cpu({ side: 'high', metricValue: 100 }, { ScaleOutCooldown: 60, ScaleInCooldown: 120 })] }));
  assert.equal(out(T0).desiredCount, 4);
  assert.equal(out(T0 + 30_000).desiredCount, 8);
  const inn = (now: number, mem = memory) => decideServiceScaling(input({ now, desiredCount: 4, memory: mem, triggers: [cpu({ side: 'low', metricValue: 0 }, { ScaleOutCooldown: 60, ScaleInCooldown: 120 })] }));
  assert.equal(inn(T0).desiredCount, 4, 'scale-out cooldown holds scale-in');
  assert.equal(inn(T0 + 30_000).desiredCount, 2);
  const afterIn = { policies: [{ policy: 'cpu50', lastScaleInAt: T0, lastTo: 4 }] };
  assert.equal(inn(T0 + 119_000, afterIn).desiredCount, 4);
  assert.equal(inn(T0 + 120_000, afterIn).desiredCount, 2);
  // Default cooldowns are ECS's 300 s.
  const d = decideServiceScaling(input({ now: T0 + 299_000, desiredCount: 4, memory: { policies: [{ policy: 'cpu50', lastScaleInAt: T0 }] }, triggers: [cpu({ side: 'low', metricValue: 0 })] }));
  assert.equal(d.desiredCount, 4);
});

test('step scaling: the breach picks the step; ChangeInCapacity, ExactCapacity, PercentChangeInCapacity', () => {
  assert.equal(decideServiceScaling(input({ triggers: [step(110)] })).desiredCount, 3);
  assert.equal(decideServiceScaling(input({ triggers: [step(120)] })).desiredCount, 5);
  assert.equal(decideServiceScaling(input({ triggers: [step(100)] })).desiredCount, 3, 'lower bound inclusive');
  assert.equal(decideServiceScaling(input({ triggers: [step(119.9)] })).desiredCount, 3, 'upper bound exclusive');
  assert.equal(decideServiceScaling(input({ triggers: [step(undefined)] })).desiredCount, 2);
  assert.equal(decideServiceScaling(input({ triggers: [step(150, { AdjustmentType: 'ExactCapacity' })] })).desiredCount, 3);
  const pct = (current: number, adj: number, minMag?: number) =>
    decideServiceScaling(input({ desiredCount: current, maxCapacity: 100, triggers: [step(150, { AdjustmentType: 'PercentChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: adj }], ...(minMag ? { MinAdjustmentMagnitude: minMag } : {}) })] })).desiredCount;
  assert.equal(pct(10, 50), 15);
  assert.equal(pct(3, 10), 4, 'a fraction under 1 rounds to 1');
  assert.equal(pct(10, 25), 12, '2.5 rounds toward zero');
  assert.equal(pct(10, 10, 3), 13, 'MinAdjustmentMagnitude');
  assert.equal(pct(10, -25), 8);
});

test('step scaling: scale-in steps below the threshold, MetricAggregationType is the caller\'s, bounds', () => {
  const inStep = step(40, { StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }] });
  assert.equal(decideServiceScaling(input({ desiredCount: 3, triggers: [inStep] })).desiredCount, 2);
  assert.equal(decideServiceScaling(input({ desiredCount: 1, triggers: [inStep] })).desiredCount, 1, 'not below Min');
  assert.deepEqual(stepFor([{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }], 0)?.ScalingAdjustment, -1);
  assert.equal(percentChange(4, -10), -1);
});

test('step scaling Cooldown: the capacity a scale-out added counts toward the next one; scale-in waits', () => {
  const memory: ScalingMemory = { policies: [{ policy: 'step-out', lastScaleOutAt: T0 - 10_000, lastFrom: 2, lastTo: 3 }] };
  assert.equal(decideServiceScaling(input({ desiredCount: 3, memory, triggers: [step(110, { Cooldown: 60 })] })).desiredCount, 3, 'from 2, +1 = 3: nothing more');
  const bigger = decideServiceScaling(input({ desiredCount: 3, memory, triggers: [step(130, { Cooldown: 60 })] }));
  assert.equal(bigger.desiredCount, 5, 'from 2, +3 = 5: the larger step proceeds');
  assert.equal(bigger.memory.policies[0]!.lastFrom, 2, 'the cooldown still counts from 2');
  assert.equal(decideServiceScaling(input({ now: T0 + 60_000, desiredCount: 3, memory, triggers: [step(110, { Cooldown: 60 })] })).desiredCount, 4, 'after the cooldown: from 3');
  const inStep = step(40, { Cooldown: 60, StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }] });
  assert.equal(decideServiceScaling(input({ desiredCount: 3, memory, triggers: [inStep] })).desiredCount, 3, 'scale-in waits');
  assert.equal(decideServiceScaling(input({ now: T0 + 60_000, desiredCount: 3, memory, triggers: [inStep] })).desiredCount, 2);
});

test('several policies: out if any says out (largest), in only if every target-tracking policy says in', () => {
  const mem = (p: string): PolicyTrigger => ({ ...cpu({ side: 'low', metricValue: 0 }), policy: p });
  const memHigh: PolicyTrigger = { ...cpu({ side: 'high', metricValue: 200 }), policy: 'mem' };
  assert.equal(decideServiceScaling(input({ triggers: [cpu({ side: 'high', metricValue: 100 }), memHigh] })).desiredCount, 8);
  assert.equal(decideServiceScaling(input({ desiredCount: 4, triggers: [cpu({ side: 'low', metricValue: 0 }), cpu()] })).desiredCount, 4, 'one quiet policy vetoes scale-in');
  assert.equal(decideServiceScaling(input({ desiredCount: 4, triggers: [cpu({ side: 'low', metricValue: 0 }), mem('mem')] })).desiredCount, 2);
  assert.equal(decideServiceScaling(input({ desiredCount: 4, triggers: [cpu({ side: 'low', metricValue: 0 }), step(130)] })).desiredCount, 7, 'out wins over in');
  assert.equal(decideServiceScaling(input({ desiredCount: 4, triggers: [cpu({ side: 'low', metricValue: 0 }), step(undefined)] })).desiredCount, 2, 'a quiet step policy has no vote');
});

test('bounds: a manual desiredCount outside Min/Max is corrected; scheduled actions move them', () => {
  let d = decideServiceScaling(input({ desiredCount: 12 }));
  assert.equal(d.desiredCount, 10);
  assert.equal(d.activities[0]!.cause, 'the desired count 12 was above the maximum capacity 10');
  d = decideServiceScaling(input({ desiredCount: 0 }));
  assert.equal(d.desiredCount, 1);
  d = decideServiceScaling(input({ dueScheduledActions: [{ name: 'morning', firedAt: T0, minCapacity: 4, maxCapacity: 20 }] }));
  assert.deepEqual([d.minCapacity, d.maxCapacity, d.desiredCount], [4, 20, 4]);
  assert.deepEqual(d.activities.map((a) => [a.description, a.cause]), [
    ['Setting min capacity to 4 and max capacity to 20', 'scheduled action name morning was triggered'],
    ['Setting desired count to 4.', 'minimum capacity was set to 4'],
  ]);
  d = decideServiceScaling(input({ dueScheduledActions: [{ name: 'a', firedAt: T0 - 1, minCapacity: 12 }, { name: 'b', firedAt: T0, maxCapacity: 3 }] }));
  assert.deepEqual([d.minCapacity, d.maxCapacity, d.desiredCount], [3, 3, 3], 'later wins; min follows max down');
  d = decideServiceScaling(input({ suspendedState: { ...NOT_SUSPENDED, ScheduledScalingSuspended: true }, dueScheduledActions: [{ name: 'm', firedAt: T0, minCapacity: 4 }] }));
  assert.deepEqual([d.minCapacity, d.desiredCount], [1, 2]);
});

test('deployments: no scale-in (policy or bounds) while one rolls out; scale-out proceeds', () => {
  assert.equal(decideServiceScaling(input({ desiredCount: 4, deploymentInProgress: true, triggers: [cpu({ side: 'low', metricValue: 0 })] })).desiredCount, 4);
  assert.equal(decideServiceScaling(input({ desiredCount: 12, deploymentInProgress: true })).desiredCount, 12);
  assert.equal(decideServiceScaling(input({ desiredCount: 2, deploymentInProgress: true, triggers: [cpu({ side: 'high', metricValue: 100 })] })).desiredCount, 4);
  assert.equal(decideServiceScaling(input({ desiredCount: 0, deploymentInProgress: true })).desiredCount, 1);
});

test('suspended dynamic scaling blocks its direction only', () => {
  const s = (x: Partial<typeof NOT_SUSPENDED>) => ({ ...NOT_SUSPENDED, ...x });
  assert.equal(decideServiceScaling(input({ suspendedState: s({ DynamicScalingOutSuspended: true }), triggers: [cpu({ side: 'high', metricValue: 100 })] })).desiredCount, 2);
  assert.equal(decideServiceScaling(input({ desiredCount: 4, suspendedState: s({ DynamicScalingInSuspended: true }), triggers: [cpu({ side: 'low', metricValue: 0 })] })).desiredCount, 4);
  assert.equal(decideServiceScaling(input({ desiredCount: 4, suspendedState: s({ DynamicScalingOutSuspended: true }), triggers: [cpu({ side: 'low', metricValue: 0 })] })).desiredCount, 2);
});

test('property: the result lies in [Min, Max] (bar a scale-in held by a deployment), out never lowers, in never raises', () => {
  const trigger = fc.oneof(
    fc.record({ side: fc.constantFrom('high' as const, 'low' as const), metricValue: fc.double({ min: 0, max: 1000, noNaN: true }) }).map((a) => cpu(a, { ScaleOutCooldown: 0, ScaleInCooldown: 0 })),
    fc.option(fc.double({ min: 0, max: 300, noNaN: true }), { nil: undefined }).map((v) => step(v)),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 40 }), fc.boolean(), fc.array(trigger, { maxLength: 4 }),
      fc.option(fc.record({ minCapacity: fc.integer({ min: 0, max: 20 }) }), { nil: undefined }),
      (a, b, desiredCount, deploymentInProgress, triggers, scheduled) => {
        const d = decideServiceScaling(input({
          minCapacity: Math.min(a, b), maxCapacity: Math.max(a, b), desiredCount, deploymentInProgress, triggers: triggers.map((t, i) => ({ ...t, policy: `p${i}` })),
          dueScheduledActions: scheduled ? [{ name: 's', firedAt: T0, ...scheduled }] : [],
        }));
        assert.ok(d.minCapacity <= d.maxCapacity);
        if (!(deploymentInProgress && desiredCount > d.maxCapacity)) assert.ok(d.desiredCount >= d.minCapacity && d.desiredCount <= d.maxCapacity, JSON.stringify(d));
        if (deploymentInProgress) assert.ok(d.desiredCount >= Math.min(desiredCount, d.maxCapacity) || d.desiredCount >= desiredCount);
        const anyOut = d.proposals.some((p) => p.direction === 'out');
        if (anyOut && desiredCount >= d.minCapacity && desiredCount <= d.maxCapacity) assert.ok(d.desiredCount >= desiredCount);
        if (d.desiredCount !== desiredCount) assert.ok(d.activities.length > 0);
      },
    ),
  );
});

test('an alarm staying in ALARM asks once per evaluation period', () => {
  const trig = (periodMs: number): PolicyTrigger => ({ kind: 'target-tracking', policy: 'cpu50', config: { TargetValue: 50, ScaleOutCooldown: 0 }, alarm: { name: 'h', side: 'high', metricValue: 100, periodMs } });
  const memory: ScalingMemory = { policies: [{ policy: 'cpu50', lastScaleOutAt: T0 - 5_000, lastTo: 2 }] };
  assert.equal(decideServiceScaling(input({ memory, triggers: [trig(10_000)] })).desiredCount, 2, 'acted 5 s ago in a 10 s period');
  assert.equal(decideServiceScaling(input({ memory, triggers: [trig(5_000)] })).desiredCount, 4, 'a new period');
});
