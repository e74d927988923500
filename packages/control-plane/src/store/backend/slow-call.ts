import type { BridgeRequest } from './bridge-protocol';

/** A bridge call that blocked the calling thread for long (logged by the control plane). */
export interface SlowCall {
  /** The bridge's request id (the worker answers in request order). */
  id: number;
  /** The operation and its SQL as sent (no parameter values: they may hold secrets). */
  statement: string;
  ms: number;
  /** Sleeps the caller went through before the reply (each at most the bridge's wait slice). */
  slices: number;
  error?: string;
}

export function describeRequest(req: BridgeRequest): string {
  const oneLine = (sql: string) => {
    const s = sql.replace(/\s+/g, ' ').trim();
    return s.length > 240 ? `${s.slice(0, 240)}...` : s;
  };
  switch (req.op) {
    case 'query':
      return `query ${oneLine(req.sql)}`;
    case 'exec':
      return req.before?.length ? `exec ${oneLine(req.sql)} after ${req.before.map((b) => oneLine(b.sql)).join('; ')}` : `exec ${oneLine(req.sql)}`;
    default:
      return req.op;
  }
}
