/**
 * The orchestrator's resync spread over its period: at the start of a period
 * the services are listed once, and each is due at its own phase of it
 * (the i-th of n at start + i/n of the period), handed out by a step timer.
 * A thousand idle services then cost a few each step instead of one stall of
 * seconds every period; every service is still looked at once a period, and
 * changes never wait for it (they mark their service at once).
 */
export class SpreadResync {
  /** How often the reconciler asks for what is due: fine enough that a step holds a handful of services. */
  readonly stepMs: number;
  private queue: string[] = [];
  private next = 0;
  private periodStart = -Infinity;

  constructor(readonly periodMs: number) {
    this.stepMs = Math.max(1, Math.min(100, Math.floor(periodMs / 20)));
  }

  /** Starts a period now without listing anything (everything was just marked). */
  begin(now: number): void {
    this.periodStart = now;
    this.queue = [];
    this.next = 0;
  }

  /**
   * The keys due by `now`. Once the period is over and its list handed out, a
   * new period starts with `list()`: services created since were marked by
   * their own change, services gone are skipped by the reconciler.
   */
  due(now: number, list: () => string[]): string[] {
    if (now - this.periodStart >= this.periodMs) {
      // What the last period had not handed out yet (a stalled loop) goes now, before the new list.
      const rest = this.queue.slice(this.next);
      this.periodStart = now;
      this.queue = list();
      this.next = 0;
      if (rest.length > 0) return rest;
    }
    const share = Math.min(1, (now - this.periodStart + this.stepMs) / this.periodMs);
    const until = Math.min(this.queue.length, Math.ceil(this.queue.length * share));
    const out = this.queue.slice(this.next, until);
    this.next = until;
    return out;
  }
}
