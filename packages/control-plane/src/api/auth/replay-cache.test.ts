import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock, defaultArnContext } from '@stevedore/core';
import { Store } from '../../store/store';
import { ReplayCache } from './replay-cache';

const WINDOW = 5 * 60_000;
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const sig = (n: number) => n.toString(16).padStart(64, '0');

function tempDb(): { file: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-replay-'));
  return { file: path.join(dir, 'stevedore.db'), dir };
}

test('a signature is accepted once; the in-memory cache alone forgets on restart', () => {
  const c = new ReplayCache(WINDOW);
  assert.equal(c.checkAndRecord(sig(1), T0, T0), true);
  assert.equal(c.checkAndRecord(sig(1), T0, T0 + 1000), false);
  assert.equal(c.checkAndRecord(sig(1), T0, T0 + 2 * WINDOW), true, 'once its window is over the entry expires');
});

test('with the store, a signature used before a restart is refused after it; expired rows are pruned', (t) => {
  const { file, dir } = tempDb();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let store = Store.open(file, systemClock, defaultArnContext);
  let cache = new ReplayCache(WINDOW, 100, store.replayCache, T0);
  assert.equal(cache.checkAndRecord(sig(1), T0, T0), true);
  assert.equal(cache.checkAndRecord(sig(2), T0 - WINDOW + 1000, T0), true);
  store.close();

  store = Store.open(file, systemClock, defaultArnContext);
  cache = new ReplayCache(WINDOW, 100, store.replayCache, T0 + 2000);
  assert.equal(cache.size, 1, 'sig 2 expired (signed 5 min - 1 s before, now 2 s later) and was not loaded');
  assert.equal(cache.checkAndRecord(sig(1), T0, T0 + 2000), false, 'replay across the restart is refused');
  const rows = () => (store.db.prepare('SELECT COUNT(*) AS n FROM api_replay_cache').get() as { n: number }).n;
  assert.equal(rows(), 1, 'the expired row was pruned at start');
  // A later sweep prunes what expired since.
  assert.equal(cache.checkAndRecord(sig(3), T0 + WINDOW + 60_000, T0 + WINDOW + 60_000), true);
  assert.equal(rows(), 1, 'sig 1 expired and was pruned; sig 3 is there');
  store.close();
});

test('bounded: past maxEntries the oldest is dropped and its date becomes a floor that survives a restart', (t) => {
  const { file, dir } = tempDb();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let store = Store.open(file, systemClock, defaultArnContext);
  let cache = new ReplayCache(WINDOW, 3, store.replayCache, T0);
  for (let i = 1; i <= 4; i++) assert.equal(cache.checkAndRecord(sig(i), T0 + i * 1000, T0 + 5000), true);
  assert.equal(cache.size, 3);
  // sig 1 (signed T0+1s) was dropped: anything signed at or before T0+1s is refused, seen or not.
  assert.equal(cache.checkAndRecord(sig(99), T0 + 1000, T0 + 5000), false);
  store.close();
  store = Store.open(file, systemClock, defaultArnContext);
  cache = new ReplayCache(WINDOW, 3, store.replayCache, T0 + 6000);
  assert.equal(cache.checkAndRecord(sig(1), T0 + 1000, T0 + 6000), false, 'the floor is persisted');
  assert.equal(cache.checkAndRecord(sig(4), T0 + 4000, T0 + 6000), false);
  assert.equal(cache.checkAndRecord(sig(5), T0 + 5000, T0 + 6000), true);
  assert.ok((store.db.prepare('SELECT COUNT(*) AS n FROM api_replay_cache').get() as { n: number }).n <= 3, 'the table is bounded like the cache');
  store.close();
});
