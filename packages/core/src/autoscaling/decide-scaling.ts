import type { SuspendedState } from './model';
import { stepScalingProposal, targetTrackingProposal, type PolicyMemory, type PolicyTrigger, type Proposal } from './proposals';

/** A scheduled action whose fire time has come (the autoscaler computed it from the schedule). */
export interface DueScheduledAction {
  name: string;
  firedAt: number;
  minCapacity?: number;
  maxCapacity?: number;
}

export interface ScalingMemory {
  policies: PolicyMemory[];
}

export interface ServiceScalingInput {
  now: number;
  minCapacity: number;
  maxCapacity: number;
  suspendedState: SuspendedState;
  /** The service's desiredCount now (a manual UpdateService included). */
  desiredCount: number;
  /** A deployment is rolling out: no scale-in until it completes. */
  deploymentInProgress: boolean;
  dueScheduledActions: DueScheduledAction[];
  triggers: PolicyTrigger[];
  memory: ScalingMemory;
}

export interface PlannedActivity {
  kind: 'scheduled' | 'policy' | 'bounds';
  /** Application Auto Scaling's Description ("Setting desired count to 4."). */
  description: string;
  /** Its Cause, in words. */
  cause: string;
}

export interface ServiceScalingDecision {
  minCapacity: number;
  maxCapacity: number;
  desiredCount: number;
  activities: PlannedActivity[];
  memory: ScalingMemory;
  /** Every policy's verdict, for logs (debug). */
  proposals: Proposal[];
}

const memoryOf = (m: ScalingMemory, policy: string) => m.policies.find((p) => p.policy === policy);

/**
 * One evaluation of a scalable target: scheduled actions first (they move
 * Min/Max), then the policies, then the bounds. Policies combine by AWS's
 * rule: scale out if any says out (to the largest proposal), scale in only
 * if none says out and every target-tracking policy says in (to the most
 * conservative proposal); a step policy whose alarm is quiet has no vote.
 * Scale-in waits while a deployment rolls out; the result always lies in
 * [Min, Max], so a manual desiredCount outside the bounds is corrected here.
 */
export function decideServiceScaling(input: ServiceScalingInput): ServiceScalingDecision {
  const { now, suspendedState: suspended } = input;
  let min = input.minCapacity;
  let max = input.maxCapacity;
  const activities: PlannedActivity[] = [];
  let boundsCause: string | undefined;

  if (!suspended.ScheduledScalingSuspended) {
    for (const a of [...input.dueScheduledActions].sort((x, y) => x.firedAt - y.firedAt)) {
      if (a.minCapacity === undefined && a.maxCapacity === undefined) continue;
      if (a.minCapacity !== undefined) min = a.minCapacity;
      if (a.maxCapacity !== undefined) max = a.maxCapacity;
      // An action that sets one side past the other carries the other along.
      if (min > max) {
        if (a.minCapacity !== undefined) max = min;
        else min = max;
      }
      const parts = [a.minCapacity !== undefined ? `min capacity to ${min}` : undefined, a.maxCapacity !== undefined ? `max capacity to ${max}` : undefined].filter(Boolean);
      activities.push({ kind: 'scheduled', description: `Setting ${parts.join(' and ')}`, cause: `scheduled action name ${a.name} was triggered` });
      boundsCause = a.minCapacity !== undefined && input.desiredCount < min ? `minimum capacity was set to ${min}` : a.maxCapacity !== undefined && input.desiredCount > max ? `maximum capacity was set to ${max}` : boundsCause;
    }
  }

  const current = input.desiredCount;
  const proposals = input.triggers.map((t) =>
    t.kind === 'target-tracking' ? targetTrackingProposal(t, current, memoryOf(input.memory, t.policy), now) : stepScalingProposal(t, current, memoryOf(input.memory, t.policy), now),
  );
  let desired = current;
  let chosen: Proposal | undefined;
  const outs = proposals.filter((p) => p.direction === 'out');
  if (outs.length > 0 && !suspended.DynamicScalingOutSuspended) {
    chosen = outs.reduce((a, b) => (b.desired > a.desired ? b : a));
  } else if (outs.length === 0 && !suspended.DynamicScalingInSuspended && !input.deploymentInProgress) {
    const ins = proposals.filter((p) => p.direction === 'in');
    const trackingAgree = input.triggers.every((t, i) => t.kind !== 'target-tracking' || proposals[i]!.direction === 'in');
    if (ins.length > 0 && trackingAgree) chosen = ins.reduce((a, b) => (b.desired > a.desired ? b : a));
  }

  const clamp = (n: number) => Math.min(max, Math.max(min, n));
  if (chosen) {
    const to = clamp(chosen.desired);
    if (to !== current) {
      desired = to;
      const limit = to !== chosen.desired ? ` (limited by the ${to > chosen.desired ? 'minimum' : 'maximum'} capacity ${to})` : '';
      activities.push({
        kind: 'policy',
        description: `Setting desired count to ${to}.`,
        cause: `monitor alarm ${chosen.alarm} in state ALARM triggered policy ${chosen.policy} changing the desired capacity from ${current} to ${to}${limit}`,
      });
    }
  }
  const bounded = clamp(desired);
  // Lowering the count to a new maximum is a scale-in too: it waits for the deployment.
  if (bounded !== desired && !(bounded < desired && input.deploymentInProgress)) {
    activities.push({
      kind: 'bounds',
      description: `Setting desired count to ${bounded}.`,
      cause: boundsCause ?? (desired < min ? `the desired count ${desired} was below the minimum capacity ${min}` : `the desired count ${desired} was above the maximum capacity ${max}`),
    });
    desired = bounded;
  }

  let memory = input.memory;
  if (chosen && desired !== current) {
    const direction = desired > current ? 'out' : 'in';
    const prev = memoryOf(memory, chosen.policy) ?? { policy: chosen.policy };
    const next: PolicyMemory = { ...prev, lastTo: desired, ...(direction === 'out' ? { lastScaleOutAt: now, lastFrom: chosen.base ?? current } : { lastScaleInAt: now }) };
    memory = { policies: [...memory.policies.filter((p) => p.policy !== chosen!.policy), next] };
  }
  return { minCapacity: min, maxCapacity: max, desiredCount: desired, activities, memory, proposals };
}

/** Forget the memory of policies that no longer exist (a deleted and re-created policy starts fresh). */
export function pruneMemory(memory: ScalingMemory, policies: readonly string[]): ScalingMemory {
  const keep = new Set(policies);
  return { policies: memory.policies.filter((p) => keep.has(p.policy)) };
}
