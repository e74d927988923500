/**
 * Which callbacks hold the event loop (BENCH_LONG_TASKS=ms): every callback
 * the loop runs is timed (async_hooks before/after), and those longer than
 * the threshold are counted per kind (the resource's type and, for timers
 * and immediates, the function's name). A diagnosis aid for the API figures'
 * p99: a CPU profile says what ran, not what ran in one piece.
 */
import { createHook, executionAsyncId } from 'node:async_hooks';

interface Kind {
  count: number;
  totalMs: number;
  maxMs: number;
}

export class LongTasks {
  private readonly names = new Map<number, string>();
  private readonly started = new Map<number, number>();
  private kinds = new Map<string, Kind>();
  private readonly hook;

  constructor(private readonly thresholdMs: number) {
    this.hook = createHook({
      init: (id, type, _trigger, resource: any) => {
        const fn = resource?._onTimeout ?? resource?._onImmediate ?? resource?.callback;
        this.names.set(id, fn?.name ? `${type}:${fn.name}` : type);
      },
      before: (id) => {
        this.started.set(id, performance.now());
      },
      after: (id) => this.end(id),
      destroy: (id) => {
        this.names.delete(id);
        this.started.delete(id);
      },
    });
  }

  private end(id: number): void {
    const t = this.started.get(id);
    if (t === undefined) return;
    this.started.delete(id);
    const ms = performance.now() - t;
    if (ms < this.thresholdMs) return;
    const name = this.names.get(id) ?? 'unknown';
    const k = this.kinds.get(name) ?? { count: 0, totalMs: 0, maxMs: 0 };
    k.count++;
    k.totalMs += ms;
    k.maxMs = Math.max(k.maxMs, ms);
    this.kinds.set(name, k);
  }

  start(): void {
    this.kinds = new Map();
    this.hook.enable();
  }

  /** Stops and returns a line per kind, longest first. */
  stop(): string[] {
    this.hook.disable();
    void executionAsyncId;
    return [...this.kinds].sort((a, b) => b[1].maxMs - a[1].maxMs).map(([name, k]) => `${name}: ${k.count} over ${this.thresholdMs} ms, max ${k.maxMs.toFixed(0)} ms, total ${k.totalMs.toFixed(0)} ms`);
  }
}
