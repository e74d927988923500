import type { Logger } from 'pino';
import type { Store } from '../store/store';

export interface MetricRetentionOptions {
  /** A pass this often; each deletes everything past retention. */
  intervalMs: number;
  /** Rows per table per transaction: short write locks between API writes and agent reports. */
  batchSize: number;
}

/** CloudWatch keeps alarm history two weeks. */
export const ALARM_HISTORY_RETENTION_MS = 14 * 86_400_000;

export const DEFAULT_METRIC_RETENTION_OPTIONS: MetricRetentionOptions = { intervalMs: 60_000, batchSize: 2_000 };

/**
 * The metric retention role: makes the 1-hour rollups of complete hours
 * whose minutes changed (1-minute rollups are merged as points are written),
 * then deletes raw points after 3 hours, 1-minute rollups after 15 days,
 * 1-hour rollups and metrics with no data after 63 days, alarm history
 * after 2 weeks (store/metrics-repo.ts).
 * Level-triggered: each pass deletes by time whatever is due, so a pass
 * missed while the control plane was down is made up by the first after a
 * restart (run at start), and a pass cut short by a crash is simply redone.
 */
export class MetricRetention {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: MetricRetentionOptions = DEFAULT_METRIC_RETENTION_OPTIONS,
  ) {}

  start(): void {
    this.stopped = false;
    const loop = () => {
      this.timer = undefined;
      void this.pass()
        .catch((e: unknown) => this.log.error({ err: e }, 'metric pruning failed; retrying next pass'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.opts.intervalMs);
        });
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Deletes everything due, one batch per transaction, yielding to the event loop in between. */
  async pass(): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.stopped) break;
      const now = this.store.clock.now();
      // One transaction: a leader's fenced store re-checks its term in it (docs/design/high-availability.md).
      const n = this.store.tx(
        () =>
          this.store.metrics.rollUpHours(now, this.opts.batchSize) +
          this.store.metrics.prune(now, this.opts.batchSize) +
          this.store.alarms.pruneHistory(now - ALARM_HISTORY_RETENTION_MS, this.opts.batchSize),
      );
      total += n;
      if (n === 0) break;
      await new Promise((r) => setImmediate(r));
    }
    if (total > 0) this.log.debug({ rows: total }, 'pruned metric data past retention');
    return total;
  }
}
