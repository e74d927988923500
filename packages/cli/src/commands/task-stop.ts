import { resolveTaskRef } from '../task-ids';
import type { Command } from 'commander';
import { action, type App } from '../context';
import type { EcsTask } from '../ecs-types';
import { printData } from '../output/structured';
import { renderTaskTable } from '../output/tasks';
import { DEFAULT_WAIT_TIMEOUT_SECONDS } from '../task-launch';
import { parseIntOption } from '../context';
import { waitForTasks } from '../wait-tasks';

interface Opts {
  reason?: string;
  wait?: boolean;
  timeout: number;
}

export function register(parent: Command, app: App): void {
  parent
    .command('stop')
    .description('stop a task: SIGTERM, then SIGKILL after the stopTimeout (StopTask)')
    .argument('<task>', 'task id (or a unique prefix) or ARN')
    .option('--reason <text>', 'shown as the stoppedReason')
    .option('--wait', 'wait until the task is STOPPED')
    .option('--timeout <seconds>', 'give up waiting after this long (0 = no limit); exit code 124', parseIntOption('--timeout', 0), DEFAULT_WAIT_TIMEOUT_SECONDS)
    .action(
      action<[string], Opts>(app, async (ctx, opts, id) => {
        const body: Record<string, unknown> = { cluster: ctx.cluster, task: await resolveTaskRef(ctx, id) };
        if (opts.reason !== undefined) body.reason = opts.reason;
        const r = await ctx.client.call<{ task: EcsTask }>('StopTask', body);
        let task = r.task;
        if (opts.wait) {
          const waited = await waitForTasks(ctx.client, ctx.io, ctx.cluster, [task.taskArn], { target: 'STOPPED', timeoutMs: opts.timeout * 1000 });
          task = waited.tasks[0] ?? task;
        }
        if (ctx.structured) return printData(ctx, { task });
        ctx.io.stdout.write(renderTaskTable([task], ctx.io.now()));
      }),
    );
}
