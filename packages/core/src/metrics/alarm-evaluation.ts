/**
 * CloudWatch's metric alarm evaluation, as a pure function of the alarm's
 * configuration, the metric's datapoints (one per period, the alarm's
 * statistic already applied), the current state and `now`.
 *
 * The evaluation range is the most recent N + 2 periods (N =
 * EvaluationPeriods; CloudWatch looks further back than N, "the evaluation
 * range", five periods in its documented example of N = 3). The current,
 * still open period counts only once it holds a datapoint, so a period in
 * progress is never "missing". Then, as documented in "Configuring how
 * CloudWatch alarms treat missing data":
 * - with at least N datapoints in the range, the most recent N decide, and
 *   TreatMissingData does not matter: ALARM when M (DatapointsToAlarm) of
 *   them breach, else OK;
 * - with fewer (k < N), the N - k missing ones are filled per TreatMissingData:
 *   `breaching` counts them as breaching, `notBreaching` as not;
 *   `missing` decides on the k present (ALARM when min(M, k) of them breach,
 *   OK otherwise; INSUFFICIENT_DATA when k = 0); `ignore` goes to ALARM only
 *   when M present ones breach, to OK when fewer than min(M, k) do, and
 *   otherwise (and when k = 0) keeps the current state.
 * The table tests (alarm-evaluation.test.ts) are the documentation's two
 * tables, row by row.
 */
export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmStateValue = (typeof ALARM_STATES)[number];

export const COMPARISON_OPERATORS = ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export const TREAT_MISSING_DATA = ['missing', 'notBreaching', 'breaching', 'ignore'] as const;
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number];

export interface AlarmRule {
  periodMs: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  treatMissingData: TreatMissingData;
  /** For reasons: 'Average', 'p99'. */
  statistic: string;
  /**
   * EvaluateLowSampleCountPercentile=ignore on a percentile alarm: the
   * fewest samples a period needs to count (see minimumSamplesFor); with
   * fewer in any of the deciding periods, the state does not change.
   */
  minimumSamples?: number;
}

/**
 * The samples a percentile needs to be statistically significant, as
 * CloudWatch reckons it for EvaluateLowSampleCountPercentile: 1 / (1 - p),
 * so p50 needs 2, p90 10, p99 100.
 */
export function minimumSamplesFor(p: number): number {
  return p >= 100 ? 1 : Math.ceil(100 / (100 - p) - 1e-9);
}

export interface AlarmDatapoint {
  /** Start of the period, epoch ms (a multiple of the period). */
  timestamp: number;
  value: number;
  /** Samples in the period (for EvaluateLowSampleCountPercentile). */
  sampleCount?: number;
}

export interface AlarmEvaluation {
  state: AlarmStateValue;
  /** Unchanged when the state is kept. */
  changed: boolean;
  reason: string;
  reasonData: Record<string, unknown>;
  /** The range's periods, oldest first, as evaluated (missing ones undefined). */
  evaluated: { timestamp: number; value: number | undefined }[];
}

const OPERATOR_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

