import { PeriodicPass } from '../retention/periodic-pass';
import type { Logger } from 'pino';
import { logRetentionCutoff } from '@stevedore/core';
import type { Store } from '../store/store';

export interface LogPrunerOptions {
  /** A pass this often. */
  intervalMs: number;
  /** Length of a retention day: 24 h; tests shorten it to see retention act. */
  dayMs: number;
  /** Bytes of log messages kept at most, all groups together; the oldest-ingested events go first past it. 0 = no cap. */
  maxStoredBytes: number;
  /** Events per transaction: short write locks, so API writes and agent reports interleave. */
  batchSize: number;
}

export const DEFAULT_LOG_PRUNER_OPTIONS: LogPrunerOptions = {
  intervalMs: 60_000,
  dayMs: 86_400_000,
  maxStoredBytes: 10 * 1024 ** 3,
  batchSize: 2000,
};

/**
 * The log retention role: deletes events past their group's retentionInDays
 * (CloudWatch's PutRetentionPolicy), then, when the store holds more than
 * its size cap, the oldest-ingested events of any group, so the log store
 * never outgrows its disk budget. Level-triggered like the task reaper:
 * each pass asks the store what is due, the first one runs at start, and
 * work goes in batches, each its own transaction, yielding in between.
 */
export class LogPruner {
  private readonly periodic: PeriodicPass<number>;
  /** Events deleted since start (tests, benchmarks). */
  deletedTotal = 0;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: LogPrunerOptions = DEFAULT_LOG_PRUNER_OPTIONS,
  ) {
    this.periodic = new PeriodicPass(() => this.prune(), opts.intervalMs, (e: unknown) => this.log.error({ err: e }, 'log pruning failed; retrying next pass'));
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** One pass; concurrent calls share it. Returns how many rows were deleted. */
  pass(): Promise<number> {
    return this.periodic.pass();
  }

  private async prune(): Promise<number> {
    const { store, opts } = this;
    let byRetention = 0;
    for (const g of store.logStore.groupsWithRetention()) {
      const cutoff = logRetentionCutoff(store.clock.now(), g.retentionDays!, opts.dayMs);
      for (;;) {
        const n = store.tx(() => store.logStore.deleteGroupEventsBefore(g.id, cutoff, opts.batchSize));
        byRetention += n;
        if (n < opts.batchSize || this.periodic.stopped) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    let bySize = 0;
    let freed = 0;
    if (opts.maxStoredBytes > 0) {
      while (!this.periodic.stopped && store.logStore.totalBytes() > opts.maxStoredBytes) {
        const b = store.tx(() => store.logStore.deleteOldest(opts.batchSize));
        if (b === 0) break;
        freed += b;
        bySize++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    if (byRetention > 0) this.log.info({ events: byRetention }, 'log events past their group retention deleted');
    if (freed > 0) this.log.warn({ bytes: freed, maxStoredBytes: opts.maxStoredBytes }, 'log store over its size cap: oldest events deleted');
    this.deletedTotal += byRetention;
    return byRetention + bySize;
  }
}
