import { randomUUID } from 'node:crypto';
import { awslogsStreamName, type AwslogsConfig } from '@stevedore/core';
import type { Store } from '../store/store';
import { LogStream } from './log-broker';
import { LOG_END, type LogPosition } from '../store/log-store-repo';

export interface StoreTailOptions {
  taskId: string;
  containerName: string;
  cfg: AwslogsConfig;
  /** Last N events first (0 = every stored event). */
  tail: number;
  /** Epoch ms; events before it are skipped. */
  sinceMs: number;
  /** Each line starts with the event's time, RFC 3339 as Docker writes it. */
  timestamps?: boolean;
  pollMs?: number;
  /** After the container stopped, end once nothing new came for this long (the agent's last batches). */
  settleMs?: number;
}

const BATCH = 1000;

/**
 * `stevedore logs --follow` of an awslogs container: a live tail of the log
 * store rather than a stream from the agent, so it works while the agent is
 * away and shows exactly what `aws logs tail` shows. Polls the stream (the
 * store has no per-stream wake-up), each event as one stdout line; ends when
 * the container has stopped and no new event came for `settleMs`. Paused
 * while the reader is slow (nothing is buffered here).
 */
export function openStoreTail(store: Store, o: StoreTailOptions): LogStream {
  let timer: NodeJS.Timeout | undefined;
  const stream = new LogStream(randomUUID(), () => clearTimeout(timer));
  const pollMs = o.pollMs ?? 500;
  const settleMs = o.settleMs ?? 10_000;
  let pos: LogPosition | undefined;
  let lastNewAt = store.clock.now();

  const streamName = (): string | undefined => {
    const task = store.tasks.get(o.taskId);
    const runtimeId = task?.containers.find((c) => c.name === o.containerName)?.runtimeId;
    return o.cfg.streamPrefix ? awslogsStreamName(o.cfg.streamPrefix, o.containerName, o.taskId, '') : runtimeId;
  };

  const stopped = (): boolean => {
    const task = store.tasks.get(o.taskId);
    const c = task?.containers.find((x) => x.name === o.containerName);
    return !task || task.lastStatus === 'STOPPED' || c?.status === 'STOPPED';
  };

  const poll = () => {
    timer = undefined;
    if (stream.ended || stream.cancelled) return;
    if (stream.paused) {
      stream.once('resume', poll);
      return;
    }
    const name = streamName();
    const g = store.logStore.getGroup(o.cfg.group);
    const s = name && g ? store.logStore.getStream(g.id, name) : undefined;
    let got = 0;
    if (s) {
      if (pos === undefined) {
        // The first read starts at the oldest of the last `tail` events (every event from sinceMs with 0).
        const newest = o.tail > 0 ? store.logStore.streamEvents(s.id, { from: LOG_END, forward: false, start: o.sinceMs, end: Number.MAX_SAFE_INTEGER, limit: o.tail }) : [];
        const oldest = newest[newest.length - 1];
        pos = oldest ? { ts: oldest.ts, id: oldest.id - 1 } : { ts: o.sinceMs - 1, id: Number.MAX_SAFE_INTEGER };
      }
      const rows = store.logStore.streamEvents(s.id, { from: pos, forward: true, start: o.sinceMs, end: Number.MAX_SAFE_INTEGER, limit: BATCH });
      for (const r of rows) {
        if (stream.ended || stream.cancelled) return;
        pos = { ts: r.ts, id: r.id };
        stream.push('stdout', Buffer.from(o.timestamps ? `${new Date(r.ts).toISOString()} ${r.message}\n` : `${r.message}\n`));
        got++;
      }
    }
    const now = store.clock.now();
    if (got > 0) lastNewAt = now;
    if (stopped() && now - lastNewAt >= settleMs) {
      stream.end();
      return;
    }
    timer = setTimeout(poll, got === BATCH ? 0 : pollMs);
  };
  setImmediate(poll);
  return stream;
}
