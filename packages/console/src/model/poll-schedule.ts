/**
 * Live updates without a reload: each page polls the API, quickly while
 * something moves (a deployment in progress), slowly when all is steady,
 * backing off on errors (a throttled or unreachable API must not be
 * hammered), and not at all while the tab is hidden.
 */
export interface PollState {
  /** Consecutive failed polls. */
  failures: number;
  /** The page says something is changing (a deployment in progress, a task starting). */
  active: boolean;
  hidden: boolean;
}

export const ACTIVE_MS = 2000;
export const STEADY_MS = 10_000;
export const MAX_BACKOFF_MS = 60_000;

/** Milliseconds until the next poll, or undefined to wait until the tab is visible again. */
export function nextPollDelay(s: PollState): number | undefined {
  if (s.hidden) return undefined;
  const base = s.active ? ACTIVE_MS : STEADY_MS;
  if (s.failures === 0) return base;
  return Math.min(MAX_BACKOFF_MS, base * 2 ** Math.min(s.failures, 10));
}
