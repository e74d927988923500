import type { Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX, type ApiClient } from '../api-client';
import { action, CliError, EXIT_USAGE, parseIntOption, type App } from '../context';
import { printData } from '../output/structured';
import { renderTargetGroup, renderTargetGroupTable, renderTargetHealthTable, type Elb } from '../output/load-balancers';

function elb<T = Elb>(client: ApiClient, op: string, body: object): Promise<T> {
  return client.call<T>(op, body, STEVEDORE_TARGET_PREFIX);
}

async function targetGroupOf(client: ApiClient, ref: string): Promise<Elb> {
  const r = await elb(client, 'DescribeTargetGroups', ref.startsWith('arn:') ? { TargetGroupArns: [ref] } : { Names: [ref] });
  return r.TargetGroups[0] as Elb;
}

/** A target group's ARN from its name or ARN. */
export async function targetGroupArn(client: ApiClient, ref: string): Promise<string> {
  return ref.startsWith('arn:') ? ref : ((await targetGroupOf(client, ref)).TargetGroupArn as string);
}

/** `ID` or `ID:PORT` (container instance id or ARN, or an IP for type ip). */
export function parseTarget(v: string): { Id: string; Port?: number } {
  // An ARN has colons of its own: only a :<digits> after its last path segment is a port.
  const m = v.startsWith('arn:') ? /^(arn:.+\/[^/:]+)(?::(\d{1,5}))?$/.exec(v) : /^([^:]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) throw new CliError(`bad target ${JSON.stringify(v)}: expected ID or ID:PORT`, EXIT_USAGE);
  return m[2] === undefined ? { Id: m[1]! } : { Id: m[1]!, Port: Number(m[2]) };
}

interface CreateOpts {
  protocol: string;
  port: number;
  targetType: string;
  healthCheckPath?: string;
  healthCheckPort?: string;
  healthCheckInterval?: number;
  healthCheckTimeout?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  matcher?: string;
  deregistrationDelay?: number;
  slowStart?: number;
}

