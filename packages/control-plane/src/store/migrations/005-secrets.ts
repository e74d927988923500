import type { Migration } from './migration';

/**
 * The secrets store (Secrets Manager API, task definition `secrets` and
 * `repositoryCredentials`). Values are kept sealed with AES-256-GCM under
 * the master key file (secret-box.ts), bound to the secret's ARN and
 * version, so neither the database file nor a row copied elsewhere reveals
 * them. Only the current version is kept.
 */
export const secrets: Migration = {
  version: 5,
  name: 'secrets',
  sql: `
    CREATE TABLE secrets (
      name TEXT PRIMARY KEY,
      arn TEXT NOT NULL UNIQUE,
      description TEXT,
      value_sealed TEXT NOT NULL,
      version_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      changed_at INTEGER NOT NULL,
      accessed_at INTEGER,
      deletion_date INTEGER
    );
  `,
};
