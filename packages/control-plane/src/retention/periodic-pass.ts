import type { Logger } from 'pino';

/**
 * The loop shared by the control plane's level-triggered clean-up roles
 * (stopped-task reaper, log pruner): one pass at start, then one every
 * `intervalMs` after the previous one ended; concurrent `pass()` calls share
 * the pass in flight; a failed pass is logged by `onError` and retried at the
 * next interval; `stop()` waits for the pass in flight. The pass itself asks
 * the store what is due, so a pass missed while the control plane was down is
 * made up by the first one after a restart.
 */
export class PeriodicPass<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stoppedFlag = false;

  constructor(
    private readonly run: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** True once stop() was called: long passes check it between batches. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  start(): void {
    this.stoppedFlag = false;
    const loop = () => {
      this.timer = undefined;
      void this.pass()
        .catch(this.onError)
        .finally(() => {
          if (!this.stoppedFlag) this.timer = setTimeout(loop, this.intervalMs);
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stoppedFlag = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  pass(): Promise<T> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }
}

/**
 * A clean-up role run by a PeriodicPass: start/stop/pass, failures logged
 * with `failureMessage`, and batches (each its own transaction) run until a
 * short one, yielding to the event loop in between so API writes and agent
 * reports interleave.
 */
export abstract class PeriodicRole {
  protected readonly periodic: PeriodicPass<number>;
  /** Rows deleted since start (tests, benchmarks). */
  deletedTotal = 0;

  protected constructor(
    protected readonly log: Logger,
    intervalMs: number,
    failureMessage: string,
  ) {
    this.periodic = new PeriodicPass(() => this.runPass(), intervalMs, (err: unknown) => this.log.error({ err }, failureMessage));
  }

  /** One pass over everything due; returns the rows it counts as deleted. */
  protected abstract runPass(): Promise<number>;

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** One pass; concurrent calls share it. Returns how many rows were deleted. */
  pass(): Promise<number> {
    return this.periodic.pass();
  }

  /** Runs `batch` until it does less than `batchSize` (or the role stops), yielding between batches; returns the sum. */
  protected async inBatches(batchSize: number, batch: () => number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = batch();
      total += n;
      if (n < batchSize || this.periodic.stopped) return total;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
