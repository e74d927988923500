import type { Migration } from './migration';

/**
 * Services. The user's spec (written by the API) and the orchestrator's
 * runtime (events, rollout states) live in separate columns so each has one
 * writer. Indexes for the reconcile queries: a service's tasks by group, and a
 * cluster's tasks that still hold resources.
 */
export const services: Migration = {
  version: 2,
  name: 'services',
  sql: `
    CREATE TABLE services (
      cluster TEXT NOT NULL,
      name TEXT NOT NULL,
      status TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      runtime_json TEXT NOT NULL DEFAULT '{"events":[],"rollouts":{}}',
      created_at INTEGER NOT NULL,
      PRIMARY KEY (cluster, name)
    );
    CREATE INDEX services_status ON services(status, cluster, name);
    CREATE INDEX tasks_group ON tasks(cluster, grp, last_status);
    CREATE INDEX tasks_cluster_status ON tasks(cluster, last_status);
  `,
};
