import {
  DEPLOYMENT_ID,
  serviceGroup,
  taskReservation,
  type ContainerInstance,
  type InstanceIndex,
  type InstanceView,
  type PlacementConstraint,
  type Service,
  type ServiceTask,
  type TaskDefinition,
  type TaskRequirement,
} from '@stevedore/core';
import type { Store } from '../store/store';
import type { TaskSummary } from '../store/tasks-repo';

/** Stopped tasks older than this no longer matter to a service's decisions (the throttle looks back 15 min at most). */
export const STOPPED_LOOKBACK_MS = 20 * 60 * 1000;

/**
 * One cluster as the reconciler sees it during a tick: a window on the
 * store's incrementally kept cluster state (store/cluster-state.ts), which
 * the tick's own writes update as they happen, plus what the tick caches
 * (task definitions, DAEMON groups). Building one costs nothing per task.
 */
export class ClusterSnapshot {
  private readonly tdCache = new Map<string, TaskDefinition | undefined>();
  /** Groups of the cluster's DAEMON services, set by the tick. */
  daemonGroups: ReadonlySet<string> = new Set();

  constructor(private readonly store: Store, readonly cluster: string) {}

  get instances(): ContainerInstance[] {
    return this.store.clusterState.instances(this.cluster);
  }

  tasksOn(instanceId: string): TaskSummary[] {
    return this.store.clusterState.tasksOn(this.cluster, instanceId);
  }

  views(): InstanceView[] {
    return this.store.clusterState.views(this.cluster);
  }

  /** The views and their index (core's InstanceIndex), as one service's reconcile input takes them. */
  instancesInput(): { instances: InstanceView[]; instanceIndex: InstanceIndex } {
    return { instances: this.store.clusterState.views(this.cluster), instanceIndex: this.store.clusterState.instanceIndex(this.cluster) };
  }

  /** Revisions are immutable, so caching them for the tick is safe. */
  taskDefinition(arn: string): TaskDefinition | undefined {
    if (!this.tdCache.has(arn)) {
      const m = /task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
      this.tdCache.set(arn, m ? this.store.taskDefinitions.get(m[1]!, Number(m[2]))?.taskDefinition : undefined);
    }
    return this.tdCache.get(arn);
  }

  /** The service's tasks still holding resources. */
  serviceTasks(group: string): TaskSummary[] {
    return this.store.clusterState.groupTasks(this.cluster, group);
  }
}

export function toServiceTask(t: TaskSummary): ServiceTask {
  const s: ServiceTask = {
    id: t.id,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    healthStatus: t.healthStatus,
    createdAt: t.createdAt,
    cpu: t.cpu,
    memory: t.memory,
    hasHealthCheck: t.checked,
  };
  if (t.containerInstanceId !== undefined) s.containerInstanceId = t.containerInstanceId;
  if (t.startedBy !== undefined) s.startedBy = t.startedBy;
  if (t.startedAt !== undefined) s.startedAt = t.startedAt;
  if (t.stoppedAt !== undefined) s.stoppedAt = t.stoppedAt;
  if (t.stopCode !== undefined) s.stopCode = t.stopCode;
  if (t.stoppedReason !== undefined) s.stoppedReason = t.stoppedReason;
  return s;
}

/** The service's own tasks (its group, started by one of its deployments): active ones from the snapshot, recently stopped ones from the store. */
export function loadServiceTasks(store: Store, snapshot: ClusterSnapshot, service: Service, now: number): TaskSummary[] {
  const group = serviceGroup(service.name);
  const all = [...snapshot.serviceTasks(group), ...store.tasks.stoppedSummariesInGroup(service.clusterName, group, now - STOPPED_LOOKBACK_MS)];
  return all.filter((t) => t.startedBy !== undefined && DEPLOYMENT_ID.test(t.startedBy));
}

export function requirementOf(td: TaskDefinition): { requirement: TaskRequirement; constraints: PlacementConstraint[] } {
  return {
    requirement: taskReservation(td),
    constraints: (td.placementConstraints ?? []).map((c) => ({ type: c.type, ...(c.expression !== undefined ? { expression: c.expression } : {}) })),
  };
}
