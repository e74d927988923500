import { compileFilterPattern, InvalidParameterException, LOG_GROUP_NAME, LOG_RETENTION_DAYS, LOG_STREAM_NAME, StevedoreError } from '@stevedore/core';
import type { ApiContext } from '../context';
import { Params } from '../params';
import { LOG_END, LOG_START, type LogEventRow, type LogGroupRow, type LogPosition, type LogStreamRow } from '../../store/log-store-repo';
import { checkBatch, groupNotFound, storeEvents, streamNotFound, type InputEvent } from '../../logs/log-ingest';

/**
 * CloudWatch Logs (JSON 1.1, `Logs_20140328.*`) over the control plane's log
 * store: shapes, limits and errors as service-2.json has them, so the AWS
 * CLI (`aws logs get-log-events`, `filter-log-events`, `tail --follow`) and
 * SDKs work with --endpoint-url. docs/design/logs.md.
 */

/** Bytes of messages one read returns at most (CloudWatch: 1 MB). */
const MAX_READ_BYTES = 1_048_576;
/** Rows one FilterLogEvents call examines at most; past it, it returns what matched so far with a nextToken, as CloudWatch does. */
export const FILTER_SCAN_ROWS = 50_000;

const groupField = (p: Params, name = 'logGroupName') => p.requiredString(name, { max: 512, pattern: LOG_GROUP_NAME, patternText: "must match pattern [\\.\\-_/#A-Za-z0-9]+" });
const streamField = (p: Params, name = 'logStreamName') => p.requiredString(name, { max: 512, pattern: LOG_STREAM_NAME, patternText: 'must match pattern [^:*]*' });

const GROUP_ARN = /^arn:aws:logs:[^:]*:[^:]*:log-group:([^:]+)(:\*)?$/;

/** logGroupName, or logGroupIdentifier (a name or an ARN); exactly one. */
function groupNameOf(p: Params): string {
  const id = p.string('logGroupIdentifier', { max: 2048 });
  if (id !== undefined) {
    if (p.has('logGroupName')) throw new InvalidParameterException('LogGroupName and LogGroupIdentifier are mutually exclusive parameters.', 'logGroupIdentifier');
    const name = GROUP_ARN.exec(id)?.[1] ?? id;
    if (!LOG_GROUP_NAME.test(name)) throw new InvalidParameterException('logGroupIdentifier is neither a log group name nor a log group ARN.', 'logGroupIdentifier');
    return name;
  }
  return groupField(p);
}

function requireGroup(ctx: ApiContext, name: string): LogGroupRow {
  const g = ctx.store.logStore.getGroup(name);
  if (!g) throw groupNotFound();
  return g;
}

function requireStream(ctx: ApiContext, g: LogGroupRow, name: string): LogStreamRow {
  const s = ctx.store.logStore.getStream(g.id, name);
  if (!s) throw streamNotFound();
  return s;
}

const groupArn = (ctx: ApiContext, name: string) => `arn:aws:logs:${ctx.arn.region}:${ctx.arn.account}:log-group:${name}`;

function groupOut(ctx: ApiContext, g: LogGroupRow): Record<string, unknown> {
  return {
    logGroupName: g.name,
    creationTime: g.createdAt,
    ...(g.retentionDays !== undefined ? { retentionInDays: g.retentionDays } : {}),
    metricFilterCount: 0,
    arn: `${groupArn(ctx, g.name)}:*`,
    storedBytes: g.storedBytes,
    logGroupClass: 'STANDARD',
    logGroupArn: groupArn(ctx, g.name),
  };
}

function streamOut(ctx: ApiContext, groupName: string, s: LogStreamRow): Record<string, unknown> {
  return {
    logStreamName: s.name,
    creationTime: s.createdAt,
    ...(s.firstEvent !== undefined ? { firstEventTimestamp: s.firstEvent } : {}),
    ...(s.lastEvent !== undefined ? { lastEventTimestamp: s.lastEvent } : {}),
    ...(s.lastIngestion !== undefined ? { lastIngestionTime: s.lastIngestion } : {}),
    arn: `${groupArn(ctx, groupName)}:log-stream:${s.name}`,
    storedBytes: s.storedBytes,
  };
}

function refuseUnsupported(p: Params, members: readonly string[]): void {
  for (const m of members) if (p.has(m)) throw new InvalidParameterException(`${m} is not supported by Stevedore's log store.`, m);
}

export function createLogGroup(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const name = groupField(p);
  // Not stored (no TagResource either): refused rather than silently dropped.
  refuseUnsupported(p, ['kmsKeyId', 'tags']);
  p.string('logGroupClass', { enum: ['STANDARD'] });
  const created = ctx.store.tx(() => ctx.store.logStore.createGroup(name, ctx.clock.now()));
  if (!created) throw new StevedoreError('ResourceAlreadyExistsException', 'The specified log group already exists');
  return {};
}

