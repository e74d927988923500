/**
 * Exponential backoff with jitter, the ECS agent's ACS reconnect numbers:
 * 250ms growing x1.5 up to 2 minutes, each delay randomised by +-20% so a
 * fleet of agents does not reconnect in lockstep after a control-plane restart.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  jitter: number;
  random?: () => number;
}

export const SESSION_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 120_000, multiplier: 1.5, jitter: 0.2 };

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
