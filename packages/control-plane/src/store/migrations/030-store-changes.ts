import type { Migration } from './migration';

/**
 * The change log through which control-plane replicas sharing a PostgreSQL
 * database tell each other what they committed (docs/design/store-backends.md,
 * "Changes across replicas"): one row per transaction with its change events
 * as JSON, in commit order by `seq`, announced by NOTIFY and read back by the
 * others; pruned after a few minutes. The embedded SQLite store has one
 * process and leaves it empty.
 */
export const storeChanges: Migration = {
  version: 30,
  name: 'store-changes',
  sql: `
    CREATE TABLE store_changes (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      origin TEXT NOT NULL,
      changes TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX store_changes_created ON store_changes(created_at);
  `,
};
