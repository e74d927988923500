import type { Command } from 'commander';
import { action, CliError, EXIT_USAGE, parseIntOption, type App, type CommandContext } from '../context';
import type { EcsService } from '../ecs-types';
import { printData } from '../output/structured';
import { renderServiceTable } from '../output/services';
import { waitAndReport } from '../service-wait';
import { parseConstraint, parseStrategy } from './service-create';

interface Opts {
  desiredCount?: number;
  taskDefinition?: string;
  forceNewDeployment?: boolean;
  constraint?: string[];
  strategy?: string[];
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  wait?: boolean;
  timeout: number;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

async function update(ctx: CommandContext, body: Record<string, unknown>, opts: { wait?: boolean; timeout: number }): Promise<number | void> {
  const r = await ctx.client.call<{ service: EcsService }>('UpdateService', { cluster: ctx.cluster, ...body });
  if (ctx.structured && !opts.wait) return printData(ctx, r);
  if (!ctx.structured) ctx.io.stdout.write(renderServiceTable([r.service]));
  if (!opts.wait) return;
  return waitAndReport(ctx, r.service.serviceName, opts.timeout);
}

export function register(parent: Command, app: App): void {
  parent
    .command('update')
    .description('change desired count, placement or deployment bounds of a service (UpdateService)')
    .argument('<service>', 'service name or ARN')
    .option('--desired-count <n>', 'tasks to keep running', parseIntOption('--desired-count', 0))
    .option('--task-definition <family[:revision]>', 'new revision (starts a deployment)')
    .option('--force-new-deployment', 'replace every task with a fresh one')
    .option('--constraint <c>', 'distinctInstance or memberOf:<expression>, repeatable; replaces the current ones', collect)
    .option('--strategy <s>', 'random, binpack:cpu|memory, spread:instanceId|attribute:<name>; repeatable', collect)
    .option('--minimum-healthy-percent <n>', 'deployment lower bound', parseIntOption('--minimum-healthy-percent', 0, 100))
    .option('--maximum-percent <n>', 'deployment upper bound', parseIntOption('--maximum-percent', 100))
    .option('--wait', 'wait until the service is steady, showing progress and events')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 124); 0 = no limit', parseIntOption('--timeout', 0), 0)
    .action(
      action<[string], Opts>(app, async (ctx, opts, service) => {
        const body: Record<string, unknown> = { service };
        if (opts.desiredCount !== undefined) body.desiredCount = opts.desiredCount;
        if (opts.taskDefinition !== undefined) body.taskDefinition = opts.taskDefinition;
        if (opts.forceNewDeployment) body.forceNewDeployment = true;
        if (opts.constraint) body.placementConstraints = opts.constraint.map(parseConstraint);
        if (opts.strategy) body.placementStrategy = opts.strategy.map(parseStrategy);
        if (opts.minimumHealthyPercent !== undefined || opts.maximumPercent !== undefined) {
          body.deploymentConfiguration = {
            ...(opts.minimumHealthyPercent !== undefined ? { minimumHealthyPercent: opts.minimumHealthyPercent } : {}),
            ...(opts.maximumPercent !== undefined ? { maximumPercent: opts.maximumPercent } : {}),
          };
        }
        if (Object.keys(body).length === 1) throw new CliError('nothing to update: give --desired-count, --task-definition, --force-new-deployment, --constraint, --strategy or bounds', EXIT_USAGE);
        return update(ctx, body, opts);
      }),
    );

  parent
    .command('scale')
    .description('set the desired count of a service (UpdateService)')
    .argument('<service>', 'service name or ARN')
    .argument('<count>', 'tasks to keep running', parseIntOption('count', 0))
    .option('--wait', 'wait until the service is steady, showing progress and events')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 124); 0 = no limit', parseIntOption('--timeout', 0), 0)
    .action(action<[string, number], { wait?: boolean; timeout: number }>(app, async (ctx, opts, service, count) => update(ctx, { service, desiredCount: count }, opts)));
}
