import { hostGroupConstraint, hostGroupNameOfArn, isLiveHost, type PlacementConstraint, type Service } from '@stevedore/core';
import type { Store } from '../store/store';

/** `service:NAME` of the cluster's DAEMON services. */
export function daemonGroupsOf(store: Store, cluster: string): Set<string> {
  return new Set(store.services.listByCluster(cluster).filter((s) => s.service.schedulingStrategy === 'DAEMON').map((s) => `service:${s.service.name}`));
}

/**
 * A service with a capacity provider strategy runs only on its providers'
 * hosts: a memberOf constraint on the attribute every host of a group
 * registers with, so placement explains itself as for any constraint.
 * Providers of other kinds (FARGATE) add nothing here.
 */
export function capacityConstraints(store: Store, service: Service): PlacementConstraint[] {
  const strategy = service.capacityProviderStrategy ?? [];
  if (strategy.length === 0) return [];
  const groups: string[] = [];
  for (const item of strategy) {
    const cp = store.capacityProviders.get(item.capacityProvider);
    const g = cp && cp.status === 'ACTIVE' ? hostGroupNameOfArn(cp.autoScalingGroupArn) : undefined;
    if (g) groups.push(g);
  }
  if (groups.length === 0) return [];
  return [hostGroupConstraint(groups)];
}

/**
 * Whether a provider of the service's strategy can still add a host: managed
 * scaling on and its group below its maximum (or still launching). While one
 * can, tasks that do not fit wait for it (ECS: PROVISIONING, no "unable to
 * place" event); once none can, the placement failure is reported as usual.
 */
export function capacityCanGrow(store: Store, service: Service): boolean {
  for (const item of service.capacityProviderStrategy ?? []) {
    const cp = store.capacityProviders.get(item.capacityProvider);
    if (!cp || cp.status !== 'ACTIVE' || cp.managedScaling.status !== 'ENABLED') continue;
    const group = store.hostGroups.get(hostGroupNameOfArn(cp.autoScalingGroupArn) ?? '');
    if (!group || group.status !== 'ACTIVE') continue;
    const hosts = store.hostGroups.hosts(group.name);
    if (group.desiredCapacity < group.spec.maxSize || hosts.some((h) => isLiveHost(h.lifecycleState) && h.lifecycleState !== 'InService')) return true;
  }
  return false;
}
