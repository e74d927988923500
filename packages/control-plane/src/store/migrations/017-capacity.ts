import type { Migration } from './migration';

/**
 * Host groups (our Auto Scaling groups), their hosts and activities, and ECS
 * capacity providers. A host row is written (Pending) before its `create`
 * runs: the intent survives a restart, so desired capacity is never launched
 * twice. The group's spec and the scaler's runtime figures have separate
 * columns, one writer each.
 */
export const capacity: Migration = {
  version: 17,
  name: 'capacity',
  sql: `
    CREATE TABLE host_groups (
      name TEXT PRIMARY KEY,
      cluster TEXT NOT NULL,
      uuid TEXT NOT NULL,
      status TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      desired_capacity INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX host_groups_cluster ON host_groups(cluster, name);
    CREATE TABLE host_group_hosts (
      id TEXT PRIMARY KEY,
      group_name TEXT NOT NULL,
      cluster TEXT NOT NULL,
      lifecycle_state TEXT NOT NULL,
      status_reason TEXT,
      provider_id TEXT,
      host_ip TEXT,
      join_token_id TEXT,
      container_instance_id TEXT,
      attempts INTEGER NOT NULL DEFAULT 0,
      launched_at INTEGER NOT NULL,
      created_at INTEGER,
      terminated_at INTEGER
    );
    CREATE INDEX host_group_hosts_group ON host_group_hosts(group_name, lifecycle_state);
    CREATE INDEX host_group_hosts_token ON host_group_hosts(join_token_id);
    CREATE TABLE host_group_activities (
      id TEXT PRIMARY KEY,
      group_name TEXT NOT NULL,
      host_id TEXT,
      description TEXT NOT NULL,
      cause TEXT NOT NULL,
      status_code TEXT NOT NULL,
      status_message TEXT,
      details TEXT,
      start_time INTEGER NOT NULL,
      end_time INTEGER,
      seq INTEGER NOT NULL
    );
    CREATE INDEX host_group_activities_group ON host_group_activities(group_name, seq);
    CREATE TABLE capacity_providers (
      name TEXT PRIMARY KEY,
      uuid TEXT NOT NULL,
      status TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      runtime_json TEXT NOT NULL DEFAULT '{}',
      tags_json TEXT NOT NULL DEFAULT '[]',
      created_at INTEGER NOT NULL
    );
    CREATE INDEX agent_certificates_join_token ON agent_certificates(join_token_id);
    CREATE TABLE cluster_capacity_providers (
      cluster TEXT PRIMARY KEY,
      providers_json TEXT NOT NULL,
      default_strategy_json TEXT NOT NULL
    );
  `,
};
