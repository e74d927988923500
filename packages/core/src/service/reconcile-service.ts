import { DEFAULT_SERVICE_STRATEGY } from '../model/service';
import { nextStep } from '../deployment/next-step';
import { finishDeployment, planDeployment, type DeploymentPlan } from './deployment-plan';
import { buildFilters, type PoolEntry } from '../placement/filters';
import { explainPlacement, placeInPool } from '../placement/pipeline';
import { isInactive, poolFor, stopLostTasks, type LostPass } from './reconcile-common';
import { lexLess, StrategyScorer } from '../placement/strategies';
import { reconcileDaemon } from './reconcile-daemon';
import { msg, reasons, type ReconcileInput, type ReconcileResult, type ServiceTask } from './service-view';
import { launchThrottle, THROTTLE_FREE_FAILURES } from './throttle';

/**
 * The service reconciler's decision (Nomad `ReconcileResults`): from the
 * service, its tasks and the cluster's instances at `now`, which tasks to
 * start where and which to stop, each with a reason. Pure: the loop around it
 * loads the snapshot and applies the result in one transaction, so running it
 * twice on the same state decides the same thing.
 */
export function reconcileService(input: ReconcileInput): ReconcileResult {
  const common = stopLostTasks(input);
  const plan = planDeployment(input);
  // A rollback is a decision of its own: the next pass places for the new PRIMARY.
  if (plan.gate?.rollback) {
    const r: ReconcileResult = { place: [], stop: common.stop, events: [], unplaced: 0, steady: false, inactive: false, more: false };
    return finishDeployment(input, plan, r);
  }
  const result = input.service.schedulingStrategy === 'DAEMON' ? reconcileDaemon(input, common, plan) : reconcileReplica(input, common, plan);
  return finishDeployment(input, plan, result);
}

