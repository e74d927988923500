import { AGENT_RECONNECT_JITTER, AGENT_RECONNECT_MAX_MS } from '@stevedore/proto';

/**
 * Exponential backoff with jitter: 250ms growing x1.5, each delay randomised
 * by +-20% so a fleet of agents does not reconnect in lockstep after a
 * control-plane restart. Capped at 5 s, not the ECS agent's 2 minutes: the
 * control plane replaces the tasks of an agent that stays away longer than its
 * lost-instance grace (30 s by default), so after an outage an agent must be
 * back well within that grace (AGENT_RECONNECT_MAX_MS, @stevedore/proto).
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  jitter: number;
  random?: () => number;
}

export const SESSION_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: AGENT_RECONNECT_MAX_MS, multiplier: 1.5, jitter: AGENT_RECONNECT_JITTER };

export class Backoff {
  private current: number;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    this.current = opts.initialMs;
    this.random = opts.random ?? Math.random;
  }

  next(): number {
    const base = this.current;
    this.current = Math.min(this.opts.maxMs, this.current * this.opts.multiplier);
    const spread = base * this.opts.jitter;
    return Math.max(0, Math.round(base - spread + this.random() * 2 * spread));
  }

  reset(): void {
    this.current = this.opts.initialMs;
  }
}

/** A sleep that stop() can cut short. */
export class Sleeper {
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  interrupt(): void {
    clearTimeout(this.timer);
    this.wake?.();
  }
}
