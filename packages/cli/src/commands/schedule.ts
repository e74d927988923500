import type { Command } from 'commander';
import { action, CliError, EXIT_USAGE, parseIntOption, type App, type CommandContext } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';
import { shortId } from '../output/format';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';

/**
 * `stevedore schedule`: scheduled tasks through EventBridge Scheduler's API
 * (REST-JSON, signed for `scheduler`), the same calls `aws scheduler` makes,
 * and the runs the scheduler recorded (Stevedore_20261125.ListScheduleRuns).
 * docs/design/scheduled-tasks.md.
 */
const SCHEDULER = { service: 'scheduler', endpointPrefix: 'scheduler' };
/** The Stevedore extension tag (in the target's EcsParameters.Tags). */
const OVERLAP_TAG = 'stevedore:overlap';

interface ScheduleOut {
  Arn?: string;
  Name: string;
  GroupName?: string;
  State?: string;
  ScheduleExpression?: string;
  ScheduleExpressionTimezone?: string;
  StartDate?: number;
  EndDate?: number;
  Description?: string;
  ActionAfterCompletion?: string;
  FlexibleTimeWindow?: { Mode: string; MaximumWindowInMinutes?: number };
  KmsKeyArn?: string;
  Target: { Arn: string; RoleArn?: string; Input?: string; EcsParameters?: Record<string, unknown>; RetryPolicy?: Record<string, number>; DeadLetterConfig?: { Arn?: string } };
  CreationDate?: number;
  LastModificationDate?: number;
}

interface Run {
  scheduledTime: number;
  status: string;
  attempts: number;
  reason?: string;
  tasks: { taskArn: string; lastStatus?: string; exitCode?: number; stoppedReason?: string }[];
}

interface ScheduleOptions {
  cron?: string;
  rate?: string;
  at?: string;
  timezone?: string;
  taskDefinition?: string;
  count?: number;
  role?: string;
  overlap?: boolean;
  overrides?: string;
  start?: string;
  end?: string;
  flexibleWindow?: number;
  disabled?: boolean;
  group?: string;
  deleteAfterCompletion?: boolean;
  description?: string;
  launchType?: string;
  retryAttempts?: number;
  maxEventAge?: number;
}

const path = (name: string) => `/schedules/${encodeURIComponent(name)}`;
const iso = (s: number | undefined) => (s === undefined ? '-' : new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));

function expressionOf(o: ScheduleOptions): string | undefined {
  const given = [o.cron, o.rate, o.at].filter((x) => x !== undefined);
  if (given.length > 1) throw new CliError('give one of --cron, --rate and --at', EXIT_USAGE);
  if (o.cron !== undefined) return o.cron.startsWith('cron(') ? o.cron : `cron(${o.cron})`;
  if (o.rate !== undefined) return o.rate.startsWith('rate(') ? o.rate : `rate(${o.rate})`;
  if (o.at !== undefined) return o.at.startsWith('at(') ? o.at : `at(${o.at})`;
  return undefined;
}

function dateOf(text: string, flag: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new CliError(`${flag} must be a date and time (ISO 8601, e.g. 2027-01-01T00:00:00Z), got ${text}`, EXIT_USAGE);
  return t / 1000;
}

/** The cluster's ARN (and so the account's), from the API: a schedule's target names its cluster by ARN. */
async function clusterArnOf(ctx: CommandContext): Promise<string> {
  const r = await ctx.client.call<{ clusters?: { clusterArn: string }[]; failures?: { reason?: string }[] }>('DescribeClusters', { clusters: [ctx.cluster] });
  const arn = r.clusters?.[0]?.clusterArn;
  if (!arn) throw new CliError(`cluster ${ctx.cluster} not found`);
  return arn;
}

function roleArnOf(role: string, clusterArn: string): string {
  if (role.startsWith('arn:')) return role;
  const account = clusterArn.split(':')[4] ?? '000000000000';
  return `arn:aws:iam::${account}:role/${role}`;
}

