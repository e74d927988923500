import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

export interface LogQuery {
  taskArn: string;
  containerName: string;
  follow: boolean;
  tail: number;
  sinceMs: number;
}

export interface LogChunkOut {
  stream: 'stdout' | 'stderr';
  data: string;
}

/**
 * One reader's log stream. Events: 'data' (LogChunkOut), 'end' (error?: string).
 * The reader calls cancel() when it goes away; the producer checks `cancelled`.
 */
export class LogStream extends EventEmitter {
  cancelled = false;
  ended = false;
  constructor(readonly id: string, private readonly onClose: () => void, readonly instanceId = '') {
    super();
  }
  push(chunk: LogChunkOut): void {
    if (!this.ended && !this.cancelled) this.emit('data', chunk);
  }
  end(error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('end', error);
    this.onClose();
  }
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancel');
    this.onClose();
  }
}

/**
 * Logs are not desired state, so they do not go through the store: the
 * broker pairs an API reader with the agent session that can serve it. The
 * dispatcher registers one sender per connected agent; the agent answers a
 * request by opening PushLogs with the request id.
 */
export class LogBroker {
  private readonly senders = new Map<string, (id: string, q: LogQuery) => void>();
  private readonly streams = new Map<string, LogStream>();

  registerSender(instanceId: string, send: (id: string, q: LogQuery) => void): () => void {
    this.senders.set(instanceId, send);
    return () => {
      if (this.senders.get(instanceId) === send) this.senders.delete(instanceId);
    };
  }

  /** undefined when the instance's agent is not connected. */
  open(instanceId: string, q: LogQuery): LogStream | undefined {
    const send = this.senders.get(instanceId);
    if (!send) return undefined;
    const id = randomUUID();
    // Bound to the instance asked, so no other agent can answer it.
    const stream = new LogStream(id, () => this.streams.delete(id), instanceId);
    this.streams.set(id, stream);
    send(id, q);
    return stream;
  }

  get(id: string): LogStream | undefined {
    return this.streams.get(id);
  }
}
