import { newDeploymentId, type Deployment } from '../model/service';
import { isLostIn, livenessOf } from './instance-liveness';
import { instanceIndexOf } from './instance-index';
import { msg, primaryDeployment, type ReconcileInput, type ReconcileResult, type ServiceTask } from './service-view';
import { isBreakerFailure } from '../deployment/circuit-breaker';
import { completeRollout, currentDeploymentIds, DEFAULT_DEPLOYMENT_TIMEOUT_MS, gateRollout, type DeploymentOptions, type RolloutGate } from '../deployment/rollout';
import { taskHealth, type TaskHealth } from '../deployment/task-health';

/** What a reconcile pass needs to know about the service's deployments. */
export interface DeploymentPlan {
  primary?: Deployment;
  /** Deployments whose tasks are the PRIMARY's own. */
  current: Set<string>;
  health(t: ServiceTask): TaskHealth;
  /** The PRIMARY may launch tasks. */
  launch: boolean;
  /** The circuit breaker watches this rollout: the launch throttle would only delay its verdict. */
  throttleExempt: boolean;
  /** Set when rollouts are tracked (the orchestrator always does; bare reconcile tests may not). */
  gate?: RolloutGate;
  /** Tasks of other deployments not STOPPED yet, on instances that can still stop them. */
  old: number;
  wakeAt?: number;
}

export function deploymentOptions(input: ReconcileInput): DeploymentOptions {
  return {
    // Without options (bare reconcile tests) a check-less RUNNING task counts at once.
    healthyAfterRunningMs: input.deployment?.healthyAfterRunningMs ?? 0,
    timeoutMs: input.deployment?.timeoutMs ?? DEFAULT_DEPLOYMENT_TIMEOUT_MS,
    progressSince: input.deployment?.progressSince ?? 0,
    newDeploymentId: input.deployment?.newDeploymentId ?? (() => newDeploymentId(input.random)),
  };
}

/**
 * Before the strategy decides: which tasks are the PRIMARY's, how healthy
 * they are, and whether the rollout may go on (circuit breaker, timeout).
 */
export function planDeployment(input: ReconcileInput): DeploymentPlan {
  const { service, now } = input;
  const opts = deploymentOptions(input);
  const primary = primaryDeployment(service);
  const current = currentDeploymentIds(service, primary);
  const ctx = { now, graceMs: (service.healthCheckGracePeriodSeconds ?? 0) * 1000, healthyAfterRunningMs: opts.healthyAfterRunningMs };
  const health = (t: ServiceTask) => taskHealth(t, ctx);
  const byInstance = instanceIndexOf(input).byId;
  let healthy = 0;
  let old = 0;
  let failing = 0;
  let wakeAt: number | undefined;
  for (const t of input.tasks) {
    if (t.lastStatus === 'STOPPED') continue;
    if (!current.has(t.startedBy ?? '')) {
      const inst = t.containerInstanceId ? byInstance.get(t.containerInstanceId)?.instance : undefined;
      if (!isLostIn(livenessOf(input), inst)) old++;
      continue;
    }
    const h = health(t);
    if (h.healthy) healthy++;
    if (h.failing && t.startedBy === primary?.id) failing++;
    if (h.wakeAt !== undefined) wakeAt = Math.min(wakeAt ?? Infinity, h.wakeAt);
  }
  const base = { current, health, old, ...(primary ? { primary } : {}), ...(wakeAt !== undefined ? { wakeAt } : {}) };
  if (!primary || input.rollouts === undefined || service.status !== 'ACTIVE') return { ...base, launch: true, throttleExempt: false };
  const stoppedFailures = input.primaryFailures ?? input.tasks.filter((t) => t.startedBy === primary.id && t.desiredStatus === 'STOPPED' && isBreakerFailure(t)).length;
  const gate = gateRollout(service, input.rollouts, primary, { healthy, old, failures: stoppedFailures + failing }, now, opts);
  const inProgress = gate.rollouts[primary.id]?.rolloutState === 'IN_PROGRESS';
  const watched = inProgress && service.schedulingStrategy === 'REPLICA' && service.deploymentConfiguration.deploymentCircuitBreaker.enable;
  if (gate.nextWakeAt !== undefined) base.wakeAt = Math.min(base.wakeAt ?? Infinity, gate.nextWakeAt);
  return { ...base, launch: gate.launch, throttleExempt: watched, gate };
}

/**
 * After the strategy decided: the rollout's new states and events merged
 * into the result. ECS's order of events: deployment started/failed first,
 * "deployment completed" just before "has reached a steady state.", which
 * waits until no task of an older deployment is left.
 */
export function finishDeployment(input: ReconcileInput, plan: DeploymentPlan, result: ReconcileResult): ReconcileResult {
  const out: ReconcileResult = { ...result };
  if (plan.wakeAt !== undefined) out.nextWakeAt = Math.min(out.nextWakeAt ?? Infinity, plan.wakeAt);
  const { gate, primary } = plan;
  if (!gate || !primary) return out;
  const steadyMsg = msg.steady(input.service.name);
  const failed = gate.rollouts[primary.id]?.rolloutState === 'FAILED';
  let events = result.events;
  if (plan.old > 0 || failed) {
    out.steady = false;
    events = events.filter((m) => m !== steadyMsg);
  }
  const desired = input.service.schedulingStrategy === 'DAEMON' ? (result.daemonDesiredCount ?? 0) : input.service.desiredCount;
  const mine = input.tasks.filter((t) => plan.current.has(t.startedBy ?? '') && t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');
  const stopping = new Set(result.stop.map((s) => s.taskId));
  const complete =
    result.place.length === 0 &&
    result.unplaced === 0 &&
    result.stop.length === 0 &&
    plan.old === 0 &&
    mine.length === desired &&
    mine.every((t) => !stopping.has(t.id) && plan.health(t).healthy);
  const done = completeRollout(input.service, gate, primary, complete, input.now);
  const head = gate.events;
  const i = events.indexOf(steadyMsg);
  const body = i < 0 ? [...events, ...done.events] : [...events.slice(0, i), ...done.events, ...events.slice(i)];
  out.events = [...head, ...body];
  out.rollouts = done.rollouts;
  if (gate.rollback) out.rollback = gate.rollback;
  return out;
}
