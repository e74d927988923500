/**
 * A metric datapoint as the store takes it (CloudWatch's MetricDatum, in
 * milliseconds): one value, a statistic set, or PutMetricData's
 * Values/Counts. The pipeline and PutMetricData both write these.
 */
export interface Dimension {
  name: string;
  value: string;
}

export interface StatisticSet {
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
}

export interface MetricDatum {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  /** Epoch milliseconds. */
  timestamp: number;
  unit?: string;
  value?: number;
  statisticValues?: StatisticSet;
  /** PutMetricData's Values, each seen Counts[i] times (1 when counts are absent). */
  values?: number[];
  counts?: number[];
}

/** One metric: namespace, name and its dimension set (order does not matter). */
export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
}

/**
 * The canonical text of a dimension set, the metric's identity with
 * namespace and name: sorted by name, so {A,B} and {B,A} are one metric, as
 * in CloudWatch.
 */
export function canonicalDimensions(dimensions: readonly Dimension[]): string {
  const sorted = [...dimensions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify(sorted.map((d) => [d.name, d.value]));
}

export function parseCanonicalDimensions(text: string): Dimension[] {
  return (JSON.parse(text) as [string, string][]).map(([name, value]) => ({ name, value }));
}

/** The datum's values with their weights: exact values for percentiles (a statistic set has none). */
export function weightedValues(d: MetricDatum): [number, number][] {
  if (d.values && d.values.length > 0) return d.values.map((v, i) => [v, d.counts?.[i] ?? 1]);
  if (d.value !== undefined) return [[d.value, 1]];
  return [];
}

/** The datum as a statistic set (SampleCount, Sum, Minimum, Maximum); undefined when it carries nothing. */
export function statisticSetOf(d: MetricDatum): StatisticSet | undefined {
  if (d.statisticValues) return d.statisticValues;
  const wv = weightedValues(d);
  if (wv.length === 0) return undefined;
  let sampleCount = 0;
  let sum = 0;
  let minimum = Infinity;
  let maximum = -Infinity;
  for (const [v, c] of wv) {
    sampleCount += c;
    sum += v * c;
    minimum = Math.min(minimum, v);
    maximum = Math.max(maximum, v);
  }
  return { sampleCount, sum, minimum, maximum };
}

export function mergeStatisticSets(a: StatisticSet, b: StatisticSet): StatisticSet {
  return { sampleCount: a.sampleCount + b.sampleCount, sum: a.sum + b.sum, minimum: Math.min(a.minimum, b.minimum), maximum: Math.max(a.maximum, b.maximum) };
}
