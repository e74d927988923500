import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';
import { action, CliError, EXIT_USAGE, parseIntOption, type App, type CommandContext } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';
import { dash, formatTime } from '../output/format';

/** Application Auto Scaling's JSON target: the CLI is a client of the same API as `aws application-autoscaling`. */
export const AAS_TARGET_PREFIX = 'AnyScaleFrontendService';
const DIMENSION = 'ecs:service:DesiredCount';

interface Policy {
  PolicyName: string;
  PolicyType: string;
  TargetTrackingScalingPolicyConfiguration?: { TargetValue: number; PredefinedMetricSpecification?: { PredefinedMetricType: string } };
  Alarms?: { AlarmName: string }[];
}

/** `cron(0 8 * * ? *)=min:4,max:20` -> the schedule and its capacities. */
export function parseScheduleOption(v: string): { schedule: string; min?: number; max?: number } {
  const eq = v.lastIndexOf('=');
  if (eq <= 0) throw new CliError(`--schedule ${v}: expected EXPRESSION=min:N,max:M, e.g. 'cron(0 8 * * ? *)=min:4,max:20'`, EXIT_USAGE);
  const out: { schedule: string; min?: number; max?: number } = { schedule: v.slice(0, eq).trim() };
  for (const part of v.slice(eq + 1).split(',')) {
    const m = /^\s*(min|max)\s*:\s*(\d{1,9})\s*$/.exec(part);
    if (!m) throw new CliError(`--schedule ${v}: "${part}" is not min:N or max:N`, EXIT_USAGE);
    out[m[1] as 'min' | 'max'] = Number(m[2]);
  }
  return out;
}

const serviceName = (ref: string) => ref.split('/').pop()!;

/** Policy names say what they track, as in AWS's examples: cpu50, memory70, requests100. */
const TRACKED = [
  { option: 'cpu', metric: 'ECSServiceAverageCPUUtilization', prefix: 'cpu' },
  { option: 'memory', metric: 'ECSServiceAverageMemoryUtilization', prefix: 'memory' },
  { option: 'requestsPerTarget', metric: 'ALBRequestCountPerTarget', prefix: 'requests' },
] as const;

/** The ResourceLabel of a service's first target group: app/<lb>/<id>/targetgroup/<tg>/<id>. */
async function resourceLabelOf(ctx: CommandContext, service: string): Promise<string> {
  const d = await ctx.client.call<{ services: { loadBalancers?: { targetGroupArn?: string }[] }[] }>('DescribeServices', { cluster: ctx.cluster, services: [service] });
  const tg = d.services[0]?.loadBalancers?.[0]?.targetGroupArn;
  if (!tg) throw new CliError(`--requests-per-target needs a service behind a load balancer; ${service} has none`, EXIT_USAGE);
  const g = await ctx.client.call<{ TargetGroups: { LoadBalancerArns?: string[] }[] }>('DescribeTargetGroups', { TargetGroupArns: [tg] }, STEVEDORE_TARGET_PREFIX);
  const lb = g.TargetGroups[0]?.LoadBalancerArns?.[0];
  if (!lb) throw new CliError(`target group ${tg} is not attached to a load balancer`, EXIT_USAGE);
  return `${lb.slice(lb.indexOf(':loadbalancer/') + ':loadbalancer/'.length)}/${tg.slice(tg.indexOf(':targetgroup/') + 1)}`;
}

