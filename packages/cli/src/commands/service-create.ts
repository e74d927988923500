import type { Command } from 'commander';
import { action, CliError, EXIT_USAGE, parseIntOption, type App } from '../context';
import type { EcsService } from '../ecs-types';
import { printData } from '../output/structured';
import { renderServiceTable } from '../output/services';
import { waitAndReport } from '../service-wait';

interface Opts {
  input?: string;
  taskDefinition?: string;
  desiredCount?: number;
  daemon?: boolean;
  constraint?: string[];
  strategy?: string[];
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  clientToken?: string;
  loadBalancer?: string[];
  wait?: boolean;
  timeout: number;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `distinctInstance` or `memberOf:<expression>`. */
export function parseConstraint(v: string): { type: string; expression?: string } {
  if (v === 'distinctInstance') return { type: v };
  const m = /^memberOf[:=](.+)$/.exec(v);
  if (!m) throw new CliError(`--constraint ${JSON.stringify(v)}: expected distinctInstance or memberOf:<expression>`, EXIT_USAGE);
  return { type: 'memberOf', expression: m[1]! };
}

/** `targetGroupArn=ARN,containerName=web,containerPort=8080` (ECS loadBalancers[] member). */
export function parseLoadBalancer(v: string): { targetGroupArn: string; containerName: string; containerPort: number } {
  const fields = new Map(v.split(',').map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()] as [string, string];
  }));
  const targetGroupArn = fields.get('targetGroupArn');
  const containerName = fields.get('containerName');
  const containerPort = Number(fields.get('containerPort'));
  if (!targetGroupArn || !containerName || !Number.isInteger(containerPort) || containerPort < 1) {
    throw new CliError(`--load-balancer ${JSON.stringify(v)}: expected targetGroupArn=ARN,containerName=NAME,containerPort=PORT`, EXIT_USAGE);
  }
  return { targetGroupArn, containerName, containerPort };
}

/** `random`, `binpack:memory`, `spread:attribute:ecs.availability-zone`. */
export function parseStrategy(v: string): { type: string; field?: string } {
  const i = v.indexOf(':');
  return i < 0 ? { type: v } : { type: v.slice(0, i), field: v.slice(i + 1) };
}

/** Builds the CreateService request from an ECS JSON file and/or flags (flags win). */
export function createRequest(name: string | undefined, base: Record<string, unknown>, opts: Opts): Record<string, unknown> {
  const req: Record<string, unknown> = { ...base };
  if (name !== undefined) req.serviceName = name;
  if (opts.taskDefinition !== undefined) req.taskDefinition = opts.taskDefinition;
  if (opts.desiredCount !== undefined) req.desiredCount = opts.desiredCount;
  if (opts.daemon) req.schedulingStrategy = 'DAEMON';
  if (opts.constraint) req.placementConstraints = opts.constraint.map(parseConstraint);
  if (opts.strategy) req.placementStrategy = opts.strategy.map(parseStrategy);
  if (opts.minimumHealthyPercent !== undefined || opts.maximumPercent !== undefined) {
    req.deploymentConfiguration = {
      ...((base.deploymentConfiguration as object | undefined) ?? {}),
      ...(opts.minimumHealthyPercent !== undefined ? { minimumHealthyPercent: opts.minimumHealthyPercent } : {}),
      ...(opts.maximumPercent !== undefined ? { maximumPercent: opts.maximumPercent } : {}),
    };
  }
  if (opts.clientToken !== undefined) req.clientToken = opts.clientToken;
  if (opts.loadBalancer?.length) req.loadBalancers = opts.loadBalancer.map(parseLoadBalancer);
  if (req.schedulingStrategy !== 'DAEMON' && req.desiredCount === undefined) req.desiredCount = 1;
  if (typeof req.serviceName !== 'string') throw new CliError('a service name is required (argument or serviceName in --input)', EXIT_USAGE);
  if (typeof req.taskDefinition !== 'string') throw new CliError('--task-definition is required (or taskDefinition in --input)', EXIT_USAGE);
  return req;
}

export function register(parent: Command, app: App): void {
  parent
    .command('create')
    .description('create a service from flags or an ECS CreateService JSON file (CreateService)')
    .argument('[name]', 'service name (or serviceName in --input)')
    .option('--input <file>', 'ECS CreateService request JSON, - for standard input')
    .option('--task-definition <family[:revision]>', 'task definition to run')
    .option('--desired-count <n>', 'tasks to keep running (default 1)', parseIntOption('--desired-count', 0))
    .option('--daemon', 'one task on every matching instance (schedulingStrategy DAEMON)')
    .option('--constraint <c>', 'distinctInstance or memberOf:<expression>, repeatable', collect)
    .option('--strategy <s>', 'random, binpack:cpu|memory, spread:instanceId|attribute:<name>; repeatable, in order', collect)
    .option('--minimum-healthy-percent <n>', 'deployment lower bound', parseIntOption('--minimum-healthy-percent', 0, 100))
    .option('--maximum-percent <n>', 'deployment upper bound', parseIntOption('--maximum-percent', 100))
    .option('--client-token <token>', 'idempotency token (a retry with it creates one service)')
    .option('--load-balancer <spec>', 'targetGroupArn=ARN,containerName=NAME,containerPort=PORT: register each task in a target group; repeatable (up to 5)', collect)
    .option('--wait', 'wait until the service is steady, showing progress and events')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 124); 0 = no limit', parseIntOption('--timeout', 0), 0)
    .action(
      action<[string | undefined], Opts>(app, async (ctx, opts, name) => {
        let base: Record<string, unknown> = {};
        if (opts.input !== undefined) {
          const text = opts.input === '-' ? await ctx.io.readStdin() : await ctx.io.readFile(opts.input).catch((e: Error) => Promise.reject(new CliError(`cannot read ${opts.input}: ${e.message}`, EXIT_USAGE)));
          try {
            base = JSON.parse(text) as Record<string, unknown>;
          } catch (e) {
            throw new CliError(`${opts.input} is not valid JSON (${(e as Error).message})`, EXIT_USAGE);
          }
        }
        const req = { ...createRequest(name, base, opts), cluster: ctx.cluster };
        const r = await ctx.client.call<{ service: EcsService }>('CreateService', req);
        if (ctx.structured && !opts.wait) return printData(ctx, r);
        if (!ctx.structured) ctx.io.stdout.write(renderServiceTable([r.service]));
        if (!opts.wait) return;
        return waitAndReport(ctx, r.service.serviceName, opts.timeout);
      }),
    );
}
