import type { Logger } from 'pino';
import { clusterMetricData, serviceInsightsMetricData, serviceMetricData, targetGroupMetricData, taskInsightsMetricData, type MetricDatum, type TargetCounter } from '@stevedore/core';
import type { Store } from '../store/store';
import { snapshotSteps, takeSnapshot, type MetricsSnapshot, type SnapshotResult } from './metrics-snapshot';

/** Where datapoints go: the metric store (`store.metrics`, the CloudWatch API's). */
export interface MetricSink {
  put(points: MetricDatum[]): void;
}

export interface MetricPublisherOptions {
  /** How often figures are computed and published (--metrics-period). */
  periodMs: number;
  /** Usage readings older than this count as missing (an agent that stopped reporting). */
  staleAfterMs: number;
  /** Container Insights metrics go out at most this often (CloudWatch's period for them): task level is 8 datapoints per task. */
  insightsPeriodMs: number;
  sink?: MetricSink;
  onSnapshot?: (s: MetricsSnapshot) => void;
  observeDuration?: (seconds: number) => void;
}

/** A stepped period gives the event loop back after this long. */
const STEP_MS = 5;

export const DEFAULT_METRIC_PUBLISHER_OPTIONS: Pick<MetricPublisherOptions, 'periodMs' | 'staleAfterMs' | 'insightsPeriodMs'> = {
  periodMs: 10_000,
  staleAfterMs: 30_000,
  insightsPeriodMs: 60_000,
};

/**
 * The metrics role: every period it takes one snapshot of the store, turns it
 * into ECS's and ELB's figures (core/metrics) and writes them to the metric
 * store in one batch, and hands them to Prometheus. It keeps only the target
 * counters of the previous period; after a restart the first period sets new
 * baselines (no request counts for it) rather than guess at what happened
 * while it was down.
 */
export class MetricPublisher {
  private timer: NodeJS.Timeout | undefined;
  private counters = new Map<string, TargetCounter>();
  private warm = false;
  private lastInsightsAt = -Infinity;
  /** A stepped period is under way (publishInSteps). */
  private stepping = false;
  private readonly log: Logger;
  latest: MetricsSnapshot | undefined;

  constructor(
    private readonly store: Store,
    log: Logger,
    private readonly opts: MetricPublisherOptions,
  ) {
    this.log = log;
  }

  start(): void {
    this.timer = setInterval(() => this.publishInSteps(), this.opts.periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One period at once; public for tests and the benchmark. */
  publish(): MetricsSnapshot | undefined {
    const startedAt = performance.now();
    try {
      const now = this.store.clock.now();
      return this.finish(takeSnapshot(this.store, now, now - this.opts.staleAfterMs, this.counters, this.warm), now);
    } catch (e) {
      this.log.error({ err: e }, 'metrics period failed; the next one starts over');
      return undefined;
    } finally {
      this.opts.observeDuration?.((performance.now() - startedAt) / 1000);
    }
  }

  /**
   * The timer's period: the snapshot read in steps of at most STEP_MS, the
   * event loop given back in between (setImmediate), so API calls and agent
   * reports are not queued behind a whole large cluster's read. The duration
   * observed is the time the period held the thread. A period still running
   * when the next is due lets that one go.
   */
  private publishInSteps(): void {
    if (this.stepping) return;
    this.stepping = true;
    const now = this.store.clock.now();
    const steps = snapshotSteps(this.store, now, now - this.opts.staleAfterMs, this.counters, this.warm);
    let busy = 0;
    const step = () => {
      const sliceStart = performance.now();
      try {
        if (!this.timer) return void (this.stepping = false);
        let r = steps.next();
        while (!r.done && performance.now() - sliceStart < STEP_MS) r = steps.next();
        if (!r.done) {
          busy += performance.now() - sliceStart;
          setImmediate(step);
          return;
        }
        this.finish(r.value, now);
      } catch (e) {
        this.log.error({ err: e }, 'metrics period failed; the next one starts over');
      }
      this.stepping = false;
      this.opts.observeDuration?.((busy + performance.now() - sliceStart) / 1000);
    };
    step();
  }

  /** The period's figures out: datapoints to the metric store, the snapshot to Prometheus. */
  private finish({ snapshot, counters }: SnapshotResult, now: number): MetricsSnapshot {
    this.counters = counters;
    this.warm = true;
    this.latest = snapshot;
    const points: MetricDatum[] = [];
    for (const s of snapshot.services) points.push(...serviceMetricData(s.cluster, s.service, s.figures, now));
    for (const c of snapshot.clusters) points.push(...clusterMetricData(c.cluster, c.figures, now));
    for (const t of snapshot.targetGroups) points.push(...targetGroupMetricData(t.targetGroupArn, t.loadBalancerArn, t.figures, now));
    if (now - this.lastInsightsAt >= this.opts.insightsPeriodMs) {
      this.lastInsightsAt = now;
      for (const s of snapshot.serviceInsights) points.push(...serviceInsightsMetricData(s, now));
      for (const t of snapshot.tasks) points.push(...taskInsightsMetricData(t, now));
    }
    if (this.opts.sink && points.length > 0) this.opts.sink.put(points);
    this.opts.onSnapshot?.(snapshot);
    this.log.debug({ points: points.length, services: snapshot.services.length, tasks: snapshot.tasks.length }, 'metrics published');
    return snapshot;
  }
}