/** `lb target-group ...` and `lb targets TG`. */
export function registerTargetGroupCommands(lb: Command, app: App): void {
  const tg = lb.command('target-group').description('target groups: where listeners and rules forward, with the health check of their targets');
  tg.command('create')
    .description('create a target group (CreateTargetGroup, then ModifyTargetGroupAttributes for the delay and slow start)')
    .argument('<name>')
    .requiredOption('--protocol <protocol>', 'HTTP (application load balancers), TCP (network) or GENEVE (a gateway\'s appliances, port 6081)')
    .requiredOption('--port <port>', 'default target port', parseIntOption('--port', 1, 65535))
    .option('--target-type <type>', 'instance (services, bridge mode) or ip', 'instance')
    .option('--health-check-path <path>', 'HTTP checks: path (default /)')
    .option('--health-check-port <port>', "traffic-port (default) or a port")
    .option('--health-check-interval <s>', 'seconds between checks (default 30)', parseIntOption('--health-check-interval', 1, 300))
    .option('--health-check-timeout <s>', 'seconds (default 5 HTTP, 10 TCP)', parseIntOption('--health-check-timeout', 1, 120))
    .option('--healthy-threshold <n>', 'passing checks to become healthy (default 5)', parseIntOption('--healthy-threshold', 2, 10))
    .option('--unhealthy-threshold <n>', 'failing checks to become unhealthy (default 2)', parseIntOption('--unhealthy-threshold', 2, 10))
    .option('--matcher <codes>', "HTTP codes that pass: 200, 200-299, 200,302 (default 200)")
    .option('--deregistration-delay <s>', 'draining time before a deregistered target goes (default 300)', parseIntOption('--deregistration-delay', 0, 3600))
    .option('--slow-start <s>', 'ramp-up of new targets: 0 or 30-900', parseIntOption('--slow-start', 0, 900))
    .action(
      action<[string], CreateOpts>(app, async (ctx, o, name) => {
        const body: Record<string, unknown> = { Name: name, Protocol: o.protocol, Port: o.port, TargetType: o.targetType };
        if (o.healthCheckPath !== undefined) body.HealthCheckPath = o.healthCheckPath;
        if (o.healthCheckPort !== undefined) body.HealthCheckPort = o.healthCheckPort;
        if (o.healthCheckInterval !== undefined) body.HealthCheckIntervalSeconds = o.healthCheckInterval;
        if (o.healthCheckTimeout !== undefined) body.HealthCheckTimeoutSeconds = o.healthCheckTimeout;
        if (o.healthyThreshold !== undefined) body.HealthyThresholdCount = o.healthyThreshold;
        if (o.unhealthyThreshold !== undefined) body.UnhealthyThresholdCount = o.unhealthyThreshold;
        if (o.matcher !== undefined) body.Matcher = { HttpCode: o.matcher };
        const r = await elb(ctx.client, 'CreateTargetGroup', body);
        const created = r.TargetGroups[0] as Elb;
        const Attributes = [
          ...(o.deregistrationDelay !== undefined ? [{ Key: 'deregistration_delay.timeout_seconds', Value: String(o.deregistrationDelay) }] : []),
          ...(o.slowStart !== undefined ? [{ Key: 'slow_start.duration_seconds', Value: String(o.slowStart) }] : []),
        ];
        if (Attributes.length) await elb(ctx.client, 'ModifyTargetGroupAttributes', { TargetGroupArn: created.TargetGroupArn, Attributes });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderTargetGroupTable([created]));
      }),
    );

  tg.command('list')
    .description('list target groups (DescribeTargetGroups)')
    .option('--load-balancer <arn>', "only a load balancer's")
    .action(
      action<[], { loadBalancer?: string }>(app, async (ctx, opts) => {
        const out: Elb[] = [];
        let marker: string | undefined;
        do {
          const page = await elb(ctx.client, 'DescribeTargetGroups', { ...(opts.loadBalancer ? { LoadBalancerArn: opts.loadBalancer } : {}), ...(marker ? { Marker: marker } : {}) });
          out.push(...(page.TargetGroups as Elb[]));
          marker = page.NextMarker as string | undefined;
        } while (marker);
        if (ctx.structured) return printData(ctx, { TargetGroups: out });
        if (out.length === 0) ctx.io.stderr.write('no target groups\n');
        else ctx.io.stdout.write(renderTargetGroupTable(out));
      }),
    );

  tg.command('describe')
    .description('a target group, its attributes and its targets')
    .argument('<tg>', 'name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, ref) => {
        const one = await targetGroupOf(ctx.client, ref);
        const attrs = (await elb(ctx.client, 'DescribeTargetGroupAttributes', { TargetGroupArn: one.TargetGroupArn })).Attributes as Elb[];
        const health = (await elb(ctx.client, 'DescribeTargetHealth', { TargetGroupArn: one.TargetGroupArn })).TargetHealthDescriptions as Elb[];
        if (ctx.structured) return printData(ctx, { TargetGroup: one, Attributes: attrs, TargetHealthDescriptions: health });
        ctx.io.stdout.write(renderTargetGroup(one, attrs) + '\nTargets:\n' + (health.length ? renderTargetHealthTable(health) : '  (none)\n'));
      }),
    );

  tg.command('delete')
    .description('delete a target group no listener or rule uses (DeleteTargetGroup)')
    .argument('<tg>', 'name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, ref) => {
        await elb(ctx.client, 'DeleteTargetGroup', { TargetGroupArn: await targetGroupArn(ctx.client, ref) });
        if (!ctx.structured) ctx.io.stdout.write('deleted\n');
      }),
    );

  lb.command('targets')
    .description('target health of a target group, with ELB states and reason codes (DescribeTargetHealth)')
    .argument('<tg>', 'name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, ref) => {
        const r = await elb(ctx.client, 'DescribeTargetHealth', { TargetGroupArn: await targetGroupArn(ctx.client, ref) });
        if (ctx.structured) return printData(ctx, r);
        const list = r.TargetHealthDescriptions as Elb[];
        if (list.length === 0) ctx.io.stderr.write('no targets registered\n');
        else ctx.io.stdout.write(renderTargetHealthTable(list));
      }),
    );

  for (const [name, op, what] of [
    ['register-targets', 'RegisterTargets', 'register targets by hand (RegisterTargets); services register their tasks themselves'],
    ['deregister-targets', 'DeregisterTargets', 'deregister targets: they drain for the deregistration delay (DeregisterTargets)'],
  ] as const) {
    lb.command(name)
      .description(what)
      .argument('<tg>', 'target group name or ARN')
      .argument('<targets...>', 'ID or ID:PORT (container instance id or ARN; an IP for target type ip)')
      .action(
        action<[string, string[]], object>(app, async (ctx, _opts, ref, targets) => {
          await elb(ctx.client, op, { TargetGroupArn: await targetGroupArn(ctx.client, ref), Targets: targets.map(parseTarget) });
          if (!ctx.structured) ctx.io.stdout.write(`${name === 'register-targets' ? 'registered' : 'deregistering'} ${targets.length} target(s)\n`);
        }),
      );
  }
}
