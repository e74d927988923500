import type { Migration } from './migration';

/**
 * Tasks launched through host-group capacity providers keep how they are to
 * be placed (the strategy, the launch's constraints and placement strategy),
 * so a task waiting in PROVISIONING is placed by the same rules when a host
 * joins, also after a restart. The partial index finds the waiting tasks of
 * a cluster without scanning its history.
 */
export const provisioningTasks: Migration = {
  version: 25,
  name: 'provisioning-tasks',
  sql: `
    ALTER TABLE tasks ADD COLUMN provisioning_json TEXT;
    CREATE INDEX tasks_provisioning ON tasks(cluster, created_at) WHERE last_status = 'PROVISIONING';
  `,
};
