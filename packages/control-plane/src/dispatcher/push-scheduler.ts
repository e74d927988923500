import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';

/** What the scheduler pushes: a session (session.ts). */
export interface Pushable {
  readonly isClosed: boolean;
  /** Sends what changed since the last send (nothing if nothing did). */
  flush(): void;
}

export interface PushSchedulerOptions {
  /** A slice flushes due sessions until this much time has passed (always at least one)... */
  sliceBudgetMs: number;
  /**
   * ...but while the oldest due session has waited longer than this, the
   * slice goes on (up to `maxSliceMs`): under contention (placement ticks of
   * 50 ms between two slices) short slices alone left pushes a tenth of the
   * thread and assignments reached agents seconds late.
   */
  maxWaitMs: number;
  maxSliceMs: number;
  /** Called before and after every slice: the per-turn reads (push-reads.ts) must not outlive it. */
  onSliceEdge?: () => void;
}

export const DEFAULT_PUSH_SCHEDULER_OPTIONS: PushSchedulerOptions = { sliceBudgetMs: 5, maxWaitMs: 50, maxSliceMs: 25 };

/**
 * Pushes to agents, shared by every session of the dispatcher. A session is
 * marked due (now, or once its batch gap has passed) and the scheduler
 * flushes due sessions first come, first served, in slices of a few
 * milliseconds with `setImmediate` between them. One transaction that
 * changes tasks on 1,000 instances used to expire 1,000 session timers at
 * once, and Node runs every expired timer of a turn back to back: half a
 * second of flushes with no API request or heartbeat served in between.
 * Sliced, the I/O that arrived meanwhile runs between two slices.
 */
export class PushScheduler<S extends Pushable = Pushable> {
  /** Due sessions, in the order they came due (a Map iterates in insertion order), with when (performance.now()). */
  private readonly due = new Map<S, number>();
  /** Sessions waiting out their batch gap before they come due. */
  private readonly waiting = new Map<S, NodeJS.Timeout>();
  private sliceArmed = false;

  constructor(
    private readonly log: Logger,
    private readonly opts: PushSchedulerOptions = DEFAULT_PUSH_SCHEDULER_OPTIONS,
  ) {}

  /**
   * Marks `s` to be flushed, not before `notBefore` (Date.now() time). A
   * session already due or waiting keeps its place: its flush will send
   * everything that changed up to then, so one mark is one flush.
   */
  mark(s: S, notBefore: number): void {
    if (s.isClosed || this.due.has(s) || this.waiting.has(s)) return;
    const delay = notBefore - Date.now();
    if (delay <= 0) {
      this.makeDue(s);
      return;
    }
    this.waiting.set(
      s,
      setTimeout(() => {
        this.waiting.delete(s);
        if (!s.isClosed) this.makeDue(s);
      }, delay),
    );
  }

  /** A closed session: forget it (it would be skipped anyway; this frees its timer now). */
  cancel(s: S): void {
    this.due.delete(s);
    const t = this.waiting.get(s);
    if (t) clearTimeout(t);
    this.waiting.delete(s);
  }

  /** Marked and not yet flushed (due or waiting), for tests and metrics. */
  get pending(): number {
    return this.due.size + this.waiting.size;
  }

  private makeDue(s: S): void {
    this.due.set(s, performance.now());
    this.armSlice();
  }

  private armSlice(): void {
    if (this.sliceArmed) return;
    this.sliceArmed = true;
    setImmediate(this.pushSlice);
  }

  /** Named, so a diagnosis of what holds the loop (bench:scale's BENCH_LONG_TASKS) can tell pushes apart. */
  private readonly pushSlice = (): void => this.slice();

  /**
   * Flushes due sessions, oldest first, until the budget is spent (at least
   * one, so a slow flush still makes progress), then yields to I/O; past the
   * budget only while the oldest has waited too long (`maxWaitMs`), and
   * never past `maxSliceMs`. A session marked again during the slice joins
   * the back of the queue.
   */
  private slice(): void {
    this.sliceArmed = false;
    const started = performance.now();
    this.opts.onSliceEdge?.();
    try {
      let flushed = 0;
      for (const [s, dueAt] of this.due) {
        if (flushed > 0) {
          const now = performance.now();
          const spent = now - started;
          if (spent >= this.opts.maxSliceMs || (spent >= this.opts.sliceBudgetMs && now - dueAt < this.opts.maxWaitMs)) break;
        }
        this.due.delete(s);
        flushed++;
        if (s.isClosed) continue;
        try {
          s.flush();
        } catch (e) {
          // One session's failed push must not stall everyone else's; the periodic resync retries it.
          this.log.error({ err: e }, 'assignment push failed');
        }
      }
    } finally {
      this.opts.onSliceEdge?.();
      if (this.due.size > 0) this.armSlice();
    }
  }
}
