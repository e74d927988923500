import { Option, type Command } from 'commander';
import { action, type App } from '../context';
import type { EcsService } from '../ecs-types';
import { printData } from '../output/structured';
import { renderServiceTable } from '../output/services';
import { listAll } from '../paging';

export function register(parent: Command, app: App): void {
  parent
    .command('list')
    .description('list the ACTIVE services of the cluster with their counts (ListServices + DescribeServices)')
    .addOption(new Option('--launch-type <type>', 'only services of this launch type (as ECS: none on a capacity provider strategy)').choices(['EC2', 'FARGATE', 'EXTERNAL']))
    .addOption(new Option('--scheduling-strategy <strategy>', 'only REPLICA or DAEMON services').choices(['REPLICA', 'DAEMON']))
    .action(
      action<[], { launchType?: string; schedulingStrategy?: string }>(app, async (ctx, opts) => {
        const filter = { ...(opts.launchType ? { launchType: opts.launchType } : {}), ...(opts.schedulingStrategy ? { schedulingStrategy: opts.schedulingStrategy } : {}) };
        const arns = await listAll(ctx.client, 'ListServices', { cluster: ctx.cluster, ...filter }, 'serviceArns');
        const services: EcsService[] = [];
        // DescribeServices takes at most 10 names.
        for (let i = 0; i < arns.length; i += 10) {
          const r = await ctx.client.call<{ services?: EcsService[] }>('DescribeServices', { cluster: ctx.cluster, services: arns.slice(i, i + 10) });
          services.push(...(r.services ?? []));
        }
        if (ctx.structured) return printData(ctx, { services });
        if (services.length === 0) ctx.io.stderr.write(`no services in cluster ${ctx.cluster}\n`);
        else ctx.io.stdout.write(renderServiceTable(services));
      }),
    );
}
