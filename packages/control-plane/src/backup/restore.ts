import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import * as tar from 'tar';
import { MIGRATIONS } from '../store/migrations/index';
import { BackupError, sha256File } from './backup';
import { DATABASE_FILE, inDataDir, MANIFEST_FILE, PRIVATE_DIRS, PROTECTED_FILES, type BackupManifest } from './protected-files';

/** Files in `dir` a restore would replace: it never does; the operator moves them away first. */
export function existingState(dir: string): string[] {
  return PROTECTED_FILES.map((f) => f.path)
    .concat(`${DATABASE_FILE}-wal`)
    .filter((p) => fs.existsSync(inDataDir(dir, p)));
}

/**
 * Restores a backup into `dataDir`, which must not hold a control plane's
 * state (a live database is never overwritten, nor a stopped one: move it
 * away first). Everything is checked before anything is placed: the
 * manifest's hashes, the database's integrity and a schema this release
 * can run. The files get the owner of `dataDir` when it exists already
 * (systemd's StateDirectory makes it the service user's), and the modes the
 * control plane gives them.
 */
export async function restoreDataDir(archive: string, dataDir: string): Promise<BackupManifest> {
  const target = path.resolve(dataDir);
  if (!fs.existsSync(archive)) throw new BackupError(`${archive} does not exist`);
  const present = fs.existsSync(target) ? existingState(target) : [];
  if (present.length) {
    throw new BackupError(`${target} already holds control plane state (${present.join(', ')}); a restore never overwrites it: stop the control plane and move ${target} away, or restore into a new directory`);
  }
  const allowed = new Set([MANIFEST_FILE, ...PROTECTED_FILES.map((f) => f.path)]);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const stage = fs.mkdtempSync(path.join(path.dirname(target), `.${path.basename(target)}.restore-`));
  try {
    fs.chmodSync(stage, 0o700);
    const unexpected: string[] = [];
    await tar.x({
      file: archive,
      cwd: stage,
      // Only the files a backup holds, as plain files: nothing else is written, wherever its name points.
      filter: (p, entry) => {
        const name = p.replace(/^\.\//, '').replace(/\/$/, '');
        const type = (entry as { type?: string }).type;
        if (type === 'Directory' && PRIVATE_DIRS.includes(name)) return false;
        if (allowed.has(name) && type === 'File') return true;
        unexpected.push(name);
        return false;
      },
    });
    if (unexpected.length) throw new BackupError(`${archive} holds files a Stevedore backup does not: ${unexpected.slice(0, 5).join(', ')}`);
    const manifestFile = path.join(stage, MANIFEST_FILE);
    if (!fs.existsSync(manifestFile)) throw new BackupError(`${archive} is not a Stevedore backup (no ${MANIFEST_FILE})`);
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackupManifest;
    if (manifest.format !== 1) throw new BackupError(`${archive}: backup format ${String(manifest.format)} is not one this release reads (1)`);
    // A PostgreSQL control plane's backup holds the key files only (pg_dump has the database).
    const keysOnly = !manifest.files.some((m) => m.path === DATABASE_FILE);
    for (const f of PROTECTED_FILES) {
      const listed = manifest.files.find((m) => m.path === f.path);
      if (!listed) {
        if (f.required && !(keysOnly && f.path === DATABASE_FILE)) throw new BackupError(`${archive} lacks ${f.path} (${f.why})`);
        continue;
      }
      const file = inDataDir(stage, f.path);
      if (!fs.existsSync(file) || sha256File(file) !== listed.sha256) throw new BackupError(`${archive}: ${f.path} is missing or does not match its hash in the manifest`);
    }
    const db = keysOnly ? undefined : new Database(inDataDir(stage, DATABASE_FILE), { readonly: true });
    if (db) try {
      const check = db.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new BackupError(`${archive}: the database fails its integrity check: ${String(check)}`);
      const schema = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
      const known = MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0);
      if (schema > known) throw new BackupError(`${archive} was written by a newer control plane (schema ${schema}, this release knows ${known}): restore it with that release or newer`);
    } finally {
      db.close();
    }
    // Checked: now place the files.
    fs.mkdirSync(target, { recursive: true, mode: 0o700 });
    fs.chmodSync(target, 0o700);
    const owner = fs.statSync(target);
    const own = (p: string) => {
      if (process.getuid?.() === 0) fs.chownSync(p, owner.uid, owner.gid);
    };
    for (const d of PRIVATE_DIRS) {
      const dir = path.join(target, d);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dir, 0o700);
      own(dir);
    }
    for (const f of PROTECTED_FILES) {
      const from = inDataDir(stage, f.path);
      if (!fs.existsSync(from)) continue;
      const to = inDataDir(target, f.path);
      fs.chmodSync(from, f.mode);
      own(from);
      // 'wx'-like: a file that appeared meanwhile is not replaced.
      if (fs.existsSync(to)) throw new BackupError(`${to} appeared during the restore; nothing past it was placed`);
      fs.renameSync(from, to);
    }
    return manifest;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}
