import type { Command } from 'commander';
import { action, CliError, EXIT_USAGE, parseIntOption, type App, type CommandContext } from '../context';
import type { EcsService, TaskDefinition } from '../ecs-types';
import { parseImageOverrides, parseTaskDefinitionFile, withImages } from './deploy-revision';
import { describeService, watchDeployment, type DeployOutcome } from '../deploy-watch';
import { deploymentLabel } from '../output/deployments';
import { taskDefinitionName } from '../output/format';
import { printData } from '../output/structured';

interface Opts {
  taskDefinitionFile?: string;
  taskDefinition?: string;
  image: string[];
  wait: boolean;
  timeout: number;
}

export interface FollowOptions {
  wait: boolean;
  timeout: number;
}

/**
 * UpdateService to `taskDefinition`, then follow the new deployment.
 * Exit codes: 0 COMPLETED (or started, with --no-wait); 1 FAILED, rolled
 * back or not, or replaced by another deployment; 124 --timeout; 130 Ctrl-C.
 */
export async function deployRevision(ctx: CommandContext, service: EcsService, taskDefinition: string, opts: FollowOptions): Promise<number> {
  const since = ctx.io.now();
  const r = await ctx.client.call<{ service: EcsService }>('UpdateService', { cluster: ctx.cluster, service: service.serviceName, taskDefinition });
  const primary = (r.service.deployments ?? []).find((d) => d.status === 'PRIMARY');
  if (!primary) throw new CliError(`UpdateService returned no PRIMARY deployment for ${service.serviceName}`);
  const from = taskDefinitionName(service.taskDefinition);
  const json = ctx.structured;
  // Progress while following; the answer itself with --no-wait.
  if (!json) (opts.wait ? ctx.io.stderr : ctx.io.stdout).write(`deployment ${deploymentLabel(primary)} started on service ${service.serviceName} (from ${from})\n`);
  if (!opts.wait) {
    if (json) printData(ctx, r);
    return 0;
  }
  const outcome = await watchDeployment(ctx.client, ctx.io, {
    cluster: ctx.cluster,
    service: service.serviceName,
    deploymentId: primary.id,
    since,
    timeoutMs: opts.timeout * 1000,
    verbose: !json,
  });
  const elapsed = Math.round((ctx.io.now() - since) / 1000);
  if (json) printData(ctx, { deploymentId: primary.id, ...outcome });
  else report(ctx, outcome, elapsed);
  return outcome.result === 'COMPLETED' ? 0 : 1;
}

function report(ctx: CommandContext, o: DeployOutcome, elapsed: number): void {
  if (o.result === 'COMPLETED') {
    ctx.io.stdout.write(`deployment ${deploymentLabel(o.deployment)} completed: ${o.deployment.runningCount ?? 0}/${o.deployment.desiredCount ?? 0} tasks running (${elapsed}s)\n`);
    return;
  }
  if (o.result === 'REPLACED') {
    ctx.io.stderr.write(`error: deployment ${o.deployment} was replaced by deployment ${deploymentLabel(o.by)} before it completed\n`);
    return;
  }
  ctx.io.stderr.write(`error: deployment ${o.deployment} failed: ${o.reason}\n`);
  if (o.rollback) {
    const state = o.rollback.completed ? 'completed' : (o.rollback.deployment.rolloutState ?? 'IN_PROGRESS').toLowerCase();
    ctx.io.stderr.write(`rolled back to ${taskDefinitionName(o.rollback.deployment.taskDefinition)}: deployment ${o.rollback.deployment.id} ${state} (${elapsed}s)\n`);
  }
}

export function register(program: Command, app: App): void {
  program
    .command('deploy')
    .description('deploy a new revision to a service and follow the rolling update until it completes, fails or rolls back')
    .argument('<service>', 'service name or ARN')
    .option('--task-definition-file <file>', 'ECS task definition JSON to register and deploy (- for standard input)')
    .option('--task-definition <family[:revision]>', 'a registered task definition to deploy (family, family:revision or ARN), as in service update')
    .option('--image <container=image>', 'replace a container\'s image in the service\'s current revision (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--no-wait', 'start the deployment and exit')
    .option('--timeout <seconds>', 'give up following after this long (0 = until the deployment ends); exit code 124', parseIntOption('--timeout', 0), 0)
    .action(
      action<[string], Opts>(app, async (ctx, opts, name) => {
        if (opts.taskDefinition !== undefined && looksLikeFile(opts.taskDefinition)) {
          throw new CliError(
            `--task-definition names a registered task definition (family[:revision] or ARN); to register and deploy the file ${opts.taskDefinition}, use --task-definition-file ${opts.taskDefinition}`,
            EXIT_USAGE,
          );
        }
        const given = [opts.taskDefinitionFile !== undefined, opts.taskDefinition !== undefined, opts.image.length > 0].filter(Boolean).length;
        if (given !== 1) {
          throw new CliError('give one of --task-definition-file FILE, --task-definition FAMILY[:REVISION] or one or more --image CONTAINER=IMAGE', EXIT_USAGE);
        }
        const images = parseImageOverrides(opts.image);
        const service = await describeService(ctx.client, ctx.cluster, name);
        if (service.status !== 'ACTIVE') throw new CliError(`service ${service.serviceName} is ${service.status ?? 'not ACTIVE'}`);
        if (opts.taskDefinition !== undefined) return deployRevision(ctx, service, opts.taskDefinition, opts);
        let request: Record<string, unknown>;
        if (opts.taskDefinitionFile !== undefined) {
          const file = opts.taskDefinitionFile;
          let text: string;
          try {
            text = file === '-' ? await ctx.io.readStdin() : await ctx.io.readFile(file);
          } catch (e) {
            throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT_USAGE);
          }
          request = parseTaskDefinitionFile(file, text);
        } else {
          const current = await ctx.client.call<{ taskDefinition: TaskDefinition; tags?: unknown[] }>('DescribeTaskDefinition', { taskDefinition: service.taskDefinition, include: ['TAGS'] });
          request = withImages(current.taskDefinition, current.tags, images);
        }
        const registered = await ctx.client.call<{ taskDefinition: TaskDefinition }>('RegisterTaskDefinition', request);
        const td = registered.taskDefinition;
        if (!ctx.structured) ctx.io.stderr.write(`registered ${td.family}:${td.revision}\n`);
        return deployRevision(ctx, service, td.taskDefinitionArn!, opts);
      }),
    );
}

/** The old meaning of --task-definition on deploy was a JSON file: say so instead of sending a path as a family. */
function looksLikeFile(value: string): boolean {
  if (value.startsWith('arn:')) return false;
  return value === '-' || /\.json$/i.test(value) || value.includes('/') || value.startsWith('.');
}
