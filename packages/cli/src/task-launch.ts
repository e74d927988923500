/** What run-task, start-task and task stop share: print, optionally wait, pick an exit code. */
import type { Command } from 'commander';
import type { CommandContext } from './context';
import { parseJsonOption, parseIntOption } from './context';
import { InvalidArgumentError } from 'commander';
import type { EcsTask, Failure, TaskDefinition, TasksResponse } from './ecs-types';
import { essentialNames, runExitCode, stoppedTaskExitCode } from './exit-code';
import { shortId } from './output/format';
import { printData } from './output/structured';
import { printFailures, renderTaskTable } from './output/tasks';
import { ApiError } from './api-client';
import { waitForTasks, WaitTimeoutError, type WaitTarget } from './wait-tasks';

export interface WaitFlags {
  wait?: boolean;
  waitStopped?: boolean;
  timeout: number;
}

export interface LaunchFlags extends WaitFlags {
  startedBy?: string;
  group?: string;
  overrides?: unknown;
  enableExecuteCommand?: boolean;
  tag?: { key: string; value: string }[];
}

export const DEFAULT_WAIT_TIMEOUT_SECONDS = 600;

/** `--tag key=value`, repeatable (an empty value is a tag too). */
export function tagOption(value: string, previous: { key: string; value: string }[] = []): { key: string; value: string }[] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('--tag must be key=value');
  return [...previous, { key: value.slice(0, eq), value: value.slice(eq + 1) }];
}

export function addWaitOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--wait', `wait until ${what} RUNNING or STOPPED; exit with the essential container's exit code if it stopped`)
    .option('--wait-stopped', `wait until ${what} STOPPED (batch tasks); exit with the essential container's exit code`)
    .option('--timeout <seconds>', 'give up waiting after this long (0 = no limit); exit code 124', parseIntOption('--timeout', 0), DEFAULT_WAIT_TIMEOUT_SECONDS);
}

export function addLaunchOptions(cmd: Command): Command {
  cmd
    .option('--started-by <value>', 'tag the tasks with this startedBy value')
    .option('--group <name>', 'task group (default family:<family>)')
    .option('--overrides <json>', 'ECS TaskOverride JSON, e.g. {"containerOverrides":[{"name":"web","command":["sleep","5"]}]}', parseJsonOption('--overrides'))
    .option('--enable-execute-command', 'allow `stevedore exec` into its containers (ECS Exec)')
    .option('--tag <key=value>', 'resource tag of the tasks, repeatable', tagOption);
  return addWaitOptions(cmd, 'every task is');
}

export function launchRequest(ctx: CommandContext, taskDefinition: string, flags: LaunchFlags): Record<string, unknown> {
  const body: Record<string, unknown> = { cluster: ctx.cluster, taskDefinition };
  if (flags.startedBy !== undefined) body.startedBy = flags.startedBy;
  if (flags.group !== undefined) body.group = flags.group;
  if (flags.overrides !== undefined) body.overrides = flags.overrides;
  if (flags.enableExecuteCommand) body.enableExecuteCommand = true;
  if (flags.tag !== undefined) body.tags = flags.tag;
  return body;
}

function waitTarget(flags: WaitFlags): WaitTarget | undefined {
  if (flags.waitStopped) return 'STOPPED';
  if (flags.wait) return 'RUNNING';
  return undefined;
}

/** Task definitions of stopped tasks, to know which containers are essential. */
async function essentialLookup(ctx: CommandContext, tasks: EcsTask[]) {
  const defs = new Map<string, Set<string> | undefined>();
  for (const t of tasks) {
    const arn = t.taskDefinitionArn;
    if (t.lastStatus !== 'STOPPED' || !arn || defs.has(arn)) continue;
    try {
      const r = await ctx.client.call<{ taskDefinition: TaskDefinition }>('DescribeTaskDefinition', { taskDefinition: arn });
      defs.set(arn, essentialNames(r.taskDefinition));
    } catch (e) {
      // Unknown definition: fall back to ECS's default (every container essential).
      if (!(e instanceof ApiError)) throw e;
      defs.set(arn, undefined);
    }
  }
  return (arn: string | undefined) => (arn ? defs.get(arn) : undefined);
}

/**
 * Prints a RunTask/StartTask/StopTask result and, when asked, waits. Returns
 * the process exit code (see exit-code.ts for the rules).
 */
export async function finishLaunch(ctx: CommandContext, response: TasksResponse, flags: WaitFlags): Promise<number> {
  let tasks = response.tasks ?? [];
  const failures: Failure[] = [...(response.failures ?? [])];
  printFailures(ctx.io.stderr, failures);
  const target = waitTarget(flags);
  if (target && tasks.length > 0) {
    try {
      const waited = await waitForTasks(
        ctx.client,
        ctx.io,
        ctx.cluster,
        tasks.map((t) => t.taskArn),
        { target, timeoutMs: flags.timeout * 1000 },
      );
      tasks = waited.tasks;
    } catch (e) {
      if (e instanceof WaitTimeoutError && !ctx.structured && e.tasks.length > 0) {
        ctx.io.stdout.write(renderTaskTable(e.tasks, ctx.io.now()));
      }
      throw e;
    }
  }
  if (ctx.structured) printData(ctx, { tasks, failures });
  else if (tasks.length > 0) ctx.io.stdout.write(renderTaskTable(tasks, ctx.io.now()));
  if (tasks.length === 0) return 1;
  if (!target) return failures.length > 0 ? 1 : 0;
  const essentialOf = await essentialLookup(ctx, tasks);
  for (const t of tasks) {
    if (t.lastStatus !== 'STOPPED') continue;
    // A batch task that ended cleanly under --wait-stopped needs no explanation.
    if (target === 'STOPPED' && stoppedTaskExitCode(t, essentialOf(t.taskDefinitionArn)) === 0) continue;
    ctx.io.stderr.write(`task ${shortId(t.taskArn)} stopped${t.stopCode ? ` (${t.stopCode})` : ''}: ${t.stoppedReason ?? 'no reason given'}\n`);
  }
  return runExitCode(tasks, failures, essentialOf);
}
