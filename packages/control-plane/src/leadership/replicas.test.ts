import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ControlPlane } from '../control-plane';
import { replicaTestConfig } from '../testing/replica-config';
import { until } from '../testing/until';
import { POSTGRES_MAX_PLACEMENTS_PER_TICK } from '../leader-roles';
import { startPostgres } from '../testing/postgres-server';

async function ready(cp: ControlPlane): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${cp.apiPort}/ready`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('replicas on one store: one leads, /ready names it everywhere, the other takes over when it stops', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-replicas-'));
  const a = new ControlPlane(replicaTestConfig(dataDir, 'replica-a'), pino({ level: 'silent' }));
  await a.start();
  const b = new ControlPlane(replicaTestConfig(dataDir, 'replica-b'), pino({ level: 'silent' }));
  await b.start();
  try {
    assert.deepEqual(await ready(a), { status: 200, body: { ready: true, leader: true, leaderId: 'replica-a', epoch: 1, replicaId: 'replica-a', storeReachable: true } });
    assert.deepEqual(await ready(b), { status: 200, body: { ready: true, leader: false, leaderId: 'replica-a', epoch: 1, replicaId: 'replica-b', storeReachable: true } });
    // Followers run no reconcile loop.
    assert.ok(a.orchestrator);
    assert.throws(() => b.orchestrator, /not the leader/);
    // /ping and /ready need no signature; everything else still does.
    assert.equal((await fetch(`http://127.0.0.1:${b.apiPort}/ping`)).status, 200);
    const unsigned = await fetch(`http://127.0.0.1:${b.apiPort}/`, { method: 'POST', headers: { 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    assert.notEqual(unsigned.status, 200);
    await a.stop();
    const took = await until('replica-b to lead', async () => {
      const r = await ready(b);
      return r.body['leader'] === true ? r : undefined;
    });
    assert.deepEqual(took.body, { ready: true, leader: true, leaderId: 'replica-b', epoch: 2, replicaId: 'replica-b', storeReachable: true });
    assert.ok(b.orchestrator);
    const text = await b.prometheus.registry.metrics();
    assert.match(text, /^stevedore_leader 1$/m);
    assert.match(text, /^stevedore_leader_epoch 2$/m);
  } finally {
    await b.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a leader on PostgreSQL commits a service's placements in batches of 200, on SQLite of 2,500", async () => {
  const server = await startPostgres();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-replicas-'));
  const onPg = new ControlPlane(replicaTestConfig(dataDir, 'pg', { store: await server.createDatabase() }), pino({ level: 'silent' }));
  const onSqlite = new ControlPlane(replicaTestConfig(fs.mkdtempSync(path.join(dataDir, 'sqlite-')), 'sqlite'), pino({ level: 'silent' }));
  try {
    await onPg.start();
    await onSqlite.start();
    await until('both to lead', async () => ((await ready(onPg)).body['leader'] === true && (await ready(onSqlite)).body['leader'] === true ? true : undefined));
    assert.equal(POSTGRES_MAX_PLACEMENTS_PER_TICK, 200);
    assert.equal(onPg.orchestrator.opts.maxPlacementsPerTick, 200);
    assert.equal(onSqlite.orchestrator.opts.maxPlacementsPerTick, 2500);
  } finally {
    await onPg.stop();
    await onSqlite.stop();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
