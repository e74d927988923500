import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultArnContext, systemClock } from '@stevedore/core';
import { Store } from './store';
import type { Change } from './changes';
import { PostgresDb } from './backend/postgres-db';
import { startPostgres, type PostgresServer } from '../testing/postgres-server';

/**
 * Two control planes on one PostgreSQL database (two Stores here, each with
 * its own worker and connections, as two processes have): what one commits
 * reaches the other's change feed, once, in commit order, and nothing is
 * lost while the listening connection is down.
 */
let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server.stop();
});

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cluster = (name: string) => ({ name, status: 'ACTIVE' as const, tags: [], settings: [], createdAt: 1 });

test('a change committed by one replica reaches the other replicas once; a rolled-back one never does', async () => {
  const url = await server.createDatabase();
  const a = Store.open(url, systemClock, defaultArnContext);
  const b = Store.open(url, systemClock, defaultArnContext);
  const onA: Change[] = [];
  const onB: Change[] = [];
  a.changes.on((c) => onA.push(c));
  b.changes.on((c) => onB.push(c));
  try {
    assert.throws(() =>
      a.tx(() => {
        a.clusters.upsert(cluster('rolled-back'));
        throw new Error('boom');
      }),
    );
    a.tx(() => {
      a.clusters.upsert(cluster('one'));
      a.clusters.upsert(cluster('two'));
    });
    await until('replica b to hear of both clusters', () => onB.length >= 2);
    assert.deepEqual(onB, [{ kind: 'cluster', cluster: 'one' }, { kind: 'cluster', cluster: 'two' }]);
    assert.equal(b.clusters.get('two')?.name, 'two', 'and the rows are there when it reads them');
    // b writes too: a hears it, and neither hears its own changes twice.
    b.tx(() => b.clusters.upsert(cluster('three')));
    await until('replica a to hear of cluster three', () => onA.some((c) => c.kind === 'cluster' && c.cluster === 'three'));
    assert.deepEqual(onA, [{ kind: 'cluster', cluster: 'one' }, { kind: 'cluster', cluster: 'two' }, { kind: 'cluster', cluster: 'three' }]);
    assert.equal(onB.filter((c) => c.kind === 'cluster' && c.cluster === 'three').length, 1);
    assert.equal(b.remoteChangeCount, 2);
  } finally {
    a.close();
    b.close();
  }
});

test('changes committed while a replica was not listening arrive when it reconnects, in order, none lost', async () => {
  const url = await server.createDatabase();
  const admin = PostgresDb.open(url);
  const a = Store.open(url, systemClock, defaultArnContext);
  const b = Store.open(url, systemClock, defaultArnContext);
  const states: string[] = [];
  b.onChangeListener = (s) => states.push(s);
  const onB: string[] = [];
  b.changes.on((c) => {
    if (c.kind === 'cluster') onB.push(c.cluster);
  });
  try {
    await until('b to listen', () => states.includes('connected'));
    a.tx(() => a.clusters.upsert(cluster('before')));
    await until('b to hear the first change', () => onB.length === 1);
    // Cut b's listening connection (as a network fault or server restart would) and commit while it is gone.
    const cut = admin.queryNative("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%(changes)' AND pid <> pg_backend_pid()");
    assert.ok(cut.length >= 1, 'the listening connections were found');
    const names = Array.from({ length: 20 }, (_, i) => `while-away-${i}`);
    for (const n of names) a.tx(() => a.clusters.upsert(cluster(n)));
    await until('b to reconnect', () => states.filter((s) => s === 'connected').length >= 2);
    await until('b to catch up', () => onB.length === 1 + names.length);
    assert.deepEqual(onB, ['before', ...names]);
    assert.ok(states.includes('disconnected'), 'the cut was seen');
  } finally {
    admin.close();
    a.close();
    b.close();
  }
});

test('a replica drops its in-memory placement state when another replica writes tasks or instances', async () => {
  const url = await server.createDatabase();
  const a = Store.open(url, systemClock, defaultArnContext);
  const b = Store.open(url, systemClock, defaultArnContext);
  try {
    b.clusterState.candidates('c');
    const loads = b.clusterState.loads;
    const heard: Change[] = [];
    b.changes.on((c) => heard.push(c));
    a.instances.put({
      id: 'i-1',
      clusterName: 'c',
      ec2InstanceId: 'host-1',
      hostIp: '127.0.0.1',
      status: 'ACTIVE',
      agentConnected: true,
      registeredResources: { cpu: 1024, memory: 1024, ports: [], portsUdp: [] },
      attributes: [],
      versionInfo: { agentVersion: '1', dockerVersion: '20' },
      registeredAt: 1,
      version: 1,
    });
    await until('b to hear of the instance', () => heard.some((c) => c.kind === 'instance'));
    const candidates = b.clusterState.candidates('c');
    assert.equal(candidates.length, 1, 'b places on the instance a registered');
    assert.ok(b.clusterState.loads > loads, 'rebuilt from the store');
  } finally {
    a.close();
    b.close();
  }
});

