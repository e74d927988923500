import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, openDatabase, openStoreDatabase, schemaVersion } from '../db';
import { PostgresDb } from '../backend/postgres-db';
import { MIGRATIONS } from './index';
import { startPostgres, type PostgresServer } from '../../testing/postgres-server';

/**
 * Every migration runs on both backends, one at a time in version order, and
 * the two end with the same tables, columns, primary keys and indexes. A
 * migration added with SQLite-only SQL fails here, naming itself.
 */
let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
});

type Schema = Record<string, { columns: string[]; primaryKey: string[] }>;

function sqliteSchema(db: ReturnType<typeof openDatabase>): { tables: Schema; indexes: string[] } {
  const tables: Schema = {};
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  for (const { name } of names) {
    const cols = db.prepare(`SELECT name, pk FROM pragma_table_info('${name}') ORDER BY cid`).all() as { name: string; pk: number }[];
    tables[name] = { columns: cols.map((c) => c.name).sort(), primaryKey: cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name) };
  }
  const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  return { tables, indexes };
}

function postgresSchema(db: PostgresDb): { tables: Schema; indexes: string[] } {
  const tables: Schema = {};
  const cols = db.queryNative(
    "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2",
  ) as { t: string; c: string }[];
  for (const r of cols) (tables[r.t] ??= { columns: [], primaryKey: [] }).columns.push(r.c);
  const keys = db.queryNative(
    `SELECT c.relname AS t, a.attname AS col FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
      WHERE i.indisprimary AND n.nspname = current_schema() ORDER BY c.relname, array_position(i.indkey::int2[], a.attnum)`,
  ) as { t: string; col: string }[];
  for (const k of keys) tables[k.t]!.primaryKey.push(k.col);
  // Indexes made by CREATE INDEX (PostgreSQL also names those behind PRIMARY KEY and UNIQUE).
  const indexes = (
    db.queryNative(
      `SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE n.nspname = current_schema() AND NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) ORDER BY 1`,
    ) as { name: string }[]
  ).map((r) => r.name);
  return { tables, indexes };
}

test('every migration applies on SQLite and on PostgreSQL, one at a time, and both end with the same schema', async () => {
  const sqlite = openDatabase(':memory:', []);
  const url = await server.createDatabase();
  const pg = openStoreDatabase(url, { migrations: [] }) as PostgresDb;
  try {
    const sorted = [...MIGRATIONS].sort((a, b) => a.version - b.version);
    for (let k = 0; k < sorted.length; k++) {
      const upTo = sorted.slice(0, k + 1);
      const m = sorted[k]!;
      assert.doesNotThrow(() => migrate(sqlite, upTo), `migration ${m.version} (${m.name}) on SQLite`);
      try {
        migrate(pg, upTo);
      } catch (err) {
        assert.fail(`migration ${m.version} (${m.name}) on PostgreSQL: ${(err as Error).message}`);
      }
      assert.equal(schemaVersion(pg), m.version);
      assert.equal(schemaVersion(sqlite), m.version);
    }
    for (const t of Object.values(sqliteSchema(sqlite).tables)) t.columns.sort();
    assert.deepEqual(postgresSchema(pg), sqliteSchema(sqlite));
  } finally {
    sqlite.close();
    pg.close();
  }
});

test('a second control plane opening a migrated PostgreSQL database applies nothing again', async () => {
  const url = await server.createDatabase();
  // Each version is checked again under the migration lock, so replicas starting together migrate once.
  const a = openStoreDatabase(url);
  const b = openStoreDatabase(url);
  assert.equal(schemaVersion(a), Math.max(...MIGRATIONS.map((m) => m.version)));
  assert.equal((b.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n, MIGRATIONS.length);
  a.close();
  b.close();
});
