import type { Store } from './store';

/**
 * Marks the tasks under ECS task scale-in protection (UpdateTaskProtection,
 * not yet expired at `now`) for the reconciler, which never picks them for a
 * scale-in. One query per cluster snapshot's service, on the table's key.
 */
export function withScaleInProtection<T extends { id: string; scaleInProtected?: boolean }>(store: Store, cluster: string, now: number, tasks: T[]): T[] {
  const protectedIds = store.autoscaling.protectedTasks(cluster, now);
  if (protectedIds.size === 0) return tasks;
  return tasks.map((t) => (protectedIds.has(t.id) ? { ...t, scaleInProtected: true } : t));
}
