import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  appendServiceEvents,
  assignToInstance,
  chooseCapacityProvider,
  DEFAULT_SERVICE_STRATEGY,
  msg,
  newTask,
  placeProvisioningTasks,
  PROVISIONING_TASKS_PER_CLUSTER,
  fits,
  requestStop,
  serviceGroup,
  type PlacementConstraint,
  type Random,
  type Service,
  type TaskDefinition,
  type TaskRequirement,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { StoredTask } from '../store/tasks-repo';
import { growingProviders, providerOfInstance, providersByGroup, toProvisioningTask } from '../store/capacity-view';
import type { ClusterSnapshot } from './cluster-snapshot';
import { serviceTaskSpec } from './service-task-tags';

/** What a service launched through host-group capacity providers needs to create its tasks in PROVISIONING. */
export interface ServiceProvisioning {
  /** A provider of the strategy can still add a host: tasks that fit nowhere wait instead of failing. */
  canGrow: boolean;
  /** The service's own binding constraints (without the host-group one). */
  constraints: PlacementConstraint[];
}

/**
 * A service with a host-group strategy creates its new tasks in
 * PROVISIONING, each with the provider base and weight give it (counting
 * the providers of the service's tasks already there), and the placer puts
 * them on their provider's hosts in the same tick: so base/weight hold at
 * placement, and tasks that fit nowhere wait for the provider to scale (they
 * count in the service's pendingCount and in the provider's M). Bounded by
 * the cluster's PROVISIONING quota; the rest stay missing until later.
 */
export function createProvisioningTasks(
  store: Store,
  snapshot: ClusterSnapshot,
  service: Service,
  td: TaskDefinition,
  deploymentIds: string[],
  constraints: PlacementConstraint[],
  now: number,
): StoredTask[] {
  const strategy = service.capacityProviderStrategy ?? [];
  const room = Math.max(0, PROVISIONING_TASKS_PER_CLUSTER - store.tasks.countProvisioning(service.clusterName));
  const counts = new Map<string, number>();
  for (const t of snapshot.serviceTasks(serviceGroup(service.name))) {
    if (t.desiredStatus === 'RUNNING' && t.capacityProviderName !== undefined) counts.set(t.capacityProviderName, (counts.get(t.capacityProviderName) ?? 0) + 1);
  }
  let seq = store.tasks.nextSeq();
  const out: StoredTask[] = [];
  for (const deploymentId of deploymentIds.slice(0, room)) {
    const provider = chooseCapacityProvider(strategy, counts);
    counts.set(provider, (counts.get(provider) ?? 0) + 1);
    const t: StoredTask = {
      ...newTask({
        clusterName: service.clusterName,
        td,
        group: serviceGroup(service.name),
        startedBy: deploymentId,
        ...serviceTaskSpec(store, service, td),
        now,
        launchType: 'EC2',
        capacityProviderName: provider,
        provisioning: {
          capacityProviderStrategy: strategy,
          placementConstraints: constraints,
          placementStrategy: service.placementStrategy.length > 0 ? service.placementStrategy : DEFAULT_SERVICE_STRATEGY,
        },
        ...(service.awsvpcConfiguration !== undefined ? { awsvpcConfiguration: service.awsvpcConfiguration } : {}),
      }),
      seq: seq++,
    };
    store.tasks.insert(t);
    out.push(t);
  }
  return out;
}

/** The re-check at commit: the instance as the store has it now (its in-memory cluster state). */
function stillFits(store: Store, cluster: string, instanceId: string, req: TaskRequirement): boolean {
  const inst = store.instances.get(instanceId);
  if (!inst || inst.status !== 'ACTIVE' || !inst.agentConnected) return false;
  return fits(store.clusterState.remaining(cluster, inst), req);
}

/**
 * The placer: the cluster's tasks waiting in PROVISIONING, decided by the
 * pure `placeProvisioningTasks` on the tick's snapshot and applied in one
 * transaction that checks each placement again against the store (what no
 * longer fits waits for the next pass). A task whose provider cannot add a
 * host any more is stopped with the placement failure (TaskFailedToStart),
 * and its service gets ECS's "unable to place a task" event.
 */
export function placeProvisioning(store: Store, snapshot: ClusterSnapshot, log: Logger, random: Random): { placed: number; failed: number; waiting: number } {
  const waiting = store.tasks.provisioning(snapshot.cluster);
  if (waiting.length === 0) return { placed: 0, failed: 0, waiting: 0 };
  const byGroup = providersByGroup(store);
  const instances = snapshot.views().map((v) => {
    const provider = providerOfInstance(byGroup, v.instance);
    return { instance: v.instance, remaining: v.remaining, groups: v.groups, runningTasksCount: v.runningTasksCount, ...(provider !== undefined ? { capacityProviderName: provider } : {}) };
  });
  const decision = placeProvisioningTasks({ tasks: waiting.map(toProvisioningTask), instances, growing: growingProviders(store), random });
  const now = store.clock.now();
  let placed = 0;
  const failed: string[] = [];
  store.tx(() => {
    for (const p of decision.place) {
      const t = store.tasks.get(p.taskId);
      if (!t || !stillFits(store, snapshot.cluster, p.instanceId, t)) continue;
      const next = assignToInstance(t, p.instanceId);
      if (!next) continue;
      store.tasks.put(next);
      placed++;
    }
    const events = new Map<string, string[]>();
    for (const f of decision.fail) {
      const t = store.tasks.get(f.taskId);
      const next = t ? requestStop(t, { stopCode: 'TaskFailedToStart', reason: f.reason, now }) : undefined;
      if (!t || !next) continue;
      store.tasks.put(next);
      failed.push(t.id);
      if (t.group.startsWith('service:')) {
        const name = t.group.slice('service:'.length);
        events.set(name, [...(events.get(name) ?? []), msg.unplaced(name, f.explanation)]);
      }
    }
    for (const [name, messages] of events) {
      const s = store.services.get(snapshot.cluster, name);
      if (!s) continue;
      // One event per distinct explanation, as the reconciler reports one per pass.
      store.services.putRuntime(snapshot.cluster, name, { ...s.runtime, events: appendServiceEvents(s.runtime.events, [...new Set(messages)], now, randomUUID) });
    }
  });
  if (placed > 0 || failed.length > 0) {
    log.info({ cluster: snapshot.cluster, placed, failed: failed.length, waiting: decision.waiting, failedTasks: failed }, 'tasks in PROVISIONING placed');
  }
  return { placed, failed: failed.length, waiting: decision.waiting };
}
