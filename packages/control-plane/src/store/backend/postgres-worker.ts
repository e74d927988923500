/**
 * The worker thread behind PostgresDb (postgres-db.ts): it owns the `pg`
 * connections, answers each synchronous request of the main thread on the
 * reply port and then wakes it through the shared signal word. A second
 * connection LISTENs for changes committed by other control-plane processes
 * and forwards them as ordinary (asynchronous) messages
 * (docs/design/store-backends.md, "Changes across replicas").
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import type { BridgeReply, BridgeRequest, WorkerData, WorkerEvent } from './bridge-protocol';
import { CHANGE_CHANNEL } from './bridge-protocol';
import { ReplySignal } from './reply-signal';

const data = workerData as WorkerData;
const signal = new ReplySignal(data.signal);
const replies: MessagePort = data.replies;

// Values as SQLite hands them to the repos: 64-bit integers and numerics as numbers, booleans as 1/0.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));
pg.types.setTypeParser(16, (v) => (v === 't' ? 1 : 0));

let client: pg.Client | undefined;
/** The connection a transaction began on: a reconnect in the middle must fail the transaction, never go on in autocommit. */
let txClient: pg.Client | undefined;
/** A BEGIN is sent without waiting for it (the next statement queues behind it); its failure fails the transaction. */
let beginError: unknown;
/**
 * Between BEGIN and COMMIT/ROLLBACK. The caller does not wait for BEGIN's
 * answer either (postgres-db.ts), so a BEGIN that could not even connect must
 * fail every statement after it until the transaction ends: run on a fresh
 * connection they would commit one by one.
 */
let inTx = false;
let statementNames = new Map<string, string>();

async function connection(): Promise<pg.Client> {
  if (txClient && client !== txClient) throw new Error('the connection to PostgreSQL was lost in the middle of a transaction');
  if (client) return client;
  const c = new pg.Client({ connectionString: data.url, application_name: data.applicationName });
  // A dropped connection surfaces on the next query; the one after reconnects.
  c.on('error', () => {
    if (client === c) client = undefined;
  });
  c.on('end', () => {
    if (client === c) client = undefined;
  });
  await c.connect();
  client = c;
  statementNames = new Map();
  return c;
}

async function answer(req: BridgeRequest): Promise<BridgeReply> {
  try {
    switch (req.op) {
      case 'connect': {
        const c = await connection();
        const r = await c.query('SELECT current_setting(\'server_version_num\') AS v');
        return { id: req.id, rows: r.rows as Record<string, unknown>[], rowCount: 0 };
      }
      case 'query': {
        if (inTx && beginError) throw beginError;
        const c = await connection();
        // Named statements are parsed once per connection (the driver keeps them).
        let name = statementNames.get(req.sql);
        if (name === undefined) {
          name = `s${statementNames.size + 1}`;
          statementNames.set(req.sql, name);
        }
        const r = await c.query({ name, text: req.sql, values: req.params });
        if (txClient && beginError) throw beginError;
        return { id: req.id, rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 };
      }
      case 'exec': {
        if (req.sql === 'BEGIN') {
          // Two hand-offs saved per transaction: the caller goes on at once, its first statement queues behind BEGIN.
          inTx = true;
          txClient = undefined;
          beginError = undefined;
          let c: pg.Client;
          try {
            c = await connection();
          } catch (err) {
            beginError = err;
            throw err;
          }
          txClient = c;
          c.query('BEGIN').catch((err: unknown) => {
            beginError = err;
          });
          return { id: req.id, rows: [], rowCount: 0 };
        }
        const ending = req.sql === 'COMMIT' || req.sql === 'ROLLBACK';
        try {
          // Nothing to roll back on this connection: BEGIN never connected, or the connection it began on is gone.
          if (req.sql === 'ROLLBACK' && inTx && ((beginError !== undefined && !txClient) || (txClient && client !== txClient))) return { id: req.id, rows: [], rowCount: 0 };
          if (inTx && beginError && req.sql !== 'ROLLBACK') throw beginError;
          const c = await connection();
          try {
            for (const b of req.before ?? []) await c.query(b.sql, b.params);
            await c.query(req.sql);
          } catch (err) {
            // A failed statement before COMMIT leaves the transaction open: end it here.
            if (req.sql === 'COMMIT') await c.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        } finally {
          if (ending) {
            inTx = false;
            txClient = undefined;
            beginError = undefined;
          }
        }
        return { id: req.id, rows: [], rowCount: 0 };
      }
      case 'listen':
        listener.start(req.fromSeq);
        return { id: req.id, rows: [], rowCount: 0 };
      case 'close':
        await listener.stop();
        await client?.end().catch(() => undefined);
        client = undefined;
        return { id: req.id, rows: [], rowCount: 0 };
    }
  } catch (err) {
    const e = err as { message?: string; code?: string; detail?: string };
    return { id: req.id, error: { message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}), ...(e.detail ? { detail: e.detail } : {}) } };
  }
}