export function deleteLogGroup(ctx: ApiContext, body: unknown): object {
  const name = groupField(Params.of(body));
  ctx.store.tx(() => ctx.store.logStore.deleteGroup(requireGroup(ctx, name).id));
  return {};
}

export function putRetentionPolicy(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const name = groupField(p);
  const days = p.integer('retentionInDays');
  if (days === undefined) throw new InvalidParameterException('retentionInDays is required.', 'retentionInDays');
  if (!LOG_RETENTION_DAYS.includes(days)) {
    throw new InvalidParameterException(`1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${LOG_RETENTION_DAYS.join(', ')}]`, 'retentionInDays');
  }
  ctx.store.tx(() => ctx.store.logStore.setRetention(requireGroup(ctx, name).id, days));
  return {};
}

export function deleteRetentionPolicy(ctx: ApiContext, body: unknown): object {
  const name = groupField(Params.of(body));
  ctx.store.tx(() => ctx.store.logStore.setRetention(requireGroup(ctx, name).id, undefined));
  return {};
}

export function describeLogGroups(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const prefix = p.string('logGroupNamePrefix', { max: 512 }) ?? '';
  const pattern = p.string('logGroupNamePattern', { max: 512 }) ?? '';
  if (prefix && pattern) throw new InvalidParameterException('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.', 'logGroupNamePattern');
  const limit = p.integer('limit', { min: 1, max: 50 }) ?? 50;
  const after = p.string('nextToken', { max: 1024 }) ?? '';
  const rows = ctx.store.logStore.listGroups(prefix, after, limit + 1, pattern);
  const page = rows.slice(0, limit);
  return { logGroups: page.map((g) => groupOut(ctx, g)), ...(rows.length > limit ? { nextToken: page[page.length - 1]!.name } : {}) };
}

export function createLogStream(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const gname = groupField(p);
  const sname = streamField(p);
  const created = ctx.store.tx(() => ctx.store.logStore.createStream(requireGroup(ctx, gname).id, sname, ctx.clock.now()));
  if (!created) throw new StevedoreError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  return {};
}

export function deleteLogStream(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const gname = groupField(p);
  const sname = streamField(p);
  ctx.store.tx(() => ctx.store.logStore.deleteStream(requireStream(ctx, requireGroup(ctx, gname), sname)));
  return {};
}

