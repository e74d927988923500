/** Steady requests per second and burst size of one token bucket. */
export interface RateLimit {
  steady: number;
  burst: number;
}

export const DEFAULT_API_RATE_LIMIT: RateLimit = { steady: 50, burst: 100 };

/** "50,100" (steady,burst), the form of the ECS agent's ECS_TASK_METADATA_RPS_LIMIT. */
export function parseRateLimit(v: string): RateLimit {
  const m = /^\s*(\d+(?:\.\d+)?)\s*,\s*(\d+)\s*$/.exec(v);
  if (!m || Number(m[1]) <= 0 || Number(m[2]) < 1) throw new Error(`expected STEADY,BURST (e.g. 50,100), got '${v}'`);
  return { steady: Number(m[1]), burst: Number(m[2]) };
}

/**
 * One token bucket per caller: per access key for authenticated requests (ECS
 * throttles per account and action; per caller is the part that protects the
 * control plane), per client address and key id for refused signatures.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limit: RateLimit) {}

  tryTake(key: string, nowMs: number): boolean {
    const b = this.refill(key, nowMs);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private refill(key: string, nowMs: number): { tokens: number; at: number } {
    let b = this.buckets.get(key);
    if (!b) {
      // Bounded: past this many callers, start over rather than grow.
      if (this.buckets.size >= 100_000) this.buckets.clear();
      b = { tokens: this.limit.burst, at: nowMs };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.limit.burst, b.tokens + (Math.max(0, nowMs - b.at) / 1000) * this.limit.steady);
    b.at = nowMs;
    return b;
  }
}
