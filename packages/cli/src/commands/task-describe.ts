import type { Command } from 'commander';
import { action, type App } from '../context';
import type { TasksResponse } from '../ecs-types';
import { printData } from '../output/structured';
import { resolveTaskRef } from '../task-ids';
import { printFailures, renderTaskDetail } from '../output/tasks';

export function register(parent: Command, app: App): void {
  parent
    .command('describe')
    .description('show tasks in detail: containers, exit codes, reasons, host ports (DescribeTasks)')
    .argument('<task...>', 'task ids (or a unique prefix, as tables show them) or ARNs')
    .action(
      action<[string[]], object>(app, async (ctx, _opts, ids) => {
        const tasks = await Promise.all(ids.map((id) => resolveTaskRef(ctx, id)));
        const r = await ctx.client.call<TasksResponse>('DescribeTasks', { cluster: ctx.cluster, tasks, include: ['TAGS'] });
        const failures = r.failures ?? [];
        if (ctx.structured) printData(ctx, r);
        else ctx.io.stdout.write((r.tasks ?? []).map((t) => renderTaskDetail(t, ctx.io.now())).join('\n'));
        printFailures(ctx.io.stderr, failures);
        // Like `docker inspect`: asking for something that does not exist fails.
        return failures.length > 0 ? 1 : 0;
      }),
    );
}
