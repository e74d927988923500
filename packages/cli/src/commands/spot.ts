import type { Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';
import { action, parseIntOption, type App } from '../context';
import { printData } from '../output/structured';

interface Opts {
  count?: number;
  instance?: string;
}

/** `stevedore interrupt-spot`: reclaim FARGATE_SPOT capacity (InterruptSpotTasks, docs/design/fargate.md). */
export function register(program: Command, app: App): void {
  program
    .command('interrupt-spot')
    .description("reclaim FARGATE_SPOT capacity: the tasks stop as interrupted Spot tasks (SIGTERM, two minutes) and services replace them (InterruptSpotTasks)")
    .argument('[tasks...]', 'task ids or ARNs (default: --count of the cluster\'s FARGATE_SPOT tasks)')
    .option('--count <n>', 'how many FARGATE_SPOT tasks to interrupt', parseIntOption('--count', 1, 1000))
    .option('--instance <id>', 'only FARGATE_SPOT tasks on this container instance')
    .action(
      action<[string[]], Opts>(app, async (ctx, o, tasks) => {
        const body: Record<string, unknown> = { cluster: ctx.cluster };
        if (tasks.length > 0) body['tasks'] = tasks;
        if (o.count !== undefined) body['count'] = o.count;
        if (o.instance !== undefined) body['containerInstance'] = o.instance;
        const r = await ctx.client.call<{ interruptedTasks: string[] }>('InterruptSpotTasks', body, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) printData(ctx, r);
        else ctx.io.stdout.write(r.interruptedTasks.length === 0 ? 'no FARGATE_SPOT task interrupted\n' : `${r.interruptedTasks.map((a) => `interrupted ${a}`).join('\n')}\n`);
        return 0;
      }),
    );
}
