import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { StevedoreError } from '@stevedore/core';

export interface LogQuery {
  taskArn: string;
  containerName: string;
  follow: boolean;
  /** Last N lines; 0 = all. */
  tail: number;
  sinceMs: number;
  /** Lines start with their RFC 3339 time (Docker's --timestamps). */
  timestamps?: boolean;
  /** Data bytes the reader gets at most (non-follow reads); 0 = no cap. */
  maxBytes: number;
}

export interface LogChunkOut {
  stream: 'stdout' | 'stderr';
  data: string;
}

/** How a log stream ended: an error message, or cut short at its byte cap. */
export interface LogEnd {
  error?: string;
  truncated?: boolean;
}

/**
 * One reader's log stream, between the agent's PushLogs call (producer) and
 * the API response (consumer). Events: 'data' (LogChunkOut), 'end' (LogEnd),
 * 'cancel' (the reader went away), 'pause'/'resume' (the reader is slow /
 * caught up: the producer stops and restarts reading its gRPC call, which
 * holds the agent back through HTTP/2 flow control). Nothing is queued here:
 * a chunk is handed to the reader as it arrives.
 */
export class LogStream extends EventEmitter {
  cancelled = false;
  ended = false;
  paused = false;
  /** Data bytes handed to the reader so far. */
  bytes = 0;
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(
    readonly id: string,
    private readonly onClose: () => void,
    readonly instanceId = '',
    readonly maxBytes = 0,
  ) {
    super();
  }

  /** Raw bytes from the agent; decoded per stream so a character split across chunks survives. Ends the stream at the byte cap. */
  push(stream: 'stdout' | 'stderr', data: Buffer): void {
    if (this.ended || this.cancelled || data.length === 0) return;
    let piece = data;
    const over = this.maxBytes > 0 && this.bytes + data.length > this.maxBytes;
    if (over) piece = data.subarray(0, this.maxBytes - this.bytes);
    this.bytes += piece.length;
    const text = this.decoders[stream].write(piece);
    if (text) this.emit('data', { stream, data: text } satisfies LogChunkOut);
    if (over) this.end({ truncated: true });
  }

  end(how: LogEnd = {}): void {
    if (this.ended) return;
    this.ended = true;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.decoders[stream].end();
      if (rest && !this.cancelled) this.emit('data', { stream, data: rest } satisfies LogChunkOut);
    }
    this.emit('end', how);
    this.onClose();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancel');
    this.onClose();
  }

  pause(): void {
    if (this.paused || this.ended) return;
    this.paused = true;
    this.emit('pause');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.emit('resume');
  }
}

export interface LogBrokerOptions {
  /** Log streams open at once per container instance; more get LimitExceededException. */
  maxStreamsPerInstance: number;
}

export const DEFAULT_LOG_BROKER_OPTIONS: LogBrokerOptions = { maxStreamsPerInstance: 10 };

/**
 * Logs are not desired state, so they do not go through the store: the
 * broker pairs an API reader with the agent session that can serve it. The
 * dispatcher registers one sender per connected agent; the agent answers a
 * request by opening PushLogs with the request id. Each instance serves a
 * bounded number of streams at once, so readers cannot exhaust an agent.
 */
export class LogBroker {
  private readonly senders = new Map<string, (id: string, q: LogQuery) => void>();
  private readonly streams = new Map<string, LogStream>();
  private readonly perInstance = new Map<string, number>();

  constructor(private readonly opts: LogBrokerOptions = DEFAULT_LOG_BROKER_OPTIONS) {}

  registerSender(instanceId: string, send: (id: string, q: LogQuery) => void): () => void {
    this.senders.set(instanceId, send);
    return () => {
      if (this.senders.get(instanceId) === send) this.senders.delete(instanceId);
    };
  }

  /** undefined when the instance's agent is not connected; LimitExceededException when it serves its maximum. */
  open(instanceId: string, q: LogQuery): LogStream | undefined {
    const send = this.senders.get(instanceId);
    if (!send) return undefined;
    const open = this.perInstance.get(instanceId) ?? 0;
    if (open >= this.opts.maxStreamsPerInstance) {
      throw new StevedoreError(
        'LimitExceededException',
        `The container instance already serves ${this.opts.maxStreamsPerInstance} log streams, the limit per container instance. Retry when one has ended.`,
        { retryable: true },
      );
    }
    const id = randomUUID();
    this.perInstance.set(instanceId, open + 1);
    let closed = false;
    // Bound to the instance asked, so no other agent can answer it.
    const stream = new LogStream(
      id,
      () => {
        if (closed) return;
        closed = true;
        this.streams.delete(id);
        const n = (this.perInstance.get(instanceId) ?? 1) - 1;
        if (n > 0) this.perInstance.set(instanceId, n);
        else this.perInstance.delete(instanceId);
      },
      instanceId,
      q.follow ? 0 : q.maxBytes,
    );
    this.streams.set(id, stream);
    send(id, q);
    return stream;
  }

  get(id: string): LogStream | undefined {
    return this.streams.get(id);
  }

  /** Streams open for an instance (tests, diagnostics). */
  openStreams(instanceId: string): number {
    return this.perInstance.get(instanceId) ?? 0;
  }
}
