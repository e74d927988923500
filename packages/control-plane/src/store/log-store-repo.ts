import type { Db } from './db';
import { statementCache } from './statement-cache';

export interface LogGroupRow {
  id: number;
  name: string;
  createdAt: number;
  retentionDays: number | undefined;
  storedBytes: number;
}

export interface LogStreamRow {
  id: number;
  groupId: number;
  name: string;
  createdAt: number;
  firstEvent: number | undefined;
  lastEvent: number | undefined;
  lastIngestion: number | undefined;
  storedBytes: number;
}

export interface LogEventRow {
  id: number;
  ts: number;
  ingested: number;
  message: string;
  streamName?: string;
}

/** A place in a stream or group, in (timestamp, id) order: reads continue strictly after or before it. */
export interface LogPosition {
  ts: number;
  id: number;
}

export const LOG_START: LogPosition = { ts: -Number.MAX_SAFE_INTEGER, id: 0 };
export const LOG_END: LogPosition = { ts: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };

interface GroupDb { id: number; name: string; created_at: number; retention_days: number | null; stored_bytes: number }
interface StreamDb { id: number; group_id: number; name: string; created_at: number; first_event: number | null; last_event: number | null; last_ingestion: number | null; stored_bytes: number }

const group = (r: GroupDb): LogGroupRow => ({ id: r.id, name: r.name, createdAt: r.created_at, retentionDays: r.retention_days ?? undefined, storedBytes: r.stored_bytes });
const stream = (r: StreamDb): LogStreamRow => ({
  id: r.id,
  groupId: r.group_id,
  name: r.name,
  createdAt: r.created_at,
  firstEvent: r.first_event ?? undefined,
  lastEvent: r.last_event ?? undefined,
  lastIngestion: r.last_ingestion ?? undefined,
  storedBytes: r.stored_bytes,
});

/** CloudWatch Logs' storage: groups, streams, events. Writers: the logs API, the agent log ingest, the log retention role. */
export class LogStoreRepo {
  private readonly sql: ReturnType<typeof statementCache>;
  constructor(private readonly db: Db) {
    this.sql = statementCache(db);
  }

  getGroup(name: string): LogGroupRow | undefined {
    const r = this.sql('SELECT * FROM log_groups WHERE name = ?').get(name) as GroupDb | undefined;
    return r && group(r);
  }

