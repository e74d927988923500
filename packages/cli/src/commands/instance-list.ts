import type { Command } from 'commander';
import { action, type App } from '../context';
import type { EcsContainerInstance } from '../ecs-types';
import { printData } from '../output/structured';
import { renderInstanceTable } from '../output/instances';
import { printFailures } from '../output/tasks';
import { describeAll, listAll } from '../paging';

export function register(parent: Command, app: App): void {
  parent
    .command('list')
    .description('list container instances with used and free CPU/memory (ListContainerInstances + DescribeContainerInstances)')
    .option('--status <status>', 'ACTIVE, DRAINING, ... (ECS default: all but INACTIVE)')
    .action(
      action<[], { status?: string }>(app, async (ctx, opts) => {
        const body: Record<string, unknown> = { cluster: ctx.cluster };
        if (opts.status !== undefined) body.status = opts.status;
        const arns = await listAll(ctx.client, 'ListContainerInstances', body, 'containerInstanceArns');
        const { items, failures } = await describeAll<EcsContainerInstance>(
          ctx.client, 'DescribeContainerInstances', 'containerInstances', 'containerInstances', arns, { cluster: ctx.cluster },
        );
        if (ctx.structured) return printData(ctx, { containerInstances: items, failures });
        printFailures(ctx.io.stderr, failures);
        if (items.length === 0) ctx.io.stderr.write(`no container instances in cluster ${ctx.cluster}\n`);
        else ctx.io.stdout.write(renderInstanceTable(items));
      }),
    );
}
