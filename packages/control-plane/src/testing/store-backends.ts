import { after, before, test } from 'node:test';
import { PostgresDb } from '../store/backend/postgres-db';
import { openStoreDatabase } from '../store/db';
import { startPostgres, type PostgresServer } from './postgres-server';

/**
 * The store test suite runs once per backend: each test gets a location for
 * `Store.open` naming a fresh, migrated database of that backend.
 *
 *   const storeTest = backendTests();
 *   storeTest('upserts a cluster', (b) => { const store = Store.open(b.location(), clock, arn); ... });
 *
 * registers `upserts a cluster [sqlite]` and `... [postgres]`, and starts a
 * PostgreSQL server for the file (postgres-server.ts), stopped after its
 * tests. PostgreSQL databases are copies of one migrated template, so a
 * fresh store costs a CREATE DATABASE, not every migration.
 */
export interface StoreBackend {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh database (`:memory:` for SQLite, a new database's URL for PostgreSQL). */
  location(): string;
  /** PostgreSQL only: the server, for tests that need more than one location on it. */
  readonly server?: PostgresServer;
}

export function backendTests(): (name: string, fn: (b: StoreBackend) => void | Promise<void>, opts?: { timeout?: number }) => void {
  const pg = new PostgresBackend();
  before(() => pg.setup());
  after(() => pg.teardown());
  const backends: StoreBackend[] = [{ name: 'sqlite', location: () => ':memory:' }, pg];
  return (name, fn, opts) => {
    for (const b of backends) test(`${name} [${b.name}]`, { timeout: opts?.timeout ?? 120_000 }, () => fn(b));
  };
}

const TEMPLATE = 'stevedore_template';

class PostgresBackend implements StoreBackend {
  readonly name = 'postgres';
  server?: PostgresServer;
  private admin: PostgresDb | undefined;
  private n = 0;

  async setup(): Promise<void> {
    this.server = await startPostgres();
    await this.server.createDatabase(TEMPLATE);
    // Migrated once; every test database is a copy (CREATE DATABASE ... TEMPLATE needs it closed).
    openStoreDatabase(this.server.url(TEMPLATE)).close();
    this.admin = PostgresDb.open(this.server.url());
  }

  async teardown(): Promise<void> {
    this.admin?.close();
    await this.server?.stop();
  }

  location(): string {
    if (!this.admin || !this.server) throw new Error('the PostgreSQL test server is not started (backendTests registers its before hook)');
    const name = `t${++this.n}`;
    this.admin.execNative(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
    return this.server.url(name);
  }
}
