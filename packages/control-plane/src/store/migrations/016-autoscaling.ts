import type { Migration } from './migration';

/**
 * Application Auto Scaling (docs/design/autoscaling.md). Only ECS services
 * scale, so a target is keyed by its ResourceId (`service/CLUSTER/SERVICE`);
 * policies and scheduled actions hang off it and go with it. `memory_json` is
 * the autoscaler's own state (cooldown clocks, when it last looked at the
 * schedules), written only by the autoscaler, so a restart resumes where it
 * was. Activities are kept newest first per target, bounded by the autoscaler.
 * Task scale-in protection is the ECS API's (UpdateTaskProtection), one row
 * per protected task.
 */
export const autoscaling: Migration = {
  version: 16,
  name: 'autoscaling',
  sql: `
    CREATE TABLE scalable_targets (
      resource_id TEXT PRIMARY KEY,
      cluster TEXT NOT NULL,
      service TEXT NOT NULL,
      arn TEXT NOT NULL,
      min_capacity INTEGER NOT NULL,
      max_capacity INTEGER NOT NULL,
      suspended_json TEXT NOT NULL,
      role_arn TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      memory_json TEXT NOT NULL DEFAULT '{"policies":[]}'
    );
    CREATE INDEX scalable_targets_service ON scalable_targets(cluster, service);
    CREATE TABLE scaling_policies (
      resource_id TEXT NOT NULL REFERENCES scalable_targets(resource_id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      arn TEXT NOT NULL UNIQUE,
      policy_json TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (resource_id, name)
    );
    CREATE TABLE scheduled_actions (
      resource_id TEXT NOT NULL REFERENCES scalable_targets(resource_id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      action_json TEXT NOT NULL,
      checked_at INTEGER NOT NULL,
      PRIMARY KEY (resource_id, name)
    );
    CREATE TABLE scaling_activities (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      resource_id TEXT NOT NULL,
      activity_json TEXT NOT NULL
    );
    CREATE INDEX scaling_activities_target ON scaling_activities(resource_id, seq);
    CREATE TABLE task_protection (
      cluster TEXT NOT NULL,
      task_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (cluster, task_id)
    );
  `,
};
