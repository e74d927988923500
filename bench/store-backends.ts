/**
 * What one store call costs on each backend (docs/design/store-backends.md):
 * the same repository calls on SQLite (a file, WAL) and on PostgreSQL (a
 * throwaway local server on a unix socket, through the synchronous bridge).
 * The PostgreSQL figure is also how long each call blocks the event loop.
 * Prints figures, asserts nothing.
 *
 *   npm run bench:store
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultArnContext, systemClock } from '@stevedore/core';
import { Store } from '@stevedore/control-plane';
import { startPostgres } from '@stevedore/control-plane/dist/testing/postgres-server';
import { testInstance } from '@stevedore/control-plane/dist/testing/task-builder';
import { machine, percentile } from './bench-kit';

const N = Number(process.env['BENCH_N'] ?? 3000);

function time(n: number, fn: (i: number) => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

const us = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} µs, p99 ${percentile(xs, 99).toFixed(0)} µs`;

function measure(store: Store): [string, string][] {
  const cluster = (name: string) => ({ name, status: 'ACTIVE' as const, tags: [], settings: [], createdAt: Date.now() });
  for (let i = 0; i < 100; i++) store.tx(() => store.clusters.upsert(cluster(`warm-${i}`)));
  const raw = store.db.prepare('SELECT 1 AS one');
  const rows: [string, string][] = [];
  rows.push(['one trivial statement (SELECT 1)', us(time(N, () => raw.get()))]);
  rows.push(['read one row by key (clusters.get)', us(time(N, (i) => store.clusters.get(`warm-${i % 100}`)))]);
  rows.push(['a transaction writing one row (tx + upsert)', us(time(N, (i) => store.tx(() => store.clusters.upsert(cluster(`c-${i}`)))))]);
  rows.push([
    'a transaction writing ten rows',
    us(
      time(N / 10, (i) =>
        store.tx(() => {
          for (let k = 0; k < 10; k++) store.clusters.upsert(cluster(`t-${i}-${k}`));
        }),
      ),
    ),
  ]);
  rows.push(['list 100 rows (clusters.listActive)', us(time(N / 10, () => store.clusters.listActive(undefined, 100)))]);
  // Heartbeats (dispatcher.ts): one autocommitted UPDATE each, or the turn's heartbeats in one transaction.
  store.tx(() => {
    store.clusters.upsert(cluster('hb'));
    for (let k = 0; k < 100; k++) store.instances.put(testInstance(`hb-${k}`, 'hb'));
  });
  rows.push(['a heartbeat written alone (touchHeartbeat)', us(time(N, (i) => store.instances.touchHeartbeat(`hb-${i % 100}`, Date.now())))]);
  const perBeat = (xs: number[]) => xs.map((x) => x / 100);
  rows.push([
    'a heartbeat of 100 written in one transaction (per heartbeat)',
    us(
      perBeat(
        time(N / 10, () =>
          store.tx(() => {
            for (let k = 0; k < 100; k++) store.instances.touchHeartbeat(`hb-${k}`, Date.now());
          }),
        ),
      ),
    ),
  ]);
  return rows;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stevedore-bench-store-'));
  const sqlite = Store.open(path.join(dir, 'stevedore.db'), systemClock, defaultArnContext);
  const a = measure(sqlite);
  sqlite.close();
  const server = await startPostgres();
  let b: [string, string][];
  try {
    const pg = Store.open(await server.createDatabase('bench'), systemClock, defaultArnContext);
    b = measure(pg);
    pg.close();
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`machine: ${machine()}; ${N} samples`);
  console.log('\n| store call | SQLite | PostgreSQL (blocks the event loop as long) |\n|---|---|---|');
  for (const [i, [name, r]] of a.entries()) console.log(`| ${name} | ${r} | ${b[i]![1]} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
