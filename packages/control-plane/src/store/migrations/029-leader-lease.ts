import type { Migration } from './migration';

/**
 * Highly available control plane (docs/design/high-availability.md): the
 * leader lease (one row: holder, epoch = fencing token, expiry), the replicas
 * that serve the API and the agent channel (each renews its own row), and
 * which replica holds each agent's session, so that the sessions of a replica
 * that died can be marked disconnected by the leader.
 */
export const leaderLease: Migration = {
  version: 29,
  name: 'leader-lease',
  sql: `
    CREATE TABLE leader_lease (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      holder TEXT,
      epoch BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      acquired_at BIGINT NOT NULL
    );
    CREATE TABLE control_plane_replicas (
      id TEXT PRIMARY KEY,
      api_endpoint TEXT NOT NULL,
      agent_endpoint TEXT NOT NULL,
      started_at BIGINT NOT NULL,
      last_seen_at BIGINT NOT NULL
    );
    ALTER TABLE container_instances ADD COLUMN session_replica TEXT;
  `,
};