export function describeLogStreams(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const g = requireGroup(ctx, groupNameOf(p));
  const orderBy = p.string('orderBy', { enum: ['LogStreamName', 'LastEventTime'] }) ?? 'LogStreamName';
  const prefix = p.string('logStreamNamePrefix', { max: 512 }) ?? '';
  if (prefix && orderBy === 'LastEventTime') throw new InvalidParameterException('Cannot order by LastEventTime with a logStreamNamePrefix.', 'logStreamNamePrefix');
  const limit = p.integer('limit', { min: 1, max: 50 }) ?? 50;
  const after = p.string('nextToken', { max: 1024 }) ?? '';
  const byLastEvent = orderBy === 'LastEventTime';
  const rows = ctx.store.logStore.listStreams(g.id, { prefix, byLastEvent, descending: p.boolean('descending') ?? false, after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const next = byLastEvent ? String((Number(after) || 0) + limit) : page[page.length - 1]?.name;
  return { logStreams: page.map((s) => streamOut(ctx, g.name, s)), ...(rows.length > limit && next ? { nextToken: next } : {}) };
}

export function putLogEvents(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const gname = groupField(p);
  const sname = streamField(p);
  const raw = p.list('logEvents') ?? [];
  if (raw.length === 0) throw new InvalidParameterException('logEvents must contain at least 1 item.', 'logEvents');
  const events: InputEvent[] = raw.map((e, i) => {
    const ev = Params.of(e);
    const timestamp = ev.integer('timestamp', { min: 0 });
    const message = ev.string('message');
    if (timestamp === undefined || message === undefined) throw new InvalidParameterException(`logEvents[${i}] needs a timestamp and a message.`, `logEvents[${i}]`);
    return { timestamp, message };
  });
  checkBatch(events);
  const rejected = ctx.store.tx(() => {
    const g = requireGroup(ctx, gname);
    return storeEvents(ctx.store, g, requireStream(ctx, g, sname), events, ctx.clock.now());
  });
  return Object.keys(rejected).length ? { rejectedLogEventsInfo: rejected } : {};
}

const TOKEN = /^([fb])\/(-?\d{1,16})\/(\d{1,16})$/;

function parsePosition(token: string, field: string): { dir: 'f' | 'b'; pos: LogPosition } {
  const m = TOKEN.exec(token);
  if (!m) throw new InvalidParameterException(`The specified ${field} is invalid.`, field);
  return { dir: m[1] as 'f' | 'b', pos: { ts: Number(m[2]), id: Number(m[3]) } };
}

const token = (dir: 'f' | 'b', pos: LogPosition) => `${dir}/${pos.ts}/${pos.id}`;

/** Rows up to the byte cap (at least one, so a read always progresses). */
function capBytes<T extends LogEventRow>(rows: T[]): T[] {
  let bytes = 0;
  const out: T[] = [];
  for (const r of rows) {
    bytes += Buffer.byteLength(r.message) + 26;
    if (bytes > MAX_READ_BYTES && out.length > 0) break;
    out.push(r);
  }
  return out;
}

export function getLogEvents(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const g = requireGroup(ctx, groupNameOf(p));
  const s = requireStream(ctx, g, streamField(p));
  const limit = p.integer('limit', { min: 1, max: 10_000 }) ?? 10_000;
  const start = p.integer('startTime', { min: 0 }) ?? 0;
  const end = p.integer('endTime', { min: 0 }) ?? Number.MAX_SAFE_INTEGER;
  const raw = p.string('nextToken', { max: 128 });
  const fromHead = p.boolean('startFromHead') ?? false;
  const at = raw !== undefined ? parsePosition(raw, 'nextToken') : fromHead ? { dir: 'f' as const, pos: LOG_START } : { dir: 'b' as const, pos: LOG_END };
  const forward = at.dir === 'f';
  let rows = ctx.store.logStore.streamEvents(s.id, { from: at.pos, forward, start, end, limit });
  rows = capBytes(rows);
  if (!forward) rows.reverse();
  const first = rows[0];
  const last = rows[rows.length - 1];
  // At an end, the token stays where it was, so polling with it picks up new events (CloudWatch behaves alike).
  const fwd = last ? { ts: last.ts, id: last.id } : forward ? at.pos : first ? { ts: first.ts, id: first.id } : raw === undefined ? LOG_START : at.pos;
  const back = first ? { ts: first.ts, id: first.id } : at.pos;
  return {
    events: rows.map((r) => ({ timestamp: r.ts, message: r.message, ingestionTime: r.ingested })),
    nextForwardToken: token('f', fwd),
    nextBackwardToken: token('b', back),
  };
}

const FILTER_TOKEN = /^(-?\d{1,16})\/(\d{1,16})$/;

export function filterLogEvents(ctx: ApiContext, body: unknown): object {
  const p = Params.of(body);
  const g = requireGroup(ctx, groupNameOf(p));
  const names = p.stringList('logStreamNames', { min: 1, max: 100 });
  const prefix = p.string('logStreamNamePrefix', { max: 512 });
  if (names && prefix !== undefined) throw new InvalidParameterException('logStreamNames and logStreamNamePrefix are mutually exclusive.', 'logStreamNamePrefix');
  const match = compileFilterPattern(p.string('filterPattern', { max: 1024 }));
  const limit = p.integer('limit', { min: 1, max: 10_000 }) ?? 10_000;
  const start = p.integer('startTime', { min: 0 }) ?? 0;
  const end = p.integer('endTime', { min: 0 }) ?? Number.MAX_SAFE_INTEGER;
  p.boolean('interleaved'); // Deprecated in CloudWatch: results are always interleaved.
  p.boolean('unmask');
  const raw = p.string('nextToken', { max: 128 });
  let from = LOG_START;
  if (raw !== undefined) {
    const m = FILTER_TOKEN.exec(raw);
    if (!m) throw new InvalidParameterException('The specified nextToken is invalid.', 'nextToken');
    from = { ts: Number(m[1]), id: Number(m[2]) };
  }
  let streams: number[] | undefined;
  if (names) streams = names.flatMap((n) => ctx.store.logStore.getStream(g.id, n)?.id ?? []);
  else if (prefix) streams = ctx.store.logStore.streamIdsByPrefix(g.id, prefix);
  if (streams && streams.length === 0) return { events: [], searchedLogStreams: [] };
  const out: { logStreamName: string; timestamp: number; message: string; ingestionTime: number; eventId: string }[] = [];
  let bytes = 0;
  let scanned = 0;
  let pos = from;
  let full = false;
  const batch = 5_000;
  while (!full && scanned < FILTER_SCAN_ROWS) {
    const rows = ctx.store.logStore.groupEvents(g.id, { streams, from: pos, start, end, limit: Math.min(batch, FILTER_SCAN_ROWS - scanned) });
    for (const r of rows) {
      scanned++;
      pos = { ts: r.ts, id: r.id };
      if (!match(r.message)) continue;
      out.push({ logStreamName: r.streamName ?? '', timestamp: r.ts, message: r.message, ingestionTime: r.ingested, eventId: String(r.id) });
      bytes += Buffer.byteLength(r.message) + 26;
      if (out.length >= limit || bytes >= MAX_READ_BYTES) {
        full = true;
        break;
      }
    }
    if (rows.length < batch) break;
  }
  const more = full || scanned >= FILTER_SCAN_ROWS;
  return { events: out, searchedLogStreams: [], ...(more ? { nextToken: `${pos.ts}/${pos.id}` } : {}) };
}
