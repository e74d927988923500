import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from './db';
import type { SecretBox } from './secret-box';

/** A one-time console sign-in token: only its secret's SHA-256 is stored. */
export interface ConsoleSigninToken {
  tokenId: string;
  roleName: string;
  /** The access key that asked for it: the console session acts for this key's role, and dies with the key. */
  sourceAccessKeyId: string;
  sessionSeconds: number;
  createdAt: number;
  expiresAt: number;
  redeemedAt?: number;
}

/** Temporary credentials a redeemed sign-in token gave a browser. */
export interface ConsoleCredential {
  accessKeyId: string;
  roleName: string;
  sourceAccessKeyId: string;
  expiresAt: number;
  createdAt: number;
}

interface TokenRow {
  token_id: string;
  secret_sha256: string;
  role_name: string;
  source_access_key_id: string;
  session_seconds: number;
  created_at: number;
  expires_at: number;
  redeemed_at: number | null;
}

interface CredentialRow {
  access_key_id: string;
  role_name: string;
  source_access_key_id: string;
  secret_sealed: string;
  token_sha256: string;
  expires_at: number;
  created_at: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const secretContext = (accessKeyId: string) => `console-credential:${accessKeyId}`;
const sameHash = (hexA: string, hexB: string) => hexA.length === hexB.length && timingSafeEqual(Buffer.from(hexA, 'hex'), Buffer.from(hexB, 'hex'));

const toToken = (r: TokenRow): ConsoleSigninToken => ({
  tokenId: r.token_id,
  roleName: r.role_name,
  sourceAccessKeyId: r.source_access_key_id,
  sessionSeconds: r.session_seconds,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  ...(r.redeemed_at !== null ? { redeemedAt: r.redeemed_at } : {}),
});

const toCredential = (r: CredentialRow): ConsoleCredential => ({
  accessKeyId: r.access_key_id,
  roleName: r.role_name,
  sourceAccessKeyId: r.source_access_key_id,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
});

/**
 * Console sign-in tokens and the console sessions' temporary keys. A token
 * is redeemed at most once: `redeem` marks it in the same statement that
 * checks it was not, so two browsers racing with one URL get one session.
 */
export class ConsoleSessionsRepo {
  private readonly credentialById;

  constructor(private readonly db: Db, private readonly box: SecretBox) {
    // Runs on every request signed with console credentials.
    this.credentialById = db.prepare('SELECT * FROM console_credentials WHERE access_key_id = ?');
  }

  insertToken(t: ConsoleSigninToken, secret: string): void {
    this.db
      .prepare('INSERT INTO console_signin_tokens(token_id, secret_sha256, role_name, source_access_key_id, session_seconds, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(t.tokenId, sha256(secret), t.roleName, t.sourceAccessKeyId, t.sessionSeconds, t.createdAt, t.expiresAt);
  }

  getToken(tokenId: string): ConsoleSigninToken | undefined {
    const r = this.db.prepare('SELECT * FROM console_signin_tokens WHERE token_id = ?').get(tokenId) as TokenRow | undefined;
    return r ? toToken(r) : undefined;
  }

  /** Constant-time check of a presented token secret. */
  tokenSecretMatches(tokenId: string, secret: string): boolean {
    const r = this.db.prepare('SELECT secret_sha256 FROM console_signin_tokens WHERE token_id = ?').get(tokenId) as Pick<TokenRow, 'secret_sha256'> | undefined;
    return r !== undefined && sameHash(r.secret_sha256, sha256(secret));
  }

  /** Marks the token used if it was not; false when it already was (single use). */
  redeem(tokenId: string, now: number): boolean {
    return this.db.prepare('UPDATE console_signin_tokens SET redeemed_at = ? WHERE token_id = ? AND redeemed_at IS NULL').run(now, tokenId).changes === 1;
  }

  insertCredential(c: ConsoleCredential, secretAccessKey: string, sessionToken: string): void {
    this.db
      .prepare('INSERT INTO console_credentials(access_key_id, role_name, source_access_key_id, secret_sealed, token_sha256, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(c.accessKeyId, c.roleName, c.sourceAccessKeyId, this.box.seal(secretAccessKey, secretContext(c.accessKeyId)), sha256(sessionToken), c.expiresAt, c.createdAt);
  }

  /** The credential with its secret in clear, for signature verification only. */
  getCredentialWithSecret(accessKeyId: string): { credential: ConsoleCredential; secretAccessKey: string } | undefined {
    const r = this.credentialById.get(accessKeyId) as CredentialRow | undefined;
    if (!r) return undefined;
    return { credential: toCredential(r), secretAccessKey: this.box.open(r.secret_sealed, secretContext(r.access_key_id)) };
  }

  /** Constant-time comparison of the presented session token with the stored hash. */
  sessionTokenMatches(accessKeyId: string, sessionToken: string): boolean {
    const r = this.credentialById.get(accessKeyId) as CredentialRow | undefined;
    return r !== undefined && sameHash(r.token_sha256, sha256(sessionToken));
  }

  /** Retention: tokens and credentials past their expiry (they are refused already; this frees the rows). */
  deleteExpired(now: number, limit = 1000): number {
    const tokens = this.db.prepare('DELETE FROM console_signin_tokens WHERE token_id IN (SELECT token_id FROM console_signin_tokens WHERE expires_at <= ? LIMIT ?)').run(now, limit).changes;
    const creds = this.db.prepare('DELETE FROM console_credentials WHERE access_key_id IN (SELECT access_key_id FROM console_credentials WHERE expires_at <= ? LIMIT ?)').run(now, limit).changes;
    return tokens + creds;
  }
}
