import type { Command } from 'commander';
import { action, parseIntOption, type App } from '../context';
import type { EcsContainerInstance, EcsTask } from '../ecs-types';
import { describeService } from '../deploy-watch';
import { printData } from '../output/structured';
import { renderServiceDetail } from '../output/services';
import { describeAll, listAll } from '../paging';

export function register(parent: Command, app: App): void {
  parent
    .command('describe')
    .description('a service with its deployments, tasks per instance, recent events and why tasks are missing (DescribeServices)')
    .argument('<service>', 'service name or ARN')
    .option('--events <n>', 'how many recent events to show', parseIntOption('--events', 0, 100), 10)
    .action(
      action<[string], { events: number }>(app, async (ctx, opts, name) => {
        const s = await describeService(ctx.client, ctx.cluster, name);
        const arns = await listAll(ctx.client, 'ListTasks', { cluster: ctx.cluster, serviceName: s.serviceName }, 'taskArns');
        const tasks = (await describeAll<EcsTask>(ctx.client, 'DescribeTasks', 'tasks', 'tasks', arns, { cluster: ctx.cluster })).items;
        const instanceArns = [...new Set(tasks.map((t) => t.containerInstanceArn).filter((a): a is string => a !== undefined))];
        const instances = (await describeAll<EcsContainerInstance>(ctx.client, 'DescribeContainerInstances', 'containerInstances', 'containerInstances', instanceArns, { cluster: ctx.cluster })).items;
        if (ctx.structured) return printData(ctx, { service: s, tasks });
        ctx.io.stdout.write(renderServiceDetail(s, tasks, instances, ctx.io.now(), opts.events));
      }),
    );
}
