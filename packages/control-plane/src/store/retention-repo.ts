import { FAILED_CHECKS_REASON_PREFIX } from '@stevedore/core';
import type { Db } from './db';
import { statementCache } from './statement-cache';

/** The highest seq of any reaped task: `TasksRepo.nextSeq` never hands it out again. */
export const TASK_SEQ_COUNTER = 'task_seq_reaped';

/**
 * A circuit-breaker failure in SQL (core `isBreakerFailure`), shared with
 * the reconciler's count so what is counted is exactly what is kept.
 */
export const BREAKER_FAILURE_SQL = `desired_status = 'STOPPED' AND (stop_code IN ('TaskFailedToStart', 'EssentialContainerExited')
  OR (stop_code = 'ServiceSchedulerInitiated' AND stopped_reason LIKE '${FAILED_CHECKS_REASON_PREFIX.replace(/'/g, "''")}%'))`;

/**
 * Deletion of what has outlived its use (docs/design/retention-and-limits.md):
 * stopped tasks, idempotency tokens, INACTIVE services. Writers: the
 * retention role only. A task is deleted with its containers
 * (ON DELETE CASCADE); one that a load balancer still drains or lists as a
 * target is kept until the load-balancing role has let go of it.
 */
export class RetentionRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(private readonly db: Db) {
    this.sql = statementCache(db);
  }

  /**
   * Deletes up to `limit` tasks that stopped before `stoppedBefore`, oldest
   * first, except breaker failures of `keepFailuresOf` deployments. Returns
   * how many were deleted; call inside a transaction.
   */
  reapStoppedTasks(stoppedBefore: number, limit: number, keepFailuresOf: readonly string[]): number {
    // Held rows are filtered before LIMIT, so a long run of them can never starve the rows behind.
    const rows = this
      .sql(
        `SELECT t.id, t.seq FROM tasks t WHERE t.last_status = 'STOPPED' AND t.stopped_at < @before
           AND NOT EXISTS(SELECT 1 FROM targets x WHERE x.task_id = t.id)
           AND NOT EXISTS(SELECT 1 FROM task_drains d WHERE d.task_id = t.id)
           AND NOT (t.started_by IS NOT NULL AND t.started_by IN (SELECT value FROM json_each(@keep)) AND ${BREAKER_FAILURE_SQL})
         ORDER BY t.stopped_at LIMIT @limit`,
      )
      .all({ before: stoppedBefore, limit, keep: JSON.stringify(keepFailuresOf) }) as { id: string; seq: number }[];
    if (rows.length === 0) return 0;
    const del = this.sql('DELETE FROM tasks WHERE id = ?');
    let maxSeq = 0;
    for (const r of rows) {
      del.run(r.id);
      maxSeq = Math.max(maxSeq, r.seq);
    }
    this
      .sql('INSERT INTO store_counters(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value)')
      .run(TASK_SEQ_COUNTER, maxSeq);
    return rows.length;
  }

  /**
   * Forgets up to `limit` idempotency tokens (RunTask clientToken) remembered
   * before `before`; returns how many. Each holds a whole RunTask response, and
   * SDKs send a token with every RunTask, so kept forever they grew with the
   * number of tasks ever run.
   */
  reapClientTokens(before: number, limit: number): number {
    return this.sql('DELETE FROM client_tokens WHERE rowid IN (SELECT rowid FROM client_tokens WHERE created_at < ? LIMIT ?)').run(before, limit).changes;
  }

  /** Deletes up to `limit` services INACTIVE since before `before` (DescribeServices then answers MISSING); returns how many. */
  reapInactiveServices(before: number, limit: number): number {
    return this
      .sql(
        `DELETE FROM services WHERE rowid IN (SELECT rowid FROM services WHERE status = 'INACTIVE'
           AND COALESCE(CAST(json_extract(runtime_json, '$.inactiveAt') AS INTEGER), created_at) < ? LIMIT ?)`,
      )
      .run(before, limit).changes;
  }

  /** Row counts of the tables that grow with the number of tasks run (tests, metrics). */
  taskRowCounts(): { tasks: number; containers: number; clientTokens: number; services: number } {
    return this
      .sql('SELECT (SELECT COUNT(*) FROM tasks) AS tasks, (SELECT COUNT(*) FROM containers) AS containers, (SELECT COUNT(*) FROM client_tokens) AS clientTokens, (SELECT COUNT(*) FROM services) AS services')
      .get() as { tasks: number; containers: number; clientTokens: number; services: number };
  }
}
