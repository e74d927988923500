import { deploymentBounds, DEFAULT_SERVICE_STRATEGY } from '../model/service';
import { buildFilters, type PoolEntry } from '../placement/filters';
import { explainPlacement, placeInPool } from '../placement/pipeline';
import { isInactive, poolFor, stopLostTasks, type LostPass } from './reconcile-common';
import { lexLess, StrategyScorer } from '../placement/strategies';
import { reconcileDaemon } from './reconcile-daemon';
import { isHealthy, msg, primaryDeployment, reasons, type ReconcileInput, type ReconcileResult, type ServiceTask } from './service-view';
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
  if (input.service.schedulingStrategy === 'DAEMON') return reconcileDaemon(input, common);
  return reconcileReplica(input, common);
}

function reconcileReplica(input: ReconcileInput, lost: LostPass): ReconcileResult {
  const { service, now } = input;
  const primary = primaryDeployment(service);
  const name = service.name;
  const events: string[] = [];
  const stop = [...lost.stop];
  const desired = service.status === 'ACTIVE' ? service.desiredCount : 0;
  const { minHealthy, maxTotal: maxByPercent } = deploymentBounds(desired, service.deploymentConfiguration);
  const maxTotal = Math.max(maxByPercent, desired);

  // Sort what is left into tasks to keep and tasks to retire (replace).
  const good: ServiceTask[] = [];
  const retiring: { task: ServiceTask; reason: string }[] = [];
  for (const t of lost.active) {
    const inst = lost.byInstance.get(t.containerInstanceId!)!.instance;
    if (inst.status === 'DRAINING') {
      // ECS: pending tasks on a draining instance stop at once, running ones within the deployment bounds.
      if (t.lastStatus !== 'RUNNING') stop.push({ taskId: t.id, reason: reasons.draining(inst.id), lost: false });
      else retiring.push({ task: t, reason: reasons.draining(inst.id) });
    } else if (t.healthStatus === 'UNHEALTHY') retiring.push({ task: t, reason: reasons.unhealthy });
    else if (primary && t.startedBy !== primary.id) retiring.push({ task: t, reason: reasons.scaling(primary.id) });
    else good.push(t);
  }

  // Tasks on their way out do not count for spread or distinctInstance: replacements balance against what stays.
  const stopping = new Set([...stop.map((s) => s.taskId), ...retiring.map((r) => r.task.id)]);
  const pool = poolFor(input, stopping);
  const poolById = new Map(pool.map((e) => [e.instance.id, e]));
  const strategies = service.placementStrategy.length > 0 ? service.placementStrategy : DEFAULT_SERVICE_STRATEGY;
  const scorer = new StrategyScorer(strategies, pool, input.random);

  // Scale in: more good tasks than desired.
  let kept = good;
  if (good.length > desired) {
    const chosen = selectForScaleIn(good, good.length - desired, poolById, scorer);
    const reason = primary ? reasons.scaling(primary.id) : 'Scaling activity initiated by the service';
    for (const t of chosen) stop.push({ taskId: t.id, reason, lost: false });
    const gone = new Set(chosen.map((t) => t.id));
    kept = good.filter((t) => !gone.has(t.id));
  }

  // Retire within minimumHealthyPercent / maximumPercent (draining, unhealthy, old deployment).
  let healthy = [...kept, ...retiring.map((r) => r.task)].filter(isHealthy).length;
  let inFlight = kept.length + retiring.length;
  const need = Math.max(0, desired - kept.length);
  const roomBefore = Math.max(0, maxTotal - inFlight);
  let stillRetiring = 0;
  // Not-yet-healthy ones first: stopping them never lowers the healthy count.
  const order = [...retiring].sort((a, b) => Number(isHealthy(a.task)) - Number(isHealthy(b.task)));
  for (const r of order) {
    const canStop = isHealthy(r.task)
      ? healthy - 1 >= minHealthy
      : kept.length + Math.min(need, roomBefore) >= desired || inFlight >= maxTotal;
    if (canStop) {
      stop.push({ taskId: r.task.id, reason: r.reason, lost: false });
      if (isHealthy(r.task)) healthy--;
      inFlight--;
    } else stillRetiring++;
  }

  // Place what is missing, within maximumPercent, the launch throttle and capacity.
  const room = Math.max(0, maxTotal - inFlight);
  let toPlace = Math.min(need, room);
  let nextWakeAt = lost.nextWakeAt;
  const throttle = launchThrottle(input.tasks, service.updatedAt, now);
  if (toPlace > 0 && throttle.failures > THROTTLE_FREE_FAILURES) events.push(msg.throttled(name));
  if (toPlace > 0 && throttle.until !== undefined) {
    toPlace = 0;
    nextWakeAt = Math.min(nextWakeAt ?? Infinity, throttle.until);
  }
  const cap = input.maxPlacements ?? Infinity;
  const more = toPlace > cap;
  toPlace = Math.min(toPlace, cap);
  if (need > 0 && room === 0 && stillRetiring > 0) events.push(msg.stuck(name));

  let unplaced = 0;
  const place: ReconcileResult['place'] = [];
  if (toPlace > 0 && primary) {
    // Pool entries stay in sync with the strategy scorer: the scale-in above never runs together with placement.
    const filters = buildFilters([...service.placementConstraints, ...input.taskDefinitionConstraints]);
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
