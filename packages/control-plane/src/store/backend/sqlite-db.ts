import Database from 'better-sqlite3';
import type { Db, Statement } from './db';

/** better-sqlite3 behind the Db interface: statements are its own, unwrapped (no cost per query). */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;

  constructor(readonly raw: Database.Database) {}

  static open(file: string): SqliteDb {
    return new SqliteDb(new Database(file));
  }

  prepare(sql: string): Statement {
    return this.raw.prepare(sql);
  }

  exec(sql: string): void {
    this.raw.exec(sql);
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): F {
    return this.raw.transaction(fn as unknown as (...args: unknown[]) => unknown) as unknown as F;
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  pragma(source: string, options?: { simple?: boolean }): unknown {
    return this.raw.pragma(source, options);
  }

  close(): void {
    this.raw.close();
  }
}
