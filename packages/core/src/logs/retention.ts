/** CloudWatch Logs' allowed retentionInDays values. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Events of a group with this retention older than the result are due for deletion. */
export function logRetentionCutoff(now: number, retentionDays: number, dayMs = 86_400_000): number {
  return now - retentionDays * dayMs;
}
