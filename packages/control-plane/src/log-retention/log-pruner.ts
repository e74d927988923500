import { PeriodicRole } from '../retention/periodic-pass';
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
export class LogPruner extends PeriodicRole {
  constructor(
    private readonly store: Store,
    log: Logger,
    private readonly opts: LogPrunerOptions = DEFAULT_LOG_PRUNER_OPTIONS,
  ) {
    super(log, opts.intervalMs, 'log pruning failed; retrying next pass');
  }

  protected override async runPass(): Promise<number> {
    const { store, opts } = this;
    let byRetention = 0;
    for (const g of store.logStore.groupsWithRetention()) {
      const cutoff = logRetentionCutoff(store.clock.now(), g.retentionDays!, opts.dayMs);
      byRetention += await this.inBatches(opts.batchSize, () => store.tx(() => store.logStore.deleteGroupEventsBefore(g.id, cutoff, opts.batchSize)));
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
