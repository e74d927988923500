import type { Command } from 'commander';
import { action, parseIntOption, type App } from '../context';
import type { TasksResponse } from '../ecs-types';
import { addLaunchOptions, finishLaunch, launchRequest, type LaunchFlags } from '../task-launch';

interface Opts extends LaunchFlags {
  count: number;
}

export function register(program: Command, app: App): void {
  const cmd = program
    .command('run-task')
    .description('start tasks from a task definition, placed by the scheduler (RunTask)')
    .argument('<task-definition>', 'FAMILY, FAMILY:REVISION or ARN')
    .option('--count <n>', 'number of tasks, 1-10', parseIntOption('--count', 1, 10), 1);
  addLaunchOptions(cmd).action(
    action<[string], Opts>(app, async (ctx, opts, taskDefinition) => {
      const body = { ...launchRequest(ctx, taskDefinition, opts), count: opts.count };
      const r = await ctx.client.call<TasksResponse>('RunTask', body);
      return finishLaunch(ctx, r, opts);
    }),
  );
}
