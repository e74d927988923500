import type { Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX, type ApiClient } from '../api-client';
import { action, CliError, EXIT_USAGE, parseIntOption, type App } from '../context';
import { printData } from '../output/structured';
import { renderListenerTable, renderLoadBalancer, renderLoadBalancerTable, renderRuleTable, type Elb } from '../output/load-balancers';
import { registerTargetGroupCommands, targetGroupArn } from './lb-target-group';

/** ELB operations live under the Stevedore target. */
export function elb<T = Elb>(client: ApiClient, op: string, body: object): Promise<T> {
  return client.call<T>(op, body, STEVEDORE_TARGET_PREFIX);
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A load balancer by name or ARN. */
export async function loadBalancerOf(client: ApiClient, ref: string): Promise<Elb> {
  const r = await elb(client, 'DescribeLoadBalancers', ref.startsWith('arn:') ? { LoadBalancerArns: [ref] } : { Names: [ref] });
  return r.LoadBalancers[0] as Elb;
}

export function register(program: Command, app: App): void {
  const lb = program.command('lb').description('load balancers (ELBv2 model, HAProxy on the hosts a placement picks): listeners, rules, target groups, targets');

  lb.command('create')
    .description('create an application (HTTP), network (TCP) or gateway (appliances) load balancer in --cluster (CreateLoadBalancer)')
    .argument('<name>', 'up to 32 letters, digits and hyphens')
    .option('--type <type>', 'application, network or gateway', 'application')
    .option('--scheme <scheme>', 'internet-facing or internal', 'internet-facing')
    .option('--placement <expression>', "cluster query selecting the hosts that run it, e.g. 'attribute:role == lb'")
    .option('--instance <id>', 'a container instance that runs it, repeatable', collect)
    .action(
      action<[string], { type: string; scheme: string; placement?: string; instance?: string[] }>(app, async (ctx, opts, name) => {
        if (!opts.placement && !opts.instance?.length) throw new CliError('--placement or --instance is required: which hosts run the load balancer', EXIT_USAGE);
        const Placement = { ...(opts.placement ? { Expression: opts.placement } : {}), ...(opts.instance?.length ? { ContainerInstanceIds: opts.instance } : {}) };
        const r = await elb(ctx.client, 'CreateLoadBalancer', { Name: name, Type: opts.type, Scheme: opts.scheme, Cluster: ctx.cluster, Placement });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderLoadBalancerTable(r.LoadBalancers));
      }),
    );

  lb.command('list')
    .description('list load balancers (DescribeLoadBalancers); --cluster narrows it')
    .option('--all-clusters', 'every cluster, not only --cluster')
    .action(
      action<[], { allClusters?: boolean }>(app, async (ctx, opts) => {
        const out: Elb[] = [];
        let marker: string | undefined;
        do {
          const page = await elb(ctx.client, 'DescribeLoadBalancers', { ...(opts.allClusters ? {} : { Cluster: ctx.cluster }), ...(marker ? { Marker: marker } : {}) });
          out.push(...(page.LoadBalancers as Elb[]));
          marker = page.NextMarker as string | undefined;
        } while (marker);
        if (ctx.structured) return printData(ctx, { LoadBalancers: out });
        if (out.length === 0) ctx.io.stderr.write('no load balancers\n');
        else ctx.io.stdout.write(renderLoadBalancerTable(out));
      }),
    );

  lb.command('describe')
    .description('a load balancer with its listeners and rules')
    .argument('<lb>', 'name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, ref) => {
        const one = await loadBalancerOf(ctx.client, ref);
        const listeners = (await elb(ctx.client, 'DescribeListeners', { LoadBalancerArn: one.LoadBalancerArn })).Listeners as Elb[];
        const rules = new Map<string, Elb[]>();
        for (const l of listeners) rules.set(l.ListenerArn, (await elb(ctx.client, 'DescribeRules', { ListenerArn: l.ListenerArn })).Rules as Elb[]);
        if (ctx.structured) return printData(ctx, { LoadBalancer: one, Listeners: listeners, Rules: Object.fromEntries(rules) });
        ctx.io.stdout.write(renderLoadBalancer(one, listeners, rules));
      }),
    );

  lb.command('delete')
    .description('delete a load balancer and its listeners (DeleteLoadBalancer); target groups stay')
    .argument('<lb>', 'name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, ref) => {
        const one = await loadBalancerOf(ctx.client, ref);
        await elb(ctx.client, 'DeleteLoadBalancer', { LoadBalancerArn: one.LoadBalancerArn });
        if (ctx.structured) return printData(ctx, { LoadBalancerArn: one.LoadBalancerArn });
        ctx.io.stdout.write(`deleted ${one.LoadBalancerName}\n`);
      }),
    );

  const listener = lb.command('listener').description('listeners: a port and protocol forwarding to a target group by default');
  listener
    .command('create')
    .description('add a listener (CreateListener)')
    .argument('<lb>', 'load balancer name or ARN')
    .requiredOption('--port <port>', 'port the hosts listen on', parseIntOption('--port', 1, 65535))
    .option('--protocol <protocol>', 'HTTP (application) or TCP (network); default from the load balancer type; none on a gateway')
    .requiredOption('--target-group <tg>', 'default action: forward to this target group (name or ARN); on a gateway, its GENEVE group of appliances')
    .option('--destination <tg>', 'gateway: the target group flows reach after the appliances (tag stevedore:destination)')
    .option('--return-port <port>', 'gateway: the port appliances send flows back to (tag stevedore:return-port; default 6081)', parseIntOption('--return-port', 1, 65535))
    .action(
      action<[string], { port: number; protocol?: string; targetGroup: string; destination?: string; returnPort?: number }>(app, async (ctx, opts, ref) => {
        const one = await loadBalancerOf(ctx.client, ref);
        const gateway = one.Type === 'gateway';
        if (gateway && !opts.destination) throw new CliError('--destination is required for a gateway listener: the target group behind the appliances', EXIT_USAGE);
        if (!gateway && (opts.destination || opts.returnPort !== undefined)) throw new CliError('--destination and --return-port are for gateway load balancers', EXIT_USAGE);
        const protocol = gateway ? undefined : (opts.protocol ?? (one.Type === 'network' ? 'TCP' : 'HTTP'));
        const tg = await targetGroupArn(ctx.client, opts.targetGroup);
        const Tags = gateway
          ? [{ Key: 'stevedore:destination', Value: await targetGroupArn(ctx.client, opts.destination!) }, ...(opts.returnPort !== undefined ? [{ Key: 'stevedore:return-port', Value: String(opts.returnPort) }] : [])]
          : undefined;
        const r = await elb(ctx.client, 'CreateListener', { LoadBalancerArn: one.LoadBalancerArn, ...(protocol ? { Protocol: protocol } : {}), Port: opts.port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }], ...(Tags ? { Tags } : {}) });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderListenerTable(r.Listeners));
      }),
    );
  listener
    .command('list')
    .description("a load balancer's listeners (DescribeListeners)")
    .argument('<lb>', 'load balancer name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _opts, ref) => {
        const one = await loadBalancerOf(ctx.client, ref);
        const r = await elb(ctx.client, 'DescribeListeners', { LoadBalancerArn: one.LoadBalancerArn });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderListenerTable(r.Listeners));
      }),
    );
  listener
    .command('delete')
    .description('delete a listener and its rules (DeleteListener)')
    .argument('<listener-arn>')
    .action(
      action<[string], object>(app, async (ctx, _opts, arn) => {
        await elb(ctx.client, 'DeleteListener', { ListenerArn: arn });
        if (!ctx.structured) ctx.io.stdout.write('deleted\n');
      }),
    );

  const rule = lb.command('rule').description('listener rules: host-header and path-pattern conditions, lowest priority first');
  rule
    .command('create')
    .description('add a rule to an application listener (CreateRule)')
    .argument('<listener-arn>')
    .requiredOption('--priority <n>', '1-50000, evaluated lowest first', parseIntOption('--priority', 1, 50_000))
    .option('--path-pattern <pattern>', 'path pattern with * and ? wildcards, repeatable (OR)', collect)
    .option('--host-header <host>', 'host name with * and ? wildcards, repeatable (OR)', collect)
    .requiredOption('--target-group <tg>', 'forward matching requests to this target group (name or ARN)')
    .action(
      action<[string], { priority: number; pathPattern?: string[]; hostHeader?: string[]; targetGroup: string }>(app, async (ctx, opts, listenerArn) => {
        const Conditions = [
          ...(opts.hostHeader?.length ? [{ Field: 'host-header', Values: opts.hostHeader }] : []),
          ...(opts.pathPattern?.length ? [{ Field: 'path-pattern', Values: opts.pathPattern }] : []),
        ];
        if (Conditions.length === 0) throw new CliError('a rule needs --path-pattern and/or --host-header', EXIT_USAGE);
        const tg = await targetGroupArn(ctx.client, opts.targetGroup);
        const r = await elb(ctx.client, 'CreateRule', { ListenerArn: listenerArn, Priority: opts.priority, Conditions, Actions: [{ Type: 'forward', TargetGroupArn: tg }] });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderRuleTable(r.Rules));
      }),
    );
  rule
    .command('list')
    .description("a listener's rules in evaluation order, the default last (DescribeRules)")
    .argument('<listener-arn>')
    .action(
      action<[string], object>(app, async (ctx, _opts, listenerArn) => {
        const r = await elb(ctx.client, 'DescribeRules', { ListenerArn: listenerArn });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(renderRuleTable(r.Rules));
      }),
    );
  rule
    .command('delete')
    .description('delete a rule (DeleteRule)')
    .argument('<rule-arn>')
    .action(
      action<[string], object>(app, async (ctx, _opts, arn) => {
        await elb(ctx.client, 'DeleteRule', { RuleArn: arn });
        if (!ctx.structured) ctx.io.stdout.write('deleted\n');
      }),
    );

  registerTargetGroupCommands(lb, app);
}
