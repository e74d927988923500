import * as path from 'node:path';
import { MIGRATIONS, type Migration } from './migrations/index';
import { ensurePrivateDatabaseFile, ensurePrivateDir } from './private-files';
import type { Db } from './backend/db';
import { SqliteDb } from './backend/sqlite-db';

export type { Db, Statement, RunResult, Dialect } from './backend/db';

/**
 * Opens the control plane's SQLite database: WAL for concurrent readers while
 * the single writer commits, foreign keys on, and all pending migrations
 * applied. The directory is made 0700 and the database files 0600.
 * `:memory:` is accepted for tests.
 */
export function openDatabase(file: string, migrations: Migration[] = MIGRATIONS): Db {
  if (file !== ':memory:') {
    // 0700 directory, 0600 database: SQLite then creates -wal and -shm 0600 as well.
    ensurePrivateDir(path.dirname(file));
    ensurePrivateDatabaseFile(file);
  }
  const db = SqliteDb.open(file);
  db.pragma('journal_mode = WAL');
  // Companions left by an older version with looser modes are tightened now that they exist.
  if (file !== ':memory:') ensurePrivateDatabaseFile(file);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

export function migrate(db: Db, migrations: Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const current = schemaVersion(db);
  const latestKnown = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > latestKnown) {
    // A newer control plane wrote this database; running older code on it could corrupt it.
    throw new Error(`database schema version ${current} is newer than this control plane supports (${latestKnown})`);
  }
  // Applied versions, not just the highest: migrations written in parallel may land out of order.
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}