test('the bridge reports a call that blocked its caller with its SQL, and a call past its timeout names the statement it waited on', async () => {
  const url = await server.createDatabase();
  const db = PostgresDb.open(url, { slowCallMs: 200, timeoutMs: 2000 });
  const slow: { statement: string; ms: number; error?: string }[] = [];
  db.onSlowCall = (c) => slow.push(c);
  try {
    db.queryNative('SELECT 1 AS one');
    assert.equal(slow.length, 0);
    db.queryNative('SELECT pg_sleep(0.4) AS slept');
    assert.equal(slow.length, 1);
    assert.match(slow[0]!.statement, /^query SELECT pg_sleep\(0\.4\)/);
    assert.ok(slow[0]!.ms >= 400, `${slow[0]!.ms} ms`);
    assert.throws(() => db.queryNative('SELECT pg_sleep(2.5) AS slept'), /did not answer within 2000 ms \(request \d+: query SELECT pg_sleep\(2\.5\)/);
    assert.equal(slow[1]?.error, 'timed out');
    // The late reply is dropped: the next call gets its own answer.
    assert.deepEqual(db.queryNative('SELECT 2 AS two'), [{ two: 2 }]);
  } finally {
    db.close();
  }
});

test('writes inside a transaction are pipelined: reads see them, changes counts them, a failed one fails the transaction with its own error and nothing of it commits', async () => {
  const db = PostgresDb.open(await server.createDatabase());
  try {
    db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
    const put = db.prepare('INSERT INTO kv(k, v) VALUES (?, ?)');
    const bump = db.prepare('UPDATE kv SET v = v + 1 WHERE v >= ?');
    const all = db.prepare('SELECT k, v FROM kv ORDER BY k');
    const n = db.transaction(() => {
      put.run('a', 1);
      put.run('b', 2);
      // Sent, not waited for: no answer has been taken yet (BEGIN's neither).
      assert.equal(db.pendingWrites, 3);
      const r = bump.run(2);
      // Read back in the same transaction, after writes sent without waiting.
      assert.deepEqual(all.all(), [{ k: 'a', v: 1 }, { k: 'b', v: 3 }]);
      return [r.changes, bump.run(100).changes];
    })();
    assert.deepEqual(n, [1, 0]);
    // A duplicate key in the middle: the unique violation (not "transaction aborted") comes out of the transaction, which rolls back whole.
    assert.throws(
      () =>
        db.transaction(() => {
          put.run('c', 1);
          put.run('a', 9);
          put.run('d', 1);
        })(),
      (e: Error & { code?: string }) => e.code === '23505',
    );
    assert.deepEqual(all.all(), [{ k: 'a', v: 1 }, { k: 'b', v: 3 }]);
    // A failed write inside a savepoint rolls back to it; the outer transaction commits the rest.
    db.transaction(() => {
      put.run('e', 5);
      assert.throws(() => db.transaction(() => put.run('b', 0))(), (e: Error & { code?: string }) => e.code === '23505');
      put.run('f', 6);
    })();
    assert.deepEqual(all.all(), [{ k: 'a', v: 1 }, { k: 'b', v: 3 }, { k: 'e', v: 5 }, { k: 'f', v: 6 }]);
    // Outside a transaction a write waits for its answer: the error is the call's own.
    assert.throws(() => put.run('a', 0), (e: Error & { code?: string }) => e.code === '23505');
    assert.equal(put.run('g', 7).changes, 1);
    assert.equal(db.pendingWrites, 0);
  } finally {
    db.close();
  }
});

test('a transaction whose BEGIN cannot reach the server fails, and none of its writes is committed on a later connection', async () => {
  const url = await server.createDatabase();
  const name = new URL(url).pathname.slice(1);
  const db = PostgresDb.open(url, { applicationName: 'begin-fails' });
  const admin = PostgresDb.open(server.url());
  try {
    db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)');
    const put = db.prepare('INSERT INTO kv(k, v) VALUES (?, ?)');
    // The store's connection is cut and no new one is allowed: BEGIN (not waited for) fails.
    admin.execNative(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    admin.queryNative("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'begin-fails'");
    assert.throws(() =>
      db.transaction(() => {
        put.run('a', 1);
        put.run('b', 2);
      })(),
    );
    admin.execNative(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    assert.deepEqual(db.prepare('SELECT k FROM kv').all(), []);
    db.transaction(() => put.run('c', 3))();
    assert.deepEqual(db.prepare('SELECT k, v FROM kv').all(), [{ k: 'c', v: 3 }]);
    assert.equal(db.pendingWrites, 0);
  } finally {
    db.close();
    admin.close();
  }
});
