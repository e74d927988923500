import type { Migration } from './migration';

/**
 * Web console sign-in (docs/design/console.md): one-time sign-in tokens that
 * `stevedore console` asks for (only their SHA-256 is kept), and the
 * short-lived credentials a redeemed token gives the browser: a temporary
 * key whose secret is sealed and whose session token is only hashed, as for
 * task roles, bound to the role of the access key that asked for it.
 */
export const consoleSessions: Migration = {
  version: 38,
  name: 'console-sessions',
  sql: `
    CREATE TABLE console_signin_tokens (
      token_id TEXT PRIMARY KEY,
      secret_sha256 TEXT NOT NULL,
      role_name TEXT NOT NULL,
      source_access_key_id TEXT NOT NULL,
      session_seconds INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      redeemed_at INTEGER
    );
    CREATE TABLE console_credentials (
      access_key_id TEXT PRIMARY KEY,
      role_name TEXT NOT NULL,
      source_access_key_id TEXT NOT NULL,
      secret_sealed TEXT NOT NULL,
      token_sha256 TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX console_credentials_expiry ON console_credentials(expires_at);
    CREATE INDEX console_signin_tokens_expiry ON console_signin_tokens(expires_at);
  `,
};
