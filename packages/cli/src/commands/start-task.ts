import type { Command } from 'commander';
import { action, type App } from '../context';
import type { TasksResponse } from '../ecs-types';
import { addLaunchOptions, finishLaunch, launchRequest, type LaunchFlags } from '../task-launch';

interface Opts extends LaunchFlags {
  instance: string[];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter((v) => v !== '')];
}

export function register(program: Command, app: App): void {
  const cmd = program
    .command('start-task')
    .description('start one task on each given container instance, bypassing the scheduler (StartTask)')
    .argument('<task-definition>', 'FAMILY, FAMILY:REVISION or ARN')
    .requiredOption('--instance <id>', 'container instance id or ARN (repeat or comma-separate, up to 10)', collect);
  addLaunchOptions(cmd).action(
    action<[string], Opts>(app, async (ctx, opts, taskDefinition) => {
      const body = { ...launchRequest(ctx, taskDefinition, opts), containerInstances: opts.instance };
      const r = await ctx.client.call<TasksResponse>('StartTask', body);
      return finishLaunch(ctx, r, opts);
    }),
  );
}
