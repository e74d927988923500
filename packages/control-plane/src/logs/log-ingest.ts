import { InvalidParameterException, StevedoreError } from '@stevedore/core';
import type { Store } from '../store/store';
import type { LogGroupRow, LogStreamRow } from '../store/log-store-repo';

/** CloudWatch Logs' PutLogEvents quotas. */
export const MAX_EVENTS_PER_BATCH = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
/** Counted per event on top of its message, as CloudWatch counts it. */
export const EVENT_OVERHEAD_BYTES = 26;
export const MAX_EVENT_MESSAGE_BYTES = 262_144 - EVENT_OVERHEAD_BYTES;
/** Events older than this (or beyond the group's retention) or newer than TOO_NEW_MS are rejected, not stored. */
export const TOO_OLD_MS = 14 * 86_400_000;
export const TOO_NEW_MS = 2 * 3_600_000;

export interface InputEvent {
  timestamp: number;
  message: string;
}

export interface RejectedInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

export function groupNotFound(): StevedoreError {
  return new StevedoreError('ResourceNotFoundException', 'The specified log group does not exist.');
}

export function streamNotFound(): StevedoreError {
  return new StevedoreError('ResourceNotFoundException', 'The specified log stream does not exist.');
}

/** Checks a batch against CloudWatch's quotas; throws InvalidParameterException naming the member. */
export function checkBatch(events: readonly InputEvent[], field = 'logEvents'): void {
  if (events.length > MAX_EVENTS_PER_BATCH) throw new InvalidParameterException(`${field} has ${events.length} events; at most ${MAX_EVENTS_PER_BATCH} per batch.`, field);
  let bytes = 0;
  events.forEach((e, i) => {
    if (!Number.isSafeInteger(e.timestamp) || e.timestamp < 0) throw new InvalidParameterException(`${field}[${i}].timestamp must be milliseconds since the epoch.`, `${field}[${i}].timestamp`);
    const b = Buffer.byteLength(e.message);
    if (b > MAX_EVENT_MESSAGE_BYTES) throw new InvalidParameterException(`Log event too large: ${field}[${i}].message is ${b} bytes, the maximum is ${MAX_EVENT_MESSAGE_BYTES}.`, `${field}[${i}].message`);
    if (e.message.length === 0) throw new InvalidParameterException(`${field}[${i}].message must have length at least 1.`, `${field}[${i}].message`);
    bytes += b + EVENT_OVERHEAD_BYTES;
  });
  if (bytes > MAX_BATCH_BYTES) throw new InvalidParameterException(`The batch is ${bytes} bytes; at most ${MAX_BATCH_BYTES} (messages plus ${EVENT_OVERHEAD_BYTES} bytes per event).`, field);
}

/** The group, created when asked and missing (awslogs-create-group). */
export function groupFor(store: Store, name: string, create: boolean, now: number): LogGroupRow {
  let g = store.logStore.getGroup(name);
  if (!g && create) {
    store.logStore.createGroup(name, now);
    g = store.logStore.getGroup(name);
  }
  if (!g) throw groupNotFound();
  return g;
}

/**
 * Stores a batch in a stream (call inside a transaction). Events too old or
 * too new are skipped and reported as CloudWatch does (by index ranges of
 * the batch in time order); the rest are stored whatever their order. Events
 * past the group's retention are stored and left to the retention role.
 */
export function storeEvents(store: Store, _g: LogGroupRow, s: LogStreamRow, events: readonly InputEvent[], now: number): RejectedInfo {
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  const oldest = now - TOO_OLD_MS;
  const rejected: RejectedInfo = {};
  const keep: InputEvent[] = [];
  sorted.forEach((e, i) => {
    if (e.timestamp > now + TOO_NEW_MS) rejected.tooNewLogEventStartIndex ??= i;
    else if (e.timestamp < oldest) rejected.tooOldLogEventEndIndex = i;
    else keep.push(e);
  });
  store.logStore.putEvents(s, keep, now);
  return rejected;
}
