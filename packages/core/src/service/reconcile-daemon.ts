import { serviceGroup } from '../model/service';
import { buildFilters, type PlacementFilter } from '../placement/filters';
import { consume, explainPlacement, explainPool, type PlacementMetrics } from '../placement/pipeline';
import { StrategyScorer } from '../placement/strategies';
import { isInactive, poolFor, type LostPass } from './reconcile-common';
import type { DeploymentPlan } from './deployment-plan';
import { isLostIn, livenessOf } from './instance-liveness';
import { msg, primaryDeployment, reasons, type ReconcileInput, type ReconcileResult, type ServiceTask, type StopAction } from './service-view';
import { launchThrottle, THROTTLE_FREE_FAILURES } from './throttle';

/**
 * DAEMON: exactly one task on every ACTIVE instance that matches the
 * service's constraints. maximumPercent is 100, so a task to replace is
 * stopped first and its successor placed once the old one has released the
 * instance's resources.
 */
export function reconcileDaemon(input: ReconcileInput, lost: LostPass, plan: DeploymentPlan): ReconcileResult {
  const { service, now } = input;
  const name = service.name;
  const primary = primaryDeployment(service);
  const stop: StopAction[] = [...lost.stop];
  const events: string[] = [];
  const constraints = [...service.placementConstraints, ...input.taskDefinitionConstraints];
  const filters = buildFilters(constraints);
  const constraintFilters = filters.filter((f) => f.key === 'memberOf');
  const pool = poolFor(input, new Set(stop.map((s) => s.taskId)));
  const scorer = new StrategyScorer([], pool, input.random);
  const group = serviceGroup(name);
  const mine = new Map<string, ServiceTask[]>();
  for (const t of lost.active) mine.set(t.containerInstanceId!, [...(mine.get(t.containerInstanceId!) ?? []), t]);
  const throttle = launchThrottle(input.tasks, service.updatedAt, now);
  const throttled = throttle.until !== undefined;
  let nextWakeAt = lost.nextWakeAt;
  if (throttle.until !== undefined) nextWakeAt = Math.min(nextWakeAt ?? Infinity, throttle.until);

  let eligible = 0;
  let unplaced = 0;
  let wanted = 0;
  let explanation: PlacementMetrics | undefined;
  const place: ReconcileResult['place'] = [];
  const kept: ServiceTask[] = [];
  for (const e of pool) {
    const inst = e.instance;
    const tasks = mine.get(inst.id) ?? [];
    if (isLostIn(livenessOf(input), inst)) continue;
    const matches = inst.status === 'ACTIVE' && constraintFilters.every((f) => f.check(e, input.requirement));
    if (matches && service.status === 'ACTIVE') eligible++;
    else if (inst.status === 'DRAINING' && service.status === 'ACTIVE' && othersStillOn(input, inst.id, group)) {
      // ECS order: a draining instance's daemon tasks are the last to stop, after every other task there.
      continue;
    } else {
      const reason = inst.status === 'DRAINING' ? reasons.draining(inst.id) : service.status !== 'ACTIVE' ? reasons.scaling(primary?.id ?? '') : reasons.constraints;
      for (const t of tasks) stop.push({ taskId: t.id, reason, lost: false });
      continue;
    }
    // Keep one good task of the current deployment; everything else goes.
    const ranked = [...tasks].sort((a, b) => rank(a, plan) - rank(b, plan) || a.createdAt - b.createdAt);
    const keep = ranked[0] && rank(ranked[0], plan) < 2 ? ranked[0] : undefined;
    for (const t of ranked) {
      if (t === keep) continue;
      const reason = t.healthStatus === 'UNHEALTHY' ? reasons.unhealthy : reasons.scaling(primary?.id ?? '');
      stop.push({ taskId: t.id, reason, lost: false });
    }
    if (keep) {
      kept.push(keep);
      continue;
    }
    // Wait until a predecessor has really stopped: it still holds the instance's resources.
    const stillStopping = input.instances.find((v) => v.instance.id === inst.id)?.tasks.some((t) => t.group === group && t.desiredStatus === 'STOPPED');
    if (stillStopping || tasks.length > 0 || !inst.agentConnected || !primary || !plan.launch) continue;
    wanted++;
    if (throttled || place.length >= (input.maxPlacements ?? Infinity)) continue;
    if (filters.every((f: PlacementFilter) => f.check(e, input.requirement))) {
      consume(e, input.requirement, group, scorer);
      place.push({ instanceId: inst.id, deploymentId: primary.id });
    } else {
      unplaced++;
      explanation ??= explainPool([e], filters, input.requirement).metrics;
    }
  }
  if (wanted > 0 && throttle.failures > THROTTLE_FREE_FAILURES) events.push(msg.throttled(name));
  if (explanation) events.push(msg.unplaced(name, explainPlacement({ ...explanation, evaluated: pool.length })));
  const steady = service.status === 'ACTIVE' && stop.length === 0 && place.length === 0 && wanted === 0 && kept.length === eligible && kept.every((t) => t.lastStatus === 'RUNNING');
  if (steady) events.push(msg.steady(name));
  const result: ReconcileResult = {
    place,
    stop,
    events,
    unplaced,
    steady,
    daemonDesiredCount: eligible,
    inactive: isInactive(input, stop),
    more: !throttled && place.length < wanted - unplaced,
  };
  if (nextWakeAt !== undefined && Number.isFinite(nextWakeAt)) result.nextWakeAt = nextWakeAt;
  return result;
}

/** Tasks not STOPPED on the instance other than daemon services' (any daemon service's, this one's included). */
function othersStillOn(input: ReconcileInput, instanceId: string, group: string): boolean {
  const view = input.instances.find((v) => v.instance.id === instanceId);
  const daemons = input.daemonGroups ?? new Set([group]);
  return (view?.tasks ?? []).some((t) => t.lastStatus !== 'STOPPED' && t.group !== group && !daemons.has(t.group));
}

/** 0: healthy-looking task of the current deployment, 1: same but not running yet, 2: to replace. */
function rank(t: ServiceTask, plan: DeploymentPlan): number {
  if (plan.health(t).failing || (plan.primary !== undefined && plan.launch && !plan.current.has(t.startedBy ?? ''))) return 2;
  return t.lastStatus === 'RUNNING' ? 0 : 1;
}
