import type { Migration } from './migration';

/**
 * Bounded growth (docs/design/retention-and-limits.md). Stopped tasks are
 * deleted an hour after they stop, so the task table holds what runs plus an
 * hour of history; the indexes below keep what the loops scan proportional to
 * that, not to every task ever run:
 * - the partial indexes on tasks still holding resources serve the
 *   reconciler's cluster snapshot and the dispatcher's per-instance sets
 *   (`last_status != 'STOPPED'` in the query selects them);
 * - stopped tasks by stop time serve the reaper and the launch throttle;
 * - seq serves `MAX(seq)` (every task creation) and ListTasks' paging.
 * `store_counters` keeps the highest task seq ever reaped, so a seq is never
 * handed out twice after its task was deleted (ListTasks tokens stay valid).
 */
export const retention: Migration = {
  version: 9,
  name: 'retention',
  sql: `
    CREATE INDEX tasks_active_cluster ON tasks(cluster, seq) WHERE last_status != 'STOPPED';
    CREATE INDEX tasks_active_instance ON tasks(container_instance_id, seq) WHERE last_status != 'STOPPED';
    CREATE INDEX tasks_stopped_at ON tasks(stopped_at) WHERE last_status = 'STOPPED';
    CREATE INDEX tasks_group_stopped ON tasks(cluster, grp, stopped_at) WHERE last_status = 'STOPPED';
    CREATE INDEX tasks_seq ON tasks(seq);
    CREATE TABLE store_counters (
      name TEXT PRIMARY KEY,
      value INTEGER NOT NULL
    );
  `,
};
