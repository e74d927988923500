import type { Migration } from './migration';

/**
 * Two task indexes that every query plan had another index for: each new
 * task wrote them, and each report that moved its status rewrote them, on
 * the busiest table (issue 15, placements at scale).
 * - `tasks_cluster_status (cluster, last_status)`: the counts of a cluster's
 *   PROVISIONING tasks use `tasks_provisioning`, those of its active tasks
 *   `tasks_group`'s (cluster, ...) prefix, ListTasks the other (cluster, ...) indexes.
 * - `tasks_instance (container_instance_id, last_status)`: every read by
 *   instance asks for tasks not STOPPED, which the partial
 *   `tasks_active_instance` holds (DescribeContainerInstances' counts too).
 * store/query-plans.test.ts holds the plans of the hot queries.
 */
export const taskIndexOverlap: Migration = {
  version: 42,
  name: 'task-index-overlap',
  sql: `
    DROP INDEX IF EXISTS tasks_cluster_status;
    DROP INDEX IF EXISTS tasks_instance;
  `,
};
