import type { Command } from 'commander';
import { action, type App } from '../context';
import type { EcsContainerInstance, Failure } from '../ecs-types';
import { printData } from '../output/structured';
import { renderInstanceTable } from '../output/instances';
import { printFailures } from '../output/tasks';

/** drain / activate: UpdateContainerInstancesState. A DRAINING instance gets no new tasks and its service tasks move away. */
export function register(parent: Command, app: App): void {
  for (const [verb, status, what] of [
    ['drain', 'DRAINING', 'stop placing tasks on instances and move their service tasks elsewhere (standalone tasks stay)'],
    ['activate', 'ACTIVE', 'make drained instances take tasks again'],
  ] as const) {
    parent
      .command(verb)
      .description(`${what} (UpdateContainerInstancesState ${status})`)
      .argument('<instances...>', 'container instance ids or ARNs (at most 10)')
      .action(
        action<[string[]], object>(app, async (ctx, _opts, ids) => {
          const r = await ctx.client.call<{ containerInstances?: EcsContainerInstance[]; failures?: Failure[] }>('UpdateContainerInstancesState', {
            cluster: ctx.cluster,
            containerInstances: ids,
            status,
          });
          if (ctx.structured) return printData(ctx, r);
          printFailures(ctx.io.stderr, r.failures);
          if ((r.containerInstances ?? []).length > 0) ctx.io.stdout.write(renderInstanceTable(r.containerInstances ?? []));
          return (r.failures ?? []).length > 0 ? 1 : 0;
        }),
      );
  }
}
