import type { Logger } from 'pino';
import type { LogChunk, LogRequest } from '@stevedore/proto';
import { runtimeMessage, type ContainerController, type LogSink, type Subscription } from '../exec/container-controller';
import type { DispatcherClient } from './dispatcher-client';

export interface ContainerLookup {
  runtimeIdOf(taskArn: string, container: string): string | undefined;
}

export interface LogPusherOptions {
  /**
   * Log calls served at once. The control plane has its own, lower limit per
   * instance (the API's LimitExceededException); this one holds even if the
   * control plane misbehaves, so log readers cannot exhaust an agent.
   */
  maxConcurrent: number;
}

export const DEFAULT_LOG_PUSHER_OPTIONS: LogPusherOptions = { maxConcurrent: 16 };

/** Largest log message the agent sends: batches of short lines, not one message per line. */
export const BATCH_BYTES = 32 * 1024;

const EMPTY: LogChunk = { request_id: '', data: Buffer.alloc(0), stream: '', error: '', truncated: false };

/**
 * Answers LogRequests (proto contract 4): one PushLogs client stream per
 * request, first message request_id only, then demultiplexed stdout/stderr
 * chunks; it ends with the logs (or when a followed container stops), and
 * stops reading Docker as soon as the control plane ends the call. Bounded:
 * Docker is read only as fast as gRPC drains (the sink pauses the Docker
 * stream when a write is not drained), a non-follow read stops at the
 * request's max_bytes, and at most `maxConcurrent` requests are served.
 */
export class LogPusher {
  private readonly active = new Set<Subscription>();
  private inFlight = 0;

  constructor(
    private readonly client: Pick<DispatcherClient, 'pushLogs'>,
    private readonly containers: ContainerLookup,
    private readonly controller: ContainerController,
    private readonly instanceId: () => string,
    private readonly log: Logger,
    private readonly opts: LogPusherOptions = DEFAULT_LOG_PUSHER_OPTIONS,
  ) {}

  /** Log calls open now (tests). */
  get serving(): number {
    return this.inFlight;
  }

  handle(req: LogRequest, sessionId: string): void {
    const log = this.log.child({ requestId: req.request_id, task: req.task_arn, container: req.container_name });
    if (this.inFlight >= this.opts.maxConcurrent) {
      log.warn({ limit: this.opts.maxConcurrent }, 'log request refused: too many log streams on this agent');
      const call = this.client.pushLogs(this.instanceId(), sessionId, () => undefined);
      call.on('error', () => undefined);
      call.write({ ...EMPTY, request_id: req.request_id });
      call.write({ ...EMPTY, error: `LimitExceededException: this container instance already serves ${this.opts.maxConcurrent} log streams; retry when one has ended` });
      call.end();
      return;
    }
    this.inFlight++;
    let released = false;
    let sub: Subscription | undefined;
    // done: nothing more is sent (logs over, capped, failed, or the control plane ended the call).
    let done = false;
    const closeSub = () => {
      if (!sub) return;
      sub.close();
      this.active.delete(sub);
    };
    const call = this.client.pushLogs(this.instanceId(), sessionId, (err) => {
      done = true;
      if (!released) {
        released = true;
        this.inFlight--;
      }
      closeSub();
      if (err) log.debug({ code: err.code, err: err.details }, 'log call ended by the control plane');
    });
    call.on('error', () => undefined); // surfaced through the callback above
    call.write({ ...EMPTY, request_id: req.request_id });
    const cap = req.follow ? 0 : Math.max(0, req.max_bytes);
    let sent = 0;
    // Docker sends one frame per line; lines are batched per stream into
    // messages of up to BATCH_BYTES (flushed at the latest on the next turn of
    // the event loop), or a read of short lines costs a gRPC message per line.
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let batchStream: 'stdout' | 'stderr' = 'stdout';
    let flushTimer: NodeJS.Immediate | undefined;
    const flush = (): boolean => {
      if (flushTimer) clearImmediate(flushTimer);
      flushTimer = undefined;
      if (batchBytes === 0 || done) return !call.writableNeedDrain;
      const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
      batch = [];
      batchBytes = 0;
      return call.write({ ...EMPTY, data, stream: batchStream });
    };
    const finish = (last?: Partial<LogChunk>) => {
      if (done) return;
      flush();
      done = true;
      if (last) call.write({ ...EMPTY, ...last });
      call.end();
      closeSub();
    };
    const runtimeId = this.containers.runtimeIdOf(req.task_arn, req.container_name);
    if (!runtimeId) return finish({ error: `container ${req.container_name} of task ${req.task_arn} has no Docker container on this instance (not created yet, or cleaned up)` });
    const sink: LogSink = {
      onData: (stream, data) => {
        if (done) return true;
        if (stream !== batchStream) flush();
        batchStream = stream;
        const over = cap > 0 && sent + data.length > cap;
        const piece = over ? data.subarray(0, cap - sent) : data;
        sent += piece.length;
        if (piece.length > 0) {
          batch.push(piece);
          batchBytes += piece.length;
        }
        if (over) {
          finish({ truncated: true });
          return true;
        }
        if (batchBytes >= BATCH_BYTES) return flush();
        flushTimer ??= setImmediate(flush);
        // Not flushed yet: pause only if what was sent before is still not drained.
        return !call.writableNeedDrain;
      },
      // A write not yet drained: Docker stays paused until gRPC has sent it.
      waitDrain: (resume) => call.once('drain', resume),
      onEnd: (err) => finish(err ? { error: runtimeMessage(err) } : undefined),
    };
    this.controller.openLogs(runtimeId, { follow: req.follow, tail: req.tail, sinceMs: req.since_ms, ...(req.timestamps ? { timestamps: true } : {}) }, sink).then(
      (s) => {
        if (done) return s.close();
        sub = s;
        this.active.add(s);
      },
      (err: unknown) => finish({ error: runtimeMessage(err) }),
    );
  }

  closeAll(): void {
    for (const s of this.active) s.close();
    this.active.clear();
  }
}
