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
 * The hop from one replica to another (docs/design/high-availability.md):
 * reads and sessions that need an agent's gRPC session go to the replica
 * holding it. The receiving replica has already authenticated and
 * authorized its caller; a hop carries only what the holder needs, signed
 * with a key derived from the master key, which only replicas hold. This
 * class finds the holder and its address and signs; it relays GetTaskLogs
 * itself (line by line, the reader's backpressure reaching the holder
 * through TCP); ECS Exec's grants and streams go through it from exec/.
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

  /** Signs a hop body now (the `x-stevedore-replica-signature` header's value). */
  sign(body: string): string {
    return signRelay(this.key, body, Date.now());
  }

  /** TLS options of a hop to another replica: the system roots plus the cluster CA. */
  clientTls(): { ca?: string[] } {
    return this.trust ? { ca: this.trust } : {};
  }

  /** Ids of the replicas with a liveness row (this one included). */
  liveReplicaIds(): string[] {
    return this.store.leadership.replicas().map((r) => r.id);
  }

  /**
   * The API endpoint other replicas reach `replicaId` at (its `--api-advertise`,
   * else its listen address); undefined when it has no liveness row. `refuse`
   * builds the caller's error for a replica whose endpoint is a wildcard
   * address (it listens on every interface and advertises none).
   */
  endpointOf(replicaId: string, refuse: (message: string) => StevedoreError): URL | undefined {
    const replica = this.store.leadership.replicas().find((r) => r.id === replicaId);
    if (!replica) return undefined;
    const url = new URL(replica.apiEndpoint);
    // A wildcard listen address names no host another replica can reach (it would reach its own host).
    if (isWildcardHost(url.hostname)) {
      this.log.warn({ replica: replicaId, endpoint: replica.apiEndpoint }, 'cannot relay to a replica whose API listens on a wildcard address without --api-advertise');
      throw refuse(`The agent session is held by replica ${replicaId}, whose API listens on a wildcard address and advertises none (start it with --api-advertise HOST:PORT); other replicas cannot reach it.`);
    }
    return url;
  }

  /** The replica holding `instanceId`'s agent session when it is another live one: its id and endpoint. */
  holderOf(instanceId: string, refuse: (message: string) => StevedoreError): { id: string; endpoint: URL } | undefined {
    const holder = this.store.instances.sessionReplica(instanceId);
    if (holder === null || holder === this.replicaId) return undefined;
    const endpoint = this.endpointOf(holder, refuse);
    return endpoint ? { id: holder, endpoint } : undefined;
  }

  /** POSTs a signed hop; rejects on transport errors (10 s to connect and answer headers). */
  post(url: URL, body: string): Promise<http.IncomingMessage> {
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), [RELAY_SIGNATURE_HEADER]: this.sign(body) };
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = url.protocol === 'https:' ? https.request(url, { method: 'POST', headers, ...this.clientTls() }, resolve) : http.request(url, { method: 'POST', headers }, resolve);
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    }).then((res) => {
      res.setTimeout(0);
      return res;
    });
  }

  /**
   * A log stream read through the replica holding `instanceId`'s session;
   * undefined when no other live replica holds it. Throws the holder's
   * refusal (not connected after all, LimitExceededException).
   */
  async openLogs(instanceId: string, query: LogQuery): Promise<LogStream | undefined> {
    const holder = this.holderOf(instanceId, (message) => new StevedoreError('ClientException', `${message} Read the logs through that replica.`, { retryable: true }));
    if (!holder) return undefined;
    const body = JSON.stringify({ instanceId, query } satisfies RelayedLogRequest);
    const res = await this.post(new URL(RELAY_LOGS_PATH, holder.endpoint), body).catch((e: Error) => {
      this.log.warn({ instanceId, holder: holder.id, endpoint: holder.endpoint.href, error: e.message }, 'relaying a log read to the replica holding the agent session failed');
      throw new StevedoreError('ClientException', `The agent of the task's container instance is connected to replica ${holder.id}, which could not be reached; logs are unavailable.`, { retryable: true });
    });
    if (res.statusCode !== 200) {
      const err = await readRelayError(res);
      // The holder's refusals, as ours; anything else (a 403 from a replica without our key) is a ClientException.
      const code: EcsErrorCode = err.code === 'LimitExceededException' || err.code === 'InvalidParameterException' ? err.code : 'ClientException';
      if (err.code === 'AccessDeniedException') this.log.error({ instanceId, holder: holder.id }, 'the replica holding the agent session refused the relay key: are keys/master.key the same on every replica?');
      throw new StevedoreError(code, err.message, { retryable: code !== 'InvalidParameterException' });
    }
    return bridge(res, instanceId, query);
  }
}

/** A wildcard listen address: every interface, no host another machine can dial. */
export function isWildcardHost(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** The holder's refusal: `{__type, message}` read from a non-200 hop answer. */
export async function readRelayError(res: http.IncomingMessage): Promise<{ code: string; message: string }> {
  const text = await readAll(res, 64 * 1024);
  let err: { __type?: unknown; message?: unknown } = {};
  try {
    err = JSON.parse(text) as typeof err;
  } catch {
    // not JSON: reported as the holder's status
  }
  return {
    code: typeof err.__type === 'string' ? err.__type : 'ServerException',
    message: typeof err.message === 'string' ? err.message : `The replica holding the agent session answered HTTP ${res.statusCode}.`,
  };
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
