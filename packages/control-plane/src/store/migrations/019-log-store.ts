import type { Migration } from './migration';

/**
 * The log store (docs/design/logs.md): CloudWatch Logs groups, streams and
 * events, written by the awslogs shipping of agents and PutLogEvents.
 * Events carry their group so a group-wide FilterLogEvents (and retention)
 * walks one index by time; the stream index serves GetLogEvents. Byte
 * counters on groups and streams are kept by the writers, so sizing and the
 * size cap never scan events. Events have no foreign key: deleting a group
 * or stream deletes its events explicitly, in the same transaction.
 */
export const logStore: Migration = {
  version: 19,
  name: 'log-store',
  sql: `
    CREATE TABLE log_groups (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      retention_days INTEGER,
      stored_bytes INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE log_streams (
      id INTEGER PRIMARY KEY,
      group_id INTEGER NOT NULL REFERENCES log_groups(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      first_event INTEGER,
      last_event INTEGER,
      last_ingestion INTEGER,
      stored_bytes INTEGER NOT NULL DEFAULT 0,
      UNIQUE(group_id, name)
    );
    CREATE TABLE log_events (
      id INTEGER PRIMARY KEY,
      group_id INTEGER NOT NULL,
      stream_id INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      ingested INTEGER NOT NULL,
      message TEXT NOT NULL
    );
    CREATE INDEX log_events_stream_ts ON log_events(stream_id, ts);
    CREATE INDEX log_events_group_ts ON log_events(group_id, ts);
  `,
};
