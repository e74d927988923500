import type { Command } from 'commander';
import { action, parseIntOption, type App } from '../context';
import type { EcsService } from '../ecs-types';
import { printData } from '../output/structured';
import { renderServiceTable } from '../output/services';
import { waitAndReport } from '../service-wait';

export function register(parent: Command, app: App): void {
  parent
    .command('delete')
    .description('delete a service: it drains (its tasks stop) and becomes INACTIVE (DeleteService)')
    .argument('<service>', 'service name or ARN')
    .option('--force', 'delete even while scaled above 0')
    .option('--wait', 'wait until every task has stopped')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 124); 0 = no limit', parseIntOption('--timeout', 0), 0)
    .action(
      action<[string], { force?: boolean; wait?: boolean; timeout: number }>(app, async (ctx, opts, service) => {
        const r = await ctx.client.call<{ service: EcsService }>('DeleteService', { cluster: ctx.cluster, service, force: opts.force === true });
        if (ctx.structured && !opts.wait) return printData(ctx, r);
        if (!ctx.structured) ctx.io.stdout.write(renderServiceTable([r.service]));
        if (!opts.wait) return;
        return waitAndReport(ctx, r.service.serviceName, opts.timeout);
      }),
    );
}
