import type { Logger } from 'pino';
import { clusterMetricData, serviceInsightsMetricData, serviceMetricData, targetGroupMetricData, taskInsightsMetricData, type MetricDatum, type TargetCounter } from '@stevedore/core';
import type { Store } from '../store/store';
import { takeSnapshot, type MetricsSnapshot } from './metrics-snapshot';

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
    this.timer = setInterval(() => this.publish(), this.opts.periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One period; public for tests and the benchmark. */
  publish(): MetricsSnapshot | undefined {
    const startedAt = performance.now();
    try {
      const now = this.store.clock.now();
      const { snapshot, counters } = takeSnapshot(this.store, now, now - this.opts.staleAfterMs, this.counters, this.warm);
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
    } catch (e) {
      this.log.error({ err: e }, 'metrics period failed; the next one starts over');
      return undefined;
    } finally {
      this.opts.observeDuration?.((performance.now() - startedAt) / 1000);
    }
  }
}
