import type { Migration } from './migration';

/**
 * Access keys and roles for the API (SigV4 + ECS-action policies). Secrets are
 * stored sealed (AES-256-GCM, see secret-box.ts), never in plain text. The
 * built-in roles (admin, read-only) live in code, so keys may name a role that
 * has no row here. `iam_meta` remembers one-time events such as the first
 * start's admin key, so deleting every key never mints a new admin key.
 */
export const iam: Migration = {
  version: 3,
  name: 'iam',
  sql: `
    CREATE TABLE iam_roles (
      name TEXT PRIMARY KEY,
      description TEXT,
      policy_json TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE iam_access_keys (
      id TEXT PRIMARY KEY,
      role_name TEXT NOT NULL,
      secret_sealed TEXT NOT NULL,
      status TEXT NOT NULL,
      description TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX iam_access_keys_role ON iam_access_keys(role_name);
    CREATE TABLE iam_meta (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
  `,
};
