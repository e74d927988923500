import type { LeaderLease } from '@stevedore/core';
import type { Db } from './db';
import { statementCache } from './statement-cache';

interface LeaseRow {
  holder: string | null;
  epoch: number;
  expires_at: number;
  acquired_at: number;
}

export interface StoredLease extends LeaderLease {
  /** When the current term began (its holder acquired it). */
  acquiredAt: number;
}

export interface ReplicaRecord {
  id: string;
  apiEndpoint: string;
  agentEndpoint: string;
  startedAt: number;
  lastSeenAt: number;
}

interface ReplicaRow {
  id: string;
  api_endpoint: string;
  agent_endpoint: string;
  started_at: number;
  last_seen_at: number;
}

/** Thrown inside a leader-only transaction whose term is over: the transaction rolls back. */
export class LeaderFencedError extends Error {
  override readonly name = 'LeaderFencedError';
  constructor(readonly holder: string, readonly epoch: number) {
    super(`leadership term ${epoch} of ${holder} is over: leader-only write rejected`);
  }
}

/**
 * The leader lease row, the replicas' liveness rows and the fencing check
 * (docs/design/high-availability.md). Numbers come back as JS numbers: ms
 * timestamps and epochs stay far below 2^53.
 */
export class LeadershipRepo {
  private readonly sql: ReturnType<typeof statementCache>;

  private readonly dialect: Db['dialect'];

  constructor(db: Db) {
    this.sql = statementCache(db);
    this.dialect = db.dialect;
  }

  lease(): StoredLease | undefined {
    const r = this.sql('SELECT holder, epoch, expires_at, acquired_at FROM leader_lease WHERE id = 1').get() as LeaseRow | undefined;
    return r && { holder: r.holder, epoch: Number(r.epoch), expiresAt: Number(r.expires_at), acquiredAt: Number(r.acquired_at) };
  }

  /**
   * Writes `next` only if the row still holds what was read (`expected`,
   * undefined = no row yet). False when another replica wrote first.
   */
  compareAndSet(expected: LeaderLease | undefined, next: LeaderLease, now: number): boolean {
    const acquiredAt = expected && expected.holder === next.holder && expected.epoch === next.epoch ? undefined : now;
    if (!expected) {
      const r = this.sql('INSERT INTO leader_lease(id, holder, epoch, expires_at, acquired_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING').run(next.holder, next.epoch, next.expiresAt, now);
      return r.changes === 1;
    }
    const r =
      acquiredAt === undefined
        ? this.sql("UPDATE leader_lease SET holder = ?, epoch = ?, expires_at = ? WHERE id = 1 AND epoch = ? AND COALESCE(holder, '') = ?").run(next.holder, next.epoch, next.expiresAt, expected.epoch, expected.holder ?? '')
        : this.sql("UPDATE leader_lease SET holder = ?, epoch = ?, expires_at = ?, acquired_at = ? WHERE id = 1 AND epoch = ? AND COALESCE(holder, '') = ?").run(next.holder, next.epoch, next.expiresAt, acquiredAt, expected.epoch, expected.holder ?? '');
    return r.changes === 1;
  }

  /**
   * The fence: throws LeaderFencedError unless `holder` still holds term
   * `epoch`, inside the caller's transaction. It locks the lease row so a
   * replica taking the lease over (an UPDATE of that row) waits for this
   * transaction to end instead of racing it: `FOR SHARE` on PostgreSQL (no
   * new row version per leader transaction), a no-op UPDATE on SQLite (the
   * write lock, taken first; SQLite has one writer at a time). Expiry is not
   * checked: while the epoch is unchanged nobody else has led since, so the
   * write is safe.
   */
  assertTerm(holder: string, epoch: number): void {
    const held =
      this.dialect === 'postgres'
        ? this.sql('SELECT 1 AS held FROM leader_lease WHERE id = 1 AND holder = ? AND epoch = ? FOR SHARE').get(holder, epoch) !== undefined
        : this.sql('UPDATE leader_lease SET epoch = epoch WHERE id = 1 AND holder = ? AND epoch = ?').run(holder, epoch).changes === 1;
    if (!held) throw new LeaderFencedError(holder, epoch);
  }

  /** A replica's liveness row, refreshed by each replica on every lease round. */
  touchReplica(r: ReplicaRecord): void {
    this.sql(
      `INSERT INTO control_plane_replicas(id, api_endpoint, agent_endpoint, started_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET api_endpoint = excluded.api_endpoint, agent_endpoint = excluded.agent_endpoint, last_seen_at = excluded.last_seen_at`,
    ).run(r.id, r.apiEndpoint, r.agentEndpoint, r.startedAt, r.lastSeenAt);
  }

  removeReplica(id: string): void {
    this.sql('DELETE FROM control_plane_replicas WHERE id = ?').run(id);
  }

  replicas(): ReplicaRecord[] {
    return (this.sql('SELECT * FROM control_plane_replicas ORDER BY started_at, id').all() as ReplicaRow[]).map((r) => ({
      id: r.id,
      apiEndpoint: r.api_endpoint,
      agentEndpoint: r.agent_endpoint,
      startedAt: Number(r.started_at),
      lastSeenAt: Number(r.last_seen_at),
    }));
  }

  /** Rows of replicas not seen since `before` (they died without a goodbye); returns how many went. */
  removeReplicasNotSeenSince(before: number): number {
    return this.sql('DELETE FROM control_plane_replicas WHERE last_seen_at < ?').run(before).changes;
  }
}