export function register(parent: Command, app: App): void {
  parent
    .command('autoscale')
    .description('scale a service between bounds on CPU, memory, requests per target and schedules (Application Auto Scaling)')
    .argument('<service>', 'service name or ARN')
    .option('--min <n>', 'minimum desired count', parseIntOption('--min', 0))
    .option('--max <n>', 'maximum desired count', parseIntOption('--max', 0))
    .option('--cpu <percent>', 'target tracking on the service\'s average CPU utilization', parseIntOption('--cpu', 1, 100))
    .option('--memory <percent>', 'target tracking on the service\'s average memory utilization', parseIntOption('--memory', 1, 100))
    .option('--requests-per-target <n>', 'target tracking on ALB requests per target (the service\'s first target group)', parseIntOption('--requests-per-target', 1))
    .option('--scale-out-cooldown <seconds>', 'target tracking ScaleOutCooldown (default 300)', parseIntOption('--scale-out-cooldown', 0, 86_400))
    .option('--scale-in-cooldown <seconds>', 'target tracking ScaleInCooldown (default 300)', parseIntOption('--scale-in-cooldown', 0, 86_400))
    .option('--schedule <expr=min:N,max:M>', "scheduled action, repeatable: 'cron(0 8 * * ? *)=min:4,max:20', 'rate(1 hour)=...', 'at(2026-12-24T18:00:00)=...'", (v: string, prev: string[] = []) => [...prev, v])
    .option('--timezone <iana>', 'time zone of the --schedule expressions (default UTC)')
    .option('--off', 'stop scaling this service: deregister its scalable target with its policies and schedules')
    .action(
      action<[string], { min?: number; max?: number; cpu?: number; memory?: number; requestsPerTarget?: number; scaleOutCooldown?: number; scaleInCooldown?: number; schedule?: string[]; timezone?: string; off?: boolean }>(
        app,
        async (ctx, opts, ref) => {
          const service = serviceName(ref);
          const key = { ServiceNamespace: 'ecs', ResourceId: `service/${ctx.cluster}/${service}`, ScalableDimension: DIMENSION };
          const aas = <T = Record<string, unknown>>(op: string, body: object) => ctx.client.call<T>(op, body, AAS_TARGET_PREFIX);
          if (opts.off) {
            await aas('DeregisterScalableTarget', key);
            if (ctx.structured) return printData(ctx, { deregistered: key.ResourceId });
            ctx.io.stdout.write(`${service}: no longer scaled\n`);
            return;
          }
          const schedules = (opts.schedule ?? []).map(parseScheduleOption);
          await aas('RegisterScalableTarget', { ...key, ...(opts.min !== undefined ? { MinCapacity: opts.min } : {}), ...(opts.max !== undefined ? { MaxCapacity: opts.max } : {}) });
          const existing = (await aas<{ ScalingPolicies: Policy[] }>('DescribeScalingPolicies', { ServiceNamespace: 'ecs', ResourceId: key.ResourceId })).ScalingPolicies;
          for (const t of TRACKED) {
            const value = opts[t.option];
            if (value === undefined) continue;
            const name = `${t.prefix}${value}`;
            // One policy per metric: a new target replaces the old policy (and its alarms).
            for (const old of existing) {
              if (old.PolicyName !== name && old.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType === t.metric) {
                await aas('DeleteScalingPolicy', { ...key, PolicyName: old.PolicyName });
              }
            }
            const label = t.metric === 'ALBRequestCountPerTarget' ? await resourceLabelOf(ctx, service) : undefined;
            await aas('PutScalingPolicy', {
              ...key,
              PolicyName: name,
              PolicyType: 'TargetTrackingScaling',
              TargetTrackingScalingPolicyConfiguration: {
                TargetValue: value,
                PredefinedMetricSpecification: { PredefinedMetricType: t.metric, ...(label ? { ResourceLabel: label } : {}) },
                ...(opts.scaleOutCooldown !== undefined ? { ScaleOutCooldown: opts.scaleOutCooldown } : {}),
                ...(opts.scaleInCooldown !== undefined ? { ScaleInCooldown: opts.scaleInCooldown } : {}),
              },
            });
          }
          for (const s of schedules) {
            // Named after the expression, so running the same command twice updates rather than duplicates.
            const name = `stevedore-${createHash('sha256').update(s.schedule).digest('hex').slice(0, 12)}`;
            await aas('PutScheduledAction', {
              ...key,
              ScheduledActionName: name,
              Schedule: s.schedule,
              ...(opts.timezone ? { Timezone: opts.timezone } : {}),
              ScalableTargetAction: { ...(s.min !== undefined ? { MinCapacity: s.min } : {}), ...(s.max !== undefined ? { MaxCapacity: s.max } : {}) },
            });
          }
          return describeScaling(ctx, key.ResourceId);
        },
      ),
    );

  parent
    .command('scaling-activities')
    .description("a service's scaling activities, newest first, with their causes (DescribeScalingActivities)")
    .argument('<service>', 'service name or ARN')
    .option('--max-items <n>', 'at most this many', parseIntOption('--max-items', 1, 50), 20)
    .action(
      action<[string], { maxItems: number }>(app, async (ctx, opts, ref) => {
        const r = await ctx.client.call<{ ScalingActivities: { StartTime: number; StatusCode: string; Description: string; Cause: string; StatusMessage?: string }[] }>(
          'DescribeScalingActivities',
          { ServiceNamespace: 'ecs', ResourceId: `service/${ctx.cluster}/${serviceName(ref)}`, ScalableDimension: DIMENSION, MaxResults: opts.maxItems },
          AAS_TARGET_PREFIX,
        );
        if (ctx.structured) return printData(ctx, r);
        if (r.ScalingActivities.length === 0) {
          ctx.io.stdout.write('no scaling activities\n');
          return;
        }
        ctx.io.stdout.write(renderTable(['TIME', 'STATUS', 'DESCRIPTION', 'CAUSE'], r.ScalingActivities.map((a) => [formatTime(a.StartTime), a.StatusCode, a.Description, a.Cause])));
      }),
    );
}

