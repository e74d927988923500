import * as fs from 'node:fs';

/**
 * The control plane's data dir holds the database (access keys sealed, but
 * task definitions, environment values and audit history in clear), the
 * master key and the cluster CA's key: nobody but its user should list or
 * read it, whatever the umask. Existing directories are tightened too (as
 * the keys directory always was): they are ours.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/**
 * Creates `file` 0600 before SQLite opens it (SQLite gives its -wal and -shm
 * files the database file's mode), and tightens it and its companions if an
 * earlier version left them readable.
 */
export function ensurePrivateDatabaseFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      fs.chmodSync(f, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
