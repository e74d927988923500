import { DEFAULT_ECS_COOLDOWN_SECONDS, type StepScalingConfiguration, type TargetTrackingConfiguration } from './model';

/** What one policy's alarm says now, as the autoscaler read it from the alarm store. */
export type PolicyTrigger =
  | {
      kind: 'target-tracking';
      policy: string;
      config: TargetTrackingConfiguration;
      /** The policy's high or low alarm in state ALARM (none: neither is). */
      alarm?: { name: string; side: 'high' | 'low'; metricValue: number; periodMs?: number };
    }
  | {
      kind: 'step';
      policy: string;
      config: StepScalingConfiguration;
      /** An alarm in state ALARM whose actions name the policy, with its threshold and the metric aggregated per MetricAggregationType. */
      alarm?: { name: string; metricValue: number; threshold: number; periodMs?: number };
    };

/** What the autoscaler remembers of a policy's last actions (cooldowns). */
export interface PolicyMemory {
  policy: string;
  lastScaleOutAt?: number;
  lastScaleInAt?: number;
  /** The desired count its last activity set. */
  lastTo?: number;
  /** The count its last scale-out started from (a step policy's cooldown counts from it). */
  lastFrom?: number;
}

export interface Proposal {
  policy: string;
  /** `none` with a reason when the policy does not want to move, or may not yet. */
  direction: 'out' | 'in' | 'none';
  desired: number;
  alarm?: string;
  why?: string;
  /** The count the proposal was computed from, when not the current one (a step policy's cooldown). */
  base?: number;
}

const seconds = (s: number | undefined, d: number) => (s ?? d) * 1000;

/**
 * An alarm in ALARM asks once per evaluation period, as CloudWatch invokes a
 * policy while its alarm stays in ALARM: a policy that acted within the
 * alarm's last period waits for the next datapoint before acting again.
 */
function actedThisPeriod(mem: PolicyMemory | undefined, periodMs: number | undefined, now: number): boolean {
  if (!mem || periodMs === undefined) return false;
  const last = Math.max(mem.lastScaleOutAt ?? -Infinity, mem.lastScaleInAt ?? -Infinity);
  return now < last + periodMs;
}

/**
 * Target tracking, ECS's way: out fast and proportionally
 * (ceil(current x metric / target)), in conservatively: only on the low
 * alarm (which already waited its longer evaluation), by half the gap at a
 * time (at least one task), and never within a cooldown. A scale-out cooldown
 * also holds scale-in: capacity just added has not shown in the metric yet.
 */
export function targetTrackingProposal(t: Extract<PolicyTrigger, { kind: 'target-tracking' }>, current: number, mem: PolicyMemory | undefined, now: number): Proposal {
  const none = (why: string): Proposal => ({ policy: t.policy, direction: 'none', desired: current, why, ...(t.alarm ? { alarm: t.alarm.name } : {}) });
  if (!t.alarm) return none('no alarm in state ALARM');
  if (actedThisPeriod(mem, t.alarm.periodMs, now)) return none('acted in this alarm period');
  const target = t.config.TargetValue;
  const proportional = Math.ceil((Math.max(current, 1) * t.alarm.metricValue) / target - 1e-9);
  const outCooldown = seconds(t.config.ScaleOutCooldown, DEFAULT_ECS_COOLDOWN_SECONDS);
  const inCooldown = seconds(t.config.ScaleInCooldown, DEFAULT_ECS_COOLDOWN_SECONDS);
  if (t.alarm.side === 'high') {
    // current 0 (scaled to zero): any load asks for one task.
    const desired = current === 0 ? Math.max(1, proportional) : proportional;
    if (desired <= current) return none('the metric is back at the target');
    if (mem?.lastScaleOutAt !== undefined && now < mem.lastScaleOutAt + outCooldown) return none('in scale-out cooldown');
    return { policy: t.policy, direction: 'out', desired, alarm: t.alarm.name };
  }
  if (t.config.DisableScaleIn) return none('scale-in is disabled');
  if (proportional >= current) return none('already at the target');
  if (mem?.lastScaleInAt !== undefined && now < mem.lastScaleInAt + inCooldown) return none('in scale-in cooldown');
  if (mem?.lastScaleOutAt !== undefined && now < mem.lastScaleOutAt + outCooldown) return none('in scale-out cooldown');
  const step = Math.max(1, Math.ceil((current - proportional) / 2));
  return { policy: t.policy, direction: 'in', desired: Math.max(0, current - step), alarm: t.alarm.name };
}

