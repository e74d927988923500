import { resolveTaskRef } from '../task-ids';
import type { IncomingMessage } from 'node:http';
import type { Command } from 'commander';
import { action, CliError, EXIT_INTERRUPTED, EXIT_USAGE, parseIntOption, type App, type CommandContext } from '../context';
import { ApiError, STEVEDORE_TARGET_PREFIX, TransportError } from '../api-client';
import { LineSplitter, parseLogLine } from '../ndjson';

interface Opts {
  container?: string;
  follow?: boolean;
  tail?: number;
  since?: string;
  timestamps?: boolean;
}

/**
 * `--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`, as docker and
 * kubectl take it) or a time (RFC 3339, `2026-12-03T08:00:00Z`); epoch seconds.
 */
export function parseSince(value: string, nowMs: number): number {
  const d = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (d) return Math.floor(nowMs / 1000) - Number(d[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[d[2] as 's' | 'm' | 'h' | 'd'];
  const t = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw new CliError(`--since must be a duration (90s, 10m, 2h, 1d) or a time (2026-12-03T08:00:00Z), got ${value}`, EXIT_USAGE);
  return Math.floor(t / 1000);
}

/**
 * Copies the NDJSON log stream to stdout/stderr as it arrives. Resolves with
 * the exit code: 0 at the end of the stream (a read cut at the server's byte
 * cap included: the notice goes to stderr), 130 when interrupted.
 */
export function pumpLogs(ctx: CommandContext, res: IncomingMessage): Promise<number> {
  const splitter = new LineSplitter();
  const signal = ctx.io.signal;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const handle = (lines: string[]) => {
      for (const line of lines) {
        const ev = parseLogLine(line);
        if (ev.kind === 'data') {
          const out = ev.stream === 'stderr' ? ctx.io.stderr : ctx.io.stdout;
          // A slow terminal or pipe holds the server back instead of filling this process.
          if (out.write(ev.data) === false && typeof (out as Partial<NodeJS.WritableStream>).once === 'function') {
            res.pause();
            (out as NodeJS.WritableStream).once('drain', () => res.resume());
          }
        } else if (ev.kind === 'truncated') ctx.io.stderr.write(`stevedore: ${ev.message}\n`);
        else if (ev.kind === 'error') {
          // Settle before destroying: destroy() emits 'aborted' synchronously.
          finish(() => reject(new ApiError(ev.type, ev.message, res.statusCode ?? 200)));
          res.destroy();
          return;
        }
        // Unknown lines are skipped: a newer server may add event kinds.
      }
    };
    const onAbort = () => {
      finish(() => resolve(EXIT_INTERRUPTED));
      res.destroy();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => handle(splitter.push(chunk)));
    res.on('end', () => {
      handle(splitter.end());
      finish(() => resolve(0));
    });
    res.on('error', (err) => finish(() => reject(new TransportError(`log stream broken: ${err.message}`))));
    res.on('aborted', () => finish(() => reject(new TransportError('log stream closed by the server before the end'))));
  });
}

export function register(program: Command, app: App): void {
  program
    .command('logs')
    .description('print the logs of a task\'s container, streamed from its agent (Stevedore GetTaskLogs)')
    .argument('<task>', 'task id or ARN')
    .option('--container <name>', 'container name (required when the task has several)')
    .option('-f, --follow', 'keep streaming new output until Ctrl-C or the container stops')
    .option('--tail <n>', 'only the last N lines (default 1000; 0 = all, within the 1 MiB cap of a non-follow read)', parseIntOption('--tail', 0))
    .option('--since <when>', 'only lines written since a duration ago (90s, 10m, 2h, 1d) or a time (RFC 3339)')
    .option('-t, --timestamps', 'start each line with the time it was written (RFC 3339)')
    .action(
      action<[string], Opts>(app, async (ctx, opts, task) => {
        const body: Record<string, unknown> = { cluster: ctx.cluster, task: await resolveTaskRef(ctx, task), follow: opts.follow === true };
        if (opts.container !== undefined) body.containerName = opts.container;
        if (opts.tail !== undefined) body.tail = opts.tail;
        if (opts.since !== undefined) body.startTime = parseSince(opts.since, ctx.io.now());
        if (opts.timestamps) body.timestamps = true;
        const res = await ctx.client.stream('GetTaskLogs', body, STEVEDORE_TARGET_PREFIX);
        return pumpLogs(ctx, res);
      }),
    );
}
