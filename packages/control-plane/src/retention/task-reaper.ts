import { PeriodicRole } from './periodic-pass';
import type { Logger } from 'pino';
import { arns, DEFAULT_STOPPED_TASK_RETENTION_MS, deploymentsCountingFailures, stoppedTaskCutoff } from '@stevedore/core';
import type { Store } from '../store/store';

export interface TaskReaperOptions {
  /** A stopped task is deleted this long after it stopped (ECS: about an hour). */
  retentionMs: number;
  /** A pass this often; each pass deletes everything that is due. */
  intervalMs: number;
  /** Rows per transaction: short write locks, so API writes and agent reports interleave. */
  batchSize: number;
}

export const DEFAULT_TASK_REAPER_OPTIONS: TaskReaperOptions = {
  retentionMs: DEFAULT_STOPPED_TASK_RETENTION_MS,
  intervalMs: 60_000,
  batchSize: 500,
};

/** A pass at least every minute, and several per retention period when it is short (tests). */
export function reaperIntervalFor(retentionMs: number): number {
  return Math.min(60_000, Math.max(250, Math.floor(retentionMs / 4)));
}

/**
 * The retention role: deletes stopped tasks (with their containers) once the
 * retention has passed, so the database holds what runs plus the last hour,
 * not every task ever run; RunTask idempotency tokens and INACTIVE services
 * go after the same retention. Level-triggered: each pass asks the store what is
 * due, so a pass missed while the control plane was down is made up by the
 * first one after the restart, which runs at start. Batches of `batchSize`
 * rows, each in its own transaction, yielding to the event loop in between.
 * Kept back: tasks a load balancer still drains or lists, and circuit-breaker
 * failures of a rollout still open (core `deploymentsCountingFailures`).
 */
export class TaskReaper extends PeriodicRole {
  constructor(
    private readonly store: Store,
    log: Logger,
    private readonly opts: TaskReaperOptions = DEFAULT_TASK_REAPER_OPTIONS,
  ) {
    super(log, opts.intervalMs, 'stopped task reaping failed; retrying next pass');
  }

  /** One batch of stopped tasks in one transaction (synchronous); returns how many were deleted. */
  reapBatch(): number {
    const now = this.store.clock.now();
    return this.store.tx(() => this.store.retention.reapStoppedTasks(stoppedTaskCutoff(now, this.opts.retentionMs), this.opts.batchSize, this.evidenceDeployments()));
  }

  /** DeleteTaskDefinitions' second half: revisions DELETE_IN_PROGRESS that no task runs and no service deployment names go. */
  reapDeletedTaskDefinitions(): number {
    const inUse = new Set<string>();
    for (const c of this.store.services.listReconcilable()) {
      for (const d of this.store.services.get(c.cluster, c.name)?.service.deployments ?? []) inUse.add(d.taskDefinitionArn);
    }
    return this.store.taskDefinitions.deleteUnused(inUse, (family, revision) => arns.taskDefinition(this.store.arnContext, family, revision), this.opts.batchSize);
  }

  /** Stopped tasks, then idempotency tokens and INACTIVE services past the same retention; returns the tasks deleted. */
  protected override async runPass(): Promise<number> {
    const cutoff = () => stoppedTaskCutoff(this.store.clock.now(), this.opts.retentionMs);
    const tasks = await this.inBatches(this.opts.batchSize, () => this.reapBatch());
    const tokens = await this.inBatches(this.opts.batchSize, () => this.store.tx(() => this.store.retention.reapClientTokens(cutoff(), this.opts.batchSize)));
    const services = await this.inBatches(this.opts.batchSize, () => this.store.tx(() => this.store.retention.reapInactiveServices(cutoff(), this.opts.batchSize)));
    const taskDefinitions = await this.inBatches(this.opts.batchSize, () => this.store.tx(() => this.reapDeletedTaskDefinitions()));
    if (taskDefinitions > 0) this.log.info({ taskDefinitions }, 'task definitions deleted (DELETE_IN_PROGRESS, no longer used)');
    // Task role keys that expired or whose task stopped (they are refused already; this only frees the rows).
    await this.inBatches(this.opts.batchSize, () => this.store.tx(() => this.store.taskCredentials.deleteExpired(this.store.clock.now(), this.opts.batchSize)));
    await this.inBatches(this.opts.batchSize, () => this.store.tx(() => this.store.consoleSessions.deleteExpired(this.store.clock.now(), this.opts.batchSize)));
    this.deletedTotal += tasks;
    if (tasks + tokens + services > 0) {
      this.log.info({ tasks, clientTokens: tokens, inactiveServices: services, retentionSeconds: this.opts.retentionMs / 1000 }, 'records past retention deleted');
    }
    return tasks;
  }

  private evidenceDeployments(): string[] {
    const out: string[] = [];
    for (const { cluster, name } of this.store.services.listReconcilable()) {
      const s = this.store.services.get(cluster, name);
      if (s) out.push(...deploymentsCountingFailures(s.service, s.runtime));
    }
    return out;
  }
}
