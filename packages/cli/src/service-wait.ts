/**
 * `--wait` for service commands: polls DescribeServices until the service is
 * steady (running = desired, nothing pending, one deployment left), printing
 * new events and a progress line (redrawn on a terminal, a plain line when it
 * changes otherwise).
 */
import type { ApiClient } from './api-client';
import { EXIT_TIMEOUT, type CommandContext, type Io } from './context';
import { printData } from './output/structured';
import type { EcsService } from './ecs-types';
import { describeService, pollDelay } from './deploy-watch';
import { formatTime } from './output/format';

export function isSteady(s: EcsService): boolean {
  if (s.status === 'INACTIVE') return true;
  return s.runningCount === s.desiredCount && (s.pendingCount ?? 0) === 0 && (s.deployments ?? []).length <= 1;
}

export function progressOf(s: EcsService, elapsedMs: number): string {
  const old = (s.deployments ?? []).filter((d) => d.status !== 'PRIMARY').reduce((n, d) => n + (d.runningCount ?? 0) + (d.pendingCount ?? 0), 0);
  return `${s.serviceName}: ${s.runningCount ?? 0}/${s.desiredCount ?? 0} running, ${s.pendingCount ?? 0} pending${old > 0 ? `, ${old} of older deployments` : ''} (${Math.floor(elapsedMs / 1000)}s)`;
}

/** `--wait` for a command: follows the service, then (JSON output) prints it as it ended. */
export async function waitAndReport(ctx: CommandContext, name: string, timeoutS: number): Promise<number> {
  const json = ctx.structured;
  const code = await waitSteady(ctx.client, ctx.io, ctx.cluster, name, { timeoutMs: timeoutS * 1000, verbose: !json });
  if (json) printData(ctx, { service: await describeService(ctx.client, ctx.cluster, name) });
  return code;
}

/** Returns 0 when steady, EXIT_TIMEOUT when `timeoutMs` (> 0) passes first. */
export async function waitSteady(client: ApiClient, io: Io, cluster: string, name: string, opts: { timeoutMs: number; verbose: boolean }): Promise<number> {
  const started = io.now();
  const tty = io.stderr.isTTY === true;
  const seen = new Set<string>();
  let first = true;
  let lastLine = '';
  for (let attempt = 0; ; attempt++) {
    const s = await describeService(client, cluster, name);
    if (first) {
      // Events from before the command are history, not news.
      for (const e of s.events ?? []) if ((e.createdAt ?? 0) * 1000 < started - 1000) seen.add(e.id);
      first = false;
    }
    if (opts.verbose) {
      const fresh = (s.events ?? []).filter((e) => !seen.has(e.id)).reverse();
      for (const e of fresh) {
        seen.add(e.id);
        if (tty) io.stderr.write('\r\x1b[K');
        io.stderr.write(`${formatTime(e.createdAt)}  ${e.message}\n`);
      }
      const line = progressOf(s, io.now() - started);
      if (tty) io.stderr.write(`\r\x1b[K${line}`);
      else if (line.replace(/ \(\d+s\)$/, '') !== lastLine.replace(/ \(\d+s\)$/, '')) io.stderr.write(`${line}\n`);
      lastLine = line;
    }
    if (isSteady(s)) {
      if (opts.verbose && tty) io.stderr.write('\n');
      return 0;
    }
    if (opts.timeoutMs > 0 && io.now() - started > opts.timeoutMs) {
      if (opts.verbose && tty) io.stderr.write('\n');
      io.stderr.write(`error: ${name} not steady after ${Math.round(opts.timeoutMs / 1000)} s: ${progressOf(s, io.now() - started)}\n`);
      return EXIT_TIMEOUT;
    }
    await io.sleep(pollDelay(attempt));
  }
}
