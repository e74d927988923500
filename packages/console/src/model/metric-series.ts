export interface MetricDataResult {
  Id: string;
  Label?: string;
  /** Epoch seconds (JSON protocol) or ISO strings. */
  Timestamps?: (number | string)[];
  Values?: number[];
}

export interface MetricQuery {
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  stat: 'Average' | 'Sum' | 'Maximum';
}

/** GetMetricData's input for a set of metrics over the last `minutes`, one point a minute. */
export function metricDataInput(queries: readonly MetricQuery[], nowMs: number, minutes: number): Record<string, unknown> {
  const end = Math.floor(nowMs / 60_000) * 60 + 60;
  return {
    StartTime: end - minutes * 60,
    EndTime: end,
    ScanBy: 'TimestampAscending',
    MetricDataQueries: queries.map((q) => ({
      Id: q.id,
      ReturnData: true,
      MetricStat: {
        Metric: { Namespace: q.namespace, MetricName: q.metricName, Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })) },
        Period: 60,
        Stat: q.stat,
      },
    })),
  };
}

const seconds = (t: number | string) => (typeof t === 'number' ? t : Math.floor(Date.parse(t) / 1000));

/**
 * Results on one time axis, as uPlot takes them: [xs, ys of ids[0], ys of
 * ids[1], ...], sorted by time, null where a series has no point.
 */
export function alignSeries(results: readonly MetricDataResult[], ids: readonly string[]): [number[], ...(number | null)[][]] {
  const byId = new Map(results.map((r) => [r.Id, r]));
  const xs = new Set<number>();
  for (const id of ids) for (const t of byId.get(id)?.Timestamps ?? []) xs.add(seconds(t));
  const axis = [...xs].sort((a, b) => a - b);
  const index = new Map(axis.map((x, i) => [x, i]));
  const ys = ids.map((id) => {
    const row: (number | null)[] = axis.map(() => null);
    const r = byId.get(id);
    (r?.Timestamps ?? []).forEach((t, k) => {
      const v = r?.Values?.[k];
      if (v !== undefined) row[index.get(seconds(t))!] = v;
    });
    return row;
  });
  return [axis, ...ys];
}

/** The latest value of a series, if any. */
export function latestValue(r: MetricDataResult | undefined): number | undefined {
  if (!r?.Timestamps?.length || !r.Values?.length) return undefined;
  let best = 0;
  r.Timestamps.forEach((t, k) => {
    if (seconds(t) > seconds(r.Timestamps![best]!)) best = k;
  });
  return r.Values[best];
}
