import type { Command } from 'commander';
import { action, CliError, EXIT_USAGE, type App } from '../context';
import type { TaskDefinition } from '../ecs-types';
import { printData } from '../output/structured';

export function register(parent: Command, app: App): void {
  parent
    .command('deregister')
    .description('mark a revision INACTIVE (DeregisterTaskDefinition); running tasks keep running')
    .argument('<task-definition>', 'FAMILY:REVISION or ARN (the revision is required)')
    .action(
      action<[string], object>(app, async (ctx, _opts, name) => {
        // ECS requires the revision here; saying so locally beats a round trip.
        if (!name.startsWith('arn:') && !/:\d+$/.test(name)) {
          throw new CliError(`give the revision to deregister, e.g. ${name}:1`, EXIT_USAGE);
        }
        const r = await ctx.client.call<{ taskDefinition: TaskDefinition }>('DeregisterTaskDefinition', { taskDefinition: name });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`deregistered ${r.taskDefinition.family}:${r.taskDefinition.revision} (${r.taskDefinition.status})\n`);
      }),
    );
}
