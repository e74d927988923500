import { hostGroupConstraint, hostGroupNameOfArn, type PlacementConstraint, type Service } from '@stevedore/core';
import type { Store } from '../store/store';
import { growingProviders } from '../store/capacity-view';

/** `service:NAME` of the cluster's DAEMON services. */
export function daemonGroupsOf(store: Store, cluster: string): Set<string> {
  return new Set(store.services.daemonNames(cluster).map((name) => `service:${name}`));
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
 * Whether a provider of the service's strategy can still add a host
 * (store/capacity-view.ts). While one can, tasks that do not fit wait for it
 * in PROVISIONING (no "unable to place" event); once none can, the
 * placement failure is reported as usual.
 */
export function capacityCanGrow(store: Store, service: Service): boolean {
  const growing = growingProviders(store);
  return (service.capacityProviderStrategy ?? []).some((item) => growing.has(item.capacityProvider));
}
