import type { Command } from 'commander';
import { action, type App } from '../context';
import type { EcsCluster } from '../ecs-types';
import { printData } from '../output/structured';
import { renderClusterTable } from './cluster-list';

export function register(parent: Command, app: App): void {
  parent
    .command('create')
    .description('create a cluster (CreateCluster); an existing name returns the existing cluster')
    .argument('<name>', 'cluster name ([A-Za-z0-9_-], up to 255 characters)')
    .action(
      action<[string], object>(app, async (ctx, _opts, name) => {
        const r = await ctx.client.call<{ cluster: EcsCluster }>('CreateCluster', { clusterName: name });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderClusterTable([r.cluster]));
      }),
    );
}
