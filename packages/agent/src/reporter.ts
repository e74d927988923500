import type { Logger } from 'pino';
import type { TaskReport } from '@stevedore/core/host';
import { grpc, toWireTaskStatus, type WireTaskStatus } from '@stevedore/proto';
import { Backoff } from './session/backoff';
import { grpcCode, grpcDetails } from './session/dispatcher-client';
import type { ReportSink } from './worker/worker';

export interface StatusChannel {
  updateTaskStatus(instanceId: string, sessionId: string, updates: WireTaskStatus[]): Promise<string[]>;
}

export interface ReporterOptions {
  instanceId: () => string;
  log: Logger;
  /** Reports the control plane applied (the worker stops waiting to clean up). */
  onApplied(reports: TaskReport[]): void;
  batchDelayMs?: number;
  maxBatch?: number;
}

/**
 * Task state reports, agent -> control plane. Keeps the latest report per
 * task until the control plane says it applied it (sentStatus), batches
 * about 100ms of changes per call, queues everything while disconnected and
 * resends what was not applied once a new session starts. Reports are full
 * snapshots, so a newer one simply replaces an unsent older one.
 */
export class Reporter implements ReportSink {
  private readonly pending = new Map<string, TaskReport>();
  private readonly sent = new Map<string, string>();
  private session: { id: string; channel: StatusChannel } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private flushing = false;
  /** After PERMISSION_DENIED rejected a whole batch: send one task per call to find the culprit. */
  private isolate = false;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000, multiplier: 2, jitter: 0.2 });
  private readonly log: Logger;

  constructor(private readonly opts: ReporterOptions) {
    this.log = opts.log.child({ component: 'reporter' });
  }

  report(r: TaskReport, options: { force?: boolean } = {}): void {
    if (!options.force && this.sent.get(r.taskArn) === JSON.stringify(r)) return;
    this.pending.set(r.taskArn, r);
    // Leading edge: an idle reporter sends on the next tick; after a send,
    // reports within the batch window wait and go out together.
    const window = this.opts.batchDelayMs ?? 100;
    this.schedule(Math.max(0, this.lastFlushAt + window - Date.now()));
  }

  forget(taskArn: string): void {
    this.pending.delete(taskArn);
    this.sent.delete(taskArn);
  }

  connected(sessionId: string, channel: StatusChannel): void {
    this.session = { id: sessionId, channel };
    this.backoff.reset();
    this.schedule(0);
  }

  disconnected(): void {
    this.session = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get queued(): number {
    return this.pending.size;
  }

  /** Best effort on shutdown: one last send of what is queued. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && this.session && Date.now() < deadline) {
      if (!this.flushing) await this.flush();
      else await new Promise((r) => setTimeout(r, 20));
    }
  }

  private schedule(ms: number): void {
    if (!this.session || this.pending.size === 0) return;
    if (this.timer) {
      if (ms > 0) return; // a flush is already due soon; it will carry this report too
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastFlushAt = Date.now();
      void this.flush();
    }, ms);
  }

  private async flush(): Promise<void> {
    const session = this.session;
    if (!session || this.flushing || this.pending.size === 0) return;
    this.flushing = true;
    const batch = [...this.pending.values()].slice(0, this.isolate ? 1 : (this.opts.maxBatch ?? 200));
    let retryIn: number | undefined;
    try {
      const applied = new Set(await session.channel.updateTaskStatus(this.opts.instanceId(), session.id, batch.map(toWireTaskStatus)));
      const done: TaskReport[] = [];
      for (const r of batch) {
        if (!applied.has(r.taskArn)) continue;
        this.sent.set(r.taskArn, JSON.stringify(r));
        if (this.pending.get(r.taskArn) === r) this.pending.delete(r.taskArn);
        done.push(r);
      }
      if (done.length < batch.length) {
        this.log.warn({ notApplied: batch.filter((r) => !applied.has(r.taskArn)).map((r) => r.taskArn) }, 'control plane did not apply some reports; will resend');
        retryIn = this.backoff.next();
      } else {
        this.backoff.reset();
        if (this.isolate && batch.length === 1 && this.pending.size === 0) this.isolate = false;
      }
      if (done.length) this.opts.onApplied(done);
    } catch (err) {
      if (grpcCode(err) === grpc.status.PERMISSION_DENIED) {
        if (batch.length === 1) {
          // The control plane says this task is not ours: it will never accept it.
          this.log.error({ task: batch[0]!.taskArn, err: grpcDetails(err) }, 'report refused (PERMISSION_DENIED); dropping it');
          this.pending.delete(batch[0]!.taskArn);
        } else {
          this.isolate = true;
        }
        retryIn = 0;
      } else {
        retryIn = this.backoff.next();
        this.log.warn({ err: grpcDetails(err), code: grpcCode(err), queued: this.pending.size, retryInMs: retryIn }, 'UpdateTaskStatus failed');
      }
    } finally {
      this.flushing = false;
    }
    if (this.pending.size > 0) this.schedule(retryIn ?? 0);
  }
}
