import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ControlPlane } from '../control-plane';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

async function startAndStop(dataDir: string): Promise<void> {
  const cp = new ControlPlane(
    { dataDir, apiListen: { host: '127.0.0.1', port: 0 }, agentListen: '127.0.0.1:0', region: 'us-east-1', account: '000000000000', logLevel: 'silent', heartbeatPeriodMs: 3000 },
    pino({ level: 'silent' }),
  );
  await cp.start();
  // A write, so the WAL has content while we look.
  cp.store.tx(() => cp.store.clusters.upsert({ name: 'modes', status: 'ACTIVE', tags: [], settings: [], createdAt: 1 }));
  for (const f of ['stevedore.db', 'stevedore.db-wal', 'stevedore.db-shm']) assert.equal(mode(path.join(dataDir, f)), 0o600, `${f} while running`);
  await cp.stop();
}

test('the control plane creates its data dir 0700 and the database with its -wal/-shm 0600, keys and pki private, whatever the umask', async (t) => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-modes-'));
  t.after(() => fs.rmSync(parent, { recursive: true, force: true }));
  const old = process.umask(0o000);
  try {
    const dataDir = path.join(parent, 'data');
    await startAndStop(dataDir);
    assert.equal(mode(dataDir), 0o700);
    for (const d of ['keys', 'pki']) assert.equal(mode(path.join(dataDir, d)), 0o700, d);
    for (const f of ['keys/master.key', 'pki/ca.key', 'admin-credentials']) assert.equal(mode(path.join(dataDir, f)), 0o600, f);
  } finally {
    process.umask(old);
  }
});

test('a data dir and database left readable by an older version are tightened at start', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-modes-old-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  await startAndStop(dataDir);
  fs.chmodSync(dataDir, 0o755);
  for (const f of ['stevedore.db', 'stevedore.db-wal', 'stevedore.db-shm']) if (fs.existsSync(path.join(dataDir, f))) fs.chmodSync(path.join(dataDir, f), 0o644);
  await startAndStop(dataDir);
  assert.equal(mode(dataDir), 0o700);
  assert.equal(mode(path.join(dataDir, 'stevedore.db')), 0o600);
});
