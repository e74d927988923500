import {
  evaluateMetricMath,
  isStatistic,
  MetricMathError,
  parseMetricMath,
  statisticValue,
  type MathValue,
  type MetricDatum,
  type MetricId,
  type Series,
} from '@stevedore/core';
import type { RequestContext } from '../context';
import {
  combination,
  customNamespace,
  decodeToken,
  dimensionsOf,
  encodeToken,
  invalid,
  list,
  missingParameter,
  num,
  obj,
  percentileStatistic,
  period,
  roundedStart,
  str,
  time,
  timeRange,
  type Input,
} from './cloudwatch-input';

const MAX_DATUMS = 1000;
const MAX_VALUES = 150;
const MAX_DATAPOINTS = 1440;
const MAX_QUERIES = 500;
/** GetMetricData's default MaxDatapoints. */
const MAX_DATAPOINTS_PER_CALL = 100_800;
const LIST_PAGE = 500;
const TWO_WEEKS = 14 * 86_400_000;
const TWO_HOURS = 2 * 3600_000;
/** CloudWatch's magnitude bounds on a value: 2^360 above, 2^-260 below (zero aside). */
const MAX_MAGNITUDE = 2 ** 360;
const MIN_MAGNITUDE = 2 ** -260;

function checkValue(v: number, field: string): number {
  const a = Math.abs(v);
  if (a > MAX_MAGNITUDE || (a !== 0 && a < MIN_MAGNITUDE)) throw invalid(`The value ${v} for parameter ${field} is invalid.`, field);
  return v;
}

/** PutMetricData, validated as CloudWatch validates it, then one batch to the store. */
export function putMetricData(ctx: RequestContext, body: unknown): Record<string, never> {
  const input = body as Input;
  const namespace = customNamespace(str(input['Namespace'])!);
  const data = list<Input>(input['MetricData']);
  if (data.length === 0) throw missingParameter('MetricData');
  if (data.length > MAX_DATUMS) throw invalid(`The collection MetricData must not have a size greater than ${MAX_DATUMS}.`, 'MetricData');
  const now = ctx.clock.now();
  const points: MetricDatum[] = data.map((d, i) => {
    const f = `MetricData.member.${i + 1}`;
    const given = (['Value', 'StatisticValues', 'Values'] as const).filter((k) => d[k] !== undefined);
    if (given.length > 1) throw combination(`The parameters ${f}.${given[0]} and ${f}.${given[1]} are mutually exclusive and you have specified both.`, `${f}.${given[1]}`);
    if (given.length === 0) throw missingParameter(`${f}.Value`);
    const timestamp = time(d['Timestamp']) ?? now;
    if (timestamp < now - TWO_WEEKS) throw invalid(`The parameter ${f}.Timestamp must specify a time no more than two weeks in the past.`, `${f}.Timestamp`);
    if (timestamp > now + TWO_HOURS) throw invalid(`The parameter ${f}.Timestamp must specify a time no more than two hours in the future.`, `${f}.Timestamp`);
    const sr = num(d['StorageResolution']);
    if (sr !== undefined && sr !== 1 && sr !== 60) throw invalid(`The value ${sr} for parameter ${f}.StorageResolution is invalid: it must be 1 or 60.`, `${f}.StorageResolution`);
    const datum: MetricDatum = { namespace, metricName: str(d['MetricName'])!, dimensions: dimensionsOf(d['Dimensions'], `${f}.Dimensions`), timestamp };
    const unit = str(d['Unit']);
    if (unit !== undefined) datum.unit = unit;
    const value = num(d['Value']);
    if (value !== undefined) datum.value = checkValue(value, `${f}.Value`);
    const sv = obj(d['StatisticValues']);
    if (sv) {
      const s = { sampleCount: num(sv['SampleCount'])!, sum: num(sv['Sum'])!, minimum: num(sv['Minimum'])!, maximum: num(sv['Maximum'])! };
      if (!(s.sampleCount > 0)) throw invalid(`The value ${s.sampleCount} for parameter ${f}.StatisticValues.SampleCount is invalid: it must be greater than 0.`, `${f}.StatisticValues.SampleCount`);
      if (s.minimum > s.maximum) throw invalid(`The parameter ${f}.StatisticValues.Minimum must be less than or equal to ${f}.StatisticValues.Maximum.`, `${f}.StatisticValues.Minimum`);
      for (const [k, v] of Object.entries(s)) checkValue(v, `${f}.StatisticValues.${k}`);
      datum.statisticValues = s;
    }
    if (d['Values'] !== undefined) {
      const values = list<number>(d['Values']);
      const counts = d['Counts'] === undefined ? undefined : list<number>(d['Counts']);
      if (values.length > MAX_VALUES) throw invalid(`The collection ${f}.Values must not have a size greater than ${MAX_VALUES}.`, `${f}.Values`);
      if (counts && counts.length !== values.length) throw invalid(`The parameters ${f}.Values and ${f}.Counts must be of the same size.`, `${f}.Counts`);
      values.forEach((v, j) => checkValue(v, `${f}.Values.member.${j + 1}`));
      counts?.forEach((c, j) => {
        if (c < 0) throw invalid(`The value ${c} for parameter ${f}.Counts.member.${j + 1} is invalid: counts cannot be negative.`, `${f}.Counts.member.${j + 1}`);
      });
      if (values.length === 0) throw missingParameter(`${f}.Values.member.1`);
      datum.values = values;
      if (counts) datum.counts = counts;
    } else if (d['Counts'] !== undefined) {
      throw combination(`The parameter ${f}.Counts requires ${f}.Values.`, `${f}.Counts`);
    }
    return datum;
  });
  ctx.store.metrics.put(points);
  return {};
}