/** Application Auto Scaling's rounding of a percent change: toward zero, but never to zero. */
export function percentChange(current: number, percent: number): number {
  const raw = (current * percent) / 100;
  if (raw > 0 && raw < 1) return 1;
  if (raw < 0 && raw > -1) return -1;
  return Math.trunc(raw);
}

/** The step whose interval (relative to the threshold: lower inclusive, upper exclusive) holds the breach. */
export function stepFor(steps: readonly { MetricIntervalLowerBound?: number; MetricIntervalUpperBound?: number; ScalingAdjustment: number }[], breach: number) {
  return steps.find((s) => (s.MetricIntervalLowerBound ?? -Infinity) <= breach && breach < (s.MetricIntervalUpperBound ?? Infinity))
    // A breach exactly at the top of an interval with no higher one (upper bound 0 for scale-in steps) is still in it.
    ?? steps.find((s) => s.MetricIntervalUpperBound !== undefined && breach === s.MetricIntervalUpperBound && (s.MetricIntervalLowerBound ?? -Infinity) <= breach);
}

/**
 * Step scaling on an alarm in ALARM: the breach (metric minus threshold)
 * picks a step; ChangeInCapacity adds, ExactCapacity sets,
 * PercentChangeInCapacity adds a share of the current count (at least
 * MinAdjustmentMagnitude). Within the policy's Cooldown after a scale-out,
 * the next one counts from where that one started (only a larger step adds
 * more); within it after any activity, a scale-in waits.
 */
export function stepScalingProposal(t: Extract<PolicyTrigger, { kind: 'step' }>, current: number, mem: PolicyMemory | undefined, now: number): Proposal {
  const none = (why: string): Proposal => ({ policy: t.policy, direction: 'none', desired: current, why, ...(t.alarm ? { alarm: t.alarm.name } : {}) });
  if (!t.alarm) return none('no alarm in state ALARM');
  if (actedThisPeriod(mem, t.alarm.periodMs, now)) return none('acted in this alarm period');
  const step = stepFor(t.config.StepAdjustments, t.alarm.metricValue - t.alarm.threshold);
  if (!step) return none('no step adjustment covers the breach');
  const cooldown = seconds(t.config.Cooldown, 0);
  const last = Math.max(mem?.lastScaleOutAt ?? -Infinity, mem?.lastScaleInAt ?? -Infinity);
  const cooling = now < last + cooldown;
  // AWS: while a scale-out's cooldown runs, the capacity it added counts toward the next one, so the next
  // is computed from where that scale-out started and only a larger step adds more.
  const outCooling = cooling && mem?.lastScaleOutAt === last && mem.lastFrom !== undefined;
  const base = outCooling ? mem.lastFrom! : current;
  const adj = step.ScalingAdjustment;
  let desired: number;
  if (t.config.AdjustmentType === 'ExactCapacity') desired = adj;
  else if (t.config.AdjustmentType === 'ChangeInCapacity') desired = base + adj;
  else {
    let change = percentChange(base, adj);
    const min = t.config.MinAdjustmentMagnitude;
    if (min !== undefined && adj !== 0 && Math.abs(change) < min) change = Math.sign(adj) * min;
    desired = base + change;
  }
  desired = Math.max(0, desired);
  if (desired > current) return { policy: t.policy, direction: 'out', desired, alarm: t.alarm.name, ...(outCooling ? { base } : {}) };
  if (desired === current || (outCooling && desired > base)) return none(cooling ? 'in cooldown' : 'the step changes nothing');
  if (cooling) return none('in cooldown');
  return { policy: t.policy, direction: 'in', desired, alarm: t.alarm.name };
}
