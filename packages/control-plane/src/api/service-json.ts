import { arns, currentDeploymentIds, primaryDeployment, serviceGroup, toEcsTimestamp, type ArnContext, type Service } from '@stevedore/core';
import type { Store } from '../store/store';
import type { StoredService } from '../store/services-repo';

/**
 * Service -> ECS JSON. Counts are derived from the tasks at read time
 * (totals across deployments, as ECS reports them); a non-PRIMARY deployment
 * is shown while it still has tasks.
 */
export function serviceJson(arn: ArnContext, store: Store, stored: StoredService, include: string[] = []) {
  const { service: s, runtime } = stored;
  const counts = store.tasks.countByStartedBy(s.clusterName, serviceGroup(s.name));
  const desired = s.schedulingStrategy === 'DAEMON' ? (s.status === 'ACTIVE' ? (runtime.daemonDesiredCount ?? 0) : 0) : s.desiredCount;
  let running = 0;
  let pending = 0;
  for (const d of s.deployments) {
    running += counts.get(d.id)?.running ?? 0;
    pending += counts.get(d.id)?.pending ?? 0;
  }
  // A rollback's PRIMARY owns the tasks of the deployment it restores: they are shown as its own.
  const primary = primaryDeployment(s);
  const adopted = currentDeploymentIds(s, primary);
  if (primary) adopted.delete(primary.id);
  const countOf = (id: string) => {
    const c = { ...(counts.get(id) ?? { running: 0, pending: 0 }) };
    if (id !== primary?.id) return c;
    for (const a of adopted) {
      c.running += counts.get(a)?.running ?? 0;
      c.pending += counts.get(a)?.pending ?? 0;
    }
    return c;
  };
  const deployments = s.deployments
    .filter((d) => d.status === 'PRIMARY' || (!adopted.has(d.id) && (counts.get(d.id)?.running ?? 0) + (counts.get(d.id)?.pending ?? 0) > 0))
    .map((d) => {
      const rollout = runtime.rollouts[d.id];
      const c = countOf(d.id);
      return {
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinitionArn,
        desiredCount: d.status === 'PRIMARY' ? desired : 0,
        pendingCount: c.pending,
        runningCount: c.running,
        failedTasks: store.tasks.countDeploymentFailures(s.clusterName, serviceGroup(s.name), d.id),
        createdAt: toEcsTimestamp(d.createdAt),
        updatedAt: toEcsTimestamp(rollout?.updatedAt ?? d.createdAt),
        ...launchMembers(s),
        rolloutState: rollout?.rolloutState ?? 'IN_PROGRESS',
        rolloutStateReason: rollout?.rolloutStateReason ?? `ECS deployment ${d.id} in progress.`,
      };
    });
  const out: Record<string, unknown> = {
    serviceArn: arns.service(arn, s.clusterName, s.name),
    serviceName: s.name,
    clusterArn: arns.cluster(arn, s.clusterName),
    loadBalancers: s.loadBalancers ?? [],
    serviceRegistries: [],
    status: s.status,
    desiredCount: desired,
    runningCount: running,
    pendingCount: pending,
    ...launchMembers(s),
    taskDefinition: s.taskDefinitionArn,
    deploymentConfiguration: s.deploymentConfiguration,
    deployments,
    events: runtime.events.map((e) => ({ id: e.id, createdAt: toEcsTimestamp(e.createdAt), message: e.message })),
    createdAt: toEcsTimestamp(s.createdAt),
    placementConstraints: s.placementConstraints,
    placementStrategy: s.placementStrategy,
    schedulingStrategy: s.schedulingStrategy,
    deploymentController: { type: 'ECS' },
    enableECSManagedTags: s.enableECSManagedTags,
    propagateTags: s.propagateTags,
    enableExecuteCommand: s.enableExecuteCommand === true,
  };
  if (s.awsvpcConfiguration !== undefined) out['networkConfiguration'] = { awsvpcConfiguration: s.awsvpcConfiguration };
  if (s.healthCheckGracePeriodSeconds !== undefined) out['healthCheckGracePeriodSeconds'] = s.healthCheckGracePeriodSeconds;
  if (s.createdBy !== undefined) out['createdBy'] = s.createdBy;
  if (include.includes('TAGS')) out['tags'] = s.tags;
  return out;
}

/** ECS shows either launchType or capacityProviderStrategy, plus the platform of FARGATE services. */
function launchMembers(s: Service): Record<string, unknown> {
  const out: Record<string, unknown> = s.capacityProviderStrategy ? { capacityProviderStrategy: s.capacityProviderStrategy } : { launchType: s.launchType ?? 'EC2' };
  if (s.platformVersion !== undefined) {
    out['platformVersion'] = s.platformVersion;
    out['platformFamily'] = 'Linux';
  }
  return out;
}