function metricIdOf(m: Input | undefined, field: string): MetricId {
  if (!m) throw missingParameter(field);
  const namespace = str(m['Namespace']);
  const metricName = str(m['MetricName']);
  if (namespace === undefined) throw missingParameter(`${field}.Namespace`);
  if (metricName === undefined) throw missingParameter(`${field}.MetricName`);
  return { namespace, metricName, dimensions: dimensionsOf(m['Dimensions'], `${field}.Dimensions`) };
}

function checkDatapointCount(start: number, end: number, periodS: number): void {
  const n = Math.ceil((end - start) / (periodS * 1000));
  if (n > MAX_DATAPOINTS) {
    throw combination(
      `You have requested up to ${n.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      'Period',
    );
  }
}

/** The metric's unit filter: a Unit that is not the metric's selects nothing (the store keeps one unit per metric). */
function unitMatches(ctx: RequestContext, id: MetricId, unit: string | undefined): boolean {
  if (unit === undefined) return true;
  return (ctx.store.metrics.find(id)?.unit ?? 'None') === unit;
}

export function getMetricStatistics(ctx: RequestContext, body: unknown): unknown {
  const input = body as Input;
  const now = ctx.clock.now();
  const id = metricIdOf(input, 'Metric');
  const p = period(input['Period'], 'Period');
  const range = timeRange(input, now);
  const statistics = list<string>(input['Statistics']);
  const extended = list<string>(input['ExtendedStatistics']).map((s, i) => percentileStatistic(s, `ExtendedStatistics.member.${i + 1}`));
  if (statistics.length === 0 && extended.length === 0) throw combination('At least one of the parameters Statistics and ExtendedStatistics must be specified.', 'Statistics');
  const start = roundedStart(range.start, p, now);
  checkDatapointCount(start, range.end, p);
  const unit = str(input['Unit']);
  const metricUnit = ctx.store.metrics.find(id)?.unit ?? 'None';
  const buckets = unitMatches(ctx, id, unit) ? ctx.store.metrics.statistics({ ...id, start, end: range.end, periodMs: p * 1000, nowMs: now }) : [];
  const datapoints = buckets.map((b) => {
    const dp: Record<string, unknown> = { Timestamp: new Date(b.timestamp), Unit: metricUnit };
    for (const s of statistics) dp[s] = statisticValue(s, b.stats, b.values);
    if (extended.length > 0) {
      const ext: Record<string, number> = {};
      for (const s of extended) {
        const v = statisticValue(s, b.stats, b.values);
        if (v !== undefined) ext[s] = v;
      }
      dp['ExtendedStatistics'] = ext;
    }
    return dp;
  });
  return { Label: id.metricName, Datapoints: datapoints };
}

interface Query {
  id: string;
  field: string;
  label: string | undefined;
  returnData: boolean;
  stat?: { metric: MetricId; periodS: number; stat: string; unit: string | undefined };
  expression?: { ast: ReturnType<typeof parseMetricMath>['ast']; ids: Set<string> };
}

function parseQueries(input: Input): Query[] {
  const raw = list<Input>(input['MetricDataQueries']);
  if (raw.length === 0) throw missingParameter('MetricDataQueries');
  if (raw.length > MAX_QUERIES) throw invalid(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`, 'MetricDataQueries');
  const seen = new Set<string>();
  return raw.map((q, i) => {
    const field = `MetricDataQueries.member.${i + 1}`;
    const id = str(q['Id'])!;
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw invalid(`The value ${id} for parameter ${field}.Id is invalid: it must start with a lower-case letter and hold only letters, digits and underscores.`, `${field}.Id`);
    if (seen.has(id)) throw invalid(`The value ${id} for parameter ${field}.Id is not unique.`, `${field}.Id`);
    seen.add(id);
    const ms = obj(q['MetricStat']);
    const expr = str(q['Expression']);
    if ((ms === undefined) === (expr === undefined)) throw combination(`Exactly one of ${field}.MetricStat and ${field}.Expression must be specified.`, field);
    const query: Query = { id, field, label: str(q['Label']), returnData: q['ReturnData'] !== false };
    if (ms) {
      const stat = str(ms['Stat']);
      if (stat === undefined) throw missingParameter(`${field}.MetricStat.Stat`);
      if (!isStatistic(stat)) percentileStatistic(stat, `${field}.MetricStat.Stat`);
      query.stat = { metric: metricIdOf(obj(ms['Metric']), `${field}.MetricStat.Metric`), periodS: period(ms['Period'], `${field}.MetricStat.Period`), stat, unit: str(ms['Unit']) };
    } else {
      try {
        query.expression = parseMetricMath(expr!);
      } catch (e) {
        if (e instanceof MetricMathError) throw invalid(`Error in expression ${id}: ${e.message}`, `${field}.Expression`);
        throw e;
      }
    }
    return query;
  });
}

/** GetMetricData: metric stats and metric math over them; every result in one page. */
export function getMetricData(ctx: RequestContext, body: unknown): unknown {
  const input = body as Input;
  const now = ctx.clock.now();
  const range = timeRange(input, now);
  const queries = parseQueries(input);
  const byId = new Map(queries.map((q) => [q.id, q]));
  for (const q of queries) {
    for (const ref of q.expression?.ids ?? []) {
      if (!byId.has(ref)) throw invalid(`Error in expression ${q.id}: Unrecognized metric id ${ref}.`, `${q.field}.Expression`);
    }
  }
  const results = new Map<string, MathValue>();
  const resolving = new Set<string>();
  const resolve = (id: string): MathValue => {
    const done = results.get(id);
    if (done) return done;
    const q = byId.get(id)!;
    if (resolving.has(id)) throw invalid(`Error in expression ${id}: circular dependency between metric ids.`, `${q.field}.Expression`);
    resolving.add(id);
    let value: MathValue;
    if (q.stat) {
      const s = q.stat;
      const start = roundedStart(range.start, s.periodS, now);
      checkDatapointCount(start, range.end, s.periodS);
      const buckets = unitMatches(ctx, s.metric, s.unit) ? ctx.store.metrics.statistics({ ...s.metric, start, end: range.end, periodMs: s.periodS * 1000, nowMs: now }) : [];
      const points: Series = new Map();
      for (const b of buckets) {
        const v = statisticValue(s.stat, b.stats, b.values);
        if (v !== undefined) points.set(b.timestamp, v);
      }
      value = { kind: 'series', points };
    } else {
      try {
        value = evaluateMetricMath(q.expression!.ast, resolve);
      } catch (e) {
        if (e instanceof MetricMathError) throw invalid(`Error in expression ${id}: ${e.message}`, `${q.field}.Expression`);
        throw e;
      }
    }
    resolving.delete(id);
    results.set(id, value);
    return value;
  };
  const ascending = str(input['ScanBy']) === 'TimestampAscending';
  const out = queries
    .filter((q) => q.returnData)
    .map((q) => {
      const v = resolve(q.id);
      if (v.kind === 'array') throw invalid(`Error in expression ${q.id}: the expression returns several time series; wrap it in SUM, AVG, MIN or MAX.`, `${q.field}.Expression`);
      // A scalar result is shown at each timestamp of the series the expression read.
      let points: [number, number][];
      if (v.kind === 'scalar') {
        const stamps = new Set<number>();
        for (const ref of q.expression?.ids ?? []) {
          const r = results.get(ref);
          if (r?.kind === 'series') for (const t of r.points.keys()) stamps.add(t);
        }
        points = [...stamps].map((t) => [t, v.value]);
      } else points = [...v.points];
      points.sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
      return { q, points };
    });
  // Pages of at most MaxDatapoints, in query order; the token is how many datapoints earlier pages held.
  const max = num(input['MaxDatapoints']) ?? MAX_DATAPOINTS_PER_CALL;
  if (max < 1) throw invalid('The parameter MaxDatapoints must be greater than 0.', 'MaxDatapoints');
  let skip = decodeToken<number>(input['NextToken'], 'number') ?? 0;
  let room = max;
  let returned = skip;
  let more = false;
  const pages = out.flatMap(({ q, points }) => {
    const from = Math.min(skip, points.length);
    skip -= from;
    if (from === points.length && from > 0) return [];
    const page = points.slice(from, from + room);
    room -= page.length;
    returned += page.length;
    const partial = from + page.length < points.length;
    if (partial) more = true;
    if (partial && page.length === 0) return [];
    return [{
      Id: q.id,
      Label: q.label ?? q.stat?.metric.metricName ?? q.id,
      Timestamps: page.map(([t]) => new Date(t)),
      Values: page.map(([, x]) => x),
      StatusCode: partial ? 'PartialData' : 'Complete',
    }];
  });
  return { MetricDataResults: pages, Messages: [], ...(more ? { NextToken: encodeToken(returned) } : {}) };
}

/** ListMetrics: metrics with a point in the last two weeks (three hours with RecentlyActive=PT3H), 500 a page. */
export function listMetrics(ctx: RequestContext, body: unknown): unknown {
  const input = body as Input;
  const now = ctx.clock.now();
  const dims = list<Input>(input['Dimensions']).map((d, i) => {
    const name = str(d['Name']);
    if (name === undefined) throw missingParameter(`Dimensions.member.${i + 1}.Name`);
    const value = str(d['Value']);
    return value === undefined ? { name } : { name, value };
  });
  const after = decodeToken<number>(input['NextToken'], 'number') ?? 0;
  const recently = str(input['RecentlyActive']);
  const namespace = str(input['Namespace']);
  const metricName = str(input['MetricName']);
  const page = ctx.store.metrics.list(
    {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(metricName !== undefined ? { metricName } : {}),
      ...(dims.length > 0 ? { dimensions: dims } : {}),
      activeSince: now - (recently === 'PT3H' ? 3 * 3600_000 : TWO_WEEKS),
    },
    after,
    LIST_PAGE,
  );
  const result: Record<string, unknown> = {
    Metrics: page.metrics.map((m) => ({ Namespace: m.namespace, MetricName: m.metricName, Dimensions: m.dimensions.map((d) => ({ Name: d.name, Value: d.value })) })),
  };
  if (page.lastId !== undefined) result['NextToken'] = encodeToken(page.lastId);
  return result;
}
