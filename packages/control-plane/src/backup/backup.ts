import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import { buildInfo } from '@stevedore/core';
import { DATABASE_FILE, inDataDir, MANIFEST_FILE, PROTECTED_FILES, type BackupManifest } from './protected-files';

export class BackupError extends Error {
  override readonly name = 'BackupError';
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Copies the database with SQLite's online backup API, from a connection of
 * its own: the control plane keeps running and writing (WAL lets it), and the
 * copy is one consistent state. After a first step of 100 pages the rest is
 * copied in one step, so a busy control plane cannot make the copy restart
 * over and over (a step holds a read snapshot, which never blocks the writer).
 */
export async function copyDatabase(dataDir: string, to: string): Promise<number> {
  const src = inDataDir(dataDir, DATABASE_FILE);
  if (!fs.existsSync(src)) throw new BackupError(`${src} does not exist: is ${dataDir} a control plane's data dir?`);
  const db = new Database(src, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(to, { progress: () => 1 << 30 });
  } finally {
    db.close();
  }
  const copy = new Database(to, { readonly: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the copied database fails its integrity check: ${String(check)}`);
    const row = copy.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    return row.v ?? 0;
  } finally {
    copy.close();
  }
}

/**
 * One archive (tar.gz, mode 0600) with everything a restore needs: the
 * database and the key files beside it, and a manifest with their hashes.
 * Written next to `to` and renamed into place, so `to` is either the old file
 * or a whole new backup.
 */
export async function backupDataDir(dataDir: string, to: string, opts: { database?: boolean } = {}): Promise<BackupManifest> {
  // PostgreSQL holds the database: pg_dump backs it up; the key files still live here.
  const withDatabase = opts.database ?? true;
  const target = path.resolve(to);
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'stevedore-backup-'));
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.partial-${process.pid}`);
  try {
    fs.chmodSync(stage, 0o700);
    const schemaVersion = withDatabase ? await copyDatabase(dataDir, path.join(stage, DATABASE_FILE)) : 0;
    const files: BackupManifest['files'] = [];
    for (const f of PROTECTED_FILES) {
      if (f.path === DATABASE_FILE && !withDatabase) continue;
      const dest = inDataDir(stage, f.path);
      if (f.path !== DATABASE_FILE) {
        const src = inDataDir(dataDir, f.path);
        if (!fs.existsSync(src)) {
          if (f.required) throw new BackupError(`${src} is missing; without it a restore cannot work (${f.why})`);
          continue;
        }
        fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
        fs.copyFileSync(src, dest);
        fs.chmodSync(dest, 0o600);
      }
      files.push({ path: f.path, sha256: sha256File(dest), bytes: fs.statSync(dest).size });
    }
    const info = buildInfo();
    const manifest: BackupManifest = { format: 1, createdAt: new Date().toISOString(), version: info.version, commit: info.commit, schemaVersion, files };
    fs.writeFileSync(path.join(stage, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    // The manifest first: a reader learns what to expect before the big file.
    const pack = tar.c({ cwd: stage, gzip: true, portable: true }, [MANIFEST_FILE, ...files.map((f) => f.path)]);
    await pipeline(pack as unknown as NodeJS.ReadableStream, fs.createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
    fs.chmodSync(partial, 0o600);
    fs.renameSync(partial, target);
    return manifest;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
    fs.rmSync(partial, { force: true });
  }
}
