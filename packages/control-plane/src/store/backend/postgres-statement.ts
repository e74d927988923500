import type { RunResult, Statement } from './db';
import type { PostgresError } from './postgres-error';
import type { Translation } from './translate';

/** A translated statement, and whether its run() may be pipelined. */
export interface Prepared extends Translation {
  /** One INSERT, UPDATE or DELETE that returns no rows. */
  write: boolean;
}

export function isPlainWrite(sql: string): boolean {
  return /^\s*(INSERT|UPDATE|DELETE)\b/i.test(sql) && !/\bRETURNING\b/i.test(sql) && !sql.includes(';');
}

/** A write sent without waiting (PostgresDb.pipeline); filled in when its reply is taken off the port. */
export interface PipelinedWrite {
  readonly id: number;
  readonly sql: string;
  done: boolean;
  rowCount: number;
  error?: PostgresError;
}

/** What a statement needs of its database: one round trip, or a pipelined write inside a transaction. */
export interface StatementRunner {
  readonly pipelining: boolean;
  run(sql: string, params: unknown[]): { rows: Record<string, unknown>[]; rowCount: number };
  pipeline(sql: string, params: unknown[]): PipelinedWrite;
  rowCountOf(slot: PipelinedWrite): number;
}

/** A prepared statement with better-sqlite3's calling conventions, run on PostgreSQL. */
export class PostgresStatement implements Statement {
  constructor(private readonly db: StatementRunner, private readonly t: Prepared) {}

  run(...params: unknown[]): RunResult {
    if (this.t.write && this.db.pipelining) {
      const db = this.db;
      const slot = db.pipeline(this.t.sql, bind(this.t, params));
      return {
        get changes() {
          return db.rowCountOf(slot);
        },
        lastInsertRowid: 0,
      };
    }
    return { changes: this.exec(params).rowCount, lastInsertRowid: 0 };
  }

  get(...params: unknown[]): unknown {
    return this.exec(params).rows[0];
  }

  all(...params: unknown[]): unknown[] {
    return this.exec(params).rows;
  }

  iterate(...params: unknown[]): IterableIterator<unknown> {
    return this.exec(params).rows[Symbol.iterator]();
  }

  private exec(params: unknown[]): { rows: Record<string, unknown>[]; rowCount: number } {
    const r = this.db.run(this.t.sql, bind(this.t, params));
    for (const row of r.rows) {
      for (const k in row) {
        const v = row[k];
        // Structured clone turns Buffers into plain Uint8Arrays; repos get Buffers, as from SQLite.
        if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      }
    }
    return r;
  }
}

/** Arguments as better-sqlite3 takes them (positional, or one object of named values) -> `$n` values. */
function bind(t: Translation, params: unknown[]): unknown[] {
  let values: unknown[];
  if (t.names) {
    const obj = params[0];
    if (params.length !== 1 || typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new TypeError('this statement takes named parameters: pass one object');
    values = t.names.map((name) => {
      if (!Object.prototype.hasOwnProperty.call(obj, name)) throw new RangeError(`Missing named parameter "${name}"`);
      return (obj as Record<string, unknown>)[name];
    });
  } else {
    values = params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params;
    if (values.length !== t.count) throw new RangeError(`Statement takes ${t.count} parameters, got ${values.length}`);
  }
  return values.map(toWire);
}

function toWire(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return v.toString();
  return v;
}
