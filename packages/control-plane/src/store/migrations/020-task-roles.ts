import type { Migration } from './migration';

/**
 * Task roles and shared file systems (docs/design/task-roles.md).
 * - `task_credentials`: temporary keys issued to a task for one of its roles.
 *   The secret is sealed like access-key secrets; the session token is kept
 *   only as its SHA-256 (a database reader cannot sign with it). Rows are
 *   looked up by access key id on every request signed with them, and go when
 *   they expire or their task is gone (retention).
 * - `file_systems` / `access_points`: the registry of NFS exports behind
 *   `efsVolumeConfiguration` (EFS's ids and shapes; the operator runs the
 *   NFS server).
 */
export const taskRoles: Migration = {
  version: 20,
  name: 'task-roles',
  sql: `
    CREATE TABLE task_credentials (
      access_key_id TEXT PRIMARY KEY,
      task_arn TEXT NOT NULL,
      task_id TEXT NOT NULL,
      instance_id TEXT NOT NULL,
      role_type TEXT NOT NULL,
      role_name TEXT NOT NULL,
      secret_sealed TEXT NOT NULL,
      token_sha256 TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX task_credentials_task ON task_credentials(task_arn);
    CREATE INDEX task_credentials_expiry ON task_credentials(expires_at);
    CREATE TABLE file_systems (
      id TEXT PRIMARY KEY,
      creation_token TEXT NOT NULL UNIQUE,
      name TEXT,
      server TEXT NOT NULL,
      path TEXT NOT NULL,
      nfs_version TEXT NOT NULL,
      mount_options TEXT,
      tags_json TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE access_points (
      id TEXT PRIMARY KEY,
      file_system_id TEXT NOT NULL,
      client_token TEXT NOT NULL UNIQUE,
      name TEXT,
      root_directory TEXT NOT NULL,
      posix_uid INTEGER,
      posix_gid INTEGER,
      tags_json TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX access_points_fs ON access_points(file_system_id);
  `,
};