/** The request of CreateSchedule/UpdateSchedule: `base` (the schedule as it is) changed by the options. */
async function requestOf(ctx: CommandContext, o: ScheduleOptions, base: ScheduleOut | undefined): Promise<Record<string, unknown>> {
  const expression = expressionOf(o) ?? base?.ScheduleExpression;
  if (!expression) throw new CliError('give the schedule: --cron EXPR, --rate "N minutes" or --at yyyy-mm-ddThh:mm:ss', EXIT_USAGE);
  const taskDefinition = o.taskDefinition ?? (base?.Target.EcsParameters?.['TaskDefinitionArn'] as string | undefined);
  if (!taskDefinition) throw new CliError('--task-definition is required', EXIT_USAGE);
  // An existing schedule keeps its cluster (recreate it to move it).
  const clusterArn = base ? base.Target.Arn : await clusterArnOf(ctx);
  const ecs: Record<string, unknown> = { ...(base?.Target.EcsParameters ?? {}), TaskDefinitionArn: taskDefinition };
  if (o.count !== undefined) ecs['TaskCount'] = o.count;
  if (o.launchType !== undefined) ecs['LaunchType'] = o.launchType;
  if (o.overlap !== undefined) {
    const tags = ((ecs['Tags'] as Record<string, string>[] | undefined) ?? []).map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== OVERLAP_TAG))).filter((m) => Object.keys(m).length > 0);
    if (!o.overlap) tags.push({ [OVERLAP_TAG]: 'SKIP' });
    if (tags.length > 0) ecs['Tags'] = tags;
    else delete ecs['Tags'];
  }
  const target: Record<string, unknown> = {
    ...(base?.Target ?? {}),
    Arn: clusterArn,
    RoleArn: o.role !== undefined ? roleArnOf(o.role, clusterArn) : (base?.Target.RoleArn ?? roleArnOf('admin', clusterArn)),
    EcsParameters: ecs,
  };
  if (o.overrides !== undefined) {
    try {
      JSON.parse(o.overrides);
    } catch {
      throw new CliError('--overrides must be JSON (RunTask overrides: {"containerOverrides": [...]})', EXIT_USAGE);
    }
    target['Input'] = o.overrides;
  }
  if (o.retryAttempts !== undefined || o.maxEventAge !== undefined) {
    target['RetryPolicy'] = { ...(base?.Target.RetryPolicy ?? {}), ...(o.retryAttempts !== undefined ? { MaximumRetryAttempts: o.retryAttempts } : {}), ...(o.maxEventAge !== undefined ? { MaximumEventAgeInSeconds: o.maxEventAge } : {}) };
  }
  const timezone = o.timezone ?? base?.ScheduleExpressionTimezone;
  const start = o.start !== undefined ? dateOf(o.start, '--start') : base?.StartDate;
  const end = o.end !== undefined ? dateOf(o.end, '--end') : base?.EndDate;
  const window = o.flexibleWindow !== undefined ? (o.flexibleWindow === 0 ? { Mode: 'OFF' } : { Mode: 'FLEXIBLE', MaximumWindowInMinutes: o.flexibleWindow }) : (base?.FlexibleTimeWindow ?? { Mode: 'OFF' });
  const description = o.description ?? base?.Description;
  return {
    ScheduleExpression: expression,
    ...(timezone !== undefined ? { ScheduleExpressionTimezone: timezone } : {}),
    ...(start !== undefined ? { StartDate: start } : {}),
    ...(end !== undefined ? { EndDate: end } : {}),
    ...(description !== undefined ? { Description: description } : {}),
    ...(base?.KmsKeyArn !== undefined ? { KmsKeyArn: base.KmsKeyArn } : {}),
    FlexibleTimeWindow: window,
    State: o.disabled === true ? 'DISABLED' : o.disabled === false ? 'ENABLED' : (base?.State ?? 'ENABLED'),
    ActionAfterCompletion: o.deleteAfterCompletion ? 'DELETE' : (base?.ActionAfterCompletion ?? 'NONE'),
    ...(o.group !== undefined ? { GroupName: o.group } : base?.GroupName ? { GroupName: base.GroupName } : {}),
    Target: target,
  };
}

async function getSchedule(ctx: CommandContext, name: string, group: string | undefined): Promise<ScheduleOut> {
  return ctx.client.rest<ScheduleOut>('GET', path(name), { ...SCHEDULER, query: { groupName: group } });
}

function scheduleOptions(cmd: Command): Command {
  return cmd
    .option('--cron <fields>', "EventBridge cron: six fields, minutes hours day-of-month month day-of-week year, one day field ?, e.g. '0 3 * * ? *'")
    .option('--rate <value unit>', "every N minutes, hours or days, e.g. '5 minutes' (the first run is at once, or at --start)")
    .option('--at <time>', 'once, at yyyy-mm-ddThh:mm:ss in --timezone')
    .option('--timezone <iana>', 'time zone of the expression, e.g. Europe/Paris (default UTC)')
    .option('--task-definition <family[:revision]|arn>', 'the task definition each run starts')
    .option('--count <n>', 'tasks per run (1-10)', parseIntOption('--count', 1, 10))
    .option('--role <name|arn>', 'role the runs launch as: it needs ecs:RunTask on the cluster (and iam:PassRole for the task roles); default admin')
    .option('--overlap', 'let runs overlap (EventBridge\'s behaviour, the default)')
    .option('--no-overlap', `skip a run while the previous one still runs (the ${OVERLAP_TAG}=SKIP tag)`)
    .option('--disabled', 'create it DISABLED (or, with update, disable it)')
    .option('--overrides <json>', 'RunTask overrides for each run, as JSON (the target\'s Input)')
    .option('--start <time>', 'no run before this (ISO 8601)')
    .option('--end <time>', 'no run after this (ISO 8601)')
    .option('--flexible-window <minutes>', 'start each run at a random point within this many minutes (0: exactly on time)', parseIntOption('--flexible-window', 0, 1440))
    .option('--group <name>', 'schedule group (default: default)')
    .option('--delete-after-completion', 'delete the schedule after its last run (ActionAfterCompletion DELETE)')
    .option('--description <text>', 'description')
    .option('--launch-type <type>', 'EC2, FARGATE or EXTERNAL')
    .option('--retry-attempts <n>', 'launch retries (RetryPolicy.MaximumRetryAttempts, 0-185; default 185)', parseIntOption('--retry-attempts', 0, 185))
    .option('--max-event-age <seconds>', 'give up a run this long after its time (RetryPolicy.MaximumEventAgeInSeconds, 60-86400)', parseIntOption('--max-event-age', 60, 86400));
}

