import type { Command } from 'commander';
import { action, type App } from '../context';
import type { EcsCluster } from '../ecs-types';
import { printData } from '../output/structured';
import { renderClusterTable } from './cluster-list';

export function register(parent: Command, app: App): void {
  parent
    .command('delete')
    .description('delete a cluster (DeleteCluster); fails while it still has instances or tasks')
    .argument('<name>', 'cluster name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, name) => {
        const r = await ctx.client.call<{ cluster: EcsCluster }>('DeleteCluster', { cluster: name });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderClusterTable([r.cluster]));
      }),
    );
}
