import { serviceGroup } from '../model/service';
import type { Candidate, PoolEntry } from '../placement/filters';
import { buildPool } from '../placement/pipeline';
import { isLostIn, livenessOf } from './instance-liveness';
import { instanceIndexOf } from './instance-index';
import { reasons, type InstanceView, type ReconcileInput, type ServiceTask, type StopAction } from './service-view';

export interface LostPass {
  stop: StopAction[];
  /** Tasks still wanted after the lost ones are set aside. */
  active: ServiceTask[];
  byInstance: ReadonlyMap<string, InstanceView>;
  nextWakeAt?: number;
}

/**
 * Tasks on instances gone, or declared lost (instance-liveness.ts), are lost:
 * stop and replace them. Tasks on an instance past its grace whose loss is
 * withheld (the cluster is partitioned) stay: a reconnect or the majority's
 * return changes the verdict, and both are store changes that wake the loop.
 */
export function stopLostTasks(input: ReconcileInput): LostPass {
  const byInstance = instanceIndexOf(input).byId;
  const liveness = livenessOf(input);
  const stop: StopAction[] = [];
  const active: ServiceTask[] = [];
  let mine = false;
  for (const t of input.tasks) {
    if (t.desiredStatus !== 'RUNNING' || t.lastStatus === 'STOPPED') continue;
    // Waiting in PROVISIONING for a host: not on any instance, so nothing to lose.
    if (t.lastStatus === 'PROVISIONING' && t.containerInstanceId === undefined) {
      active.push(t);
      continue;
    }
    const inst = t.containerInstanceId ? byInstance.get(t.containerInstanceId)?.instance : undefined;
    if (isLostIn(liveness, inst)) {
      const id = t.containerInstanceId ?? 'unknown';
      stop.push({ taskId: t.id, reason: inst && inst.status !== 'INACTIVE' ? reasons.lost(id) : reasons.gone(id), lost: true });
      continue;
    }
    if (inst && !inst.agentConnected) mine = true;
    active.push(t);
  }
  // Only a service with tasks on a disconnected instance waits for a grace to end.
  const nextWakeAt = mine ? liveness.nextWakeAt : undefined;
  return nextWakeAt === undefined ? { stop, active, byInstance } : { stop, active, byInstance, nextWakeAt };
}

/** The placement pool with the tasks being stopped no longer counted for groups and spread. */
export function poolFor(input: ReconcileInput, stopping: Set<string>): PoolEntry[] {
  const group = serviceGroup(input.service.name);
  // Views with counts kept by the caller: only this service's stopping tasks are taken off, per instance.
  const leaving = new Map<string, number>();
  for (const t of input.tasks) {
    if (!stopping.has(t.id) || !t.containerInstanceId || t.desiredStatus !== 'RUNNING' || t.lastStatus === 'STOPPED') continue;
    leaving.set(t.containerInstanceId, (leaving.get(t.containerInstanceId) ?? 0) + 1);
  }
  const candidates = input.instances.map((v): Candidate => {
    if (v.groups) {
      const gone = leaving.get(v.instance.id) ?? 0;
      const groups = gone === 0 ? v.groups : new Map(v.groups).set(group, Math.max(0, (v.groups.get(group) ?? 0) - gone));
      return { instance: v.instance, remaining: v.remaining, groups, runningTasksCount: v.runningTasksCount ?? 0 };
    }
    return { instance: v.instance, remaining: v.remaining, tasks: v.tasks.map((t) => (stopping.has(t.id) ? { ...t, desiredStatus: 'STOPPED' as const } : t)) };
  });
  return buildPool(candidates, group, input.random);
}

/**
 * A DRAINING (deleted) service becomes INACTIVE once nothing of it runs: every
 * task is STOPPED or sits on an instance whose agent is gone.
 */
export function isInactive(input: ReconcileInput, stop: StopAction[]): boolean {
  if (input.service.status !== 'DRAINING') return false;
  const stopping = new Set(stop.map((s) => s.taskId));
  const byId = instanceIndexOf(input).byId;
  return input.tasks.every((t) => {
    if (t.lastStatus === 'STOPPED') return true;
    if (t.desiredStatus === 'RUNNING' && !stopping.has(t.id)) return false;
    const inst = t.containerInstanceId ? byId.get(t.containerInstanceId)?.instance : undefined;
    return !inst || !inst.agentConnected || inst.status === 'INACTIVE';
  });
}
