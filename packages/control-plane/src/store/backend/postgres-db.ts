import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { BridgeReply, BridgeRequest, WorkerData, WorkerEvent } from './bridge-protocol';
import { CHANGE_CHANNEL } from './bridge-protocol';
import type { ChangeLog, ChangeLogHandler, Db, Statement } from './db';
import { PostgresError } from './postgres-error';
import { isPlainWrite, PostgresStatement, type PipelinedWrite, type Prepared } from './postgres-statement';
import { ReplySignal } from './reply-signal';
import { describeRequest, type SlowCall } from './slow-call';
import { toPostgres } from './translate';

export { PostgresError } from './postgres-error';
export type { PipelinedWrite } from './postgres-statement';
export type { SlowCall } from './slow-call';

export interface PostgresDbOptions {
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** How long one statement may block the caller before it fails (default 60 s). */
  timeoutMs?: number;
  /** A call blocking the caller at least this long is reported to onSlowCall (default 1 s). */
  slowCallMs?: number;
  /** Change-log poll when no notification comes (default 2 s). */
  pollMs?: number;
  /** Wait before the change listener reconnects (default 500 ms). */
  reconnectMs?: number;
}

/** Serialises commits that publish changes, so change-log seq order is commit order (see publish). */
const CHANGE_LOCK = 0x5374_6576; // 'Stev'

/**
 * PostgreSQL behind the synchronous Db interface: a worker thread runs the
 * `pg` driver and the calling thread blocks (Atomics.wait) until the reply
 * is posted, so repositories and their callers stay synchronous. Each call
 * blocks the event loop for one round trip to the server; that is the
 * trade-off measured in docs/design/store-backends.md. Statements are
 * translated from the SQLite dialect once (translate.ts) and run as named
 * prepared statements on one connection; transactions are that connection's.
 */
