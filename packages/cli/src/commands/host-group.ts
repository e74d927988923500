import { InvalidArgumentError, type Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';
import { action, CliError, EXIT_TIMEOUT, parseIntOption, type App, type CommandContext } from '../context';
import { printData } from '../output/structured';
import { renderFields, renderTable } from '../output/table';

interface Host {
  hostId: string;
  lifecycleState: string;
  providerId?: string;
  hostIp?: string;
  containerInstanceArn?: string;
  statusReason?: string;
  launchTime?: number;
}

interface HostGroup {
  hostGroupName: string;
  hostGroupArn: string;
  cluster: string;
  status: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  joinTimeoutSeconds: number;
  attributes: { name: string; value: string }[];
  provisioner: { type: string; local?: { hostIps: string[]; ownDockerd: boolean }; exec?: { createCommand: string; destroyCommand: string; timeoutSeconds: number; retries: number } };
  hosts: Host[];
}

interface Activity {
  activityId: string;
  hostId?: string;
  description: string;
  cause: string;
  statusCode: string;
  statusMessage?: string;
  details?: string;
  startTime: number;
  endTime?: number;
}

const iso = (s: number | undefined) => (s === undefined ? '-' : new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function collectAttribute(value: string, prev: { name: string; value: string }[] = []) {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`--attribute ${JSON.stringify(value)}: expected key=value`);
  return [...prev, { name: value.slice(0, i), value: value.slice(i + 1) }];
}

async function describe(ctx: CommandContext, name: string): Promise<HostGroup | undefined> {
  const r = await ctx.client.call<{ hostGroups: HostGroup[] }>('DescribeHostGroups', { hostGroupNames: [name] }, STEVEDORE_TARGET_PREFIX);
  return r.hostGroups[0];
}

const inService = (g: HostGroup) => g.hosts.filter((h) => h.lifecycleState === 'InService').length;

/**
 * Follows a group until `done`, printing each host's lifecycle changes as
 * they happen (hosts take minutes to boot: silence would look like a hang).
 */
async function follow(ctx: CommandContext, name: string, done: (g: HostGroup | undefined) => boolean, timeoutS: number): Promise<HostGroup | undefined> {
  const seen = new Map<string, string>();
  const deadline = ctx.io.now() + timeoutS * 1000;
  for (;;) {
    const g = await describe(ctx, name);
    for (const h of g?.hosts ?? []) {
      const state = `${h.lifecycleState}${h.statusReason ? ` (${h.statusReason})` : ''}`;
      if (seen.get(h.hostId) !== state) {
        ctx.io.stderr.write(`${h.hostId}${h.hostIp ? ` ${h.hostIp}` : ''}: ${state}\n`);
        seen.set(h.hostId, state);
      }
    }
    for (const id of seen.keys()) if (!g?.hosts.some((h) => h.hostId === id)) {
      ctx.io.stderr.write(`${id}: Terminated\n`);
      seen.delete(id);
    }
    if (done(g)) return g;
    if (ctx.io.now() >= deadline) throw new CliError(`timed out after ${timeoutS} s waiting for host group ${name}`, EXIT_TIMEOUT);
    if (ctx.io.signal?.aborted) throw new CliError('interrupted', 130);
    await ctx.io.sleep(1000, ctx.io.signal);
  }
}

function printGroup(ctx: CommandContext, g: HostGroup): void {
  const p = g.provisioner;
  ctx.io.stdout.write(
    renderFields([
      ['name', g.hostGroupName],
      ['arn', g.hostGroupArn],
      ['cluster', g.cluster],
      ['status', g.status],
      ['size', `min ${g.minSize}, desired ${g.desiredCapacity}, max ${g.maxSize}`],
      ['provisioner', p.type === 'local' ? `local ${p.local!.hostIps[0]}..${p.local!.hostIps[p.local!.hostIps.length - 1]}${p.local!.ownDockerd ? ', own dockerd' : ''}` : `exec (timeout ${p.exec!.timeoutSeconds} s, ${p.exec!.retries} retries)`],
      ['join timeout', `${g.joinTimeoutSeconds} s`],
      ['attributes', g.attributes.map((a) => `${a.name}=${a.value}`).join(', ') || '-'],
    ]),
  );
  if (g.hosts.length > 0) {
    ctx.io.stdout.write('\n');
    ctx.io.stdout.write(renderTable(['HOST', 'STATE', 'ADDRESS', 'PROVIDER ID', 'INSTANCE', 'LAUNCHED'], g.hosts.map((h) => [h.hostId, h.lifecycleState, h.hostIp ?? '-', h.providerId ?? '-', h.containerInstanceArn?.split('/').pop() ?? '-', iso(h.launchTime)])));
  }
}

export function register(program: Command, app: App): void {
  const parent = program.command('host-group').description('groups of hosts the cluster creates and destroys itself (our Auto Scaling groups; capacity providers scale them)');

  parent
    .command('create')
    .description('create a host group in --cluster (CreateHostGroup)')
    .argument('<name>', 'host group name')
    .requiredOption('--provisioner <type>', 'local (agents on this machine) or exec (your create/destroy commands)')
    .option('--host-ips <range>', 'local: addresses for the hosts, e.g. 127.0.11.100-127.0.11.109 (each host takes the next free one)')
    .option('--own-dockerd', 'local: each host runs its own dockerd (own data root and bridge) instead of sharing this machine\'s')
    .option('--create-command <cmd>', 'exec: prints the new host\'s id; gets STEVEDORE_TOKEN, STEVEDORE_CA_CERT_HASH, STEVEDORE_CONTROL_PLANE, STEVEDORE_CLUSTER, STEVEDORE_ATTRIBUTES, STEVEDORE_HOST_ID')
    .option('--destroy-command <cmd>', 'exec: destroys a host; its id is the last argument')
    .option('--timeout <seconds>', 'exec: per command (default 600)', parseIntOption('--timeout', 1, 3600))
    .option('--retries <n>', 'exec: attempts after a failure (default 2)', parseIntOption('--retries', 0, 10))
    .option('--min <n>', 'minimum size (default 0)', parseIntOption('--min', 0, 1000))
    .option('--max <n>', 'maximum size', parseIntOption('--max', 0, 1000))
    .option('--desired <n>', 'desired capacity (default: --min)', parseIntOption('--desired', 0, 1000))
    .option('--join-timeout <seconds>', 'a host that has not joined this long after create is destroyed (default 300)', parseIntOption('--join-timeout', 10, 3600))
    .option('--attribute <key=value>', 'custom attribute of every host, repeatable', collectAttribute)
    .option('--wait', 'wait until the desired hosts are InService, printing their progress')
    .option('--wait-timeout <seconds>', 'with --wait (default 600)', parseIntOption('--wait-timeout', 1))
    .action(
      action<[string], Record<string, any>>(app, async (ctx, o, name) => {
        if (o['max'] === undefined) throw new CliError('--max is required', 2);
        let provisioner: Record<string, unknown>;
        if (o['provisioner'] === 'local') {
          if (!o['hostIps']) throw new CliError('--provisioner local needs --host-ips', 2);
          provisioner = { type: 'local', local: { hostIps: o['hostIps'], ownDockerd: o['ownDockerd'] === true } };
        } else if (o['provisioner'] === 'exec') {
          if (!o['createCommand'] || !o['destroyCommand']) throw new CliError('--provisioner exec needs --create-command and --destroy-command', 2);
          provisioner = { type: 'exec', exec: { createCommand: o['createCommand'], destroyCommand: o['destroyCommand'], ...(o['timeout'] !== undefined ? { timeoutSeconds: o['timeout'] } : {}), ...(o['retries'] !== undefined ? { retries: o['retries'] } : {}) } };
        } else throw new CliError('--provisioner must be local or exec', 2);
        const r = await ctx.client.call<{ hostGroup: HostGroup }>(
          'CreateHostGroup',
          {
            hostGroupName: name,
            cluster: ctx.cluster,
            minSize: o['min'] ?? 0,
            maxSize: o['max'],
            ...(o['desired'] !== undefined ? { desiredCapacity: o['desired'] } : {}),
            ...(o['joinTimeout'] !== undefined ? { joinTimeoutSeconds: o['joinTimeout'] } : {}),
            attributes: o['attribute'] ?? [],
            provisioner,
          },
          STEVEDORE_TARGET_PREFIX,
        );
        let g = r.hostGroup;
        if (o['wait']) g = (await follow(ctx, name, (x) => !!x && inService(x) >= x.desiredCapacity, o['waitTimeout'] ?? 600)) ?? g;
        if (ctx.structured) return printData(ctx, { hostGroup: g });
        printGroup(ctx, g);
      }),
    );

  parent
    .command('list')
    .description("list --cluster's host groups (DescribeHostGroups)")
    .action(
      action<[], object>(app, async (ctx) => {
        const r = await ctx.client.call<{ hostGroups: HostGroup[] }>('DescribeHostGroups', { cluster: ctx.cluster }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, r);
        if (r.hostGroups.length === 0) return void ctx.io.stderr.write(`no host groups in cluster ${ctx.cluster}\n`);
        ctx.io.stdout.write(renderTable(['NAME', 'STATUS', 'PROVISIONER', 'MIN', 'DESIRED', 'MAX', 'IN SERVICE', 'HOSTS'], r.hostGroups.map((g) => [g.hostGroupName, g.status, g.provisioner.type, String(g.minSize), String(g.desiredCapacity), String(g.maxSize), String(inService(g)), String(g.hosts.length)])));
      }),
    );

  parent
    .command('describe')
    .description('a host group and its hosts (DescribeHostGroups)')
    .argument('<name>', 'host group name or ARN')
    .action(
      action<[string], object>(app, async (ctx, _o, name) => {
        const g = await describe(ctx, name);
        if (!g) throw new CliError(`host group ${name} not found`);
        if (ctx.structured) return printData(ctx, { hostGroup: g });
        printGroup(ctx, g);
      }),
    );

  parent
    .command('scale')
    .description('set the desired capacity (SetHostGroupDesiredCapacity)')
    .argument('<name>', 'host group name or ARN')
    .argument('<desired>', 'desired capacity', parseIntOption('desired', 0, 1000))
    .option('--wait', 'wait until that many hosts are InService and no other remains, printing progress')
    .option('--wait-timeout <seconds>', 'with --wait (default 600)', parseIntOption('--wait-timeout', 1))
    .action(
      action<[string, number], { wait?: boolean; waitTimeout?: number }>(app, async (ctx, o, name, desired) => {
        const r = await ctx.client.call<{ hostGroup: HostGroup }>('SetHostGroupDesiredCapacity', { hostGroupName: name, desiredCapacity: desired }, STEVEDORE_TARGET_PREFIX);
        let g = r.hostGroup;
        if (o.wait) g = (await follow(ctx, name, (x) => !!x && inService(x) === desired && x.hosts.length === desired, o.waitTimeout ?? 600)) ?? g;
        if (ctx.structured) return printData(ctx, { hostGroup: g });
        printGroup(ctx, g);
      }),
    );

  parent
    .command('delete')
    .description('delete a host group: its hosts are drained and destroyed first (DeleteHostGroup)')
    .argument('<name>', 'host group name or ARN')
    .option('--wait', 'wait until every host is gone, printing progress')
    .option('--wait-timeout <seconds>', 'with --wait (default 600)', parseIntOption('--wait-timeout', 1))
    .action(
      action<[string], { wait?: boolean; waitTimeout?: number }>(app, async (ctx, o, name) => {
        const r = await ctx.client.call<{ hostGroup: HostGroup }>('DeleteHostGroup', { hostGroupName: name }, STEVEDORE_TARGET_PREFIX);
        if (o.wait) await follow(ctx, name, (x) => x === undefined, o.waitTimeout ?? 600);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(o.wait ? `host group ${name} deleted\n` : `host group ${name}: deletion started (${r.hostGroup.hosts.length} host(s) to drain and destroy)\n`);
      }),
    );

  parent
    .command('activities')
    .description('what the group did to which host and why, newest first, with command output (DescribeHostGroupActivities)')
    .argument('<name>', 'host group name or ARN')
    .option('--details', 'print each activity\'s command output')
    .action(
      action<[string], { details?: boolean }>(app, async (ctx, o, name) => {
        const r = await ctx.client.call<{ activities: Activity[] }>('DescribeHostGroupActivities', { hostGroupName: name }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, r);
        if (r.activities.length === 0) return void ctx.io.stderr.write(`no activities for host group ${name}\n`);
        for (const a of r.activities) {
          ctx.io.stdout.write(`${iso(a.startTime)}  ${a.statusCode.padEnd(10)}  ${a.description}\n    cause: ${a.cause}\n${a.statusMessage ? `    status: ${a.statusMessage}\n` : ''}`);
          if (o.details && a.details) ctx.io.stdout.write(a.details.replace(/^/gm, '    | ').replace(/\n?$/, '\n'));
        }
      }),
    );
}
