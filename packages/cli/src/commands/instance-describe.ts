import type { Command } from 'commander';
import { action, type App } from '../context';
import type { EcsContainerInstance, Failure } from '../ecs-types';
import { printData } from '../output/structured';
import { renderInstanceDetail } from '../output/instances';
import { printFailures } from '../output/tasks';

export function register(parent: Command, app: App): void {
  parent
    .command('describe')
    .description('show container instances: registered/used/free resources, ports, attributes (DescribeContainerInstances)')
    .argument('<instance...>', 'container instance ids or ARNs')
    .action(
      action<[string[]], object>(app, async (ctx, _opts, ids) => {
        const r = await ctx.client.call<{ containerInstances?: EcsContainerInstance[]; failures?: Failure[] }>(
          'DescribeContainerInstances', { cluster: ctx.cluster, containerInstances: ids },
        );
        const failures = r.failures ?? [];
        if (ctx.structured) printData(ctx, r);
        else ctx.io.stdout.write((r.containerInstances ?? []).map((i) => renderInstanceDetail(i, ctx.io.now())).join('\n'));
        printFailures(ctx.io.stderr, failures);
        return failures.length > 0 ? 1 : 0;
      }),
    );
}
