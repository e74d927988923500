import {
  DEFAULT_RUN_TASK_STRATEGY,
  HOST_GROUP_ATTRIBUTE,
  hostGroupNameOfArn,
  isLiveHost,
  type CapacityProviderStrategyItem,
  type ContainerInstance,
  type ProvisioningTask,
  type Task,
} from '@stevedore/core';
import type { Store } from './store';

/**
 * Store reads about host-group capacity providers that RunTask and the
 * orchestrator share (docs/design/capacity-providers.md): which provider an
 * instance belongs to, and which providers can still add a host.
 */

/** Host group name -> the ACTIVE capacity provider using it. */
export function providersByGroup(store: Store): Map<string, string> {
  const out = new Map<string, string>();
  for (const cp of store.capacityProviders.list()) {
    const g = cp.status === 'ACTIVE' ? hostGroupNameOfArn(cp.autoScalingGroupArn) : undefined;
    if (g) out.set(g, cp.name);
  }
  return out;
}

/** The capacity provider whose host group an instance belongs to (its agent registered the group attribute). */
export function providerOfInstance(byGroup: ReadonlyMap<string, string>, i: ContainerInstance): string | undefined {
  const g = i.attributes.find((a) => a.name === HOST_GROUP_ATTRIBUTE)?.value;
  return g !== undefined ? byGroup.get(g) : undefined;
}

/** Whether a strategy names host-group providers (FARGATE strategies go the Fargate way). */
export function isHostGroupStrategy(store: Store, strategy: readonly CapacityProviderStrategyItem[] | undefined): boolean {
  return (strategy ?? []).some((s) => store.capacityProviders.get(s.capacityProvider)?.status === 'ACTIVE');
}

/**
 * Providers that can still add a host: managed scaling on, the group ACTIVE
 * and below its maximum, or a host of it still launching (or about to be:
 * fewer live hosts than its desired capacity). Tasks of these
 * wait in PROVISIONING; tasks of the others fail as placements do.
 */
export function growingProviders(store: Store): Set<string> {
  const out = new Set<string>();
  for (const cp of store.capacityProviders.list()) {
    if (cp.status !== 'ACTIVE' || cp.managedScaling.status !== 'ENABLED') continue;
    const group = store.hostGroups.get(hostGroupNameOfArn(cp.autoScalingGroupArn) ?? '');
    if (!group || group.status !== 'ACTIVE') continue;
    const live = store.hostGroups.hosts(group.name).filter((h) => isLiveHost(h.lifecycleState));
    // A host counts as launching until its agent's session is open: registered is not yet placeable.
    const ready = (id: string | undefined) => {
      const i = id !== undefined ? store.instances.get(id) : undefined;
      return i !== undefined && i.status === 'ACTIVE' && i.agentConnected;
    };
    const launching = live.some((h) => h.lifecycleState !== 'InService' || !ready(h.containerInstanceId));
    // Below its desired capacity: the host group controller has yet to write the launches the scaler just asked for.
    if (group.desiredCapacity < group.spec.maxSize || launching || live.length < group.desiredCapacity) out.add(cp.name);
  }
  return out;
}

/** A PROVISIONING task as the pure placer takes it. */
export function toProvisioningTask(t: Task): ProvisioningTask {
  return {
    id: t.id,
    group: t.group,
    requirement: { cpu: t.cpu, memory: t.memory, hostPorts: t.hostPorts },
    capacityProviderName: t.capacityProviderName ?? '',
    placementConstraints: t.provisioning?.placementConstraints ?? [],
    placementStrategy: t.provisioning?.placementStrategy ?? DEFAULT_RUN_TASK_STRATEGY,
    createdAt: t.createdAt,
  };
}
