import {
  addToSketch,
  canonicalDimensions,
  mergeSketches,
  mergeStatisticSets,
  parseCanonicalDimensions,
  sketchEntries,
  sketchFromJson,
  sketchToJson,
  statisticSetOf,
  weightedValues,
  type Dimension,
  type MetricDatum,
  type MetricId,
  type Sketch,
  type StatisticSet,
} from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

/** Retention of each resolution (CloudWatch's for the first three). */
export const RAW_RETENTION_MS = 3 * 3600_000;
export const MINUTE_RETENTION_MS = 15 * 86_400_000;
export const HOUR_RETENTION_MS = 63 * 86_400_000;
/** PutMetricData accepts points this old: hours before it can no longer change. */
export const LATE_DATA_HORIZON_MS = 14 * 86_400_000;
const MINUTE = 60_000;
const HOUR = 3600_000;

/** One period of one metric: its statistic set and (when known) weighted values for percentiles. */
export interface MetricBucket {
  /** Start of the period, epoch ms. */
  timestamp: number;
  stats: StatisticSet;
  /** Exact from raw points, sketch-approximate from rollups; empty for statistic sets (no percentiles). */
  values: [number, number][];
}

export interface MetricQuery extends MetricId {
  /** [start, end) in epoch ms; buckets are start + k × period. */
  start: number;
  end: number;
  periodMs: number;
  /** Decides the resolution: raw points within 3 hours of now, 1-minute rollups within 15 days, 1-hour ones beyond. */
  nowMs: number;
}

export interface ListedMetric extends MetricId {
  unit: string | undefined;
  lastSeen: number;
}

export interface MetricFilter {
  namespace?: string;
  metricName?: string;
  /** Each must be on the metric; a value, when given, must match. */
  dimensions?: { name: string; value?: string }[];
  /** Only metrics with a point since this time (epoch ms). */
  activeSince?: number;
}

type Row = { series_id: number; ts: number; sample_count: number; sum: number; minimum: number; maximum: number };

/**
 * The metric store (docs/design/metrics.md). `put` takes a batch of
 * datapoints from the pipeline or PutMetricData and writes it in one
 * transaction: the raw points, and the 1-minute rollups they fall in,
 * merged as they go (so those are never behind and late points land where
 * they belong). `rollUpHours` makes 1-hour rollups from changed minutes and
 * `prune` deletes what is past retention; both are the metric-retention
 * role's and are level-triggered (flags and times in the tables), so running
 * them again or after a crash is harmless. Reads never write.
 */
