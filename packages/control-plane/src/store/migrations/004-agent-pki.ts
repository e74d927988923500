import type { Migration } from './migration';

/**
 * Agent channel PKI. Join tokens keep only the SHA-256 of their secret, so a
 * copied database cannot join a host. Issued certificates are recorded for
 * audit (who joined with which token, when each identity was renewed). The
 * CA's certificate (public) is kept here for the API's CA hash; its private
 * key lives only in `<data-dir>/pki/`.
 */
export const agentPki: Migration = {
  version: 4,
  name: 'agent-pki',
  sql: `
    CREATE TABLE agent_join_tokens (
      id TEXT PRIMARY KEY,
      cluster TEXT NOT NULL,
      secret_sha256 TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      max_uses INTEGER,
      uses INTEGER NOT NULL DEFAULT 0,
      revoked_at INTEGER
    );
    CREATE INDEX agent_join_tokens_cluster ON agent_join_tokens(cluster, created_at);
    CREATE TABLE agent_certificates (
      serial TEXT PRIMARY KEY,
      instance_id TEXT NOT NULL,
      cluster TEXT NOT NULL,
      join_token_id TEXT,
      issued_at INTEGER NOT NULL,
      not_after INTEGER NOT NULL
    );
    CREATE INDEX agent_certificates_instance ON agent_certificates(instance_id, issued_at);
    CREATE TABLE agent_pki (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
  `,
};
