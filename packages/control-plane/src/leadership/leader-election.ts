import type { Logger } from 'pino';
import { decideLease, leaderDeadline, releasedLease, type Clock } from '@stevedore/core';
import type { Store } from '../store/store';

export interface LeaderElectionOptions {
  /** How long a lease lasts without renewal (--leader-lease-ttl). */
  ttlMs: number;
  /** Every replica reads (and the leader renews) the lease this often. */
  renewIntervalMs: number;
  /** The leader stops its roles this long before its lease could be taken (clock drift, slow renewals). */
  marginMs: number;
  /** A replica not seen this long is dead: the leader forgets it and marks its agents' sessions disconnected. */
  replicaStaleMs: number;
}

/** Default timings: a new leader within ttl + renewInterval (7.2 s) of the old one's death. */
export const DEFAULT_LEADER_ELECTION_OPTIONS: LeaderElectionOptions = leaderElectionOptions(6000);

/** Timings derived from the lease TTL: five rounds per TTL, stop a third of a TTL early. */
export function leaderElectionOptions(ttlMs: number): LeaderElectionOptions {
  return { ttlMs, renewIntervalMs: Math.max(50, Math.floor(ttlMs / 5)), marginMs: Math.floor(ttlMs / 3), replicaStaleMs: 2 * ttlMs };
}

export interface ReplicaIdentity {
  id: string;
  apiEndpoint: string;
  agentEndpoint: string;
}

/** A leadership term: the fencing token every leader-only write is checked against. */
export interface Term {
  holder: string;
  epoch: number;
}

export interface LeadershipStatus {
  replicaId: string;
  /** This replica runs the reconcile loops now. */
  leader: boolean;
  /** The current lease holder as last read (null: none, or the store is unreachable). */
  leaderId: string | null;
  epoch: number;
  /** The last round reached the store, recently enough to trust what it read. */
  storeReachable: boolean;
}

export interface LeadershipHooks {
  /** Start the leader-only roles for `term` (synchronously: they must be running when this returns). */
  elected(term: Term): void;
  /** Stop them at once: `term` is over (or about to be). */
  deposed(term: Term, reason: string): void;
}

/**
 * Leader election over the store's lease row (docs/design/high-availability.md).
 * Each round, in one transaction: refresh this replica's liveness row, read
 * the lease, `decideLease`, compare-and-set; as leader also forget dead
 * replicas and disconnect the agent sessions they held. The leader steps
 * down when the lease names someone else, when a round fails past its local
 * deadline (monotonic clock), and on stop (releasing the lease so the next
 * replica need not wait for it to expire).
 */
export class LeaderElection {
  private timer: NodeJS.Timeout | undefined;
  private term: Term | undefined;
  /** Monotonic ms until which the current term may act without another successful renewal. */
  private actUntil = 0;
  private lastReadAt = -Infinity;
  private leaderId: string | null = null;
  private epoch = 0;
  private readonly startedAt: number;
  private storeFailing = false;

  constructor(
    private readonly store: Store,
    private readonly replica: ReplicaIdentity,
    private readonly hooks: LeadershipHooks,
    private readonly log: Logger,
    private readonly opts: LeaderElectionOptions = DEFAULT_LEADER_ELECTION_OPTIONS,
    private readonly clock: Clock = store.clock,
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    this.startedAt = clock.now();
  }

  /** Runs the first round now (a lone replica leads when this returns), then one every renewIntervalMs. */
  start(): void {
    this.round();
    this.timer = setInterval(() => this.round(), this.opts.renewIntervalMs);
  }

  get status(): LeadershipStatus {
    const fresh = this.monotonic() - this.lastReadAt <= Math.max(2 * this.opts.renewIntervalMs, this.opts.marginMs);
    return { replicaId: this.replica.id, leader: this.term !== undefined, leaderId: fresh ? this.leaderId : null, epoch: this.epoch, storeReachable: fresh };
  }

  /** The current term, if this replica leads. */
  get currentTerm(): Term | undefined {
    return this.term;
  }

