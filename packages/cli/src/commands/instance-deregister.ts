import type { Command } from 'commander';
import { action, type App } from '../context';
import type { EcsContainerInstance } from '../ecs-types';
import { printData } from '../output/structured';
import { renderInstanceTable } from '../output/instances';

export function register(parent: Command, app: App): void {
  parent
    .command('deregister')
    .description('remove a container instance from the cluster (DeregisterContainerInstance)')
    .argument('<instance>', 'container instance id or ARN')
    .option('--force', 'deregister even with tasks on it; they keep running on the host, orphaned (ECS semantics)')
    .action(
      action<[string], { force?: boolean }>(app, async (ctx, opts, id) => {
        const r = await ctx.client.call<{ containerInstance: EcsContainerInstance }>('DeregisterContainerInstance', {
          cluster: ctx.cluster,
          containerInstance: id,
          force: opts.force === true,
        });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderInstanceTable([r.containerInstance]));
      }),
    );
}