async function describeScaling(ctx: CommandContext, resourceId: string): Promise<void> {
  const call = <T>(op: string) => ctx.client.call<T>(op, { ServiceNamespace: 'ecs', ...(op === 'DescribeScalableTargets' ? { ResourceIds: [resourceId] } : { ResourceId: resourceId }) }, AAS_TARGET_PREFIX);
  const [targets, policies, scheduled] = await Promise.all([
    call<{ ScalableTargets: { MinCapacity: number; MaxCapacity: number }[] }>('DescribeScalableTargets'),
    call<{ ScalingPolicies: Policy[] }>('DescribeScalingPolicies'),
    call<{ ScheduledActions: { ScheduledActionName: string; Schedule: string; Timezone?: string; ScalableTargetAction: { MinCapacity?: number; MaxCapacity?: number } }[] }>('DescribeScheduledActions'),
  ]);
  if (ctx.structured) return printData(ctx, { ...targets, ...policies, ...scheduled });
  const t = targets.ScalableTargets[0];
  const out = [`${resourceId}: min ${dash(t?.MinCapacity)}, max ${dash(t?.MaxCapacity)}\n`];
  if (policies.ScalingPolicies.length > 0) {
    out.push(renderTable(['POLICY', 'TYPE', 'TARGET', 'ALARMS'], policies.ScalingPolicies.map((p) => [
      p.PolicyName,
      p.PolicyType,
      p.TargetTrackingScalingPolicyConfiguration ? `${p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification?.PredefinedMetricType ?? 'custom'} = ${p.TargetTrackingScalingPolicyConfiguration.TargetValue}` : '-',
      (p.Alarms ?? []).map((a) => a.AlarmName).join('\n') || '-',
    ])));
  }
  if (scheduled.ScheduledActions.length > 0) {
    out.push(renderTable(['SCHEDULE', 'TIMEZONE', 'MIN', 'MAX'], scheduled.ScheduledActions.map((a) => [a.Schedule, a.Timezone ?? 'UTC', dash(a.ScalableTargetAction.MinCapacity), dash(a.ScalableTargetAction.MaxCapacity)])));
  }
  ctx.io.stdout.write(out.join(''));
}
