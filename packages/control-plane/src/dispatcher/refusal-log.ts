import type { Logger } from 'pino';

export interface RefusalLogOptions {
  /** Refusals logged per window; the rest are only counted. */
  perWindow: number;
  windowMs: number;
}

export const DEFAULT_REFUSAL_LOG: RefusalLogOptions = { perWindow: 20, windowMs: 60_000 };

/**
 * Refusals are security events worth a log line, but an agent (or anyone who
 * can reach the agent port) can cause them in a loop: past `perWindow` lines a
 * window they are counted, and the next line that gets out says how many were
 * left out. Memory stays constant whatever the callers do.
 */
export class RefusalLog {
  private windowStart = -Infinity;
  private logged = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly opts: RefusalLogOptions = DEFAULT_REFUSAL_LOG,
  ) {}

  warn(fields: Record<string, unknown>, msg: string): void {
    const now = this.now();
    if (now - this.windowStart >= this.opts.windowMs) {
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged >= this.opts.perWindow) {
      this.suppressed++;
      return;
    }
    this.logged++;
    const extra = this.suppressed > 0 ? { suppressedRefusals: this.suppressed } : {};
    this.suppressed = 0;
    this.log.warn({ ...fields, ...extra }, msg);
  }
}
