import type { Migration } from './migration';

/**
 * Load balancers (ELBv2 model). Writers: the API owns load balancers, target
 * groups, listeners, rules and manual targets; the load balancer role owns
 * service targets and task drains; the dispatcher owns what load-balancer
 * hosts report (target health, configuration status). Names are unique per
 * account, as in ELB. Listener ports are unique per load balancer, rule
 * priorities per listener: the constraints back the API's checks.
 */
export const loadBalancers: Migration = {
  version: 6,
  name: 'load-balancers',
  sql: `
    CREATE TABLE load_balancers (
      arn TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      cluster TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX load_balancers_cluster ON load_balancers(cluster);
    CREATE TABLE target_groups (
      arn TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      spec_json TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE listeners (
      arn TEXT PRIMARY KEY,
      load_balancer_arn TEXT NOT NULL REFERENCES load_balancers(arn) ON DELETE CASCADE,
      port INTEGER NOT NULL,
      spec_json TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (load_balancer_arn, port)
    );
    CREATE TABLE listener_rules (
      arn TEXT PRIMARY KEY,
      listener_arn TEXT NOT NULL REFERENCES listeners(arn) ON DELETE CASCADE,
      priority INTEGER NOT NULL,
      spec_json TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (listener_arn, priority)
    );
    CREATE TABLE targets (
      target_group_arn TEXT NOT NULL REFERENCES target_groups(arn) ON DELETE CASCADE,
      id TEXT NOT NULL,
      port INTEGER NOT NULL,
      registration_id TEXT NOT NULL,
      task_id TEXT,
      cluster TEXT,
      service TEXT,
      state TEXT NOT NULL,
      registered_at INTEGER NOT NULL,
      draining_since INTEGER,
      draining_until INTEGER,
      PRIMARY KEY (target_group_arn, id, port)
    );
    CREATE INDEX targets_task ON targets(task_id);
    CREATE TABLE task_drains (
      task_id TEXT PRIMARY KEY,
      state TEXT NOT NULL,
      registered_at INTEGER NOT NULL,
      draining_until INTEGER
    );
    CREATE TABLE target_health (
      target_group_arn TEXT NOT NULL,
      id TEXT NOT NULL,
      port INTEGER NOT NULL,
      reporter_instance_id TEXT NOT NULL,
      registration_id TEXT NOT NULL,
      state TEXT NOT NULL,
      reason TEXT,
      description TEXT,
      requests INTEGER NOT NULL DEFAULT 0,
      errors INTEGER NOT NULL DEFAULT 0,
      observed_at INTEGER NOT NULL,
      PRIMARY KEY (target_group_arn, id, port, reporter_instance_id)
    );
    CREATE INDEX target_health_reporter ON target_health(reporter_instance_id);
    CREATE TABLE load_balancer_status (
      load_balancer_arn TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      config_version TEXT NOT NULL,
      state TEXT NOT NULL,
      reason TEXT,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (load_balancer_arn, instance_id)
    );
  `,
};
