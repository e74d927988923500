import { StringDecoder } from 'node:string_decoder';
import type { Logger } from 'pino';
import { MultilineGrouper, multilineStart, type AwslogsConfig, type GroupedEvent } from '@stevedore/core/host';
import type { WireLogBatchResult, WireLogEventsBatch } from '@stevedore/proto';
import type { ContainerController, Subscription } from '../exec/container-controller';
import { dockerSince, LineSplitter, parseTimedLine } from './log-lines';
import type { LogOffset, OffsetStore } from './offset-store';

/** One awslogs container: which task, which container, where its lines go. */
export interface AwslogsTarget {
  taskArn: string;
  taskId: string;
  containerName: string;
  runtimeId: string;
  stream: string;
  cfg: AwslogsConfig;
}

export type SendLogEvents = (batches: WireLogEventsBatch[]) => Promise<WireLogBatchResult[]>;

/** Where a line is in the container's log: its timestamp text and its rank among lines with that timestamp. */
interface Pos {
  time: string;
  n: number;
}

/** CloudWatch's batch quotas (the control plane refuses larger batches). */
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * Ships one container's log: follows `docker logs --timestamps` from the
 * stored offset, groups lines into events (multi-line patterns), keeps at
 * most `maxBufferBytes` of events in memory (beyond it, in blocking mode the
 * Docker stream is paused: the json-file holds the rest, nothing is dropped;
 * in non-blocking mode reading goes on and events that do not fit are
 * dropped and counted, as Docker's ring buffer does), sends
 * one batch at a time and advances the durable offset only after the
 * control plane stored it. At-least-once: a crash between storing and the
 * offset write resends that batch.
 */
export class ContainerShipper {
  private readonly grouper: MultilineGrouper<Pos>;
  private readonly queue: GroupedEvent<Pos>[] = [];
  private queuedBytes = 0;
  private readonly splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private last: Pos;
  private sub: Subscription | undefined;
  private resumeReader: (() => void) | undefined;
  private sending = false;
  private retryAt = 0;
  private retryMs = RETRY_MIN_MS;
  private readerEnded = false;
  private closed = false;
  private reopenTimer: NodeJS.Timeout | undefined;
  /** Events dropped (non-blocking mode, buffer full) since the last report, and in all. */
  private droppedSinceReport = 0;
  droppedEvents = 0;
  done = false;

  constructor(
    readonly target: AwslogsTarget,
    private readonly deps: { controller: ContainerController; send: SendLogEvents; offsets: OffsetStore; log: Logger; now: () => number },
  ) {
    this.grouper = new MultilineGrouper<Pos>(multilineStart(target.cfg));
    const o = deps.offsets.get(target.runtimeId);
    this.last = o ? { time: o.since, n: o.skip } : { time: '', n: 0 };
    this.done = o?.done === true;
  }

  start(): void {
    if (this.done || this.closed) return;
    void this.open();
  }

  private async open(): Promise<void> {
    const { controller, log } = this.deps;
    const resumeFrom = this.last;
    let skip = resumeFrom.n;
    let rank = { time: resumeFrom.time, n: resumeFrom.n };
    const onLine = (line: string) => {
      const t = parseTimedLine(line);
      if (!t) return;
      if (t.time === resumeFrom.time && skip > 0) {
        skip--;
        return;
      }
      rank = t.time === rank.time ? { time: t.time, n: rank.n + 1 } : { time: t.time, n: 1 };
      for (const ev of this.grouper.push(t.text, t.ms, rank, this.deps.now())) this.enqueue(ev);
    };
    try {
      this.sub = await controller.openLogs(
        this.target.runtimeId,
        { follow: true, tail: 0, sinceMs: 0, timestamps: true, ...(resumeFrom.time ? { since: dockerSince(resumeFrom.time) } : {}) },
        {
          onData: (stream, data) => {
            for (const line of this.splitters[stream].push(this.decoders[stream].write(data))) onLine(line);
            // Non-blocking never pauses the reader: a full buffer drops instead (enqueue).
            return this.target.cfg.mode === 'non-blocking' || this.queuedBytes < this.target.cfg.maxBufferBytes;
          },
          waitDrain: (resume) => (this.resumeReader = resume),
          onEnd: (err) => {
            for (const s of ['stdout', 'stderr'] as const) {
              const rest = this.splitters[s].end();
              if (rest !== undefined) onLine(rest);
            }
            this.sub = undefined;
            if (this.closed) return;
            if (err) {
              log.warn({ err: err.message, container: this.target.containerName }, 'awslogs: reading the container log failed; reading again from the last delivered line');
              this.reopenLater();
              return;
            }
            // follow ended: the container stopped and every line was read.
            const ev = this.grouper.flush();
            if (ev) this.enqueue(ev);
            this.readerEnded = true;
          },
        },
      );
    } catch (err) {
      if (this.closed) return;
      // A container removed before it was read to the end: nothing more can be read.
      if ((err as { statusCode?: number }).statusCode === 404) {
        log.warn({ container: this.target.containerName, runtimeId: this.target.runtimeId }, 'awslogs: the container is gone; lines not yet shipped are lost');
        this.readerEnded = true;
        return;
      }
      log.warn({ err: (err as Error).message, container: this.target.containerName }, 'awslogs: cannot open the container log; retrying');
      this.reopenLater();
    }
  }

  /** Drops what was read but not delivered and reads again from the durable offset (no line lost, none skipped). */
  private reopenLater(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.grouper.flush();
    this.reopenTimer = setTimeout(() => void this.open(), 2000);
    this.reopenTimer.unref();
  }

  private enqueue(ev: GroupedEvent<Pos>): void {
    const size = Buffer.byteLength(ev.message) + EVENT_OVERHEAD;
    // Docker's non-blocking ring buffer: a message that does not fit is dropped (one always fits an empty buffer).
    if (this.target.cfg.mode === 'non-blocking' && this.queue.length > 0 && this.queuedBytes + size > this.target.cfg.maxBufferBytes) {
      if (this.droppedSinceReport === 0) {
        this.deps.log.warn({ maxBufferBytes: this.target.cfg.maxBufferBytes }, 'awslogs: buffer full in non-blocking mode; dropping log events until deliveries catch up');
      }
      this.droppedSinceReport++;
      this.droppedEvents++;
      return;
    }
    this.reportDrops();
    this.queue.push(ev);
    this.queuedBytes += size;
  }

  /** One line per run of drops, with the count: what an operator (and the e2e test) reads. */
  private reportDrops(): void {
    if (this.droppedSinceReport === 0) return;
    this.deps.log.warn({ droppedEvents: this.droppedSinceReport, droppedEventsTotal: this.droppedEvents }, `awslogs: non-blocking mode dropped ${this.droppedSinceReport} log events (buffer full)`);
    this.droppedSinceReport = 0;
  }

  /** Called every flush interval: closes idle multi-line events, sends a batch, finishes when all is delivered. */
  async tick(): Promise<void> {
    if (this.closed || this.done || this.sending) return;
    const now = this.deps.now();
    const idle = this.grouper.flushIdle(now);
    if (idle) this.enqueue(idle);
    if (this.queue.length === 0) {
      if (this.readerEnded && !this.grouper.pending) await this.finish();
      return;
    }
    if (now < this.retryAt) return;
    this.sending = true;
    try {
      await this.sendBatch();
    } finally {
      this.sending = false;
    }
  }

  private async sendBatch(): Promise<void> {
    let bytes = 0;
    let count = 0;
    for (const ev of this.queue) {
      const b = Buffer.byteLength(ev.message) + EVENT_OVERHEAD;
      if (count >= MAX_BATCH_EVENTS || (count > 0 && bytes + b > MAX_BATCH_BYTES)) break;
      bytes += b;
      count++;
    }
    const events = this.queue.slice(0, count);
    const t = this.target;
    let result: WireLogBatchResult | undefined;
    try {
      [result] = await this.deps.send([
        { task_arn: t.taskArn, container_name: t.containerName, log_group: t.cfg.group, log_stream: t.stream, create_group: t.cfg.createGroup, events: events.map((e) => ({ timestamp: e.timestamp, message: e.message })) },
      ]);
    } catch (err) {
      // The control plane is away (or refused the call): keep everything, retry with backoff.
      this.retryAt = this.deps.now() + this.retryMs;
      this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
      this.deps.log.debug({ err: (err as Error).message, container: t.containerName, retryInMs: this.retryMs }, 'awslogs: delivery failed; retrying');
      return;
    }
    this.retryMs = RETRY_MIN_MS;
    if (result?.error_code) {
      // Stored nowhere (the group was deleted, the task is gone): CloudWatch's driver drops such batches too.
      this.deps.log.warn({ container: t.containerName, group: t.cfg.group, error: result.error_code, message: result.error_message, events: count }, 'awslogs: the control plane refused a batch; its events are dropped');
    }
    this.queue.splice(0, count);
    this.queuedBytes -= bytes;
    // Room again: say how many were dropped meanwhile.
    this.reportDrops();
    this.last = events[events.length - 1]!.last;
    await this.saveOffset({ since: this.last.time, skip: this.last.n });
    if (this.resumeReader && this.queuedBytes < t.cfg.maxBufferBytes / 2) {
      const r = this.resumeReader;
      this.resumeReader = undefined;
      r();
    }
  }

  private async saveOffset(o: LogOffset): Promise<void> {
    await this.deps.offsets.set(this.target.runtimeId, o);
  }

  private async finish(): Promise<void> {
    this.done = true;
    this.reportDrops();
    await this.saveOffset({ since: this.last.time, skip: this.last.n, done: true });
    this.deps.log.debug({ container: this.target.containerName }, 'awslogs: every line of the stopped container delivered');
  }

  close(): void {
    this.closed = true;
    this.reportDrops();
    clearTimeout(this.reopenTimer);
    this.sub?.close();
    this.sub = undefined;
  }
}
