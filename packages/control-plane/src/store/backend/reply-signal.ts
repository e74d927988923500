/**
 * The wake-up word between the PostgreSQL bridge's worker and the caller it
 * blocks (postgres-db.ts, postgres-worker.ts). The caller reads the word,
 * drains the reply port, and sleeps on the value it read; the worker posts
 * its reply and then changes the word and notifies.
 *
 * The worker must CHANGE the word on every reply, not set it to a fixed
 * value: a reply posted after the caller's drain but before its wait wakes
 * no one (the notify finds no sleeper), so the only thing that stops the
 * caller from sleeping is that the word no longer holds the value it read.
 * With a word set to 1 on every reply it held 1 from the first reply on, and
 * a caller preempted between drain and wait slept out its whole timeout (the
 * 60 s stalls of docs/design/high-availability.md, "The 60 s stall").
 * A counter makes every reply a new value (wrapping at 2^32 is harmless: it
 * would take 2^32 replies between one read and one wait).
 */
export class ReplySignal {
  private readonly word: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.word = new Int32Array(buffer);
  }

  /** Worker: call after posting a reply. */
  raise(): void {
    Atomics.add(this.word, 0, 1);
    Atomics.notify(this.word, 0);
  }

  /** Caller: the value to wait on; read it BEFORE draining the reply port. */
  snapshot(): number {
    return Atomics.load(this.word, 0);
  }

  /** Caller: sleeps until a raise() after `seen` was read, or `ms` passed. 'not-equal' = raised before the sleep began. */
  wait(seen: number, ms: number): 'ok' | 'not-equal' | 'timed-out' {
    return Atomics.wait(this.word, 0, seen, ms);
  }
}
