import * as path from 'node:path';

/**
 * Everything a control plane's data dir holds that a restore needs, and
 * nothing else. The database alone is not enough: secrets and access keys in
 * it are sealed with keys/master.key, and agents trust only the cluster CA in
 * pki/ (they pinned its hash when they joined). Left out on purpose: the
 * database's -wal/-shm (the backup is one consistent file), api-ca.pem (written
 * again from the CA at start) and host-groups/ (the local provisioner's
 * processes on this machine, meaningless elsewhere).
 */
export interface ProtectedFile {
  /** Path inside the data dir and inside the archive. */
  path: string;
  /** Mode it is restored with. */
  mode: number;
  required: boolean;
  why: string;
}

export const DATABASE_FILE = 'stevedore.db';

export const PROTECTED_FILES: readonly ProtectedFile[] = [
  { path: DATABASE_FILE, mode: 0o600, required: true, why: 'the desired state: clusters, task definitions, services, tasks, instances, access keys, secrets (sealed), metrics, logs' },
  { path: 'keys/master.key', mode: 0o600, required: true, why: 'opens the secrets and access keys sealed in the database' },
  { path: 'pki/ca.key', mode: 0o600, required: true, why: 'the cluster CA key: issues agent and API certificates' },
  { path: 'pki/ca.crt', mode: 0o644, required: true, why: 'the cluster CA certificate agents pinned when they joined' },
  { path: 'admin-credentials', mode: 0o600, required: false, why: 'the admin access key as a shared-credentials file (the key itself is in the database)' },
];

/** Directories the files sit in, created 0700 as the control plane makes them. */
export const PRIVATE_DIRS = ['keys', 'pki'];

export const MANIFEST_FILE = 'stevedore-backup.json';

export interface BackupManifest {
  format: 1;
  createdAt: string;
  /** The control plane release that wrote it (`--version`). */
  version: string;
  commit: string;
  /** Highest schema migration in the database. */
  schemaVersion: number;
  files: { path: string; sha256: string; bytes: number }[];
}

export function inDataDir(dataDir: string, file: string): string {
  return path.join(dataDir, ...file.split('/'));
}
