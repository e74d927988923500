import type { Command } from 'commander';
import { Option } from 'commander';
import { action, type App } from '../context';
import type { EcsTask } from '../ecs-types';
import { printData } from '../output/structured';
import { printFailures, renderTaskTable } from '../output/tasks';
import { describeAll, listAll } from '../paging';

interface Opts {
  family?: string;
  desiredStatus?: string;
  instance?: string;
  startedBy?: string;
}

export function register(parent: Command, app: App): void {
  parent
    .command('list')
    .description('list tasks with their status and host ports (ListTasks + DescribeTasks)')
    .option('--family <family>', 'only tasks of this task definition family')
    .addOption(new Option('--desired-status <status>', 'RUNNING (the ECS default) or STOPPED').choices(['RUNNING', 'STOPPED']))
    .option('--instance <id>', 'only tasks on this container instance')
    .option('--started-by <value>', 'only tasks with this startedBy (ECS allows no other filter with it)')
    .action(
      action<[], Opts>(app, async (ctx, opts) => {
        const body: Record<string, unknown> = { cluster: ctx.cluster };
        if (opts.family !== undefined) body.family = opts.family;
        if (opts.desiredStatus !== undefined) body.desiredStatus = opts.desiredStatus;
        if (opts.instance !== undefined) body.containerInstance = opts.instance;
        if (opts.startedBy !== undefined) body.startedBy = opts.startedBy;
        const arns = await listAll(ctx.client, 'ListTasks', body, 'taskArns');
        const { items, failures } = await describeAll<EcsTask>(ctx.client, 'DescribeTasks', 'tasks', 'tasks', arns, { cluster: ctx.cluster });
        if (ctx.structured) return printData(ctx, { tasks: items, failures });
        printFailures(ctx.io.stderr, failures);
        if (items.length === 0) ctx.io.stderr.write(`no ${opts.desiredStatus === 'STOPPED' ? 'stopped' : 'running'} tasks in cluster ${ctx.cluster}\n`);
        else ctx.io.stdout.write(renderTaskTable(items, ctx.io.now()));
      }),
    );
}