function reconcileReplica(input: ReconcileInput, lost: LostPass, plan: DeploymentPlan): ReconcileResult {
  const { service, now } = input;
  const primary = plan.primary;
  const name = service.name;
  const events: string[] = [];
  const stop = [...lost.stop];
  const desired = service.status === 'ACTIVE' ? service.desiredCount : 0;

  // Sort what is left into tasks to keep and tasks to retire (replace).
  const good: ServiceTask[] = [];
  const retiring: { task: ServiceTask; reason: string }[] = [];
  for (const t of lost.active) {
    const inst = t.containerInstanceId !== undefined ? lost.byInstance.get(t.containerInstanceId)?.instance : undefined;
    if (!inst) {
      // PROVISIONING (waiting for a host): counts as on its way; one of an older deployment is dropped at once.
      if (primary && !plan.current.has(t.startedBy ?? '') && plan.launch) stop.push({ taskId: t.id, reason: reasons.scaling(primary.id), lost: false });
      else good.push(t);
    } else if (inst.status === 'DRAINING') {
      // ECS: pending tasks on a draining instance stop at once, running ones within the deployment bounds.
      if (t.lastStatus !== 'RUNNING') stop.push({ taskId: t.id, reason: reasons.draining(inst.id), lost: false });
      else retiring.push({ task: t, reason: reasons.draining(inst.id) });
    } else if (plan.health(t).failing) retiring.push({ task: t, reason: t.healthStatus === 'UNHEALTHY' ? reasons.unhealthy : t.unhealthyTargetGroupArn ? `${reasons.targetUnhealthy} in (target-group ${t.unhealthyTargetGroupArn})` : reasons.targetUnhealthy });
    // A FAILED deployment launches nothing, so the older tasks stay.
    else if (primary && !plan.current.has(t.startedBy ?? '') && plan.launch) retiring.push({ task: t, reason: reasons.scaling(primary.id) });
    else good.push(t);
  }

  // Tasks on their way out do not count for spread or distinctInstance: replacements balance against what stays.
  const stopping = new Set([...stop.map((s) => s.taskId), ...retiring.map((r) => r.task.id)]);
  // Built on first use only: most passes neither scale in nor place (a task's report woke the service),
  // and the pool costs a copy of every instance. Nothing draws from `random` before that use, so the draws are the same.
  let built: { pool: PoolEntry[]; poolById: Map<string, PoolEntry>; scorer: StrategyScorer } | undefined;
  const placing = () => {
    if (built) return built;
    const pool = poolFor(input, stopping);
    const strategies = service.placementStrategy.length > 0 ? service.placementStrategy : DEFAULT_SERVICE_STRATEGY;
    return (built = { pool, poolById: new Map(pool.map((e) => [e.instance.id, e])), scorer: new StrategyScorer(strategies, pool, input.random) });
  };

  // Scale in: more good tasks than desired.
  let kept = good;
  if (good.length > desired) {
    // ECS task scale-in protection: a protected task is never chosen; the service runs above its desired count until protection ends.
    const eligible = good.filter((t) => !t.scaleInProtected);
    const { poolById, scorer } = placing();
    const chosen = selectForScaleIn(eligible, Math.min(good.length - desired, eligible.length), poolById, scorer);
    if (chosen.length < good.length - desired) events.push(msg.scaleInProtected(name, good.length - eligible.length));
    const reason = primary ? reasons.scaling(primary.id) : 'Scaling activity initiated by the service';
    for (const t of chosen) stop.push({ taskId: t.id, reason, lost: false });
    const gone = new Set(chosen.map((t) => t.id));
    kept = good.filter((t) => !gone.has(t.id));
  }

  // Replace within minimumHealthyPercent / maximumPercent (old deployment, draining, failed checks).
  const step = nextStep({
    desired,
    configuration: service.deploymentConfiguration,
    keep: kept.map((t) => stepTask(t, plan)),
    // ECS: a protected task of an older deployment stays until its protection ends (failing or draining ones still go).
    replace: retiring.map((r) => ({ ...stepTask(r.task, plan), reason: r.reason, ...(r.task.scaleInProtected && r.reason === reasons.scaling(primary?.id ?? '') ? { held: true } : {}) })),
    canStart: plan.launch,
  });
  for (const s of step.stop) stop.push({ ...s, lost: false });

  // Place what is missing, within the step, the launch throttle and capacity.
  let toPlace = step.start;
  let nextWakeAt = lost.nextWakeAt;
  // The circuit breaker watches this rollout: backing off would only delay its verdict.
  const throttle = plan.throttleExempt ? { failures: 0 } : launchThrottle(input.tasks, service.updatedAt, now);
  if (toPlace > 0 && throttle.failures > THROTTLE_FREE_FAILURES) events.push(msg.throttled(name));
  if (toPlace > 0 && throttle.until !== undefined) {
    toPlace = 0;
    nextWakeAt = Math.min(nextWakeAt ?? Infinity, throttle.until);
  }
  const cap = input.maxPlacements ?? Infinity;
  const more = toPlace > cap;
  toPlace = Math.min(toPlace, cap);
  if (step.blocked) events.push(msg.stuck(name));

  let unplaced = 0;
  const place: ReconcileResult['place'] = [];
  if (toPlace > 0 && primary) {
    // Pool entries stay in sync with the strategy scorer: the scale-in above never runs together with placement.
    const filters = buildFilters([...service.placementConstraints, ...input.taskDefinitionConstraints]);
    const { pool, scorer } = placing();
    const r = placeInPool(pool, filters, scorer, input.requirement, toPlace, `service:${name}`);
    for (const instanceId of r.placements) place.push({ instanceId, deploymentId: primary.id });
    unplaced = r.unplaced;
    if (r.unplaced > 0) events.push(msg.unplaced(name, explainPlacement(r.metrics)));
  }

  const stopSet = new Set(stop.map((s) => s.taskId));
  const steady =
    service.status === 'ACTIVE' &&
    stop.length === 0 &&
    place.length === 0 &&
    unplaced === 0 &&
    retiring.length === 0 &&
    kept.length === desired &&
    kept.every((t) => t.lastStatus === 'RUNNING' && !stopSet.has(t.id));
  if (steady) events.push(msg.steady(name));

  const result: ReconcileResult = { place, stop, events, unplaced, steady, inactive: isInactive(input, stop), more };
  if (nextWakeAt !== undefined && Number.isFinite(nextWakeAt)) result.nextWakeAt = nextWakeAt;
  return result;
}

/** A task as the deployment step sees it: healthy, unproven (on its way, protected by the floor) or neither. */
function stepTask(t: ServiceTask, plan: DeploymentPlan) {
  const h = plan.health(t);
  return { id: t.id, healthy: h.healthy, unproven: h.unproven };
}

/**
 * Which tasks a scale-in stops: tasks not yet RUNNING first (newest first),
 * then the service's placement strategy in reverse, one task at a time so
 * each choice sees the previous one (spread stays balanced).
 */
function selectForScaleIn(good: ServiceTask[], count: number, pool: Map<string, PoolEntry>, scorer: StrategyScorer): ServiceTask[] {
  const pending = good.filter((t) => t.lastStatus !== 'RUNNING').sort((a, b) => b.createdAt - a.createdAt);
  const chosen = pending.slice(0, count);
  for (const t of chosen) {
    const e = pool.get(t.containerInstanceId!);
    if (e) scorer.adjust(e, -1, t);
  }
  const left = good.filter((t) => t.lastStatus === 'RUNNING');
  while (chosen.length < count && left.length > 0) {
    let bestIdx = 0;
    let bestKey: number[] | undefined;
    left.forEach((t, i) => {
      const e = pool.get(t.containerInstanceId!);
      const key = e ? scorer.removeKey(e) : [-Infinity];
      if (!bestKey || lexLess(key, bestKey)) {
        bestKey = key;
        bestIdx = i;
      }
    });
    const [t] = left.splice(bestIdx, 1);
    chosen.push(t!);
    const e = pool.get(t!.containerInstanceId!);
    if (e) scorer.adjust(e, -1, t!);
  }
  return chosen;
}
