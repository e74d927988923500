import type { Migration } from './migration';

/**
 * SigV4 signatures the API accepted recently, so a request captured before a
 * control-plane restart cannot be played again after it (a signature stays
 * valid for ±5 minutes of its X-Amz-Date). Rows expire with the signature's
 * window and are pruned; `api_replay_floor` keeps the cache's bound across
 * restarts (anything signed at or before it is refused once entries had to
 * be dropped to stay bounded). Writer: the API's authentication only.
 */
export const apiReplayCache: Migration = {
  version: 8,
  name: 'api-replay-cache',
  sql: `
    CREATE TABLE api_replay_cache (
      signature TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX api_replay_cache_expires ON api_replay_cache(expires_at);
    CREATE TABLE api_replay_floor (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      signed_at INTEGER NOT NULL
    );
  `,
};
