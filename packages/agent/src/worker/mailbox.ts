/**
 * An actor's mailbox: handlers run one at a time in arrival order, so a
 * task's state is never touched by two handlers at once (no locks needed).
 */
export class Mailbox {
  private readonly queue: (() => Promise<void> | void)[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly onError: (err: unknown) => void) {}

  post(handler: () => Promise<void> | void): void {
    this.queue.push(handler);
    if (!this.running) void this.drain();
  }

  /** Resolves once every message posted so far has been handled. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const handler = this.queue.shift()!;
      try {
        await handler();
      } catch (err) {
        this.onError(err);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
