import type { Migration } from './migration';

/**
 * Metrics and alarms (docs/design/metrics.md).
 * - `metric_series`: one row per metric (namespace, name, canonical
 *   dimension set), with the last time a point arrived (ListMetrics, pruning).
 * - `metric_raw`: every datum as written, kept 3 hours: a statistic set and,
 *   when the values are known, the values with their counts (`vals`, JSON),
 *   so percentiles of recent data are exact.
 * - `metric_1m` / `metric_1h`: rollups kept 15 and 63 days, updated as points
 *   are written (late points included), with a log-bucket sketch for
 *   approximate percentiles. Each table is pruned by time (index on ts).
 * - `metric_alarms`: PutMetricAlarm's configuration (JSON) and the state the
 *   evaluator keeps; `alarm_history`: configuration, state and action items,
 *   kept two weeks like CloudWatch's.
 */
export const metrics: Migration = {
  version: 14,
  name: 'metrics',
  sql: `
    CREATE TABLE metric_series (
      id INTEGER PRIMARY KEY,
      namespace TEXT NOT NULL,
      metric_name TEXT NOT NULL,
      dimensions TEXT NOT NULL,
      unit TEXT,
      last_seen INTEGER NOT NULL,
      UNIQUE(namespace, metric_name, dimensions)
    );
    CREATE INDEX metric_series_last_seen ON metric_series(last_seen);
    CREATE TABLE metric_raw (
      series_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      sample_count REAL NOT NULL,
      sum REAL NOT NULL,
      minimum REAL NOT NULL,
      maximum REAL NOT NULL,
      vals TEXT
    );
    CREATE INDEX metric_raw_series ON metric_raw(series_id, ts);
    CREATE INDEX metric_raw_ts ON metric_raw(ts);
    CREATE TABLE metric_1m (
      series_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      sample_count REAL NOT NULL,
      sum REAL NOT NULL,
      minimum REAL NOT NULL,
      maximum REAL NOT NULL,
      sketch TEXT,
      PRIMARY KEY(series_id, ts)
    );
    CREATE INDEX metric_1m_ts ON metric_1m(ts);
    CREATE TABLE metric_1h (
      series_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      sample_count REAL NOT NULL,
      sum REAL NOT NULL,
      minimum REAL NOT NULL,
      maximum REAL NOT NULL,
      sketch TEXT,
      PRIMARY KEY(series_id, ts)
    );
    CREATE INDEX metric_1h_ts ON metric_1h(ts);
    CREATE TABLE metric_alarms (
      name TEXT PRIMARY KEY,
      namespace TEXT,
      metric_name TEXT,
      config TEXT NOT NULL,
      state_value TEXT NOT NULL,
      state_reason TEXT NOT NULL,
      state_reason_data TEXT,
      state_updated_at INTEGER NOT NULL,
      state_transitioned_at INTEGER NOT NULL,
      configuration_updated_at INTEGER NOT NULL,
      evaluated_at INTEGER
    );
    CREATE INDEX metric_alarms_metric ON metric_alarms(namespace, metric_name);
    CREATE TABLE alarm_history (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      alarm_name TEXT NOT NULL,
      ts INTEGER NOT NULL,
      item_type TEXT NOT NULL,
      summary TEXT NOT NULL,
      data TEXT NOT NULL
    );
    CREATE INDEX alarm_history_alarm ON alarm_history(alarm_name, ts);
    CREATE INDEX alarm_history_ts ON alarm_history(ts);
  `,
};
