/**
 * A schedule's runs (docs/design/scheduled-tasks.md): one per fire time the
 * scheduler decided on, recorded before anything is launched so a restart
 * finds it and never launches it twice.
 *
 *   PENDING -> RUNNING -> STOPPED     launched, its tasks stopped (exit codes)
 *   PENDING -> FAILED                 launch refused, or retries used up
 *   SKIPPED                           decided not to run (overlap, missed, too old)
 *
 * PENDING covers the launch attempts: the attempt in flight and the wait
 * before a retry.
 */
export const SCHEDULE_RUN_STATUSES = ['PENDING', 'RUNNING', 'STOPPED', 'FAILED', 'SKIPPED'] as const;
export type ScheduleRunStatus = (typeof SCHEDULE_RUN_STATUSES)[number];

const NEXT: Readonly<Record<ScheduleRunStatus, readonly ScheduleRunStatus[]>> = {
  PENDING: ['RUNNING', 'FAILED', 'SKIPPED'],
  RUNNING: ['STOPPED'],
  STOPPED: [],
  FAILED: [],
  SKIPPED: [],
};

export function canTransitionRun(from: ScheduleRunStatus, to: ScheduleRunStatus): boolean {
  return NEXT[from].includes(to);
}

/** A run that still holds the schedule (the no-overlap extension waits for it). */
export function isRunActive(status: ScheduleRunStatus): boolean {
  return status === 'PENDING' || status === 'RUNNING';
}

/** EventBridge Scheduler's RetryPolicy defaults. */
export const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 86_400;

const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_DELAY_MS = 300_000;

/**
 * Wait after the nth failed launch attempt (1-based): 10 s, doubling, at
 * most 5 minutes. EventBridge backs off exponentially too; its exact figures
 * are not published.
 */
export function retryDelayMs(failedAttempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(failedAttempts - 1, 20)));
}

export interface RetryInput {
  /** When the run was due (its fire time). */
  scheduledTime: number;
  /** Launch attempts made so far, the failed one included. */
  attempts: number;
  now: number;
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  /** False for failures a retry cannot fix (access denied, no such cluster, invalid input). */
  retryable: boolean;
}

/** After a failed launch attempt: when to try again, or why to give up. */
export function decideRetry(r: RetryInput): { retryAt: number } | { giveUp: string } {
  if (!r.retryable) return { giveUp: 'the failure is not retryable' };
  if (r.attempts > r.maximumRetryAttempts) return { giveUp: `MaximumRetryAttempts (${r.maximumRetryAttempts}) reached` };
  const retryAt = r.now + retryDelayMs(r.attempts);
  if (retryAt - r.scheduledTime > r.maximumEventAgeSeconds * 1000) return { giveUp: `MaximumEventAgeInSeconds (${r.maximumEventAgeSeconds}) reached` };
  return { retryAt };
}