export function breaches(op: ComparisonOperator, value: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/** The evaluation range: the start of its oldest period and the period starts, oldest first. */
export function evaluationRange(rule: AlarmRule, now: number, currentHasData: boolean): number[] {
  const current = Math.floor(now / rule.periodMs) * rule.periodMs;
  const newest = currentHasData ? current : current - rule.periodMs;
  const size = rule.evaluationPeriods + 2;
  return Array.from({ length: size }, (_, i) => newest - (size - 1 - i) * rule.periodMs);
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export function evaluateAlarm(rule: AlarmRule, datapoints: readonly AlarmDatapoint[], current: AlarmStateValue, now: number): AlarmEvaluation {
  const byTime = new Map(datapoints.map((d) => [d.timestamp, d.value]));
  const byCount = new Map(datapoints.map((d) => [d.timestamp, d.sampleCount]));
  const currentStart = Math.floor(now / rule.periodMs) * rule.periodMs;
  const range = evaluationRange(rule, now, byTime.has(currentStart));
  const evaluated = range.map((t) => ({ timestamp: t, value: byTime.get(t) }));
  const present = evaluated.filter((e): e is { timestamp: number; value: number } => e.value !== undefined);
  const N = rule.evaluationPeriods;
  const M = rule.datapointsToAlarm;
  const recent = present.slice(-N);
  const k = recent.length;
  const b = recent.filter((e) => breaches(rule.comparisonOperator, e.value, rule.threshold)).length;
  const missing = N - Math.min(N, k);
  const minimum = rule.minimumSamples;
  const lowSamples = minimum !== undefined && recent.some((e) => (byCount.get(e.timestamp) ?? Infinity) < minimum);

  let state: AlarmStateValue | 'keep';
  if (lowSamples) state = 'keep';
  else if (k >= N) state = b >= M ? 'ALARM' : 'OK';
  else {
    switch (rule.treatMissingData) {
      case 'breaching':
        state = b + missing >= M ? 'ALARM' : 'OK';
        break;
      case 'notBreaching':
        state = b >= M ? 'ALARM' : 'OK';
        break;
      case 'ignore':
        state = k === 0 ? 'keep' : b >= M ? 'ALARM' : b < Math.min(M, k) ? 'OK' : 'keep';
        break;
      default:
        state = k === 0 ? 'INSUFFICIENT_DATA' : b >= Math.min(M, k) ? 'ALARM' : 'OK';
    }
  }
  const next = state === 'keep' ? current : state;
  const reasonData: Record<string, unknown> = {
    version: '1.0',
    queryDate: new Date(now).toISOString(),
    startDate: new Date(range[0]!).toISOString(),
    statistic: rule.statistic,
    period: rule.periodMs / 1000,
    recentDatapoints: recent.map((e) => e.value),
    threshold: rule.threshold,
    evaluatedDatapoints: [...recent].reverse().map((e) => ({ timestamp: new Date(e.timestamp).toISOString(), value: e.value })),
  };
  const reason = lowSamples ? `Low sample count ignored: a period had fewer than ${minimum} samples; the state is kept.` : reasonFor(rule, next, recent, b, missing, state === 'keep');
  return { state: next, changed: next !== current, reason, reasonData, evaluated };
}

function reasonFor(rule: AlarmRule, state: AlarmStateValue, recent: { timestamp: number; value: number }[], b: number, missing: number, kept: boolean): string {
  if (kept) return `Missing data ignored: ${missing} datapoint${missing === 1 ? ' was' : 's were'} missing; the state is kept.`;
  if (state === 'INSUFFICIENT_DATA') return `Insufficient Data: ${rule.evaluationPeriods} datapoint${rule.evaluationPeriods === 1 ? ' was' : 's were'} unknown.`;
  const words = OPERATOR_WORDS[rule.comparisonOperator];
  const shown = [...recent].reverse().map((e) => `${formatValue(e.value)} (${formatTime(e.timestamp)})`).join(', ');
  const n = recent.length;
  const fill = missing > 0 ? ` (${missing} missing datapoint${missing === 1 ? '' : 's'} treated as ${rule.treatMissingData === 'breaching' ? 'Breaching' : rule.treatMissingData === 'notBreaching' ? 'Not Breaching' : 'Missing'})` : '';
  if (state === 'ALARM') {
    return n === 1 && b === 1
      ? `Threshold Crossed: 1 datapoint [${shown}] was ${words} the threshold (${formatValue(rule.threshold)}).${fill}`
      : `Threshold Crossed: ${b} out of the last ${n} datapoints [${shown}] were ${words} the threshold (${formatValue(rule.threshold)}) (minimum ${rule.datapointsToAlarm} datapoint${rule.datapointsToAlarm === 1 ? '' : 's'} for OK -> ALARM transition).${fill}`;
  }
  return n === 1 && b === 0
    ? `Threshold Crossed: 1 datapoint [${shown}] was not ${words} the threshold (${formatValue(rule.threshold)}).${fill}`
    : `Threshold Crossed: ${n - b} out of the last ${n} datapoints [${shown}] were not ${words} the threshold (${formatValue(rule.threshold)}) (minimum ${Math.max(1, rule.evaluationPeriods - rule.datapointsToAlarm + 1)} datapoint${rule.evaluationPeriods - rule.datapointsToAlarm + 1 === 1 ? '' : 's'} for ALARM -> OK transition).${fill}`;
}