export class MetricsRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  /** `namespace\0name\0dims` -> series id; ids never change once written. */
  private readonly seriesIds = new Map<string, number>();
  /** What `last_seen`/`unit` were last written as, per series id (bounded like seriesIds). */
  private readonly lastSeenWritten = new Map<number, { ts: number; unit: string | undefined }>();

  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.sql = statementCache(db);
  }

  /** Writes a batch of datapoints (validated by the caller); one change per namespace touched, after commit. */
  put(points: readonly MetricDatum[]): void {
    if (points.length === 0) return;
    const namespaces = new Set<string>();
    // Caches learn from a batch only once it has committed: a rolled-back series id must not be reused.
    const newIds = new Map<string, number>();
    const written = new Map<number, { ts: number; unit: string | undefined }>();
    // Inside a caller's transaction, this one is only a savepoint: what it wrote may still roll back, so learn nothing.
    const outer = this.db.inTransaction;
    this.db.transaction(() => {
      const lastSeen = new Map<number, { ts: number; unit: string | undefined }>();
      const minutes = new Map<string, { series: number; ts: number; stats: StatisticSet; values: [number, number][] }>();
      const insertRaw = this.sql('INSERT INTO metric_raw(series_id, ts, sample_count, sum, minimum, maximum, vals) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const p of points) {
        const stats = statisticSetOf(p);
        if (!stats) continue;
        const series = this.seriesId(p, newIds);
        namespaces.add(p.namespace);
        const values = weightedValues(p);
        // A single value is its own distribution (sum = min = max); keep vals only when they say more.
        const vals = values.length > 1 || (values.length === 1 && values[0]![1] !== 1) ? JSON.stringify(values) : null;
        insertRaw.run(series, p.timestamp, stats.sampleCount, stats.sum, stats.minimum, stats.maximum, vals);
        const seen = lastSeen.get(series);
        if (!seen || seen.ts <= p.timestamp) lastSeen.set(series, { ts: Math.max(p.timestamp, seen?.ts ?? 0), unit: p.unit ?? seen?.unit });
        const minute = Math.floor(p.timestamp / MINUTE) * MINUTE;
        const key = `${series}:${minute}`;
        const m = minutes.get(key);
        if (m) {
          m.stats = mergeStatisticSets(m.stats, stats);
          m.values.push(...values);
        } else {
          minutes.set(key, { series, ts: minute, stats, values: [...values] });
        }
      }
      const touch = this.sql('UPDATE metric_series SET last_seen = MAX(last_seen, ?), unit = COALESCE(?, unit) WHERE id = ?');
      for (const [id, seen] of lastSeen) {
        // last_seen serves ListMetrics (hours) and pruning (days): a write a minute per metric is enough.
        const known = this.lastSeenWritten.get(id);
        if (known && seen.ts < known.ts + MINUTE && (seen.unit === undefined || seen.unit === known.unit)) continue;
        touch.run(seen.ts, seen.unit ?? null, id);
        written.set(id, { ts: Math.max(seen.ts, known?.ts ?? 0), unit: seen.unit ?? known?.unit });
      }
      for (const m of minutes.values()) this.mergeMinute(m.series, m.ts, m.stats, addToSketch(new Map(), m.values));
    })();
    // Bounded: past this many metrics, look them up again rather than grow.
    if (this.seriesIds.size + newIds.size > 200_000) {
      this.seriesIds.clear();
      this.lastSeenWritten.clear();
    }
    if (!outer) {
      for (const [k, id] of newIds) this.seriesIds.set(k, id);
      for (const [id, w] of written) this.lastSeenWritten.set(id, w);
    }
    for (const namespace of namespaces) this.record({ kind: 'metric-data', namespace });
  }

  private seriesId(m: MetricId, newIds: Map<string, number>): number {
    const dims = canonicalDimensions(m.dimensions);
    const key = `${m.namespace}\0${m.metricName}\0${dims}`;
    const cached = this.seriesIds.get(key) ?? newIds.get(key);
    if (cached !== undefined) return cached;
    this.sql('INSERT INTO metric_series(namespace, metric_name, dimensions, last_seen) VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING').run(m.namespace, m.metricName, dims);
    const row = this.sql('SELECT id FROM metric_series WHERE namespace = ? AND metric_name = ? AND dimensions = ?').get(m.namespace, m.metricName, dims) as { id: number };
    newIds.set(key, row.id);
    return row.id;
  }

  /** Merges into a 1-minute rollup and marks it for the hour rollup (`rolled = 0`). */
  private mergeMinute(series: number, ts: number, stats: StatisticSet, sketch: Sketch): void {
    const old = this.sql('SELECT sample_count, sum, minimum, maximum, sketch FROM metric_1m WHERE series_id = ? AND ts = ?').get(series, ts) as
      | (Omit<Row, 'series_id' | 'ts'> & { sketch: string | null })
      | undefined;
    const merged = old ? mergeStatisticSets({ sampleCount: old.sample_count, sum: old.sum, minimum: old.minimum, maximum: old.maximum }, stats) : stats;
    const sk = old ? mergeSketches(sketchFromJson(old.sketch), sketch) : sketch;
    this
      .sql('INSERT OR REPLACE INTO metric_1m(series_id, ts, sample_count, sum, minimum, maximum, sketch, rolled) VALUES (?, ?, ?, ?, ?, ?, ?, 0)')
      .run(series, ts, merged.sampleCount, merged.sum, merged.minimum, merged.maximum, sk.size > 0 ? sketchToJson(sk) : null);
  }

  /**
   * Makes the 1-hour rollups of up to `limit` (metric, hour) pairs whose
   * 1-minute rows changed since they were rolled up, for complete hours
   * within the late-data horizon (PutMetricData takes points two weeks
   * back; older hours cannot change). Each hour is recomputed from its
   * minutes, so running it twice or after a crash is harmless. Returns how
   * many hours were rolled up; call until it returns 0.
   */
  rollUpHours(nowMs: number, limit: number): number {
    return this.db.transaction(() => {
      const hours = this
        .sql(
          `SELECT DISTINCT series_id, ts - (ts % ${HOUR}) AS hour FROM metric_1m
           WHERE rolled = 0 AND ts >= @from AND ts < @before LIMIT @limit`,
        )
        .all({ from: Math.floor((nowMs - LATE_DATA_HORIZON_MS) / HOUR) * HOUR, before: Math.floor(nowMs / HOUR) * HOUR, limit }) as { series_id: number; hour: number }[];
      const minutes = this.sql('SELECT sample_count, sum, minimum, maximum, sketch FROM metric_1m WHERE series_id = ? AND ts >= ? AND ts < ?');
      for (const { series_id: series, hour } of hours) {
        let stats: StatisticSet | undefined;
        const sketch: Sketch = new Map();
        for (const m of minutes.iterate(series, hour, hour + HOUR) as IterableIterator<Omit<Row, 'series_id' | 'ts'> & { sketch: string | null }>) {
          const s = { sampleCount: m.sample_count, sum: m.sum, minimum: m.minimum, maximum: m.maximum };
          stats = stats ? mergeStatisticSets(stats, s) : s;
          mergeSketches(sketch, sketchFromJson(m.sketch));
        }
        if (stats) {
          this
            .sql('INSERT OR REPLACE INTO metric_1h(series_id, ts, sample_count, sum, minimum, maximum, sketch) VALUES (?, ?, ?, ?, ?, ?, ?)')
            .run(series, hour, stats.sampleCount, stats.sum, stats.minimum, stats.maximum, sketch.size > 0 ? sketchToJson(sketch) : null);
        }
        this.sql('UPDATE metric_1m SET rolled = 1 WHERE series_id = ? AND ts >= ? AND ts < ? AND rolled = 0').run(series, hour, hour + HOUR);
      }
      return hours.length;
    })();
  }

  /** The unit last written for a metric, and whether the metric exists at all. */
  find(m: MetricId): { id: number; unit: string | undefined } | undefined {
    const row = this.sql('SELECT id, unit FROM metric_series WHERE namespace = ? AND metric_name = ? AND dimensions = ?').get(m.namespace, m.metricName, canonicalDimensions(m.dimensions)) as
      | { id: number; unit: string | null }
      | undefined;
    return row ? { id: row.id, unit: row.unit ?? undefined } : undefined;
  }

  /**
   * The metric's periods in [start, end) that hold data, oldest first. The
   * resolution follows the start's age (raw within 3 hours, then 1-minute,
   * then 1-hour rollups); a period finer than the rollup it reads is
   * answered at the rollup's resolution (CloudWatch refuses such requests
   * at the API; the store does not).
   */
  statistics(q: MetricQuery): MetricBucket[] {
    const series = this.find(q);
    if (!series || q.end <= q.start || q.periodMs <= 0) return [];
    const age = q.nowMs - q.start;
    const table = age <= RAW_RETENTION_MS ? 'metric_raw' : age <= MINUTE_RETENTION_MS ? 'metric_1m' : 'metric_1h';
    const extra = table === 'metric_raw' ? 'vals' : 'sketch';
    const rows = this
      .sql(`SELECT ts, sample_count, sum, minimum, maximum, ${extra} AS extra FROM ${table} WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts`)
      .all(series.id, q.start, q.end) as (Row & { extra: string | null })[];
    const buckets = new Map<number, MetricBucket & { complete: boolean }>();
    for (const r of rows) {
      const ts = q.start + Math.floor((r.ts - q.start) / q.periodMs) * q.periodMs;
      const stats = { sampleCount: r.sample_count, sum: r.sum, minimum: r.minimum, maximum: r.maximum };
      // Percentiles need every sample's value: a statistic set of several samples without them makes the bucket's percentiles unknown.
      let values: [number, number][] | undefined;
      if (table === 'metric_raw') values = r.extra ? (JSON.parse(r.extra) as [number, number][]) : r.sample_count === 1 || r.minimum === r.maximum ? [[r.minimum, r.sample_count]] : undefined;
      else values = r.extra ? sketchEntries(sketchFromJson(r.extra)) : undefined;
      const b = buckets.get(ts);
      if (!b) buckets.set(ts, { timestamp: ts, stats, values: values ?? [], complete: values !== undefined });
      else {
        b.stats = mergeStatisticSets(b.stats, stats);
        if (values) b.values.push(...values);
        b.complete &&= values !== undefined;
      }
    }
    return [...buckets.values()].map((b) => ({ timestamp: b.timestamp, stats: b.stats, values: b.complete ? b.values : [] }));
  }

  /** Metrics matching a filter, by id order from `afterId` (paging), at most `limit`. */
  list(filter: MetricFilter, afterId: number, limit: number): { metrics: ListedMetric[]; lastId: number | undefined } {
    const rows = this
      .sql(
        `SELECT id, namespace, metric_name, dimensions, unit, last_seen FROM metric_series
         WHERE id > @after AND (@ns IS NULL OR namespace = @ns) AND (@name IS NULL OR metric_name = @name) AND last_seen >= @since
         ORDER BY id`,
      )
      .iterate({ after: afterId, ns: filter.namespace ?? null, name: filter.metricName ?? null, since: filter.activeSince ?? 1 }) as IterableIterator<{
      id: number;
      namespace: string;
      metric_name: string;
      dimensions: string;
      unit: string | null;
      last_seen: number;
    }>;
    const metrics: ListedMetric[] = [];
    let lastId: number | undefined;
    for (const r of rows) {
      const dimensions = parseCanonicalDimensions(r.dimensions);
      if (!matchesDimensions(dimensions, filter.dimensions)) continue;
      if (metrics.length === limit) {
        // There is more: the token is the last id returned (leaving the loop closes the statement).
        return { metrics, lastId };
      }
      metrics.push({ namespace: r.namespace, metricName: r.metric_name, dimensions, unit: r.unit ?? undefined, lastSeen: r.last_seen });
      lastId = r.id;
    }
    return { metrics, lastId: undefined };
  }

  /**
   * Deletes up to `limit` rows per table past retention, and metrics with no
   * point in 63 days; returns how many rows went. Call until it returns 0.
   */
  prune(nowMs: number, limit: number): number {
    return this.db.transaction(() => {
      let n = 0;
      for (const [table, keep] of [['metric_raw', RAW_RETENTION_MS], ['metric_1m', MINUTE_RETENTION_MS], ['metric_1h', HOUR_RETENTION_MS]] as const) {
        n += this.sql(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ts < ? LIMIT ?)`).run(nowMs - keep, limit).changes;
      }
      const stale = this.sql('SELECT id, namespace, metric_name, dimensions FROM metric_series WHERE last_seen < ? LIMIT ?').all(nowMs - HOUR_RETENTION_MS, limit) as {
        id: number;
        namespace: string;
        metric_name: string;
        dimensions: string;
      }[];
      for (const s of stale) {
        // Late rollup rows of a forgotten metric go with it.
        for (const table of ['metric_raw', 'metric_1m', 'metric_1h']) this.sql(`DELETE FROM ${table} WHERE series_id = ?`).run(s.id);
        this.sql('DELETE FROM metric_series WHERE id = ?').run(s.id);
        this.seriesIds.delete(`${s.namespace}\0${s.metric_name}\0${s.dimensions}`);
        this.lastSeenWritten.delete(s.id);
      }
      return n + stale.length;
    })();
  }
}

function matchesDimensions(have: Dimension[], want: MetricFilter['dimensions']): boolean {
  if (!want) return true;
  return want.every((w) => have.some((d) => d.name === w.name && (w.value === undefined || d.value === w.value)));
}
