import { InvalidArgumentError, type Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';
import { action, CliError, parseIntOption, type App } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';

interface CapacityProvider {
  name: string;
  status: string;
  autoScalingGroupProvider: {
    autoScalingGroupArn: string;
    managedScaling: { status: string; targetCapacity: number; minimumScalingStepSize: number; maximumScalingStepSize: number };
    managedTerminationProtection: string;
  };
}

/** `NAME[:weight[:base]]`, the strategy item shorthand. */
export function strategyItem(value: string, prev: { capacityProvider: string; weight?: number; base?: number }[] = []) {
  const [name, weight, base] = value.split(':');
  const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
  const w = num(weight);
  const b = num(base);
  if (!name || (w !== undefined && !Number.isInteger(w)) || (b !== undefined && !Number.isInteger(b))) throw new InvalidArgumentError(`${value}: expected NAME[:WEIGHT[:BASE]]`);
  return [...prev, { capacityProvider: name, weight: w ?? 1, ...(b !== undefined ? { base: b } : {}) }];
}

export function register(program: Command, app: App): void {
  const parent = program.command('capacity-provider').description('ECS capacity providers over host groups: managed scaling grows and shrinks the group for the tasks');

  parent
    .command('create')
    .description('create a capacity provider for a host group (CreateCapacityProvider)')
    .argument('<name>', 'capacity provider name')
    .requiredOption('--host-group <name>', 'the host group it scales')
    .option('--target <percent>', 'managed scaling target capacity, 1-100 (default 100)', parseIntOption('--target', 1, 100))
    .option('--min-step <n>', 'minimum scaling step (default 1)', parseIntOption('--min-step', 1, 10_000))
    .option('--max-step <n>', 'maximum scaling step (default 10000)', parseIntOption('--max-step', 1, 10_000))
    .option('--no-managed-scaling', 'do not scale the group (managed scaling DISABLED)')
    .option('--termination-protection', 'never remove a host running non-daemon tasks (managedTerminationProtection ENABLED)')
    .action(
      action<[string], { hostGroup: string; target?: number; minStep?: number; maxStep?: number; managedScaling: boolean; terminationProtection?: boolean }>(app, async (ctx, o, name) => {
        const g = await ctx.client.call<{ hostGroups: { hostGroupArn: string }[] }>('DescribeHostGroups', { hostGroupNames: [o.hostGroup] }, STEVEDORE_TARGET_PREFIX);
        const arn = g.hostGroups[0]?.hostGroupArn;
        if (!arn) throw new CliError(`host group ${o.hostGroup} not found`);
        const r = await ctx.client.call<{ capacityProvider: CapacityProvider }>('CreateCapacityProvider', {
          name,
          autoScalingGroupProvider: {
            autoScalingGroupArn: arn,
            managedScaling: {
              status: o.managedScaling ? 'ENABLED' : 'DISABLED',
              ...(o.target !== undefined ? { targetCapacity: o.target } : {}),
              ...(o.minStep !== undefined ? { minimumScalingStepSize: o.minStep } : {}),
              ...(o.maxStep !== undefined ? { maximumScalingStepSize: o.maxStep } : {}),
            },
            managedTerminationProtection: o.terminationProtection ? 'ENABLED' : 'DISABLED',
          },
        });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`capacity provider ${name} created for host group ${o.hostGroup}\n`);
      }),
    );

  parent
    .command('list')
    .description('capacity providers (DescribeCapacityProviders)')
    .action(
      action<[], object>(app, async (ctx) => {
        const all: CapacityProvider[] = [];
        let nextToken: string | undefined;
        do {
          const page = await ctx.client.call<{ capacityProviders: CapacityProvider[]; nextToken?: string }>('DescribeCapacityProviders', nextToken ? { nextToken } : {});
          all.push(...page.capacityProviders);
          nextToken = page.nextToken;
        } while (nextToken);
        if (ctx.structured) return printData(ctx, { capacityProviders: all });
        if (all.length === 0) return void ctx.io.stderr.write('no capacity providers\n');
        ctx.io.stdout.write(
          renderTable(
            ['NAME', 'HOST GROUP', 'SCALING', 'TARGET', 'STEPS', 'PROTECTION'],
            all.map((p) => {
              const a = p.autoScalingGroupProvider;
              return [p.name, a.autoScalingGroupArn.split('/').pop() ?? '-', a.managedScaling.status, `${a.managedScaling.targetCapacity}%`, `${a.managedScaling.minimumScalingStepSize}-${a.managedScaling.maximumScalingStepSize}`, a.managedTerminationProtection];
            }),
          ),
        );
      }),
    );

  parent
    .command('delete')
    .description('delete a capacity provider (DeleteCapacityProvider); detach it from its cluster first')
    .argument('<name>', 'capacity provider name')
    .action(
      action<[string], object>(app, async (ctx, _o, name) => {
        const r = await ctx.client.call('DeleteCapacityProvider', { capacityProvider: name });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`capacity provider ${name} deleted\n`);
      }),
    );

  parent
    .command('attach')
    .description("set --cluster's capacity providers and default strategy (PutClusterCapacityProviders)")
    .argument('[names...]', 'capacity providers of the cluster (none: detach all)')
    .option('--default <NAME[:WEIGHT[:BASE]]>', 'default strategy item, repeatable (services without launchType or strategy use it)', strategyItem)
    .action(
      action<[string[]], { default?: { capacityProvider: string; weight?: number; base?: number }[] }>(app, async (ctx, o, names) => {
        const r = await ctx.client.call<{ cluster: { capacityProviders: string[]; defaultCapacityProviderStrategy: unknown[] } }>('PutClusterCapacityProviders', {
          cluster: ctx.cluster,
          capacityProviders: names,
          defaultCapacityProviderStrategy: o.default ?? [],
        });
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`cluster ${ctx.cluster}: capacity providers ${r.cluster.capacityProviders.join(', ') || '(none)'}\n`);
      }),
    );
}
