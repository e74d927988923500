import type { Db } from './db';

export interface StoredJoinToken {
  id: string;
  cluster: string;
  secretSha256: string;
  createdAt: number;
  expiresAt: number;
  maxUses?: number;
  uses: number;
  revokedAt?: number;
}

interface TokenRow {
  id: string;
  cluster: string;
  secret_sha256: string;
  created_at: number;
  expires_at: number;
  max_uses: number | null;
  uses: number;
  revoked_at: number | null;
}

const toToken = (r: TokenRow): StoredJoinToken => ({
  id: r.id,
  cluster: r.cluster,
  secretSha256: r.secret_sha256,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  ...(r.max_uses !== null ? { maxUses: r.max_uses } : {}),
  uses: r.uses,
  ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
});

export interface IssuedCertificateRecord {
  serial: string;
  instanceId: string;
  cluster: string;
  joinTokenId?: string;
  issuedAt: number;
  notAfter: number;
}

/** Join tokens, issued agent certificates and the CA certificate (never its key). */
export class AgentPkiRepo {
  constructor(private readonly db: Db) {}

  insertToken(t: StoredJoinToken): void {
    this.db
      .prepare('INSERT INTO agent_join_tokens(id, cluster, secret_sha256, created_at, expires_at, max_uses, uses, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(t.id, t.cluster, t.secretSha256, t.createdAt, t.expiresAt, t.maxUses ?? null, t.uses, t.revokedAt ?? null);
  }

  token(id: string): StoredJoinToken | undefined {
    const r = this.db.prepare('SELECT * FROM agent_join_tokens WHERE id = ?').get(id) as TokenRow | undefined;
    return r && toToken(r);
  }

  /** Newest first; `cluster` undefined lists every cluster's. */
  listTokens(cluster: string | undefined, afterId: string | undefined, limit: number): StoredJoinToken[] {
    const rows = this.db
      .prepare('SELECT * FROM agent_join_tokens WHERE (? IS NULL OR cluster = ?) AND id > ? ORDER BY id LIMIT ?')
      .all(cluster ?? null, cluster ?? null, afterId ?? '', limit) as TokenRow[];
    return rows.map(toToken);
  }

  useToken(id: string): void {
    this.db.prepare('UPDATE agent_join_tokens SET uses = uses + 1 WHERE id = ?').run(id);
  }

  revokeToken(id: string, now: number): void {
    this.db.prepare('UPDATE agent_join_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(now, id);
  }

  recordCertificate(c: IssuedCertificateRecord): void {
    this.db
      .prepare('INSERT INTO agent_certificates(serial, instance_id, cluster, join_token_id, issued_at, not_after) VALUES (?, ?, ?, ?, ?, ?)')
      .run(c.serial, c.instanceId, c.cluster, c.joinTokenId ?? null, c.issuedAt, c.notAfter);
  }

  certificatesOf(instanceId: string): IssuedCertificateRecord[] {
    const rows = this.db.prepare('SELECT * FROM agent_certificates WHERE instance_id = ? ORDER BY issued_at').all(instanceId) as {
      serial: string;
      instance_id: string;
      cluster: string;
      join_token_id: string | null;
      issued_at: number;
      not_after: number;
    }[];
    return rows.map((r) => ({
      serial: r.serial,
      instanceId: r.instance_id,
      cluster: r.cluster,
      ...(r.join_token_id !== null ? { joinTokenId: r.join_token_id } : {}),
      issuedAt: r.issued_at,
      notAfter: r.not_after,
    }));
  }

  /** The instance that joined with a token (its first certificate names the token). */
  instanceJoinedWith(tokenId: string): string | undefined {
    const r = this.db.prepare('SELECT instance_id FROM agent_certificates WHERE join_token_id = ? ORDER BY issued_at LIMIT 1').get(tokenId) as { instance_id: string } | undefined;
    return r?.instance_id;
  }

  caCertificate(): string | undefined {
    const r = this.db.prepare("SELECT value FROM agent_pki WHERE name = 'ca_certificate'").get() as { value: string } | undefined;
    return r?.value;
  }

  setCaCertificate(pem: string): void {
    this.db.prepare("INSERT INTO agent_pki(name, value) VALUES ('ca_certificate', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value").run(pem);
  }
}
