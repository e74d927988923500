import type { Db } from './db';
import { statementCache } from './statement-cache';

/** One NFS export the operator runs, registered under an EFS-style id. */
export interface StoredFileSystem {
  fileSystemId: string;
  creationToken: string;
  name?: string;
  /** NFS server host name or address. */
  server: string;
  /** Exported path on the server (absolute). */
  path: string;
  nfsVersion: string;
  /** Extra mount options appended to Docker's `o=` (validated by the API). */
  mountOptions?: string;
  tags: { key: string; value: string }[];
  createdAt: number;
}

export interface StoredAccessPoint {
  accessPointId: string;
  fileSystemId: string;
  clientToken: string;
  name?: string;
  rootDirectory: string;
  posixUid?: number;
  posixGid?: number;
  tags: { key: string; value: string }[];
  createdAt: number;
}

interface FsRow { id: string; creation_token: string; name: string | null; server: string; path: string; nfs_version: string; mount_options: string | null; tags_json: string; created_at: number }
interface ApRow { id: string; file_system_id: string; client_token: string; name: string | null; root_directory: string; posix_uid: number | null; posix_gid: number | null; tags_json: string; created_at: number }

const toFs = (r: FsRow): StoredFileSystem => ({
  fileSystemId: r.id,
  creationToken: r.creation_token,
  ...(r.name !== null ? { name: r.name } : {}),
  server: r.server,
  path: r.path,
  nfsVersion: r.nfs_version,
  ...(r.mount_options !== null ? { mountOptions: r.mount_options } : {}),
  tags: JSON.parse(r.tags_json) as StoredFileSystem['tags'],
  createdAt: r.created_at,
});

const toAp = (r: ApRow): StoredAccessPoint => ({
  accessPointId: r.id,
  fileSystemId: r.file_system_id,
  clientToken: r.client_token,
  ...(r.name !== null ? { name: r.name } : {}),
  rootDirectory: r.root_directory,
  ...(r.posix_uid !== null ? { posixUid: r.posix_uid } : {}),
  ...(r.posix_gid !== null ? { posixGid: r.posix_gid } : {}),
  tags: JSON.parse(r.tags_json) as StoredAccessPoint['tags'],
  createdAt: r.created_at,
});

/** The shared file system registry (file systems and their access points). */
export class FileSystemsRepo {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(private readonly db: Db) {
    this.sql = statementCache(db);
  }

  insert(f: StoredFileSystem): void {
    this.sql('INSERT INTO file_systems(id, creation_token, name, server, path, nfs_version, mount_options, tags_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(f.fileSystemId, f.creationToken, f.name ?? null, f.server, f.path, f.nfsVersion, f.mountOptions ?? null, JSON.stringify(f.tags), f.createdAt);
  }

  get(id: string): StoredFileSystem | undefined {
    const r = this.sql('SELECT * FROM file_systems WHERE id = ?').get(id) as FsRow | undefined;
    return r && toFs(r);
  }

  byCreationToken(token: string): StoredFileSystem | undefined {
    const r = this.sql('SELECT * FROM file_systems WHERE creation_token = ?').get(token) as FsRow | undefined;
    return r && toFs(r);
  }

  list(opts: { afterId?: string; limit: number }): StoredFileSystem[] {
    return (this.sql('SELECT * FROM file_systems WHERE id > ? ORDER BY id LIMIT ?').all(opts.afterId ?? '', opts.limit) as FsRow[]).map(toFs);
  }

  delete(id: string): boolean {
    return this.sql('DELETE FROM file_systems WHERE id = ?').run(id).changes > 0;
  }

  insertAccessPoint(a: StoredAccessPoint): void {
    this.sql('INSERT INTO access_points(id, file_system_id, client_token, name, root_directory, posix_uid, posix_gid, tags_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(a.accessPointId, a.fileSystemId, a.clientToken, a.name ?? null, a.rootDirectory, a.posixUid ?? null, a.posixGid ?? null, JSON.stringify(a.tags), a.createdAt);
  }

  getAccessPoint(id: string): StoredAccessPoint | undefined {
    const r = this.sql('SELECT * FROM access_points WHERE id = ?').get(id) as ApRow | undefined;
    return r && toAp(r);
  }

  accessPointByClientToken(token: string): StoredAccessPoint | undefined {
    const r = this.sql('SELECT * FROM access_points WHERE client_token = ?').get(token) as ApRow | undefined;
    return r && toAp(r);
  }

  listAccessPoints(opts: { fileSystemId?: string; afterId?: string; limit: number }): StoredAccessPoint[] {
    const rows = (
      opts.fileSystemId !== undefined
        ? this.sql('SELECT * FROM access_points WHERE file_system_id = ? AND id > ? ORDER BY id LIMIT ?').all(opts.fileSystemId, opts.afterId ?? '', opts.limit)
        : this.sql('SELECT * FROM access_points WHERE id > ? ORDER BY id LIMIT ?').all(opts.afterId ?? '', opts.limit)
    ) as ApRow[];
    return rows.map(toAp);
  }

  countAccessPoints(fileSystemId: string): number {
    return (this.sql('SELECT COUNT(*) AS n FROM access_points WHERE file_system_id = ?').get(fileSystemId) as { n: number }).n;
  }

  deleteAccessPoint(id: string): boolean {
    return this.sql('DELETE FROM access_points WHERE id = ?').run(id).changes > 0;
  }
}
