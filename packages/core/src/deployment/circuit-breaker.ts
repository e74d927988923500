import type { TaskStopCode } from '../status/task-status';

/** ECS: clamp(ceil(desiredCount / 2), 10, 200); not configurable. */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(10, Math.ceil(desiredCount / 2)));
}

/** Prefix of the scheduler's stoppedReason for a task it replaced after failed health checks (container or ELB). */
export const FAILED_CHECKS_REASON_PREFIX = 'Task failed ';

/**
 * Does a stopped task of a deployment count as a circuit-breaker failure?
 * Stage 1 (never reached RUNNING: TaskFailedToStart) and stage 2 (stopped
 * for failed health checks) as in ECS, plus an essential container that
 * exited on its own, also right after start: ECS misses that case
 * (containers-roadmap #1206), Stevedore counts it. Stops the scheduler or
 * a user asked for, and lost instances, do not count.
 */
export function isBreakerFailure(t: { stopCode?: TaskStopCode; stoppedReason?: string }): boolean {
  if (t.stopCode === 'TaskFailedToStart' || t.stopCode === 'EssentialContainerExited') return true;
  return t.stopCode === 'ServiceSchedulerInitiated' && (t.stoppedReason ?? '').startsWith(FAILED_CHECKS_REASON_PREFIX);
}
