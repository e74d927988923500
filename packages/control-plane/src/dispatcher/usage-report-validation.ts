import type { WireTaskUsage } from '@stevedore/proto';
import type { RegistrationProblem } from './registration-validation';

/**
 * Bounds of a ReportTaskUsage (proto contract). Usage feeds service and
 * cluster utilization, which scaling policies act on: one absurd figure
 * (NaN, negative, a thousand cores) would scale a service for nothing, so a
 * report with one is refused whole, as UpdateTaskStatus refuses bad reports.
 */
export const USAGE_LIMITS = {
  maxEntries: 10_000,
  /** 1,024 vCPUs: more than any one Docker host has. */
  maxCpuUnits: 1024 * 1024,
  /** 64 TiB in MiB. */
  maxMemoryMiB: 64 * 1024 * 1024,
  maxBytes: Number.MAX_SAFE_INTEGER,
  maxWindowMs: 3600_000,
  maxContainers: 100,
} as const;

function problem(field: string, message: string): { ok: false; problem: RegistrationProblem } {
  return { ok: false, problem: { field, message: `${field}: ${message}` } };
}

function inRange(v: unknown, max: number): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max;
}

/** The report's entries, or the first out-of-bounds field (the caller refuses the report with INVALID_ARGUMENT naming it). */
export function validateUsageReport(usage: WireTaskUsage[]): { ok: true } | { ok: false; problem: RegistrationProblem } {
  if (usage.length > USAGE_LIMITS.maxEntries) return problem('usage', `at most ${USAGE_LIMITS.maxEntries} entries`);
  for (const [i, u] of usage.entries()) {
    const at = `usage[${i}]`;
    if (typeof u.task_arn !== 'string' || u.task_arn.length === 0 || u.task_arn.length > 2048) return problem(`${at}.task_arn`, 'must be a task ARN');
    if (!inRange(u.cpu_units, USAGE_LIMITS.maxCpuUnits)) return problem(`${at}.cpu_units`, `must be 0 to ${USAGE_LIMITS.maxCpuUnits}`);
    if (!inRange(u.memory_mib, USAGE_LIMITS.maxMemoryMiB)) return problem(`${at}.memory_mib`, `must be 0 to ${USAGE_LIMITS.maxMemoryMiB}`);
    for (const k of ['network_rx_bytes', 'network_tx_bytes', 'storage_read_bytes', 'storage_write_bytes'] as const) {
      if (!inRange(u[k], USAGE_LIMITS.maxBytes) || !Number.isInteger(u[k])) return problem(`${at}.${k}`, 'must be a byte count (0 to 2^53)');
    }
    if (!Number.isInteger(u.window_ms) || u.window_ms < 1 || u.window_ms > USAGE_LIMITS.maxWindowMs) return problem(`${at}.window_ms`, `must be 1 to ${USAGE_LIMITS.maxWindowMs}`);
    if (!Number.isInteger(u.containers) || u.containers < 0 || u.containers > USAGE_LIMITS.maxContainers) return problem(`${at}.containers`, `must be 0 to ${USAGE_LIMITS.maxContainers}`);
  }
  return { ok: true };
}
