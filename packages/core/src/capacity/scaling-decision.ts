import { capacityProviderReservation } from './reservation';

/** ECS's managedScaling of a capacity provider. */
export interface ManagedScaling {
  status: 'ENABLED' | 'DISABLED';
  targetCapacity: number;
  minimumScalingStepSize: number;
  maximumScalingStepSize: number;
  instanceWarmupPeriod: number;
}

export const DEFAULT_MANAGED_SCALING: ManagedScaling = { status: 'DISABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10_000, instanceWarmupPeriod: 300 };

export interface ScalingInput {
  /** Hosts needed (M) and hosts running (N). */
  m: number;
  n: number;
  /** Hosts the group is launching and not yet counted in N (warming up). */
  launching: number;
  currentDesired: number;
  groupMin: number;
  groupMax: number;
  scaling: ManagedScaling;
  /** Since when the reservation has been below target (scale in waits a cooldown), or undefined. */
  belowTargetSince: number | undefined;
  scaleInCooldownMs: number;
  now: number;
}

export interface ScalingDecision {
  reservation: number;
  desired: number;
  /** 'out', 'in', or 'hold' with why. */
  direction: 'out' | 'in' | 'hold';
  reason: string;
  /** Carry forward for the next decision. */
  belowTargetSince: number | undefined;
}

/**
 * One step of ECS managed scaling. Above target: the capacity the target asks
 * for (ceil(M × 100 / target)), but at least minimumScalingStepSize and at
 * most maximumScalingStepSize more than now; hosts still launching count as
 * there, so a slow join never doubles a step. Below target for a whole
 * cooldown: down toward the same figure, at most maximumScalingStepSize at a
 * time. Always inside the group's min and max.
 */
export function decideScaling(x: ScalingInput): ScalingDecision {
  const { m, n, scaling } = x;
  const reservation = capacityProviderReservation(m, n);
  const clamp = (d: number) => Math.min(x.groupMax, Math.max(x.groupMin, d));
  const wanted = Math.ceil((m * 100) / scaling.targetCapacity);
  const hold = (reason: string, since: number | undefined): ScalingDecision => ({ reservation, desired: clamp(x.currentDesired), direction: 'hold', reason, belowTargetSince: since });
  if (scaling.status !== 'ENABLED') return hold('managed scaling is disabled', undefined);
  const have = n + x.launching;
  if (reservation > scaling.targetCapacity) {
    if (wanted <= have) return hold(`waiting for ${x.launching} launching host(s)`, undefined);
    const step = Math.min(scaling.maximumScalingStepSize, Math.max(scaling.minimumScalingStepSize, wanted - have));
    const desired = clamp(Math.max(x.currentDesired, have + step));
    if (desired <= x.currentDesired) return { ...hold(desired >= x.groupMax ? `at the group's maximum size ${x.groupMax}` : 'nothing to add', undefined) };
    return { reservation, desired, direction: 'out', reason: `CapacityProviderReservation ${fmt(reservation)} > target ${scaling.targetCapacity}: ${x.currentDesired} -> ${desired}`, belowTargetSince: undefined };
  }
  if (reservation < scaling.targetCapacity && x.launching === 0) {
    const since = x.belowTargetSince ?? x.now;
    if (x.now - since < x.scaleInCooldownMs) return hold('below target, in the scale-in cooldown', since);
    const desired = clamp(Math.max(wanted, n - scaling.maximumScalingStepSize));
    if (desired >= x.currentDesired) return hold(desired <= x.groupMin ? `at the group's minimum size ${x.groupMin}` : 'nothing to remove', since);
    return { reservation, desired, direction: 'in', reason: `CapacityProviderReservation ${fmt(reservation)} < target ${scaling.targetCapacity}: ${x.currentDesired} -> ${desired}`, belowTargetSince: undefined };
  }
  return hold('at target', undefined);
}

function fmt(r: number): string {
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}
