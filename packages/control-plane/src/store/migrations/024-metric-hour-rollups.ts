import type { Migration } from './migration';

/**
 * 1-hour rollups are made from the 1-minute ones by the metric-retention
 * role instead of on every write (a write-through hour sketch cost more than
 * the rest of a write together). A 1-minute row changed since its hour was
 * rolled up has `rolled = 0`; the partial index finds those rows. Rows that
 * exist when this migration runs are rolled up again, which recomputes the
 * same hours.
 */
export const metricHourRollups: Migration = {
  version: 24,
  name: 'metric-hour-rollups',
  sql: `
    ALTER TABLE metric_1m ADD COLUMN rolled INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX metric_1m_unrolled ON metric_1m(ts) WHERE rolled = 0;
  `,
};