  /** false when it already exists. */
  createGroup(name: string, now: number): boolean {
    return this.sql('INSERT INTO log_groups(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, now).changes > 0;
  }

  /** Groups by name after `after`, with a name prefix, or containing `pattern` (case-insensitive). */
  listGroups(prefix: string, after: string, limit: number, pattern = ''): LogGroupRow[] {
    return (
      this.sql(
        `SELECT * FROM log_groups WHERE name > @after AND substr(name, 1, length(@prefix)) = @prefix AND (@pattern = '' OR instr(lower(name), lower(@pattern)) > 0) ORDER BY name LIMIT @limit`,
      ).all({ after, prefix, limit, pattern }) as GroupDb[]
    ).map(group);
  }

  setRetention(groupId: number, days: number | undefined): void {
    this.sql('UPDATE log_groups SET retention_days = ? WHERE id = ?').run(days ?? null, groupId);
  }

  /** Deletes a group with its streams and events; call inside a transaction. */
  deleteGroup(groupId: number): void {
    this.sql('DELETE FROM log_events WHERE group_id = ?').run(groupId);
    this.sql('DELETE FROM log_groups WHERE id = ?').run(groupId);
  }

  getStream(groupId: number, name: string): LogStreamRow | undefined {
    const r = this.sql('SELECT * FROM log_streams WHERE group_id = ? AND name = ?').get(groupId, name) as StreamDb | undefined;
    return r && stream(r);
  }

  createStream(groupId: number, name: string, now: number): boolean {
    return this.sql('INSERT INTO log_streams(group_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT(group_id, name) DO NOTHING').run(groupId, name, now).changes > 0;
  }

  /** Streams of a group, by name (after `after`) or by last event time (offset `after` rows). */
  listStreams(groupId: number, o: { prefix: string; byLastEvent: boolean; descending: boolean; after: string; limit: number }): LogStreamRow[] {
    if (o.byLastEvent) {
      const rows = this.sql(`SELECT * FROM log_streams WHERE group_id = @g ORDER BY COALESCE(last_event, 0) ${o.descending ? 'DESC' : 'ASC'}, name LIMIT @limit OFFSET @offset`)
        .all({ g: groupId, limit: o.limit, offset: Number(o.after) || 0 }) as StreamDb[];
      return rows.map(stream);
    }
    const cmp = o.descending ? '<' : '>';
    const rows = this.sql(
      `SELECT * FROM log_streams WHERE group_id = @g AND (@after = '' OR name ${cmp} @after) AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name ${o.descending ? 'DESC' : 'ASC'} LIMIT @limit`,
    ).all({ g: groupId, after: o.after, prefix: o.prefix, limit: o.limit }) as StreamDb[];
    return rows.map(stream);
  }

  streamIdsByPrefix(groupId: number, prefix: string): number[] {
    return (this.sql('SELECT id FROM log_streams WHERE group_id = ? AND substr(name, 1, length(?)) = ?').all(groupId, prefix, prefix) as { id: number }[]).map((r) => r.id);
  }

  /** Deletes a stream with its events; call inside a transaction. */
  deleteStream(s: LogStreamRow): void {
    this.sql('DELETE FROM log_events WHERE stream_id = ?').run(s.id);
    this.sql('DELETE FROM log_streams WHERE id = ?').run(s.id);
    this.sql('UPDATE log_groups SET stored_bytes = MAX(0, stored_bytes - ?) WHERE id = ?').run(s.storedBytes, s.groupId);
  }

  /** Appends events to a stream (any order); call inside a transaction. Returns the bytes stored. */
  putEvents(s: LogStreamRow, events: readonly { timestamp: number; message: string }[], now: number): number {
    if (events.length === 0) return 0;
    const ins = this.sql('INSERT INTO log_events(group_id, stream_id, ts, ingested, message) VALUES (?, ?, ?, ?, ?)');
    let bytes = 0;
    let first = Number.MAX_SAFE_INTEGER;
    let last = -Number.MAX_SAFE_INTEGER;
    for (const e of events) {
      ins.run(s.groupId, s.id, e.timestamp, now, e.message);
      bytes += Buffer.byteLength(e.message);
      first = Math.min(first, e.timestamp);
      last = Math.max(last, e.timestamp);
    }
    this.sql(
      `UPDATE log_streams SET stored_bytes = stored_bytes + @bytes, first_event = MIN(COALESCE(first_event, @first), @first),
         last_event = MAX(COALESCE(last_event, @last), @last), last_ingestion = @now WHERE id = @id`,
    ).run({ bytes, first, last, now, id: s.id });
    this.sql('UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?').run(bytes, s.groupId);
    return bytes;
  }

  /** Events of one stream strictly after (forward) or before (backward) `from`, within [start, end). */
  streamEvents(streamId: number, o: { from: LogPosition; forward: boolean; start: number; end: number; limit: number }): LogEventRow[] {
    const sql = o.forward
      ? `SELECT id, ts, ingested, message FROM log_events WHERE stream_id = @s AND (ts > @ts OR (ts = @ts AND id > @id)) AND ts >= @start AND ts < @end ORDER BY ts, id LIMIT @limit`
      : `SELECT id, ts, ingested, message FROM log_events WHERE stream_id = @s AND (ts < @ts OR (ts = @ts AND id < @id)) AND ts >= @start AND ts < @end ORDER BY ts DESC, id DESC LIMIT @limit`;
    return this.sql(sql).all({ s: streamId, ts: o.from.ts, id: o.from.id, start: o.start, end: o.end, limit: o.limit }) as LogEventRow[];
  }

  /** Events of a group (optionally only some streams) after `from`, within [start, end], in time order. */
  groupEvents(groupId: number, o: { streams: number[] | undefined; from: LogPosition; start: number; end: number; limit: number }): LogEventRow[] {
    const only = o.streams === undefined ? '' : 'AND e.stream_id IN (SELECT CAST(value AS INTEGER) FROM json_each(@streams))';
    return this.sql(
      `SELECT e.id, e.ts, e.ingested, e.message, s.name AS streamName FROM log_events e JOIN log_streams s ON s.id = e.stream_id
        WHERE e.group_id = @g AND (e.ts > @ts OR (e.ts = @ts AND e.id > @id)) AND e.ts >= @start AND e.ts <= @end ${only}
        ORDER BY e.ts, e.id LIMIT @limit`,
    ).all({ g: groupId, ts: o.from.ts, id: o.from.id, start: o.start, end: o.end, limit: o.limit, streams: JSON.stringify(o.streams ?? []) }) as LogEventRow[];
  }

  /** Groups with a retention policy. */
  groupsWithRetention(): LogGroupRow[] {
    return (this.sql('SELECT * FROM log_groups WHERE retention_days IS NOT NULL').all() as GroupDb[]).map(group);
  }

  /** Deletes up to `limit` events of a group older than `before`; returns how many. Call inside a transaction. */
  deleteGroupEventsBefore(groupId: number, before: number, limit: number): number {
    const rows = this.sql('SELECT id, stream_id, length(CAST(message AS BLOB)) AS bytes FROM log_events WHERE group_id = ? AND ts < ? ORDER BY ts LIMIT ?').all(groupId, before, limit) as {
      id: number;
      stream_id: number;
      bytes: number;
    }[];
    this.deleteRows(groupId, rows);
    return rows.length;
  }

  /** Total bytes of log messages stored. */
  totalBytes(): number {
    return (this.sql('SELECT COALESCE(SUM(stored_bytes), 0) AS b FROM log_groups').get() as { b: number }).b;
  }

  /** Deletes up to `limit` of the oldest-ingested events of all groups; returns the bytes freed. Call inside a transaction. */
  deleteOldest(limit: number): number {
    const rows = this.sql('SELECT id, group_id, stream_id, length(CAST(message AS BLOB)) AS bytes FROM log_events ORDER BY id LIMIT ?').all(limit) as {
      id: number;
      group_id: number;
      stream_id: number;
      bytes: number;
    }[];
    const byGroup = new Map<number, typeof rows>();
    for (const r of rows) byGroup.set(r.group_id, [...(byGroup.get(r.group_id) ?? []), r]);
    for (const [g, list] of byGroup) this.deleteRows(g, list);
    return rows.reduce((n, r) => n + r.bytes, 0);
  }

  private deleteRows(groupId: number, rows: readonly { id: number; stream_id: number; bytes: number }[]): void {
    if (rows.length === 0) return;
    const del = this.sql('DELETE FROM log_events WHERE id = ?');
    const perStream = new Map<number, number>();
    let total = 0;
    for (const r of rows) {
      del.run(r.id);
      perStream.set(r.stream_id, (perStream.get(r.stream_id) ?? 0) + r.bytes);
      total += r.bytes;
    }
    const upd = this.sql(
      `UPDATE log_streams SET stored_bytes = MAX(0, stored_bytes - @b),
         first_event = (SELECT MIN(ts) FROM log_events WHERE stream_id = @s) WHERE id = @s`,
    );
    for (const [s, b] of perStream) upd.run({ s, b });
    this.sql('UPDATE log_groups SET stored_bytes = MAX(0, stored_bytes - ?) WHERE id = ?').run(total, groupId);
  }
}
