import { parseJoinToken, type JoinRequest } from '@stevedore/proto';
import { status } from './grpc-errors';

/**
 * Join is the one rpc anyone who reaches the agent port can call: before a
 * token is known to be good it must cost almost nothing. So, in this order,
 * before any CSR is parsed or any row read: a per-address rate, a size bound,
 * and the token's exact shape.
 */
export const JOIN_LIMITS = {
  /** A P-256 CSR in PEM is about 500 bytes; token and cluster name add 300 at most. */
  maxRequestBytes: 4096,
  /** ECS cluster names. */
  clusterName: /^[A-Za-z0-9_-]{1,255}$/,
} as const;

/** Join attempts per peer address: `burst` at once, then `perMinute`. */
export interface JoinRateLimit {
  perMinute: number;
  burst: number;
}

/** A few dozen hosts joining at once from behind one address still fit; a loop does not. */
export const DEFAULT_JOIN_RATE_LIMIT: JoinRateLimit = { perMinute: 60, burst: 20 };

/** Why a join request is refused on its shape alone (with its status), or undefined. Never echoes the token. */
export function joinRequestProblem(r: JoinRequest): { code: status; reason: string } | undefined {
  const size = Buffer.byteLength(r.token ?? '') + Buffer.byteLength(r.cluster ?? '') + Buffer.byteLength(r.csr_pem ?? '');
  if (size > JOIN_LIMITS.maxRequestBytes) return { code: status.INVALID_ARGUMENT, reason: `join request too large (${size} bytes; at most ${JOIN_LIMITS.maxRequestBytes})` };
  // The same answer as a wrong secret: the shape tells a prober nothing more.
  if (!parseJoinToken(r.token ?? '')) return { code: status.UNAUTHENTICATED, reason: 'invalid join token' };
  if (!JOIN_LIMITS.clusterName.test(r.cluster ?? '')) return { code: status.INVALID_ARGUMENT, reason: 'cluster: must be 1-255 letters, numbers, hyphens or underscores' };
  if (!/^\s*-----BEGIN CERTIFICATE REQUEST-----/.test(r.csr_pem ?? '')) return { code: status.INVALID_ARGUMENT, reason: 'csr_pem: expected a PEM certificate request' };
  return undefined;
}

/** `ipv4:10.0.0.1:5123` → `ipv4:10.0.0.1`; `ipv6:[::1]:5123` → `ipv6:[::1]`: the port changes with every connection. */
export function peerAddress(peer: string): string {
  const m = /^(.*):\d+$/.exec(peer);
  return m ? m[1]! : peer;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per peer address. Bounded memory: past `maxAddresses` the
 * buckets that have refilled (idle addresses) are forgotten first, and if
 * every one is busy the oldest go, which can only make a limit more lenient.
 */
export class JoinRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: JoinRateLimit = DEFAULT_JOIN_RATE_LIMIT,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Takes one attempt for `address` at `now`; false when it has none left. */
  take(address: string, now: number): boolean {
    const b = this.refill(this.buckets.get(address), now);
    if (!this.buckets.has(address)) this.makeRoom(now);
    this.buckets.set(address, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(b: Bucket | undefined, now: number): Bucket {
    if (!b) return { tokens: this.limit.burst, at: now };
    const tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) * this.limit.perMinute) / 60_000);
    return { tokens, at: now };
  }

  private makeRoom(now: number): void {
    if (this.buckets.size < this.maxAddresses) return;
    for (const [k, b] of this.buckets) if (this.refill(b, now).tokens >= this.limit.burst) this.buckets.delete(k);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < this.maxAddresses) break;
      this.buckets.delete(k);
    }
  }
}
