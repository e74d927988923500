import type { Command } from 'commander';
import * as asciichart from 'asciichart';
import { action, parseIntOption, type App, type CommandContext } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';

/** CloudWatch's JSON target (query-compatible JSON 1.0): the CLI reads what `aws cloudwatch` reads. */
export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801';

interface MetricDataResult {
  Id: string;
  Label?: string;
  /** Epoch seconds (JSON protocol), newest first. */
  Timestamps?: number[];
  Values?: number[];
  StatusCode?: string;
}

export interface Series {
  metric: string;
  /** Oldest first. */
  points: { timestamp: number; value: number }[];
}

/** GetMetricData of some AWS/ECS metrics sharing dimensions, Average per period, oldest first. */
export async function fetchSeries(ctx: CommandContext, metrics: string[], dimensions: { Name: string; Value: string }[], periodS: number, minutes: number, nowMs: number): Promise<Series[]> {
  const end = Math.ceil(nowMs / 1000 / periodS) * periodS;
  const queries = metrics.map((m, i) => ({ Id: `m${i}`, Label: m, MetricStat: { Metric: { Namespace: 'AWS/ECS', MetricName: m, Dimensions: dimensions }, Period: periodS, Stat: 'Average' } }));
  const out = new Map<string, Series>(metrics.map((m) => [m, { metric: m, points: [] }]));
  let token: string | undefined;
  do {
    const res = await ctx.client.call<{ MetricDataResults?: MetricDataResult[]; NextToken?: string }>(
      'GetMetricData',
      { MetricDataQueries: queries, StartTime: end - minutes * 60, EndTime: end, ScanBy: 'TimestampAscending', ...(token ? { NextToken: token } : {}) },
      CLOUDWATCH_TARGET_PREFIX,
    );
    for (const r of res.MetricDataResults ?? []) {
      const s = out.get(metrics[Number(r.Id.slice(1))] ?? '');
      if (!s) continue;
      (r.Timestamps ?? []).forEach((t, i) => s.points.push({ timestamp: t, value: r.Values?.[i] ?? NaN }));
    }
    token = res.NextToken;
  } while (token);
  for (const s of out.values()) s.points.sort((a, b) => a.timestamp - b.timestamp);
  return [...out.values()];
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(1)} %`);

/** The latest value of each series, then one chart per series (asciichart), for people. */
export function renderSeries(title: string, series: Series[], periodS: number): string {
  let out = renderTable(
    ['METRIC', 'CURRENT', `AVERAGE (${series[0]?.points.length ?? 0} x ${periodS}s)`, 'MAX'],
    series.map((s) => {
      const vs = s.points.map((p) => p.value).filter(Number.isFinite);
      return [s.metric, fmt(vs[vs.length - 1]), fmt(vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : undefined), fmt(vs.length ? Math.max(...vs) : undefined)];
    }),
  );
  for (const s of series) {
    const vs = s.points.map((p) => p.value).filter(Number.isFinite);
    out += `\n${title} ${s.metric} (%), last ${s.points.length} periods:\n`;
    if (vs.length < 2) {
      out += '  (not enough datapoints yet)\n';
      continue;
    }
    // Long series are squeezed to the terminal's width: the chart keeps the latest points.
    out += asciichart.plot(vs.slice(-100), { height: 8, format: (x: number) => x.toFixed(1).padStart(7) }) + '\n';
  }
  return out;
}

export function register(program: Command, app: App): void {
  const metrics = program.command('metrics').description('utilization of a service or the cluster over the last hour (CloudWatch GetMetricData, AWS/ECS)');
  const common = (c: Command) =>
    c.option('--period <seconds>', 'seconds per datapoint (60, or 1, 5, 10, 30)', parseIntOption('--period', 1, 86_400), 60).option('--minutes <n>', 'how far back', parseIntOption('--minutes', 1, 1440), 60);
  common(
    metrics
      .command('service')
      .description("a service's CPUUtilization and MemoryUtilization: now, and a chart of the last hour")
      .argument('<service>', 'service name or ARN'),
  ).action(
    action<[string], { period: number; minutes: number }>(app, async (ctx, opts, ref) => {
      const service = ref.split('/').pop()!;
      const series = await fetchSeries(ctx, ['CPUUtilization', 'MemoryUtilization'], [{ Name: 'ClusterName', Value: ctx.cluster }, { Name: 'ServiceName', Value: service }], opts.period, opts.minutes, Date.now());
      if (ctx.structured) return printData(ctx, { cluster: ctx.cluster, service, period: opts.period, metrics: series });
      ctx.io.stdout.write(renderSeries(service, series, opts.period));
    }),
  );
  common(metrics.command('cluster').description("the cluster's utilization and reservation: now, and a chart of the last hour")).action(
    action<[], { period: number; minutes: number }>(app, async (ctx, opts) => {
      const series = await fetchSeries(ctx, ['CPUUtilization', 'MemoryUtilization', 'CPUReservation', 'MemoryReservation'], [{ Name: 'ClusterName', Value: ctx.cluster }], opts.period, opts.minutes, Date.now());
      if (ctx.structured) return printData(ctx, { cluster: ctx.cluster, period: opts.period, metrics: series });
      ctx.io.stdout.write(renderSeries(ctx.cluster, series, opts.period));
    }),
  );
}
