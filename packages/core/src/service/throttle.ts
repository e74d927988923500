import type { ServiceTask } from './service-view';

/**
 * ECS's service throttle: tasks that go PENDING -> STOPPED without ever
 * reaching RUNNING make the scheduler wait longer between launches, up to 15
 * minutes, and never give up. Derived from the tasks themselves, so the only
 * state is the tasks; an UpdateService (`resetAt`) starts the count afresh.
 */
export const THROTTLE_FREE_FAILURES = 2;
export const THROTTLE_BASE_MS = 10_000;
export const THROTTLE_MAX_MS = 15 * 60 * 1000;

export interface LaunchThrottle {
  /** Consecutive launches that failed to start, newest first. */
  failures: number;
  /** No launch before this time. */
  until?: number;
}

/** A launch failed when the task stopped on its own before ever running. */
export function failedToStart(t: ServiceTask): boolean {
  return t.lastStatus === 'STOPPED' && t.startedAt === undefined && t.stopCode !== 'UserInitiated' && t.stopCode !== 'ServiceSchedulerInitiated';
}

export function throttleDelayMs(failures: number): number {
  if (failures <= THROTTLE_FREE_FAILURES) return 0;
  return Math.min(THROTTLE_MAX_MS, THROTTLE_BASE_MS * 2 ** (failures - THROTTLE_FREE_FAILURES - 1));
}

export function launchThrottle(tasks: ServiceTask[], resetAt: number, now: number): LaunchThrottle {
  const recent = tasks.filter((t) => t.createdAt >= resetAt);
  const lastStart = Math.max(-Infinity, ...recent.filter((t) => t.startedAt !== undefined).map((t) => t.startedAt!));
  const stopped = recent.filter((t) => t.lastStatus === 'STOPPED').sort((a, b) => (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0));
  let failures = 0;
  let lastFailureAt = 0;
  for (const t of stopped) {
    if (!failedToStart(t) || (t.stoppedAt ?? 0) < lastStart) break;
    if (failures === 0) lastFailureAt = t.stoppedAt ?? now;
    failures++;
  }
  const delay = throttleDelayMs(failures);
  return delay > 0 && lastFailureAt + delay > now ? { failures, until: lastFailureAt + delay } : { failures };
}
