/**
 * Polls DescribeTasks until tasks settle. ECS is eventually consistent, so a
 * task that is briefly MISSING right after RunTask is waited for, not failed.
 */
import type { ApiClient } from './api-client';
import type { EcsTask, Failure, TasksResponse } from './ecs-types';
import type { Io } from './context';
import { CliError, EXIT_TIMEOUT } from './context';
import { shortId } from './output/format';

export type WaitTarget = 'RUNNING' | 'STOPPED';

/** RUNNING waits end at RUNNING or STOPPED (a task may stop before anyone sees it run). */
export function isSettled(task: EcsTask, target: WaitTarget): boolean {
  if (target === 'STOPPED') return task.lastStatus === 'STOPPED';
  return task.lastStatus === 'RUNNING' || task.lastStatus === 'STOPPED';
}

/** Delay before poll number `attempt` (0-based): 250 ms growing 1.5x up to 3 s. */
export function backoffDelay(attempt: number, initialMs = 250, maxMs = 3000): number {
  return Math.min(maxMs, Math.round(initialMs * 1.5 ** attempt));
}

/** `1 RUNNING, 2 PENDING` in lifecycle order of first appearance. */
export function summarizeStatuses(tasks: EcsTask[], missing: number): string {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.lastStatus ?? '?', (counts.get(t.lastStatus ?? '?') ?? 0) + 1);
  const parts = [...counts].map(([s, n]) => `${n} ${s}`);
  if (missing > 0) parts.push(`${missing} not yet visible`);
  return parts.join(', ');
}

export class WaitTimeoutError extends CliError {
  constructor(
    message: string,
    readonly tasks: EcsTask[],
  ) {
    super(message, EXIT_TIMEOUT);
  }
}

export interface WaitOptions {
  target: WaitTarget;
  /** 0 waits without limit. */
  timeoutMs: number;
}

export async function waitForTasks(
  client: ApiClient,
  io: Io,
  cluster: string,
  taskArns: string[],
  opts: WaitOptions,
): Promise<{ tasks: EcsTask[]; failures: Failure[] }> {
  const started = io.now();
  const progress = io.stderr.isTTY === true;
  let last: EcsTask[] = [];
  let failures: Failure[] = [];
  try {
    for (let attempt = 0; ; attempt++) {
      const r = await client.call<TasksResponse>('DescribeTasks', { cluster, tasks: taskArns });
      last = r.tasks ?? [];
      failures = r.failures ?? [];
      const missing = taskArns.length - last.length;
      if (missing === 0 && last.every((t) => isSettled(t, opts.target))) return { tasks: last, failures };
      const elapsed = io.now() - started;
      if (progress) {
        const secs = Math.floor(elapsed / 1000);
        io.stderr.write(`\r\x1b[2Kwaiting for ${taskArns.length} task(s) to reach ${opts.target}: ${summarizeStatuses(last, missing)} (${secs}s)`);
      }
      if (opts.timeoutMs > 0 && elapsed >= opts.timeoutMs) {
        const unsettled = last.filter((t) => !isSettled(t, opts.target)).map((t) => `${shortId(t.taskArn)} is ${t.lastStatus ?? '?'}`);
        if (missing > 0) unsettled.push(`${missing} task(s) not found`);
        throw new WaitTimeoutError(
          `timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.target}: ${unsettled.join(', ')}`,
          last,
        );
      }
      let delay = backoffDelay(attempt);
      if (opts.timeoutMs > 0) delay = Math.max(0, Math.min(delay, opts.timeoutMs - elapsed));
      await io.sleep(delay, io.signal);
    }
  } finally {
    if (progress) io.stderr.write('\r\x1b[2K');
  }
}
