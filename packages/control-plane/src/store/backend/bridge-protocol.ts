/** Messages between PostgresDb (main thread) and its worker (postgres-worker.ts). */
import type { MessagePort } from 'node:worker_threads';

/** The NOTIFY channel of committed change-log rows (payload: their seq). */
export const CHANGE_CHANNEL = 'stevedore_changes';

export interface WorkerData {
  url: string;
  applicationName: string;
  /** Int32 word: the worker changes it after each reply it posts on `replies` (reply-signal.ts). */
  signal: SharedArrayBuffer;
  replies: MessagePort;
  /** This process's id in the change log: its own rows are not echoed back. */
  origin: string;
  /** Change-log poll, in case a notification is lost. */
  pollMs: number;
  reconnectMs: number;
}

export type BridgeRequest =
  | { id: number; op: 'connect' }
  | { id: number; op: 'query'; sql: string; params: unknown[] }
  /** `before`: statements run first on the same connection (a transaction's change-log row, just before its COMMIT). */
  | { id: number; op: 'exec'; sql: string; before?: { sql: string; params: unknown[] }[] }
  | { id: number; op: 'listen'; fromSeq: number }
  | { id: number; op: 'close' };

export type BridgeReply =
  | { id: number; rows: Record<string, unknown>[]; rowCount: number; error?: undefined }
  | { id: number; error: { message: string; code?: string; detail?: string } };

export type WorkerEvent =
  | { kind: 'changes'; seq: number; changes: string }
  | { kind: 'gap'; from: number; to: number }
  | { kind: 'listener'; state: 'connected' | 'disconnected'; error?: string };
