import type { Db } from './db';
import { statementCache } from './statement-cache';

/** Persistence of the API's SigV4 replay cache (api/auth/replay-cache.ts). */
export class ReplayCacheRepo {
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  /** Unexpired entries, oldest expiry first (the cache's eviction order), at most `limit`. */
  loadUnexpired(nowMs: number, limit: number): { signature: string; expiresAt: number }[] {
    return (this.sql('SELECT signature, expires_at FROM api_replay_cache WHERE expires_at > ? ORDER BY expires_at LIMIT ?').all(nowMs, limit) as { signature: string; expires_at: number }[]).map(
      (r) => ({ signature: r.signature, expiresAt: r.expires_at }),
    );
  }

  put(signature: string, expiresAt: number): void {
    this.sql('INSERT INTO api_replay_cache(signature, expires_at) VALUES (?, ?) ON CONFLICT(signature) DO UPDATE SET expires_at = excluded.expires_at').run(signature, expiresAt);
  }

  remove(signature: string): void {
    this.sql('DELETE FROM api_replay_cache WHERE signature = ?').run(signature);
  }

  /** Deletes expired entries; returns how many. */
  pruneExpired(nowMs: number): number {
    return this.sql('DELETE FROM api_replay_cache WHERE expires_at <= ?').run(nowMs).changes;
  }

  floor(): number | undefined {
    return (this.sql('SELECT signed_at FROM api_replay_floor WHERE id = 1').get() as { signed_at: number } | undefined)?.signed_at;
  }

  setFloor(signedAtMs: number): void {
    this.sql('INSERT INTO api_replay_floor(id, signed_at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET signed_at = MAX(signed_at, excluded.signed_at)').run(signedAtMs);
  }
}
