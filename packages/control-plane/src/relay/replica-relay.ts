import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { StevedoreError, type EcsErrorCode } from '@stevedore/core';
import { LogStream, type LogQuery } from '../logs/log-broker';
import type { Store } from '../store/store';

/** The internal route a replica serves to the others: open a log stream on an agent session it holds. */
export const RELAY_LOGS_PATH = '/internal/replica/v1/task-logs';
/** The header carrying the hop's signature: `t=<ms since epoch>,sig=<hex HMAC-SHA256>`. */
export const RELAY_SIGNATURE_HEADER = 'x-stevedore-replica-signature';
/** A signed hop older (or newer) than this is refused: a recorded request cannot be replayed later. */
export const RELAY_MAX_SKEW_MS = 60_000;
/** What the relay key is derived for (SecretBox.deriveKey). */
export const RELAY_KEY_LABEL = 'replica-relay/v1';

/** What one replica asks another: the instance whose session it holds, and the query the caller was authorized for. */
export interface RelayedLogRequest {
  instanceId: string;
  query: LogQuery;
}

export function signRelay(key: Buffer, body: string, at: number): string {
  return `t=${at},sig=${createHmac('sha256', key).update(`${at}\n${body}`).digest('hex')}`;
}

/** True when `header` is a fresh signature of `body` under `key`. */
export function verifyRelay(key: Buffer, body: string, header: string | undefined, now: number): boolean {
  const m = /^t=(\d{1,16}),sig=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const at = Number(m[1]);
  if (Math.abs(now - at) > RELAY_MAX_SKEW_MS) return false;
  const want = createHmac('sha256', key).update(`${at}\n${body}`).digest();
  return timingSafeEqual(want, Buffer.from(m[2]!, 'hex'));
}

/**
 * Relays a GetTaskLogs read to the replica holding the agent's session
 * (docs/design/high-availability.md). The receiving replica has already
 * authenticated and authorized the caller; the hop carries only the instance
 * and the query, signed with a key derived from the master key, which only
 * replicas hold. The holder checks the signature and serves the stream as
 * it would its own caller's; this replica forwards it line by line, and the
 * reader's backpressure reaches the holder through TCP.
 */
export class ReplicaRelay {
  /** Roots the hop trusts over HTTPS: the system's plus the cluster CA (set at start). */
  private trust: string[] | undefined;

  constructor(
    private readonly store: Store,
    readonly replicaId: string,
    readonly key: Buffer,
    private readonly log: Logger,
  ) {}

  trustClusterCa(caPem: string): void {
    this.trust = [...tls.rootCertificates, caPem];
  }

  /**
   * A log stream read through the replica holding `instanceId`'s session;
   * undefined when no other live replica holds it. Throws the holder's
   * refusal (not connected after all, LimitExceededException).
   */
  async openLogs(instanceId: string, query: LogQuery): Promise<LogStream | undefined> {
    const holder = this.store.instances.sessionReplica(instanceId);
    if (holder === null || holder === this.replicaId) return undefined;
    const replica = this.store.leadership.replicas().find((r) => r.id === holder);
    if (!replica) return undefined;
    const url = new URL(RELAY_LOGS_PATH, replica.apiEndpoint);
    // A wildcard listen address names no host another replica can reach (it would reach its own host).
    if (url.hostname === '0.0.0.0' || url.hostname === '[::]') {
      this.log.warn({ instanceId, holder, endpoint: replica.apiEndpoint }, 'cannot relay a log read: the replica holding the agent session listens on a wildcard address');
      throw new StevedoreError('ClientException', `The agent of the task's container instance is connected to replica ${holder}, whose API listens on a wildcard address other replicas cannot reach; read the logs through that replica.`, { retryable: true });
    }
    const body = JSON.stringify({ instanceId, query } satisfies RelayedLogRequest);
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), [RELAY_SIGNATURE_HEADER]: signRelay(this.key, body, Date.now()) };
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req =
        url.protocol === 'https:'
          ? https.request(url, { method: 'POST', headers, ...(this.trust ? { ca: this.trust } : {}) }, resolve)
          : http.request(url, { method: 'POST', headers }, resolve);
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    }).catch((e: Error) => {
      this.log.warn({ instanceId, holder, endpoint: replica.apiEndpoint, error: e.message }, 'relaying a log read to the replica holding the agent session failed');
      throw new StevedoreError('ClientException', `The agent of the task's container instance is connected to replica ${holder}, which could not be reached; logs are unavailable.`, { retryable: true });
    });
    res.setTimeout(0);
    if (res.statusCode !== 200) {
      const text = await readAll(res, 64 * 1024);
      let err: { __type?: unknown; message?: unknown } = {};
      try {
        err = JSON.parse(text) as typeof err;
      } catch {
        // not JSON: reported below as the holder's status
      }
      // The holder's refusals, as ours; anything else (a 403 from a replica without our key) is a ClientException.
      const code: EcsErrorCode = err.__type === 'LimitExceededException' || err.__type === 'InvalidParameterException' ? err.__type : 'ClientException';
      const message = typeof err.message === 'string' ? err.message : `The replica holding the agent session answered HTTP ${res.statusCode}.`;
      if (err.__type === 'AccessDeniedException') this.log.error({ instanceId, holder }, 'the replica holding the agent session refused the relay key: are keys/master.key the same on every replica?');
      throw new StevedoreError(code, message, { retryable: code !== 'InvalidParameterException' });
    }
    return bridge(res, instanceId, query);
  }
}

/** Turns the holder's NDJSON response back into a LogStream. */
function bridge(res: http.IncomingMessage, instanceId: string, query: LogQuery): LogStream {
  const stream = new LogStream(`relay-${instanceId}`, () => undefined, instanceId, query.follow ? 0 : query.maxBytes);
  let pending = '';
  let finished = false;
  const onLine = (line: string) => {
    if (!line) return;
    let m: { stream?: unknown; data?: unknown; truncated?: unknown; __type?: unknown; message?: unknown };
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      finished = true;
      stream.end({ error: 'the replica holding the agent session sent a malformed log line' });
      return;
    }
    if ((m.stream === 'stdout' || m.stream === 'stderr') && typeof m.data === 'string') stream.push(m.stream, Buffer.from(m.data, 'utf8'));
    else if (m.truncated === true) {
      finished = true;
      stream.end({ truncated: true });
    } else if (typeof m.__type === 'string') {
      finished = true;
      stream.end({ error: `${m.__type}: ${typeof m.message === 'string' ? m.message : ''}` });
    }
  };
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while (!finished && (nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onLine(line);
    }
  });
  res.on('end', () => {
    if (!finished && pending) onLine(pending);
    stream.end();
  });
  res.on('error', () => stream.end({ error: 'the replica holding the agent session stopped sending logs' }));
  res.on('close', () => {
    if (!stream.ended) stream.end({ error: 'the replica holding the agent session stopped sending logs' });
  });
  stream.on('pause', () => res.pause());
  stream.on('resume', () => res.resume());
  stream.on('cancel', () => res.destroy());
  return stream;
}

function readAll(res: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (text.length < max) text += c;
    });
    res.on('end', () => resolve(text));
    res.on('error', () => resolve(text));
  });
}
