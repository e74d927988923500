/**
 * The leader lease of a highly available control plane (docs/design/high-availability.md).
 *
 * One row in the shared store names the replica that runs the reconcile
 * loops: its holder, an epoch (the fencing token) and an expiry. Every
 * replica periodically reads it and asks `decideLease` what to write; the
 * write is a compare-and-set on the epoch and holder it read, so two replicas
 * racing for an expired lease cannot both win. The epoch grows by one on
 * every change of holder (and when a holder re-takes a lease it let lapse):
 * a leader-only write carries the epoch it was decided under and is rejected
 * once the stored epoch moved on.
 */

export interface LeaderLease {
  /** Replica id of the leader; null once released (a clean shutdown). */
  holder: string | null;
  /** Fencing token: grows on every new term. */
  epoch: number;
  /** Wall-clock ms (the deciding replica's clock) after which the lease may be taken. */
  expiresAt: number;
}

export type LeaseDecision =
  /** A new term: write `lease` (epoch + 1), then start the leader-only roles. */
  | { kind: 'acquire'; lease: LeaderLease; reason: string }
  /** Our term goes on: write `lease` (same epoch, later expiry). */
  | { kind: 'renew'; lease: LeaderLease }
  /** Another replica leads (or nobody yet may): write nothing. */
  | { kind: 'follow'; leader: string | null; epoch: number };

/**
 * What `me` does with the lease it read (`current`, undefined when the row
 * does not exist yet) at `now`. Pure; the caller applies it with a
 * compare-and-set on `current`'s epoch and holder.
 */
export function decideLease(current: LeaderLease | undefined, me: string, now: number, ttlMs: number, myTerm?: number): LeaseDecision {
  if (!(ttlMs > 0)) throw new RangeError('ttlMs must be positive');
  if (!current) return { kind: 'acquire', lease: { holder: me, epoch: 1, expiresAt: now + ttlMs }, reason: 'no lease yet' };
  const expired = now >= current.expiresAt;
  if (current.holder === me && !expired) return { kind: 'renew', lease: { holder: me, epoch: current.epoch, expiresAt: now + ttlMs } };
  // Our own lease ran out while our term is still running (an event-loop stall longer than the ttl, a slow store)
  // and nobody took it since (same holder, same epoch): renewed in place. Every write of the term is still
  // safe, by the fence's own argument (assertTerm: while the epoch is unchanged nobody else has led), and the
  // roles go on instead of restarting; a single control plane never loses leadership to itself.
  if (current.holder === me && myTerm === current.epoch) return { kind: 'renew', lease: { holder: me, epoch: current.epoch, expiresAt: now + ttlMs } };
  if (current.holder === null) return { kind: 'acquire', lease: { holder: me, epoch: current.epoch + 1, expiresAt: now + ttlMs }, reason: 'lease released' };
  if (expired) {
    // Our own lapsed lease without a running term (our roles stopped when it ran out) is a new term: writes of the old one stay fenced.
    const reason = current.holder === me ? 'our lease lapsed' : `lease of ${current.holder} expired`;
    return { kind: 'acquire', lease: { holder: me, epoch: current.epoch + 1, expiresAt: now + ttlMs }, reason };
  }
  return { kind: 'follow', leader: current.holder, epoch: current.epoch };
}

/** The lease a leader writes when it steps down cleanly: anyone may take it at once, the epoch stays for the next term to bump. */
export function releasedLease(current: LeaderLease): LeaderLease {
  return { holder: null, epoch: current.epoch, expiresAt: current.expiresAt };
}

/**
 * How long a leader may keep acting on its lease without a successful renew:
 * until `lastRenewedAt + ttl - margin`, by its own monotonic clock. The margin
 * covers clock drift between replicas and the time a renew takes, so the old
 * leader stops before anyone else may take the lease (fencing covers the rest).
 */
export function leaderDeadline(lastRenewedAt: number, ttlMs: number, marginMs: number): number {
  return lastRenewedAt + Math.max(0, ttlMs - marginMs);
}
