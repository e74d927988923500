import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock, defaultArnContext } from '@stevedore/core';
import { Store } from './store';
import { migrate, openStoreDatabase, schemaVersion } from './db';
import { MIGRATIONS } from './migrations/index';
import { backendTests } from '../testing/store-backends';

const storeTest = backendTests();

storeTest('migrations apply once and a newer schema is refused', (b) => {
  const location = b.name === 'sqlite' ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sv-store-')), 'db.sqlite') : b.location();
  const db = openStoreDatabase(location);
  // Versions only increase; they need not be contiguous while features land in parallel.
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  assert.equal(schemaVersion(db), latest);
  migrate(db, MIGRATIONS);
  assert.equal(schemaVersion(db), latest);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n, MIGRATIONS.length);
  if (b.name === 'sqlite') assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.prepare('INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, ?, 0)').run('future');
  db.close();
  assert.throws(() => openStoreDatabase(location), /newer than this control plane supports/);
});

storeTest('a failed transaction writes nothing and emits no change events', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  const seen: unknown[] = [];
  store.changes.on((c) => seen.push(c));
  assert.throws(() =>
    store.tx(() => {
      store.clusters.upsert({ name: 'a', status: 'ACTIVE', tags: [], settings: [], createdAt: 1 });
      throw new Error('boom');
    }),
  );
  assert.equal(store.clusters.get('a'), undefined);
  assert.deepEqual(seen, []);
  store.tx(() => store.clusters.upsert({ name: 'a', status: 'ACTIVE', tags: [], settings: [], createdAt: 1 }));
  assert.deepEqual(seen, [{ kind: 'cluster', cluster: 'a' }]);
  store.close();
});

storeTest('a throwing change listener cannot make a committed write look failed; the other listeners still get the change', async (b) => {
  const errors: { err: unknown; change: unknown }[] = [];
  const store = Store.open(b.location(), systemClock, defaultArnContext, { onListenerError: (err, change) => errors.push({ err, change }) });
  const seen: unknown[] = [];
  store.changes.on(() => {
    throw new Error('listener bug');
  });
  store.changes.on(async () => {
    throw new Error('async listener bug');
  });
  store.changes.on((c) => seen.push(c));
  const result = store.tx(() => {
    store.clusters.upsert({ name: 'after-commit', status: 'ACTIVE', tags: [], settings: [], createdAt: 1 });
    return 'committed';
  });
  assert.equal(result, 'committed', 'the caller sees its write succeed');
  assert.ok(store.clusters.get('after-commit'), 'and it is in the store');
  assert.deepEqual(seen, [{ kind: 'cluster', cluster: 'after-commit' }]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    errors.map((e) => [(e.err as Error).message, e.change]),
    [
      ['listener bug', { kind: 'cluster', cluster: 'after-commit' }],
      ['async listener bug', { kind: 'cluster', cluster: 'after-commit' }],
    ],
  );
  store.close();
});