// One request at a time: the main thread is blocked until it has its reply.
let queue = Promise.resolve();
parentPort!.on('message', (req: BridgeRequest) => {
  queue = queue.then(async () => {
    const reply = await answer(req);
    try {
      replies.postMessage(reply);
    } catch (err) {
      // A reply that cannot be cloned must still answer the caller, or it blocks until its timeout.
      replies.postMessage({ id: req.id, error: { message: `the reply could not be passed back: ${(err as Error).message}` } } satisfies BridgeReply);
    }
    // After the post, never before: the caller drains the port once it sees the word change.
    signal.raise();
    if (req.op === 'close') process.exit(0);
  });
});

/** How long change-log rows are kept: far longer than any reconnect; a replica away longer resyncs in full. */
const CHANGE_LOG_KEEP_MS = 10 * 60_000;
const CHANGE_LOG_PRUNE_EVERY_MS = 60_000;

const emit = (e: WorkerEvent) => parentPort!.postMessage(e);

/**
 * Reads the change log after `seq` whenever a NOTIFY arrives, after every
 * (re)connection and on a slow timer, so a notification lost with a dropped
 * connection only delays a change, never loses it.
 */
class ChangeListener {
  private c: pg.Client | undefined;
  private seq = 0;
  private started = false;
  private stopped = false;
  private reading = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private lastPrune = 0;

  start(fromSeq: number): void {
    if (this.started) return;
    this.started = true;
    this.seq = fromSeq;
    void this.connect();
    this.timer = setInterval(() => {
      void this.read();
      void this.prune();
    }, data.pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    await this.c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const c = new pg.Client({ connectionString: data.url, application_name: `${data.applicationName} (changes)` });
    const lost = (err?: unknown) => {
      if (this.c !== c) return;
      this.c = undefined;
      emit({ kind: 'listener', state: 'disconnected', ...(err ? { error: String((err as Error).message ?? err) } : {}) });
      if (!this.stopped) this.retry = setTimeout(() => void this.connect(), data.reconnectMs);
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', () => void this.read());
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGE_CHANNEL}`);
      this.c = c;
      emit({ kind: 'listener', state: 'connected' });
      // Whatever was committed while no one listened.
      void this.read();
    } catch (err) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
      emit({ kind: 'listener', state: 'disconnected', error: String((err as Error).message ?? err) });
      if (!this.stopped) this.retry = setTimeout(() => void this.connect(), data.reconnectMs);
    }
  }

  /** The log is a buffer for readers, not history: every replica trims it now and then (a few rows per transaction). */
  private async prune(): Promise<void> {
    const c = this.c;
    const now = Date.now();
    if (!c || now - this.lastPrune < CHANGE_LOG_PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await c.query('DELETE FROM store_changes WHERE created_at < $1', [now - CHANGE_LOG_KEEP_MS]).catch(() => undefined);
  }

  private async read(): Promise<void> {
    const c = this.c;
    if (!c) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        const r = await c.query('SELECT seq, origin, changes FROM store_changes WHERE seq > $1 ORDER BY seq LIMIT 500', [this.seq]);
        const rows = r.rows as { seq: number; origin: string; changes: string }[];
        if (rows.length === 0) break;
        const first = rows[0]!.seq;
        // Pruned past our position: changes were lost to the log's bound; listeners resync in full.
        if (first > this.seq + 1 && this.seq > 0) {
          const gap = await c.query('SELECT 1 FROM store_changes WHERE seq = $1', [this.seq + 1]);
          if (gap.rowCount === 0) {
            const min = await c.query('SELECT MIN(seq) AS m FROM store_changes');
            if ((min.rows[0] as { m: number | null }).m !== null && (min.rows[0] as { m: number }).m > this.seq + 1) emit({ kind: 'gap', from: this.seq, to: first });
          }
        }
        for (const row of rows) {
          this.seq = row.seq;
          if (row.origin !== data.origin) emit({ kind: 'changes', seq: row.seq, changes: row.changes });
        }
        if (rows.length === 500) this.again = true;
      } while (this.again);
    } catch {
      // The connection's error handler reconnects; the next read resumes from seq.
    } finally {
      this.reading = false;
    }
  }
}

const listener = new ChangeListener();