function overlapOf(s: ScheduleOut): string {
  const tags = (s.Target.EcsParameters?.['Tags'] as Record<string, string>[] | undefined) ?? [];
  return tags.some((m) => m[OVERLAP_TAG] === 'SKIP') ? 'skip' : 'allow';
}

export function register(program: Command, app: App): void {
  const schedule = program.command('schedule').description('scheduled tasks (EventBridge Scheduler API): cron, rate and one-time schedules that run ECS tasks');

  scheduleOptions(schedule.command('create').description('create a schedule that runs a task definition (CreateSchedule)').argument('<name>', 'schedule name')).action(
    action<[string], ScheduleOptions>(app, async (ctx, opts, name) => {
      const body = await requestOf(ctx, opts, undefined);
      const r = await ctx.client.rest<{ ScheduleArn: string }>('POST', path(name), { ...SCHEDULER, body });
      if (ctx.structured) return printData(ctx, r);
      ctx.io.stdout.write(`${r.ScheduleArn}\n`);
    }),
  );

  scheduleOptions(schedule.command('update').description('change a schedule; options not given keep their value (UpdateSchedule)').argument('<name>', 'schedule name')).action(
    action<[string], ScheduleOptions>(app, async (ctx, opts, name) => {
      const cur = await getSchedule(ctx, name, opts.group);
      const r = await ctx.client.rest<{ ScheduleArn: string }>('PUT', path(name), { ...SCHEDULER, body: await requestOf(ctx, opts, cur) });
      if (ctx.structured) return printData(ctx, r);
      ctx.io.stdout.write(`${r.ScheduleArn}\n`);
    }),
  );

  for (const [verb, disabled] of [['enable', false], ['disable', true]] as const) {
    schedule
      .command(verb)
      .description(`${verb} a schedule (UpdateSchedule State ${disabled ? 'DISABLED' : 'ENABLED'})`)
      .argument('<name>', 'schedule name')
      .option('--group <name>', 'schedule group (default: default)')
      .action(
        action<[string], { group?: string }>(app, async (ctx, opts, name) => {
          const cur = await getSchedule(ctx, name, opts.group);
          await ctx.client.rest('PUT', path(name), { ...SCHEDULER, body: await requestOf(ctx, { disabled }, cur) });
          ctx.io.stderr.write(`schedule ${name} ${disabled ? 'disabled' : 'enabled'}\n`);
        }),
      );
  }

  schedule
    .command('list')
    .description('schedules (ListSchedules)')
    .option('--group <name>', 'only this schedule group')
    .option('--prefix <text>', 'only names starting with this')
    .option('--state <state>', 'ENABLED or DISABLED')
    .action(
      action<[], { group?: string; prefix?: string; state?: string }>(app, async (ctx, opts) => {
        const all: ScheduleOut[] = [];
        let token: string | undefined;
        do {
          const r = await ctx.client.rest<{ Schedules: ScheduleOut[]; NextToken?: string }>('GET', '/schedules', {
            ...SCHEDULER,
            query: { ScheduleGroup: opts.group, NamePrefix: opts.prefix, State: opts.state, NextToken: token },
          });
          all.push(...r.Schedules);
          token = r.NextToken;
        } while (token);
        if (ctx.structured) return printData(ctx, { Schedules: all });
        if (all.length === 0) {
          ctx.io.stderr.write('no schedules\n');
          return;
        }
        ctx.io.stdout.write(renderTable(['NAME', 'GROUP', 'STATE', 'CLUSTER'], all.map((s) => [s.Name, s.GroupName ?? 'default', s.State ?? '-', s.Target.Arn.split('/').pop() ?? '-'])));
      }),
    );

  schedule
    .command('describe')
    .description('one schedule: its expression, target and next run (GetSchedule)')
    .argument('<name>', 'schedule name')
    .option('--group <name>', 'schedule group (default: default)')
    .action(
      action<[string], { group?: string }>(app, async (ctx, opts, name) => {
        const s = await getSchedule(ctx, name, opts.group);
        if (ctx.structured) return printData(ctx, s);
        const runs = await ctx.client.call<{ nextScheduledTime?: number }>('ListScheduleRuns', { name, ...(opts.group ? { groupName: opts.group } : {}), maxResults: 1 }, STEVEDORE_TARGET_PREFIX);
        const ecs = s.Target.EcsParameters ?? {};
        const rows: [string, string][] = [
          ['name', s.Name],
          ['group', s.GroupName ?? 'default'],
          ['state', s.State ?? '-'],
          ['expression', `${s.ScheduleExpression ?? '-'}${s.ScheduleExpressionTimezone ? ` (${s.ScheduleExpressionTimezone})` : ''}`],
          ['next run', iso(runs.nextScheduledTime)],
          ['window', s.FlexibleTimeWindow?.Mode === 'FLEXIBLE' ? `flexible, ${s.FlexibleTimeWindow.MaximumWindowInMinutes} min` : 'off'],
          ['start / end', `${iso(s.StartDate)} / ${iso(s.EndDate)}`],
          ['cluster', s.Target.Arn],
          ['task definition', String(ecs['TaskDefinitionArn'] ?? '-')],
          ['count', String(ecs['TaskCount'] ?? 1)],
          ['role', s.Target.RoleArn ?? '-'],
          ['overlap', overlapOf(s)],
          ['retry', `${s.Target.RetryPolicy?.['MaximumRetryAttempts'] ?? 185} attempts, ${s.Target.RetryPolicy?.['MaximumEventAgeInSeconds'] ?? 86400} s`],
          ['after completion', s.ActionAfterCompletion ?? 'NONE'],
        ];
        if (s.Target.Input) rows.push(['overrides', s.Target.Input]);
        if (s.Description) rows.push(['description', s.Description]);
        ctx.io.stdout.write(renderTable(['FIELD', 'VALUE'], rows));
      }),
    );

  schedule
    .command('delete')
    .description('delete a schedule (DeleteSchedule); its recorded runs stay until pruned')
    .argument('<name>', 'schedule name')
    .option('--group <name>', 'schedule group (default: default)')
    .action(
      action<[string], { group?: string }>(app, async (ctx, opts, name) => {
        await ctx.client.rest('DELETE', path(name), { ...SCHEDULER, query: { groupName: opts.group } });
        ctx.io.stderr.write(`schedule ${name} deleted\n`);
      }),
    );

  schedule
    .command('runs')
    .description('what each fire time did, newest first: started tasks and exit codes, skipped and failed runs with why (ListScheduleRuns)')
    .argument('<name>', 'schedule name')
    .option('--group <name>', 'schedule group (default: default)')
    .option('--max <n>', 'at most this many runs (default 50)', parseIntOption('--max', 1, 1000))
    .action(
      action<[string], { group?: string; max?: number }>(app, async (ctx, opts, name) => {
        const max = opts.max ?? 50;
        const runs: Run[] = [];
        let first: Record<string, unknown> | undefined;
        let token: string | undefined;
        do {
          const r = await ctx.client.call<{ runs: Run[]; nextToken?: string }>(
            'ListScheduleRuns',
            { name, ...(opts.group ? { groupName: opts.group } : {}), maxResults: Math.min(100, max - runs.length), ...(token ? { nextToken: token } : {}) },
            STEVEDORE_TARGET_PREFIX,
          );
          first ??= r as unknown as Record<string, unknown>;
          runs.push(...r.runs);
          token = r.nextToken;
        } while (token && runs.length < max);
        if (ctx.structured) return printData(ctx, { ...first, runs, nextToken: undefined });
        if (runs.length === 0) {
          ctx.io.stderr.write(`no runs yet; next at ${iso(first?.['nextScheduledTime'] as number | undefined)}\n`);
          return;
        }
        ctx.io.stdout.write(
          renderTable(
            ['SCHEDULED', 'STATUS', 'TASK', 'EXIT', 'REASON'],
            runs.map((r) => [
              iso(r.scheduledTime),
              r.status,
              r.tasks.map((t) => shortId(t.taskArn)).join(',') || '-',
              r.tasks.map((t) => (t.exitCode === undefined ? '-' : String(t.exitCode))).join(',') || '-',
              r.reason ?? (r.tasks.find((t) => t.stoppedReason)?.stoppedReason ?? ''),
            ]),
          ),
        );
      }),
    );
}
