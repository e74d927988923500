import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import pino from 'pino';
import { defaultArnContext, systemClock } from '@stevedore/core';
import { Store } from '../store/store';
import { PushReads } from './push-reads';
import { PushScheduler, type Pushable } from './push-scheduler';
import { until } from '../testing/until';

const silent = pino({ level: 'silent' });

/** A session as the scheduler sees it: records every flush in one shared log. */
class FakeSession implements Pushable {
  isClosed = false;
  flushes = 0;
  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly onFlush: () => void = () => {},
  ) {}
  flush(): void {
    this.flushes++;
    this.log.push(this.name);
    this.onFlush();
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r));

test('a burst of due sessions is flushed in slices, oldest first, with I/O and immediates served between slices', async (t) => {
  // A budget of 0 ms: one session per slice (a slice always flushes at least one), so the split does not depend on timing.
  let slices = 0;
  const pushes = new PushScheduler<FakeSession>(silent, { sliceBudgetMs: 0, maxWaitMs: 60_000, maxSliceMs: 0, onSliceEdge: () => slices++ });
  const log: string[] = [];

  // A loopback connection: a byte written during the first flush is readable by the next poll phase.
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const received = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  const peer = await received;
  t.after(() => {
    client.destroy();
    peer.destroy();
    server.close();
  });
  peer.on('data', () => log.push('io'));

  const sessions: FakeSession[] = [];
  for (let i = 0; i < 50; i++) {
    sessions.push(
      new FakeSession(`s${i}`, log, i === 0 ? () => {
        client.write('x');
        setImmediate(() => log.push('immediate'));
      } : undefined),
    );
  }
  for (const s of sessions) pushes.mark(s, 0);
  assert.equal(log.length, 0, 'nothing is flushed in the turn that marks');
  await until('every session flushed', () => (sessions.every((s) => s.flushes > 0) ? true : undefined));
  await until('the byte read', () => (log.includes('io') ? true : undefined));

  const order = log.filter((x) => x.startsWith('s'));
  assert.deepEqual(order, sessions.map((s) => s.name), 'first come, first served, each once');
  assert.equal(slices, 50 * 2, 'one slice per session (its two edges)');
  assert.ok(log.indexOf('immediate') < log.indexOf('s49'), `an immediate queued in the first slice ran before the last session: ${log.join(' ')}`);
  assert.ok(log.indexOf('io') < log.indexOf('s49'), `I/O that arrived during the burst was served before the last session: ${log.join(' ')}`);
});

test('with room in the budget one slice flushes every due session; the turn that marks flushes nothing', async () => {
  let edges = 0;
  const pushes = new PushScheduler<FakeSession>(silent, { sliceBudgetMs: 60_000, maxWaitMs: 60_000, maxSliceMs: 60_000, onSliceEdge: () => edges++ });
  const log: string[] = [];
  const sessions = Array.from({ length: 20 }, (_, i) => new FakeSession(`s${i}`, log));
  for (const s of sessions) pushes.mark(s, 0);
  assert.equal(pushes.pending, 20);
  await turn();
  assert.deepEqual(log, sessions.map((s) => s.name));
  assert.equal(edges, 2, 'one slice');
  assert.equal(pushes.pending, 0);
});

test('sessions that waited past maxWaitMs are flushed past the slice budget (up to maxSliceMs); the others one slice each', async () => {
  const run = async (maxWaitMs: number) => {
    let edges = 0;
    const pushes = new PushScheduler<FakeSession>(silent, { sliceBudgetMs: 0, maxWaitMs, maxSliceMs: 60_000, onSliceEdge: () => edges++ });
    const sessions = Array.from({ length: 10 }, (_, i) => new FakeSession(`s${i}`, []));
    for (const s of sessions) pushes.mark(s, 0);
    await until('all flushed', () => (sessions.every((s) => s.flushes === 1) ? true : undefined));
    return edges / 2;
  };
  assert.equal(await run(0), 1, 'every session overdue at once: one slice');
  assert.equal(await run(60_000), 10, 'none overdue: one session per slice of a 0 ms budget');
});

