import type { HealthStatus } from '../status/container-status';
import type { RegisteredTarget, TargetHealth, TargetHealthObservation } from '../model/load-balancer';

export const HEALTH_TEXT = {
  initial: 'Initial health checks in progress',
  registering: 'Target registration is in progress',
  draining: 'Target deregistration is in progress',
  notInUse: 'Target group is not configured to receive traffic from the load balancer',
  noHosts: 'No connected container instance runs a load balancer that uses this target group',
} as const;

export interface TargetHealthContext {
  /** Some listener or rule of some load balancer forwards to the target group. */
  inUse: boolean;
  /** Container instances running such a load balancer whose agent is connected: their reports count. */
  reporters: ReadonlySet<string>;
}

/**
 * The ELB state of one target, from the HAProxy observations of the
 * load-balancer hosts that check it. ELB nodes check independently; Stevedore
 * calls a target healthy when any host sees it healthy (it can serve traffic
 * through that host), unhealthy when none does and one sees it failing, and
 * initial until then. Draining and unused come from the control plane.
 */
export function aggregateTargetHealth(target: RegisteredTarget, observations: TargetHealthObservation[], ctx: TargetHealthContext): TargetHealth {
  if (target.state === 'draining') return { state: 'draining', reason: 'Target.DeregistrationInProgress', description: HEALTH_TEXT.draining };
  if (!ctx.inUse) return { state: 'unused', reason: 'Target.NotInUse', description: HEALTH_TEXT.notInUse };
  if (ctx.reporters.size === 0) return { state: 'unused', reason: 'Target.NotInUse', description: HEALTH_TEXT.noHosts };
  const mine = observations.filter((o) => o.registrationId === target.registrationId && ctx.reporters.has(o.reporterInstanceId));
  if (mine.some((o) => o.state === 'healthy')) return { state: 'healthy' };
  const failing = mine.find((o) => o.state === 'unhealthy');
  if (failing) {
    const h: TargetHealth = { state: 'unhealthy', reason: failing.reason ?? 'Target.FailedHealthChecks' };
    if (failing.description !== undefined) h.description = failing.description;
    return h;
  }
  if (mine.length === 0) return { state: 'initial', reason: 'Elb.RegistrationInProgress', description: HEALTH_TEXT.registering };
  return { state: 'initial', reason: 'Elb.InitialHealthChecking', description: HEALTH_TEXT.initial };
}

/**
 * The load-balancer half of a service task's health, for the orchestrator's
 * `ServiceTask.targetHealth` (deployments gate on it, unhealthy tasks are
 * replaced): HEALTHY once the task has a healthy target in each of the
 * service's target groups, UNHEALTHY when any of its targets is unhealthy,
 * UNKNOWN otherwise (not registered yet, initial, unused, draining).
 * `expectedTargetGroups` is the service's `loadBalancers.length`.
 */
export function taskTargetHealth(targets: { targetGroupArn: string; health: TargetHealth }[], expectedTargetGroups: number): HealthStatus {
  if (targets.some((t) => t.health.state === 'unhealthy')) return 'UNHEALTHY';
  const healthyGroups = new Set(targets.filter((t) => t.health.state === 'healthy').map((t) => t.targetGroupArn));
  return expectedTargetGroups > 0 && healthyGroups.size >= expectedTargetGroups ? 'HEALTHY' : 'UNKNOWN';
}
