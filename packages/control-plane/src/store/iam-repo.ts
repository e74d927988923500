import type { Db } from './db';
import type { SecretBox } from './secret-box';

export interface StoredAccessKey {
  accessKeyId: string;
  roleName: string;
  status: 'Active';
  description?: string;
  createdAt: number;
}

export interface StoredRole {
  roleName: string;
  description?: string;
  /** Validated by the API before it is written; opaque here. */
  policyDocument: unknown;
  createdAt: number;
}

interface KeyRow { id: string; role_name: string; secret_sealed: string; status: string; description: string | null; created_at: number }
interface RoleRow { name: string; description: string | null; policy_json: string; created_at: number }

const toKey = (r: KeyRow): StoredAccessKey => ({
  accessKeyId: r.id,
  roleName: r.role_name,
  status: 'Active',
  ...(r.description !== null ? { description: r.description } : {}),
  createdAt: r.created_at,
});

const toRole = (r: RoleRow): StoredRole => ({
  roleName: r.name,
  ...(r.description !== null ? { description: r.description } : {}),
  policyDocument: JSON.parse(r.policy_json) as unknown,
  createdAt: r.created_at,
});

/** The AAD that binds a sealed secret to its access key row. */
const secretContext = (accessKeyId: string) => `iam-access-key:${accessKeyId}`;

/**
 * Access keys and roles. Secrets go in sealed and come out opened; the opened
 * value is cached per ciphertext because every API request needs it, and a
 * deleted key disappears at once since the row lookup is never cached.
 */
export class IamRepo {
  private readonly opened = new Map<string, string>();
  private readonly byId;
  private readonly roleByName;

  constructor(private readonly db: Db, private readonly box: SecretBox) {
    // Prepared once: these lookups run on every signed request.
    this.byId = db.prepare('SELECT * FROM iam_access_keys WHERE id = ?');
    this.roleByName = db.prepare('SELECT * FROM iam_roles WHERE name = ?');
  }

  insertAccessKey(key: StoredAccessKey, secretAccessKey: string): void {
    this.db
      .prepare('INSERT INTO iam_access_keys(id, role_name, secret_sealed, status, description, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key.accessKeyId, key.roleName, this.box.seal(secretAccessKey, secretContext(key.accessKeyId)), key.status, key.description ?? null, key.createdAt);
  }

  getAccessKey(accessKeyId: string): StoredAccessKey | undefined {
    const r = this.byId.get(accessKeyId) as KeyRow | undefined;
    return r && toKey(r);
  }

  /** The key with its secret in clear, for signature verification only. */
  getAccessKeyWithSecret(accessKeyId: string): { key: StoredAccessKey; secretAccessKey: string } | undefined {
    const r = this.byId.get(accessKeyId) as KeyRow | undefined;
    if (!r) return undefined;
    let secret = this.opened.get(r.secret_sealed);
    if (secret === undefined) {
      secret = this.box.open(r.secret_sealed, secretContext(r.id));
      if (this.opened.size >= 10_000) this.opened.clear();
      this.opened.set(r.secret_sealed, secret);
    }
    return { key: toKey(r), secretAccessKey: secret };
  }

  listAccessKeys(opts: { roleName?: string; afterId?: string; limit: number }): StoredAccessKey[] {
    const rows = (
      opts.roleName !== undefined
        ? this.db.prepare('SELECT * FROM iam_access_keys WHERE role_name = ? AND id > ? ORDER BY id LIMIT ?').all(opts.roleName, opts.afterId ?? '', opts.limit)
        : this.db.prepare('SELECT * FROM iam_access_keys WHERE id > ? ORDER BY id LIMIT ?').all(opts.afterId ?? '', opts.limit)
    ) as KeyRow[];
    return rows.map(toKey);
  }

  countAccessKeys(roleName?: string): number {
    const r = (
      roleName !== undefined
        ? this.db.prepare('SELECT COUNT(*) AS n FROM iam_access_keys WHERE role_name = ?').get(roleName)
        : this.db.prepare('SELECT COUNT(*) AS n FROM iam_access_keys').get()
    ) as { n: number };
    return r.n;
  }

  deleteAccessKey(accessKeyId: string): boolean {
    return this.db.prepare('DELETE FROM iam_access_keys WHERE id = ?').run(accessKeyId).changes > 0;
  }

  /** Opens one stored secret: fails when the master key is not the one that sealed them. */
  checkMasterKey(): { checked: boolean } {
    const r = this.db.prepare('SELECT * FROM iam_access_keys ORDER BY created_at LIMIT 1').get() as KeyRow | undefined;
    if (!r) return { checked: false };
    this.box.open(r.secret_sealed, secretContext(r.id));
    return { checked: true };
  }

  insertRole(role: StoredRole): void {
    this.db
      .prepare('INSERT INTO iam_roles(name, description, policy_json, created_at) VALUES (?, ?, ?, ?)')
      .run(role.roleName, role.description ?? null, JSON.stringify(role.policyDocument), role.createdAt);
  }

  getRole(name: string): StoredRole | undefined {
    const r = this.roleByName.get(name) as RoleRow | undefined;
    return r && toRole(r);
  }

  listRoles(opts: { afterName?: string; limit: number }): StoredRole[] {
    const rows = this.db.prepare('SELECT * FROM iam_roles WHERE name > ? ORDER BY name LIMIT ?').all(opts.afterName ?? '', opts.limit) as RoleRow[];
    return rows.map(toRole);
  }

  deleteRole(name: string): boolean {
    return this.db.prepare('DELETE FROM iam_roles WHERE name = ?').run(name).changes > 0;
  }

  /** A service-linked role's permissions boundary (validated by the API; opaque here). */
  putBoundary(roleName: string, policyDocument: unknown, now: number): void {
    this.db.prepare('INSERT OR REPLACE INTO iam_role_boundaries(role_name, policy_json, updated_at) VALUES (?, ?, ?)').run(roleName, JSON.stringify(policyDocument), now);
  }

  getBoundary(roleName: string): unknown {
    const r = this.db.prepare('SELECT policy_json FROM iam_role_boundaries WHERE role_name = ?').get(roleName) as { policy_json: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.policy_json) as unknown);
  }

  deleteBoundary(roleName: string): boolean {
    return this.db.prepare('DELETE FROM iam_role_boundaries WHERE role_name = ?').run(roleName).changes > 0;
  }

  getMeta(name: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM iam_meta WHERE name = ?').get(name) as { value: string } | undefined;
    return r?.value;
  }

  setMeta(name: string, value: string): void {
    this.db.prepare('INSERT INTO iam_meta(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run(name, value);
  }
}