  /** One round: exposed for tests, which drive time themselves. */
  round(): void {
    const me = this.replica.id;
    const began = this.monotonic();
    let outcome: { kind: 'acquire' | 'renew'; epoch: number; reason?: string } | { kind: 'follow'; leader: string | null; epoch: number };
    try {
      outcome = this.store.tx(() => {
        const now = this.clock.now();
        this.store.leadership.touchReplica({ ...this.replica, startedAt: this.startedAt, lastSeenAt: now });
        const current = this.store.leadership.lease();
        const d = decideLease(current, me, now, this.opts.ttlMs, this.term?.epoch);
        if (d.kind === 'follow') return d;
        if (!this.store.leadership.compareAndSet(current, d.lease, now)) {
          const after = this.store.leadership.lease();
          return { kind: 'follow' as const, leader: after?.holder ?? null, epoch: after?.epoch ?? 0 };
        }
        this.cleanUpDeadReplicas(now);
        return d.kind === 'acquire' ? { kind: d.kind, epoch: d.lease.epoch, reason: d.reason } : { kind: d.kind, epoch: d.lease.epoch };
      });
    } catch (err) {
      this.roundFailed(err);
      return;
    }
    if (this.storeFailing) this.log.info('store reachable again');
    this.storeFailing = false;
    this.lastReadAt = this.monotonic();
    if (outcome.kind === 'follow') {
      if (this.term) this.stepDown(outcome.leader ? `the lease is held by ${outcome.leader} (epoch ${outcome.epoch})` : 'the lease was lost');
      if (outcome.leader !== this.leaderId || outcome.epoch !== this.epoch) this.log.info({ leader: outcome.leader, epoch: outcome.epoch }, 'following the leader');
      this.leaderId = outcome.leader;
      this.epoch = outcome.epoch;
      return;
    }
    this.actUntil = leaderDeadline(began, this.opts.ttlMs, this.opts.marginMs);
    this.leaderId = me;
    this.epoch = outcome.epoch;
    if (this.term && this.term.epoch !== outcome.epoch) this.stepDown('our lease lapsed; a new term begins');
    if (!this.term) {
      this.term = { holder: me, epoch: outcome.epoch };
      this.log.warn({ leader: me, epoch: outcome.epoch, reason: outcome.kind === 'acquire' ? outcome.reason : 'renewed' }, 'became the leader: starting the reconcile loops');
      try {
        this.hooks.elected(this.term);
      } catch (err) {
        // Half-started roles are stopped again; the lease lapses and someone else (or we) try afresh.
        this.log.error({ err }, 'starting the leader roles failed');
        this.stepDown('starting the leader roles failed');
      }
    }
  }

  private roundFailed(err: unknown): void {
    if (!this.storeFailing) this.log.error({ err }, 'leader lease round failed (store unreachable?)');
    this.storeFailing = true;
    if (this.term && this.monotonic() >= this.actUntil) this.stepDown('could not renew the lease in time');
  }

  /** Forget replicas that stopped renewing their row; their agents' sessions are gone with them. */
  private cleanUpDeadReplicas(now: number): void {
    const gone = this.store.leadership.removeReplicasNotSeenSince(now - this.opts.replicaStaleMs);
    const orphans = disconnectOrphanedSessions(this.store, now);
    if (gone > 0 || orphans > 0) this.log.warn({ replicasGone: gone, sessionsDisconnected: orphans }, 'replicas stopped renewing: their agent sessions are marked disconnected');
  }

  private stepDown(reason: string): void {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    this.log.warn({ epoch: term.epoch, reason }, 'no longer the leader: stopping the reconcile loops');
    try {
      this.hooks.deposed(term, reason);
    } catch (err) {
      this.log.error({ err }, 'stopping the leader roles failed');
    }
  }

  /** Stops the rounds; a leader hands the lease back so another replica takes over at once. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    const term = this.term;
    this.stepDown('shutting down');
    try {
      this.store.tx(() => {
        if (term) {
          const current = this.store.leadership.lease();
          if (current && current.holder === term.holder && current.epoch === term.epoch) this.store.leadership.compareAndSet(current, releasedLease(current), this.clock.now());
        }
        this.store.leadership.removeReplica(this.replica.id);
      });
      if (term) this.log.info({ epoch: term.epoch }, 'leader lease released');
    } catch (err) {
      this.log.warn({ err }, 'could not release the leader lease; it expires on its own');
    }
  }
}

/**
 * Marks disconnected every instance whose agent session was held by a
 * replica that has no liveness row any more (or by none recorded): those
 * sessions died with their replica. Returns how many. Call in a transaction.
 */
export function disconnectOrphanedSessions(store: Store, now: number): number {
  const live = new Set(store.leadership.replicas().map((r) => r.id));
  let orphans = 0;
  for (const s of store.instances.connectedSessions()) {
    if (s.replica !== null && live.has(s.replica)) continue;
    store.instances.setConnected(s.id, false, now);
    orphans++;
  }
  return orphans;
}
