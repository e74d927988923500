import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import * as tar from 'tar';
import { ControlPlane } from '../control-plane';
import { backupDataDir } from './backup';
import { runBackupCommand } from './backup-command';
import { restoreDataDir } from './restore';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

function tempDir(t: { after(fn: () => void): void }, prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function controlPlane(dataDir: string): ControlPlane {
  return new ControlPlane(
    { dataDir, apiListen: { host: '127.0.0.1', port: 0 }, agentListen: '127.0.0.1:0', region: 'us-east-1', account: '000000000000', logLevel: 'silent', heartbeatPeriodMs: 3000 },
    pino({ level: 'silent' }),
  );
}

const clusterNames = (dbFile: string) => {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare('SELECT name FROM clusters ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};

test('backup while the control plane writes, restore into a fresh dir: the same state, keys and CA, and the restored control plane opens its secrets', async (t) => {
  const root = tempDir(t, 'sv-backup-');
  const dataDir = path.join(root, 'data');
  const cp = controlPlane(dataDir);
  await cp.start();
  const caHash = cp.caCertHash;
  cp.store.tx(() => cp.store.clusters.upsert({ name: 'before', status: 'ACTIVE', tags: [], settings: [], createdAt: 1 }));
  // Writes keep coming while the backup runs: the copy is one consistent state that includes at least 'before'.
  let n = 0;
  const writer = setInterval(() => cp.store.tx(() => cp.store.clusters.upsert({ name: `during-${++n}`, status: 'ACTIVE', tags: [], settings: [], createdAt: 2 })), 1);
  const archive = path.join(root, 'backup.tar.gz');
  let manifest;
  try {
    manifest = await backupDataDir(dataDir, archive);
  } finally {
    clearInterval(writer);
    await cp.stop();
  }
  assert.equal(mode(archive), 0o600);
  assert.deepEqual(manifest.files.map((f) => f.path), ['stevedore.db', 'keys/master.key', 'pki/ca.key', 'pki/ca.crt', 'admin-credentials']);
  assert.ok(manifest.schemaVersion > 0);

  const restored = path.join(root, 'restored');
  await restoreDataDir(archive, restored);
  assert.equal(mode(restored), 0o700);
  for (const [f, m] of [['stevedore.db', 0o600], ['keys/master.key', 0o600], ['pki/ca.key', 0o600], ['pki/ca.crt', 0o644], ['admin-credentials', 0o600]] as const) assert.equal(mode(path.join(restored, f)), m, f);
  const names = clusterNames(path.join(restored, 'stevedore.db'));
  assert.ok(names.includes('before'));
  // Consistent: the 'during-k' clusters present are exactly 1..k (no gap, nothing half-written).
  const during = names.filter((x) => x.startsWith('during-')).map((x) => Number(x.slice(7))).sort((a, b) => a - b);
  assert.deepEqual(during, during.map((_, i) => i + 1));
  for (const f of ['keys/master.key', 'pki/ca.key', 'admin-credentials']) assert.equal(fs.readFileSync(path.join(restored, f), 'utf8'), fs.readFileSync(path.join(dataDir, f), 'utf8'), f);

  // The restored dir runs: same CA (agents' pin), and the master key opens the access keys sealed in the database.
  const again = controlPlane(restored);
  await again.start();
  try {
    assert.equal(again.caCertHash, caHash);
  } finally {
    await again.stop();
  }
});

test('restore refuses a dir with control plane state, a tampered archive, foreign files and a newer schema; nothing is placed', async (t) => {
  const root = tempDir(t, 'sv-restore-');
  const dataDir = path.join(root, 'data');
  const cp = controlPlane(dataDir);
  await cp.start();
  const archive = path.join(root, 'b.tar.gz');
  try {
    await backupDataDir(dataDir, archive);
    // Into the live data dir: refused, and the live database is untouched.
    const before = fs.statSync(path.join(dataDir, 'stevedore.db')).mtimeMs;
    await assert.rejects(restoreDataDir(archive, dataDir), /already holds control plane state \(stevedore\.db.*a restore never overwrites it/);
    assert.equal(fs.statSync(path.join(dataDir, 'stevedore.db')).mtimeMs, before);
  } finally {
    await cp.stop();
  }

  // Rebuilt archives: unpack, change, pack again.
  const unpacked = path.join(root, 'unpacked');
  fs.mkdirSync(unpacked);
  await tar.x({ file: archive, cwd: unpacked });
  const repack = async (name: string, change: () => void, extra: string[] = []) => {
    change();
    const file = path.join(root, name);
    await tar.c({ file, cwd: unpacked, gzip: true }, ['stevedore-backup.json', 'stevedore.db', 'keys/master.key', 'pki/ca.key', 'pki/ca.crt', 'admin-credentials', ...extra]);
    return file;
  };
  const key = path.join(unpacked, 'keys/master.key');
  const original = fs.readFileSync(key);
  const tampered = await repack('tampered.tar.gz', () => fs.writeFileSync(key, 'f'.repeat(64)));
  await assert.rejects(restoreDataDir(tampered, path.join(root, 'r1')), /keys\/master\.key is missing or does not match its hash/);
  assert.ok(!fs.existsSync(path.join(root, 'r1', 'stevedore.db')));
  fs.writeFileSync(key, original);

  const foreign = await repack('foreign.tar.gz', () => fs.writeFileSync(path.join(unpacked, 'evil.sh'), 'echo'), ['evil.sh']);
  await assert.rejects(restoreDataDir(foreign, path.join(root, 'r2')), /holds files a Stevedore backup does not: evil\.sh/);
  assert.ok(!fs.existsSync(path.join(root, 'r2', 'evil.sh')));

  const db = new Database(path.join(unpacked, 'stevedore.db'));
  db.prepare('INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)').run(999_999, 'from the future', 0);
  db.close();
  const manifestFile = path.join(unpacked, 'stevedore-backup.json');
  const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const { createHash } = await import('node:crypto');
  m.files.find((f: { path: string }) => f.path === 'stevedore.db').sha256 = createHash('sha256').update(fs.readFileSync(path.join(unpacked, 'stevedore.db'))).digest('hex');
  const newer = await repack('newer.tar.gz', () => fs.writeFileSync(manifestFile, JSON.stringify(m)));
  await assert.rejects(restoreDataDir(newer, path.join(root, 'r3')), /written by a newer control plane \(schema 999999/);
  assert.ok(!fs.existsSync(path.join(root, 'r3', 'stevedore.db')));
});

test('the backup and restore commands: exit codes, messages, usage', async (t) => {
  const root = tempDir(t, 'sv-backup-cmd-');
  const io = () => {
    const o = { out: '', err: '' };
    return { o, out: (s: string) => void (o.out += s), err: (s: string) => void (o.err += s) };
  };
  const missing = io();
  assert.equal(await runBackupCommand(['node', 'cp', 'backup', '--to', path.join(root, 'x.tar.gz'), '--data-dir', path.join(root, 'nothing')], {}, missing.out, missing.err), 1);
  assert.match(missing.o.err, /^stevedore-control-plane: backup: .*nothing\/stevedore\.db does not exist/);
  assert.ok(!fs.existsSync(path.join(root, 'x.tar.gz')));
  const usage = io();
  assert.equal(await runBackupCommand(['node', 'cp', 'restore', '--from', 'x'], {}, usage.out, usage.err), 2);
  assert.match(usage.o.err, /--data-dir/);
  const version = io();
  assert.equal(await runBackupCommand(['node', 'cp', 'backup', '--version'], {}, version.out, version.err), 0);
});

test('with a PostgreSQL store the backup holds the key files only (pg_dump has the database), and restores them', async (t) => {
  const root = tempDir(t, 'sv-backup-pg-');
  const dataDir = path.join(root, 'data');
  const cp = controlPlane(dataDir);
  await cp.start();
  await cp.stop();
  const archive = path.join(root, 'keys.tar.gz');
  const io = { out: '', err: '' };
  const code = await runBackupCommand(['node', 'cp', 'backup', '--to', archive, '--data-dir', dataDir, '--store', 'postgres://db.internal/stevedore'], {}, (s) => void (io.out += s), (s) => void (io.err += s));
  assert.equal(code, 0, io.err);
  assert.match(io.err, /back it up with pg_dump/);
  assert.match(io.out, /: keys\/master\.key, pki\/ca\.key, pki\/ca\.crt, admin-credentials /);
  const restored = path.join(root, 'restored');
  const m = await restoreDataDir(archive, restored);
  assert.ok(!m.files.some((f) => f.path === 'stevedore.db'));
  assert.ok(!fs.existsSync(path.join(restored, 'stevedore.db')));
  assert.equal(fs.readFileSync(path.join(restored, 'keys/master.key'), 'utf8'), fs.readFileSync(path.join(dataDir, 'keys/master.key'), 'utf8'));
  assert.equal(mode(path.join(restored, 'pki/ca.key')), 0o600);
});
