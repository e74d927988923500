import {
  DEPLOYMENT_ID,
  remainingResources,
  serviceGroup,
  taskReservation,
  type ContainerInstance,
  type InstanceView,
  type PlacementConstraint,
  type Service,
  type ServiceTask,
  type TaskDefinition,
  type TaskRequirement,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { StoredTask } from '../store/tasks-repo';

/** Stopped tasks older than this no longer matter to a service's decisions (the throttle looks back 15 min at most). */
export const STOPPED_LOOKBACK_MS = 20 * 60 * 1000;

/**
 * One cluster as the reconciler sees it during a tick: instances and every
 * task still holding resources, loaded once and kept in step with what the
 * tick itself applies, so many services of a cluster cost one load.
 */
export class ClusterSnapshot {
  readonly instances: ContainerInstance[];
  private readonly active = new Map<string, StoredTask[]>();
  private readonly tdCache = new Map<string, TaskDefinition | undefined>();

  constructor(private readonly store: Store, readonly cluster: string) {
    this.instances = store.instances.listByCluster(cluster);
    for (const t of store.tasks.activeInCluster(cluster)) this.addTask(t);
  }

  addTask(t: StoredTask): void {
    if (!t.containerInstanceId) return;
    const list = this.active.get(t.containerInstanceId);
    if (list) list.push(t);
    else this.active.set(t.containerInstanceId, [t]);
  }

  replaceTask(t: StoredTask): void {
    const list = t.containerInstanceId ? this.active.get(t.containerInstanceId) : undefined;
    const i = list?.findIndex((x) => x.id === t.id) ?? -1;
    if (list && i >= 0) list[i] = t;
  }

  tasksOn(instanceId: string): StoredTask[] {
    return this.active.get(instanceId) ?? [];
  }

  views(): InstanceView[] {
    return this.instances.map((instance) => {
      const tasks = this.tasksOn(instance.id);
      return {
        instance,
        remaining: remainingResources(instance, tasks),
        tasks: tasks.map((t) => ({ id: t.id, group: t.group, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus })),
      };
    });
  }

  /** Revisions are immutable, so caching them for the tick is safe. */
  taskDefinition(arn: string): TaskDefinition | undefined {
    if (!this.tdCache.has(arn)) {
      const m = /task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
      this.tdCache.set(arn, m ? this.store.taskDefinitions.get(m[1]!, Number(m[2]))?.taskDefinition : undefined);
    }
    return this.tdCache.get(arn);
  }
}

export function toServiceTask(t: StoredTask): ServiceTask {
  const s: ServiceTask = {
    id: t.id,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    healthStatus: t.healthStatus,
    createdAt: t.createdAt,
    cpu: t.cpu,
    memory: t.memory,
    hasHealthCheck: t.containers.some((c) => c.essential && c.hasHealthCheck),
  };
  if (t.containerInstanceId !== undefined) s.containerInstanceId = t.containerInstanceId;
  if (t.startedBy !== undefined) s.startedBy = t.startedBy;
  if (t.startedAt !== undefined) s.startedAt = t.startedAt;
  if (t.stoppedAt !== undefined) s.stoppedAt = t.stoppedAt;
  if (t.stopCode !== undefined) s.stopCode = t.stopCode;
  return s;
}

/** The service's own tasks: its group, started by one of its deployments. */
export function loadServiceTasks(store: Store, service: Service, now: number): StoredTask[] {
  return store.tasks.forGroup(service.clusterName, serviceGroup(service.name), now - STOPPED_LOOKBACK_MS).filter((t) => t.startedBy !== undefined && DEPLOYMENT_ID.test(t.startedBy));
}

export function requirementOf(td: TaskDefinition): { requirement: TaskRequirement; constraints: PlacementConstraint[] } {
  return {
    requirement: taskReservation(td),
    constraints: (td.placementConstraints ?? []).map((c) => ({ type: c.type, ...(c.expression !== undefined ? { expression: c.expression } : {}) })),
  };
}
