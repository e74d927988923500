/**
 * Signatures accepted recently, so the same signed request cannot be played
 * twice inside the clock-skew window (a signature is only accepted within
 * ±window of its X-Amz-Date, so it needs remembering for that long).
 * Bounded: when full, the oldest entry is dropped and its date becomes a
 * floor, and requests signed at or before the floor are refused, because the
 * cache can no longer tell whether they were seen.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private floorMs = -Infinity;
  private nextSweepMs = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxEntries = 200_000,
  ) {}

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
    }
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
  }
}
