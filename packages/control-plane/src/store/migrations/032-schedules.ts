import type { Migration } from './migration';

/**
 * EventBridge Scheduler's schedules and schedule groups, and the runs the
 * scheduler decided on (docs/design/scheduled-tasks.md). A schedule's `uid`
 * is new for each CreateSchedule, so runs of a deleted schedule never mix
 * with those of a new one of the same name; `cursor` is the time up to which
 * every fire time has been decided. One row per (schedule, fire time): the
 * unique key is what makes a fire time run at most once.
 */
export const schedules: Migration = {
  version: 32,
  name: 'schedules',
  sql: `
    CREATE TABLE schedule_groups (
      name TEXT PRIMARY KEY,
      tags_json TEXT NOT NULL DEFAULT '[]',
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    INSERT INTO schedule_groups(name, created_at, updated_at) VALUES ('default', CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
    CREATE TABLE schedules (
      uid TEXT PRIMARY KEY,
      group_name TEXT NOT NULL REFERENCES schedule_groups(name),
      name TEXT NOT NULL,
      spec_json TEXT NOT NULL,
      state TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      anchor_at INTEGER NOT NULL,
      cursor INTEGER NOT NULL,
      next_fire_at INTEGER,
      UNIQUE (group_name, name)
    );
    CREATE TABLE schedule_runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      schedule_uid TEXT NOT NULL,
      group_name TEXT NOT NULL,
      schedule_name TEXT NOT NULL,
      scheduled_time INTEGER NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      attempt_open INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER,
      tasks_json TEXT NOT NULL DEFAULT '[]',
      reason TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (schedule_uid, scheduled_time)
    );
    CREATE INDEX schedule_runs_by_name ON schedule_runs(group_name, schedule_name, scheduled_time);
    CREATE INDEX schedule_runs_active ON schedule_runs(status) WHERE status IN ('PENDING', 'RUNNING');
  `,
};
