/**
 * What the repositories need of a SQL database: better-sqlite3's synchronous
 * shape (prepare, run/get/all/iterate, exec, nested transactions), which both
 * backends implement. SQLite is the embedded default; PostgreSQL answers the
 * same calls through a synchronous bridge (postgres-db.ts) and a translator
 * from the SQLite dialect the repos are written in (translate.ts), so a repo
 * holds one SQL text for both (docs/design/store-backends.md).
 */
export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows inserted, updated or deleted by the statement. */
  changes: number;
  /** SQLite only (0 on PostgreSQL): read ids back by a unique key instead. */
  lastInsertRowid: number | bigint;
}

/**
 * A prepared statement. Parameters are positional (`?`, passed as
 * arguments) or named (`@name`, passed as one object, keys without `@`).
 */
export interface Statement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

export interface Db {
  readonly dialect: Dialect;
  prepare(sql: string): Statement;
  /** Runs statements without parameters (several, separated by `;`). */
  exec(sql: string): void;
  /**
   * Wraps fn in a transaction: committed when it returns, rolled back when it
   * throws; a call inside another transaction becomes a savepoint.
   */
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
  readonly inTransaction: boolean;
  /** SQLite's PRAGMA; PostgreSQL has none and throws. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): void;
  /**
   * Present when other control-plane processes share the database
   * (PostgreSQL): changes committed here are published through it, and
   * theirs arrive through it (docs/design/store-backends.md).
   */
  readonly changeLog?: ChangeLog;
}

export interface ChangeLog {
  /** Appends a JSON array of changes; inside a transaction it commits with it. */
  publish(changesJson: string): void;
  /** Starts delivering other processes' changes committed from now on. */
  listen(handler: ChangeLogHandler): void;
}

export interface ChangeLogHandler {
  /** A JSON array of changes another process committed, in commit order. */
  changes(changesJson: string): void;
  /** Changes were lost (the log was pruned past this reader): everything may have changed. */
  gap(): void;
  /** The notification connection's state (logged by the control plane). */
  listener?(state: 'connected' | 'disconnected', error?: string): void;
}
