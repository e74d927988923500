import type { StatisticSet } from './metric-datum';
import { parsePercentileStatistic, percentile } from './percentile-sketch';

/** CloudWatch's basic statistics, in its spelling. */
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];

export function isStatistic(s: string): s is Statistic {
  return (STATISTICS as readonly string[]).includes(s);
}

/** A statistic Stevedore can compute: a basic one or a percentile (`p90`, `p99.9`). */
export function isSupportedStatistic(s: string): boolean {
  return isStatistic(s) || parsePercentileStatistic(s) !== undefined;
}

/**
 * One statistic of one period: basic ones from the statistic set, a
 * percentile from the period's weighted values (undefined when they are not
 * known, as for statistic sets).
 */
export function statisticValue(stat: string, stats: StatisticSet, values: readonly [number, number][]): number | undefined {
  switch (stat) {
    case 'SampleCount':
      return stats.sampleCount;
    case 'Sum':
      return stats.sum;
    case 'Minimum':
      return stats.minimum;
    case 'Maximum':
      return stats.maximum;
    case 'Average':
      return stats.sampleCount > 0 ? stats.sum / stats.sampleCount : undefined;
    default: {
      const p = parsePercentileStatistic(stat);
      return p === undefined ? undefined : percentile(values, p);
    }
  }
}
