/**
 * Where the cache keeps its entries across restarts (the store's
 * api_replay_cache table). Without it a restart would forget every signature
 * and let a request captured just before it be played again.
 */
export interface ReplayCachePersistence {
  /** Unexpired entries, oldest expiry first, at most `limit`. */
  loadUnexpired(nowMs: number, limit: number): { signature: string; expiresAt: number }[];
  put(signature: string, expiresAt: number): void;
  remove(signature: string): void;
  pruneExpired(nowMs: number): number;
  floor(): number | undefined;
  setFloor(signedAtMs: number): void;
}

/**
 * Signatures accepted recently, so the same signed request cannot be played
 * twice inside the clock-skew window (a signature is only accepted within
 * ±window of its X-Amz-Date, so it needs remembering for that long).
 * Bounded: when full, the oldest entry is dropped and its date becomes a
 * floor, and requests signed at or before the floor are refused, because the
 * cache can no longer tell whether they were seen. With persistence every
 * entry and the floor are written through (one small autocommit write per
 * accepted request, before the action runs) and loaded back at start.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private floorMs = -Infinity;
  private nextSweepMs = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries = 200_000,
    private readonly persistence?: ReplayCachePersistence,
    nowMs = Date.now(),
  ) {
    if (persistence) {
      persistence.pruneExpired(nowMs);
      this.floorMs = persistence.floor() ?? -Infinity;
      for (const e of persistence.loadUnexpired(nowMs, maxEntries)) this.seen.set(e.signature, e.expiresAt);
      this.nextSweepMs = nowMs + 10_000;
    }
  }

  /** Records the signature; false when it was seen already (a replay) or is older than the floor. */
  checkAndRecord(signature: string, signedAtMs: number, nowMs: number): boolean {
    if (signedAtMs <= this.floorMs) return false;
    const expiresAt = this.seen.get(signature);
    if (expiresAt !== undefined && expiresAt > nowMs) return false;
    this.sweep(nowMs);
    while (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.entries().next().value as [string, number];
      this.seen.delete(oldest[0]);
      this.floorMs = Math.max(this.floorMs, oldest[1] - this.windowMs);
      this.persistence?.remove(oldest[0]);
      this.persistence?.setFloor(this.floorMs);
    }
    // Written before it counts as seen: if the write fails, the request fails (closed, not open).
    this.persistence?.put(signature, signedAtMs + this.windowMs);
    this.seen.delete(signature);
    this.seen.set(signature, signedAtMs + this.windowMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(nowMs: number): void {
    if (nowMs < this.nextSweepMs && this.seen.size < this.maxEntries) return;
    this.nextSweepMs = nowMs + 10_000;
    for (const [sig, expiresAt] of this.seen) if (expiresAt <= nowMs) this.seen.delete(sig);
    this.persistence?.pruneExpired(nowMs);
  }
}
