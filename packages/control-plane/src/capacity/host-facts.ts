import { hostGroupNameOfArn, type HostGroup, type HostGroupHost, type HostGroupHostView } from '@stevedore/core';
import type { Store } from '../store/store';

/** Groups of the DAEMON services of a cluster (`service:NAME`): their tasks do not keep a host busy. */
export function daemonGroups(store: Store, cluster: string): Set<string> {
  return new Set(
    store.services
      .listByCluster(cluster)
      .filter((s) => s.service.schedulingStrategy === 'DAEMON')
      .map((s) => `service:${s.service.name}`),
  );
}

/** Tasks not STOPPED on an instance, split into daemon services' and the rest. */
export function taskCounts(store: Store, instanceId: string | undefined, daemons: ReadonlySet<string>): { daemonTasks: number; nonDaemonTasks: number } {
  if (!instanceId) return { daemonTasks: 0, nonDaemonTasks: 0 };
  let daemonTasks = 0;
  let nonDaemonTasks = 0;
  for (const t of store.tasks.activeOnInstance(instanceId)) {
    if (daemons.has(t.group)) daemonTasks++;
    else nonDaemonTasks++;
  }
  return { daemonTasks, nonDaemonTasks };
}

/**
 * The instance a host registered, if it has: the one whose certificate was
 * issued against the host's one-use join token. Registered means the
 * instance row exists (the agent joined, then registered).
 */
export function joinedInstance(store: Store, host: HostGroupHost): string | undefined {
  if (host.containerInstanceId) return host.containerInstanceId;
  if (!host.joinTokenId) return undefined;
  const id = store.agentPki.instanceJoinedWith(host.joinTokenId);
  if (!id) return undefined;
  const inst = store.instances.get(id);
  return inst && inst.status !== 'INACTIVE' ? id : undefined;
}

export function hostView(store: Store, host: HostGroupHost, daemons: ReadonlySet<string>): HostGroupHostView {
  const instance = joinedInstance(store, host);
  return {
    id: host.id,
    lifecycleState: host.lifecycleState,
    launchedAt: host.launchedAt,
    ...(host.createdAt !== undefined ? { createdAt: host.createdAt } : {}),
    ...(instance ? { containerInstanceId: instance } : {}),
    ...taskCounts(store, instance, daemons),
  };
}

/** The capacity provider whose autoScalingGroupArn names the group (one at most, as ECS allows). */
export function providerOfGroup(store: Store, group: HostGroup) {
  return store.capacityProviders.list().find((p) => p.status === 'ACTIVE' && hostGroupNameOfArn(p.autoScalingGroupArn) === group.name);
}
