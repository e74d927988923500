import * as path from 'node:path';
import { MIGRATIONS, type Migration } from './migrations/index';
import { ensurePrivateDatabaseFile, ensurePrivateDir } from './private-files';
import type { Db } from './backend/db';
import { SqliteDb } from './backend/sqlite-db';
import { PostgresDb, type PostgresDbOptions } from './backend/postgres-db';

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

/** Serialises migrations of control planes starting together on one PostgreSQL database. */
const MIGRATION_LOCK = 0x5374_6d67; // 'Stmg'

/**
 * Opens the store named by `--store`: `postgres://...` (or `postgresql://`)
 * for a PostgreSQL database shared by control-plane replicas,
 * `sqlite:PATH` or a plain path for the embedded SQLite file (`:memory:` in
 * tests). Pending migrations are applied either way.
 */
export function openStoreDatabase(location: string, opts: { migrations?: Migration[]; postgres?: PostgresDbOptions } = {}): Db {
  if (isPostgresUrl(location)) {
    const db = PostgresDb.open(location, opts.postgres);
    try {
      migrate(db, opts.migrations ?? MIGRATIONS);
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  }
  return openDatabase(location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location, opts.migrations);
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
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
      if (db instanceof PostgresDb) {
        // Another replica may be migrating the same database: one at a time, and each looks again once it holds the lock.
        db.queryNative(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        if (db.queryNative('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]).length > 0) return;
        if (m.postgres !== undefined) db.execNative(m.postgres);
        else db.exec(m.sql);
      } else {
        db.exec(m.sql);
      }
      db.prepare('INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}