test('one mark, one flush: marks of a session already due coalesce; a mark after its flush flushes it again', async () => {
  const pushes = new PushScheduler<FakeSession>(silent);
  const log: string[] = [];
  const a = new FakeSession('a', log);
  const b = new FakeSession('b', log);
  pushes.mark(a, 0);
  pushes.mark(b, 0);
  pushes.mark(a, 0);
  pushes.mark(a, 0);
  await until('both flushed', () => (log.length >= 2 ? true : undefined));
  await turn();
  assert.deepEqual(log, ['a', 'b']);
  pushes.mark(a, 0);
  await until('a flushed again', () => (log.length >= 3 ? true : undefined));
  await turn();
  assert.deepEqual(log, ['a', 'b', 'a']);
});

test('a busy session is not flushed before the time it was marked for (its batch gap); an idle one next turn', async () => {
  const pushes = new PushScheduler<FakeSession>(silent);
  const log: string[] = [];
  let busyFlushedAt = 0;
  const busy = new FakeSession('busy', log, () => (busyFlushedAt = Date.now()));
  const idle = new FakeSession('idle', log);
  const notBefore = Date.now() + 150;
  pushes.mark(busy, notBefore);
  pushes.mark(idle, 0);
  await turn();
  assert.deepEqual(log, ['idle'], 'the idle session went out on the next turn, the busy one waits');
  pushes.mark(busy, 0); // a mark while waiting keeps the wait: it is one flush, after the gap
  await until('busy flushed', () => (busyFlushedAt > 0 ? true : undefined));
  assert.ok(busyFlushedAt >= notBefore, `flushed ${notBefore - busyFlushedAt} ms early`);
  await turn();
  assert.deepEqual(log, ['idle', 'busy']);
});

test('closed sessions are skipped: closed while due, or cancelled while waiting out the gap', async () => {
  const pushes = new PushScheduler<FakeSession>(silent);
  const log: string[] = [];
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new FakeSession(n, log)) as [FakeSession, FakeSession, FakeSession, FakeSession];
  pushes.mark(a, 0);
  pushes.mark(b, 0);
  pushes.mark(c, 0);
  pushes.mark(d, Date.now() + 50);
  b.isClosed = true; // closed without cancel: still never flushed
  c.isClosed = true;
  pushes.cancel(c);
  d.isClosed = true;
  pushes.cancel(d);
  assert.equal(pushes.pending, 2, 'a, and b until its slice skips it');
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(log, ['a']);
  assert.equal(pushes.pending, 0);
  pushes.mark(b, 0);
  await turn();
  assert.deepEqual(log, ['a'], 'a closed session is not marked');
});

test('a flush that throws does not stall the sessions behind it', async () => {
  const pushes = new PushScheduler<FakeSession>(silent, { sliceBudgetMs: 0, maxWaitMs: 60_000, maxSliceMs: 0 });
  const log: string[] = [];
  const bad = new FakeSession('bad', log, () => {
    throw new Error('store gone');
  });
  const good = [new FakeSession('g1', log), new FakeSession('g2', log)];
  pushes.mark(good[0]!, 0);
  pushes.mark(bad, 0);
  pushes.mark(good[1]!, 0);
  await until('the good ones flushed', () => (good.every((s) => s.flushes === 1) ? true : undefined));
  assert.deepEqual(log, ['g1', 'bad', 'g2']);
});

test('the per-turn reads are fresh in every slice: writes before a slice or between two slices are seen', async () => {
  const store = Store.open(':memory:', systemClock, defaultArnContext);
  const cluster = (value: string) => ({ name: 'c', status: 'ACTIVE' as const, tags: [], settings: [{ name: 'containerInsights' as const, value }], createdAt: 1 });
  const write = (value: string) => store.tx(() => store.clusters.upsert(cluster(value)));
  write('disabled');
  const reads = new PushReads(store);
  const pushes = new PushScheduler<FakeSession>(silent, { sliceBudgetMs: 0, maxWaitMs: 60_000, maxSliceMs: 0, onSliceEdge: () => reads.reset() });
  const seen: string[] = [];
  const read = () => seen.push(reads.cluster('c')!.settings[0]!.value);
  // The first slice reads, then an API request (here an immediate) writes before the second slice.
  const first = new FakeSession('first', [], () => {
    read();
    setImmediate(() => write('enabled'));
  });
  const second = new FakeSession('second', [], read);
  pushes.mark(first, 0);
  pushes.mark(second, 0);
  // Before the first slice, in the same turn: a COMPLETE set (outside the scheduler) reads the cluster, then an API call changes it.
  read();
  write('enhanced');
  await until('both read', () => (seen.length === 3 ? true : undefined));
  assert.deepEqual(seen, ['disabled', 'enhanced', 'enabled']);
  store.close();
});
