import { arns, idOf, InvalidParameterException, requestStop, SPOT_INTERRUPTION_REASON } from '@stevedore/core';
import type { RequestContext } from '../context';
import { Params } from '../params';
import { requireCluster } from '../lookups';

/**
 * Stevedore_20261125.InterruptSpotTasks: the cluster operator reclaims
 * FARGATE_SPOT capacity (ECS has no API for it: AWS reclaims Spot). Each
 * task chosen (the ones named, else up to `count` of the cluster's
 * FARGATE_SPOT tasks, optionally only those on one container instance)
 * stops as ECS stops an interrupted Spot task: stopCode SpotInterruption,
 * SIGTERM with two minutes before SIGKILL (the agent's stop), and a service
 * replaces it as it replaces any stopped task.
 */
export function interruptSpotTasks(ctx: RequestContext, body: unknown) {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const refs = p.stringList('tasks', { max: 100 });
  const count = p.integer('count', { min: 1, max: 1000 });
  const instanceRef = p.string('containerInstance', { max: 2048 });
  if (refs !== undefined && (count !== undefined || instanceRef !== undefined)) {
    throw new InvalidParameterException('tasks names the tasks to interrupt: give it alone, or count and/or containerInstance instead.', 'tasks');
  }
  return ctx.store.tx(() => {
    const now = ctx.clock.now();
    const spot = ctx.store.tasks.activeInCluster(cluster.name).filter((t) => t.capacityProviderName === 'FARGATE_SPOT' && t.desiredStatus === 'RUNNING');
    let chosen = spot;
    if (refs !== undefined) {
      const wanted = new Set(refs.map((r) => idOf(r)));
      chosen = spot.filter((t) => wanted.has(t.id));
    } else {
      const instanceId = instanceRef === undefined ? undefined : idOf(instanceRef);
      chosen = spot.filter((t) => instanceId === undefined || t.containerInstanceId === instanceId).slice(0, count ?? spot.length);
    }
    const interrupted: string[] = [];
    for (const t of chosen) {
      const next = requestStop(t, { stopCode: 'SpotInterruption', reason: SPOT_INTERRUPTION_REASON, now });
      if (!next) continue;
      ctx.store.tasks.put({ ...next, seq: t.seq });
      interrupted.push(arns.task(ctx.arn, t.clusterName, t.id));
    }
    ctx.log.info({ cluster: cluster.name, interrupted: interrupted.length }, 'spot tasks interrupted');
    return { interruptedTasks: interrupted };
  });
}
