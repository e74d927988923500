import type { Command } from 'commander';
import { action, type App } from '../context';
import type { EcsCluster } from '../ecs-types';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';
import { dash } from '../output/format';
import { describeAll, listAll } from '../paging';
import { printFailures } from '../output/tasks';

export function renderClusterTable(clusters: EcsCluster[]): string {
  return renderTable(
    ['NAME', 'STATUS', 'INSTANCES', 'RUNNING', 'PENDING', 'SERVICES'],
    clusters.map((c) => [
      c.clusterName,
      dash(c.status),
      dash(c.registeredContainerInstancesCount),
      dash(c.runningTasksCount),
      dash(c.pendingTasksCount),
      dash(c.activeServicesCount),
    ]),
  );
}

export function register(parent: Command, app: App): void {
  parent
    .command('list')
    .description('list clusters with their instance and task counts (ListClusters + DescribeClusters)')
    .action(
      action<[], object>(app, async (ctx) => {
        const arns = await listAll(ctx.client, 'ListClusters', {}, 'clusterArns');
        const { items, failures } = await describeAll<EcsCluster>(ctx.client, 'DescribeClusters', 'clusters', 'clusters', arns);
        if (ctx.structured) return printData(ctx, { clusters: items, failures });
        printFailures(ctx.io.stderr, failures);
        if (items.length === 0) ctx.io.stderr.write('no clusters (create one with: stevedore cluster create NAME)\n');
        else ctx.io.stdout.write(renderClusterTable(items));
      }),
    );
}