export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly changeLog: ChangeLog;
  private readonly worker: Worker;
  private readonly signal = new ReplySignal();
  private readonly replies: MessagePort;
  readonly timeoutMs: number;
  private readonly slowCallMs: number;
  /** Told of calls that blocked the caller slowCallMs or more, and of timeouts (the control plane logs them). */
  onSlowCall: ((call: SlowCall) => void) | undefined;
  private readonly translations = new Map<string, Prepared>();
  private keys: Map<string, string[]> | undefined;
  private columnTypes: Map<string, string | undefined> | undefined;
  private nextId = 1;
  private depth = 0;
  private closed = false;
  private handler: ChangeLogHandler | undefined;
  /** Change-log rows of the open transaction, sent with its COMMIT (one round trip fewer); depth = where they were published. */
  private deferred: { depth: number; changes: string }[] = [];
  /** Pipelined writes whose replies have not been taken yet, in request order. */
  private readonly pipelined = new Map<number, PipelinedWrite>();
  /** The first failure of a pipelined write in the open transaction: every later call that waits throws it. */
  private pipelineError: PostgresError | undefined;
  private readonly origin: string;

  private constructor(private readonly url: string, opts: PostgresDbOptions) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.slowCallMs = opts.slowCallMs ?? 1000;
    const channel = new MessageChannel();
    this.replies = channel.port1;
    const origin = randomUUID();
    this.origin = origin;
    const data: WorkerData = {
      url,
      applicationName: opts.applicationName ?? 'stevedore-control-plane',
      signal: this.signal.buffer,
      replies: channel.port2,
      origin,
      pollMs: opts.pollMs ?? 2000,
      reconnectMs: opts.reconnectMs ?? 500,
    };
    this.worker = new Worker(path.join(__dirname, 'postgres-worker.js'), { workerData: data, transferList: [channel.port2] });
    this.worker.on('message', (e: WorkerEvent) => this.onWorkerEvent(e));
    this.worker.on('error', () => undefined);
    // The worker never keeps the process alive: close() ends it, and so does exit (after the listeners, which would ref it again).
    this.worker.unref();
    this.replies.unref();
    this.changeLog = {
      publish: (changes) => this.publish(changes),
      listen: (handler) => this.listen(handler),
    };
  }

  /** Connects (synchronously); throws if the server cannot be reached. The URL's password never appears in errors. */
  static open(url: string, opts: PostgresDbOptions = {}): PostgresDb {
    const db = new PostgresDb(url, opts);
    try {
      db.call({ id: 0, op: 'connect' });
    } catch (err) {
      db.close();
      throw new Error(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`);
    }
    return db;
  }

  prepare(sql: string): Statement {
    return new PostgresStatement(this, this.translate(sql));
  }

  exec(sql: string): void {
    const t = this.translate(sql);
    if (t.sql.trim() !== '') this.call({ id: 0, op: 'exec', sql: t.sql });
    // DDL may have added tables or keys.
    this.keys = undefined;
    this.columnTypes = undefined;
  }

  /** Runs PostgreSQL's own SQL, untranslated (the backend's housekeeping). */
  execNative(sql: string): void {
    this.call({ id: 0, op: 'exec', sql });
    this.keys = undefined;
    this.columnTypes = undefined;
  }

  queryNative(sql: string, params: unknown[] = []): Record<string, unknown>[] {
    return this.run(sql, params).rows;
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): F {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const db = this;
    return function (this: unknown, ...args: never[]) {
      const level = db.depth;
      // BEGIN is not waited for (the worker answers it before it reaches the server anyway): a failure surfaces at the next call that waits.
      if (level === 0) db.send({ id: 0, op: 'exec', sql: 'BEGIN' });
      else db.call({ id: 0, op: 'exec', sql: `SAVEPOINT sp${level}` });
      db.depth++;
      let result: unknown;
      try {
        result = fn.apply(this, args);
        // A savepoint's writes must have succeeded before it is released: a failure is this level's, rolled back to the savepoint below.
        if (level > 0) db.settle();
      } catch (err) {
        db.depth = level;
        db.deferred = db.deferred.filter((d) => d.depth <= level);
        let rolledBack = false;
        try {
          db.call({ id: 0, op: 'exec', sql: level === 0 ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT sp${level}; RELEASE SAVEPOINT sp${level}` }, db.timeoutMs, false);
          rolledBack = true;
        } catch {
          // The connection is gone: the server rolled back with it.
        }
        if (level === 0) db.endTransaction();
        else if (rolledBack) db.pipelineError = undefined;
        throw err;
      }
      db.depth = level;
      if (level === 0) {
        const before = db.deferred.map((d) => db.publishStatement(d.changes));
        db.deferred = [];
        try {
          // Pipelined writes still in flight are answered before the COMMIT; one that failed fails it (PostgreSQL then rolls back).
          db.call({ id: 0, op: 'exec', sql: 'COMMIT', before });
        } finally {
          db.endTransaction();
        }
      } else {
        db.call({ id: 0, op: 'exec', sql: `RELEASE SAVEPOINT sp${level}` });
      }
      return result;
    } as F;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  pragma(source: string): unknown {
    throw new Error(`PRAGMA ${source} is SQLite's; this store is PostgreSQL`);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ id: 0, op: 'close' }, 5000);
    } catch {
      // Ending the worker ends its connections too.
    }
    this.closed = true;
    void this.worker.terminate();
    this.replies.close();
  }

  /** One statement round trip, after translation. */
  run(sql: string, params: unknown[]): { rows: Record<string, unknown>[]; rowCount: number } {
    const reply = this.call({ id: 0, op: 'query', sql, params });
    return reply as { rows: Record<string, unknown>[]; rowCount: number };
  }

  private translate(sql: string): Prepared {
    let t = this.translations.get(sql);
    if (!t) {
      const tr = toPostgres(sql, { primaryKey: (table) => this.primaryKey(table), columnType: (column) => this.columnType(column) });
      t = { ...tr, write: isPlainWrite(tr.sql) };
      this.translations.set(sql, t);
    }
    return t;
  }

  private primaryKey(table: string): string[] | undefined {
    if (!this.keys) {
      const rows = this.queryNative(
        `SELECT c.relname AS t, a.attname AS col, array_position(i.indkey::int2[], a.attnum) AS pos
           FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
          WHERE i.indisprimary AND n.nspname = current_schema() ORDER BY 1, 3`,
      ) as { t: string; col: string }[];
      this.keys = new Map();
      for (const r of rows) {
        const k = this.keys.get(r.t) ?? [];
        k.push(r.col);
        this.keys.set(r.t, k);
      }
    }
    return this.keys.get(table);
  }

  private columnType(column: string): string | undefined {
    if (!this.columnTypes) {
      const rows = this.queryNative(
        `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = current_schema()`,
      ) as { c: string; t: string }[];
      this.columnTypes = new Map();
      for (const r of rows) {
        // A name with different types in different tables is no guide.
        this.columnTypes.set(r.c, this.columnTypes.has(r.c) && this.columnTypes.get(r.c) !== r.t ? undefined : r.t);
      }
    }
    return this.columnTypes.get(column);
  }

  /**
   * Appends a transaction's changes to the change log and notifies the other
   * processes. Inside a transaction the row is written just before COMMIT (in
   * the same round trip); the advisory lock it takes is held until commit, so
   * rows become visible in seq order and a reader that has seen seq N has seen
   * every committed row before it.
   */
  private publish(changes: string): void {
    if (this.depth > 0) {
      this.deferred.push({ depth: this.depth, changes });
      return;
    }
    const st = this.publishStatement(changes);
    this.run(st.sql, st.params);
  }

  private publishStatement(changes: string): { sql: string; params: unknown[] } {
    return {
      sql: `WITH l AS (SELECT pg_advisory_xact_lock(${CHANGE_LOCK})),
            ins AS (INSERT INTO store_changes(origin, changes, created_at) SELECT $1, $2, $3 FROM l RETURNING seq)
       SELECT pg_notify('${CHANGE_CHANNEL}', seq::text) FROM ins`,
      params: [this.origin, changes, Date.now()],
    };
  }

  private listen(handler: ChangeLogHandler): void {
    this.handler = handler;
    const row = this.queryNative('SELECT COALESCE(MAX(seq), 0) AS seq FROM store_changes')[0] as { seq: number };
    this.call({ id: 0, op: 'listen', fromSeq: row.seq });
  }

  private onWorkerEvent(e: WorkerEvent): void {
    if (!this.handler) return;
    if (e.kind === 'changes') this.handler.changes(e.changes);
    else if (e.kind === 'gap') this.handler.gap();
    else this.handler.listener?.(e.state, e.error);
  }

  private call(req: BridgeRequest, timeoutMs = this.timeoutMs, surfacePipelineError = true): Extract<BridgeReply, { rows: unknown }> {
    if (this.closed) throw new Error('the PostgreSQL store is closed');
    const id = this.nextId++;
    this.worker.postMessage({ ...req, id });
    return this.awaitReply(id, req, timeoutMs, surfacePipelineError);
  }

  /**
   * Sends a write inside a transaction without waiting for it (pipelining):
   * the caller goes on, the worker runs it in order before anything sent
   * later. Its row count is read only if asked (`changes`, which then
   * waits); a failure surfaces at the next call that waits, or at the end of
   * the (sub)transaction, and fails the transaction, as PostgreSQL aborts
   * it anyway. Saves a thread hand-off and a round trip of waiting per write.
   */
  pipeline(sql: string, params: unknown[]): PipelinedWrite {
    return this.send({ id: 0, op: 'query', sql, params });
  }

  /** Posts a request whose answer is taken later, by whichever call waits next (pipelining). */
  private send(req: Extract<BridgeRequest, { op: 'query' | 'exec' }>): PipelinedWrite {
    if (this.closed) throw new Error('the PostgreSQL store is closed');
    const slot: PipelinedWrite = { id: this.nextId++, sql: req.sql, done: false, rowCount: 0 };
    this.worker.postMessage({ ...req, id: slot.id });
    this.pipelined.set(slot.id, slot);
    return slot;
  }

  /** The row count of a pipelined write, waiting for it if need be; throws its error. */
  rowCountOf(slot: PipelinedWrite): number {
    if (!slot.done) {
      if (!this.pipelined.has(slot.id)) throw new PostgresError('the transaction of this write ended before its answer came');
      this.awaitReply(slot.id, { id: slot.id, op: 'query', sql: slot.sql, params: [] }, this.timeoutMs, false);
    }
    if (slot.error) throw slot.error;
    return slot.rowCount;
  }

  /** Pipelined writes not answered yet (as far as this thread has looked). */
  get pendingWrites(): number {
    return this.pipelined.size;
  }

  /** Whether statements of this transaction may be pipelined (a write inside a transaction, nothing returned). */
  get pipelining(): boolean {
    return this.depth > 0 && !this.closed;
  }

  /** Waits for every pipelined write and throws the first failure among them. */
  private settle(): void {
    let last: PipelinedWrite | undefined;
    for (const slot of this.pipelined.values()) last = slot;
    if (last) this.rowCountOf(last);
    if (this.pipelineError) throw this.pipelineError;
  }

  private endTransaction(): void {
    this.pipelineError = undefined;
    // Only after a lost connection: their answers will never come, or come too late to matter.
    for (const slot of this.pipelined.values()) {
      slot.done = true;
      slot.error = new PostgresError('the connection to PostgreSQL was lost before this write was answered');
    }
    this.pipelined.clear();
  }

  /**
   * Blocks until the reply to request `id` is on the port. Replies to
   * pipelined writes sent before it are taken on the way; if one of them
   * failed, that failure is thrown (unless `surfacePipelineError` is false:
   * the rollbacks), being the cause of whatever this request saw.
   */
  private awaitReply(id: number, req: BridgeRequest, timeoutMs: number, surfacePipelineError: boolean): Extract<BridgeReply, { rows: unknown }> {
    const startedAt = performance.now();
    const deadline = startedAt + timeoutMs;
    let slices = 0;
    for (;;) {
      // Read the word before draining: a reply posted in between changes it, and the wait returns at once (reply-signal.ts).
      const seen = this.signal.snapshot();
      for (let m = receiveMessageOnPort(this.replies); m; m = receiveMessageOnPort(this.replies)) {
        const reply = m.message as BridgeReply;
        const slot = this.pipelined.get(reply.id);
        if (slot) {
          this.pipelined.delete(reply.id);
          slot.done = true;
          if (reply.error) {
            slot.error = new PostgresError(reply.error.message, reply.error.code, reply.error.detail);
            this.pipelineError ??= slot.error;
          } else slot.rowCount = reply.rowCount;
        }
        // A reply to a call that timed out earlier is dropped.
        if (reply.id !== id) continue;
        const ms = performance.now() - startedAt;
        if (ms >= this.slowCallMs) this.onSlowCall?.({ id, statement: describeRequest(req), ms: Math.round(ms), slices, ...(reply.error ? { error: reply.error.message } : {}) });
        if (surfacePipelineError && this.pipelineError) throw this.pipelineError;
        if (reply.error) throw new PostgresError(reply.error.message, reply.error.code, reply.error.detail);
        return reply;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        const statement = describeRequest(req);
        this.onSlowCall?.({ id, statement, ms: Math.round(performance.now() - startedAt), slices, error: 'timed out' });
        throw new PostgresError(`PostgreSQL did not answer within ${timeoutMs} ms (request ${id}: ${statement})`);
      }
      // In slices: should a wake-up ever be missed again, it costs one slice, not the whole timeout.
      this.signal.wait(seen, Math.min(left, WAIT_SLICE_MS));
      slices++;
    }
  }
}

/** The longest single sleep of a blocked call before it looks at the reply port again. */
const WAIT_SLICE_MS = 500;

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
