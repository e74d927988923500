import type { Migration } from './migration';

export const foundation: Migration = {
    version: 1,
    name: 'foundation',
    sql: `
      CREATE TABLE clusters (
        name TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        tags_json TEXT NOT NULL DEFAULT '[]',
        settings_json TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL
      );
      CREATE TABLE task_definitions (
        family TEXT NOT NULL,
        revision INTEGER NOT NULL,
        status TEXT NOT NULL,
        body_json TEXT NOT NULL,
        tags_json TEXT NOT NULL DEFAULT '[]',
        registered_at INTEGER NOT NULL,
        deregistered_at INTEGER,
        PRIMARY KEY (family, revision)
      );
      CREATE INDEX task_definitions_status ON task_definitions(status, family);
      CREATE TABLE container_instances (
        id TEXT PRIMARY KEY,
        cluster TEXT NOT NULL,
        ec2_instance_id TEXT NOT NULL,
        host_ip TEXT NOT NULL,
        status TEXT NOT NULL,
        status_reason TEXT,
        agent_connected INTEGER NOT NULL DEFAULT 0,
        resources_json TEXT NOT NULL,
        attributes_json TEXT NOT NULL DEFAULT '[]',
        version_info_json TEXT NOT NULL DEFAULT '{}',
        registered_at INTEGER NOT NULL,
        last_heartbeat_at INTEGER,
        version INTEGER NOT NULL DEFAULT 1
      );
      CREATE INDEX container_instances_cluster ON container_instances(cluster, status);
      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        cluster TEXT NOT NULL,
        task_definition_arn TEXT NOT NULL,
        family TEXT NOT NULL,
        revision INTEGER NOT NULL,
        container_instance_id TEXT,
        last_status TEXT NOT NULL,
        desired_status TEXT NOT NULL,
        health_status TEXT NOT NULL,
        cpu INTEGER NOT NULL,
        memory INTEGER NOT NULL,
        host_ports_json TEXT NOT NULL DEFAULT '[]',
        started_by TEXT,
        grp TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        assignment_version INTEGER NOT NULL DEFAULT 1,
        stop_code TEXT,
        stopped_reason TEXT,
        overrides_json TEXT NOT NULL DEFAULT '{}',
        tags_json TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL,
        pull_started_at INTEGER,
        pull_stopped_at INTEGER,
        started_at INTEGER,
        stopping_at INTEGER,
        execution_stopped_at INTEGER,
        stopped_at INTEGER,
        seq INTEGER NOT NULL
      );
      CREATE INDEX tasks_cluster ON tasks(cluster, desired_status, seq);
      CREATE INDEX tasks_instance ON tasks(container_instance_id, last_status);
      CREATE INDEX tasks_family ON tasks(cluster, family);
      CREATE INDEX tasks_started_by ON tasks(cluster, started_by);
      CREATE TABLE containers (
        task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        image TEXT NOT NULL,
        status TEXT NOT NULL,
        runtime_id TEXT,
        exit_code INTEGER,
        reason TEXT,
        network_bindings_json TEXT NOT NULL DEFAULT '[]',
        health_status TEXT NOT NULL,
        essential INTEGER NOT NULL,
        has_health_check INTEGER NOT NULL DEFAULT 0,
        cpu INTEGER,
        memory INTEGER,
        memory_reservation INTEGER,
        PRIMARY KEY (task_id, idx)
      );
      CREATE TABLE client_tokens (
        scope TEXT NOT NULL,
        token TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        result_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (scope, token)
      );
    `,
  };
