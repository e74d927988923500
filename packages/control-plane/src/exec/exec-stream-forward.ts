import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { StevedoreError } from '@stevedore/core';
import { RELAY_SIGNATURE_HEADER, verifyRelay, type ReplicaRelay } from '../relay/replica-relay';
import { execTokenRoute } from './exec-route';

/**
 * An ECS Exec stream that landed on a replica other than the one that
 * granted its session (docs/design/ecs-exec.md, "Across replicas"): once
 * the client's open message shows the token's route (exec-route.ts), this
 * replica opens the same stream on the granting replica's internal route,
 * signed like every replica hop, replays the open message and then copies
 * frames both ways unchanged: binary stdin and output, text control
 * (resize, eof, started, exit, error), and the close with its code. The
 * granting replica checks the token as for its own clients (single use,
 * TTL); this one only carries bytes.
 */

/** The granting replica's side: the stream of one session, for replicas only. */
export const RELAY_EXEC_STREAM_PATH = /^\/internal\/replica\/v1\/exec\/(ecs-execute-command-[0-9a-f]{24})$/;

const streamPath = (sessionId: string) => `/internal/replica/v1/exec/${sessionId}`;
/** What the hop's signature covers: the method and the path (the upgrade has no body). */
const signedText = (sessionId: string) => `GET ${streamPath(sessionId)}`;

/** True when an upgrade to the internal stream route is signed with the relay key, freshly. */
export function verifyExecStreamHop(key: Buffer | undefined, sessionId: string, signature: string | string[] | undefined, now: number): boolean {
  return key !== undefined && typeof signature === 'string' && verifyRelay(key, signedText(sessionId), signature, now);
}

/** Output (or input) not yet written on one side beyond this pauses the other side's socket. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** Client messages kept while the hop connects (the open message's companions: piped stdin, a resize). */
const EARLY_BYTES = 1024 * 1024;

export interface ExecStreamRoute {
  replicaId: string;
  url: URL;
}

export class ExecStreamForwarder {
  constructor(
    private readonly relay: ReplicaRelay,
    private readonly log: Logger,
  ) {}

  /**
   * The replica that granted `sessionId`, by its token, when it is another
   * live replica; undefined when the token routes nowhere (no route, forged,
   * another session's, a replica that is gone) or here. Throws
   * TargetNotConnectedException for a replica that cannot be reached.
   */
  route(sessionId: string, token: string): ExecStreamRoute | undefined {
    const replicaId = execTokenRoute(this.relay.key, sessionId, token, this.relay.liveReplicaIds());
    if (replicaId === undefined || replicaId === this.relay.replicaId) return undefined;
    const endpoint = this.relay.endpointOf(replicaId, (m) => new StevedoreError('TargetNotConnectedException', m.replace('The agent session is held by', 'The session was granted by'), { retryable: true }));
    if (!endpoint) return undefined;
    const url = new URL(streamPath(sessionId), endpoint);
    url.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
    return { replicaId, url };
  }

  /** Copies `client` to the granting replica and back until either side closes; `open` is the client's first message, replayed there. */
  pipe(client: WebSocket, open: string, route: ExecStreamRoute, sessionId: string): void {
    const log = this.log.child({ execSession: sessionId, grantedBy: route.replicaId });
    log.info('exec stream forwarded to the replica that granted the session');
    const upstream = new WebSocket(route.url, {
      headers: { [RELAY_SIGNATURE_HEADER]: this.relay.sign(signedText(sessionId)) },
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      ...this.relay.clientTls(),
    });
    let early: { data: Buffer; binary: boolean }[] = [];
    let earlyBytes = 0;
    let done = false;
    const fail = (message: string) => {
      if (done) return;
      done = true;
      if (client.readyState === WebSocket.OPEN) {
        client.send(JSON.stringify({ type: 'error', code: 'TargetNotConnectedException', message }));
        client.close(1011, 'relay failed');
      }
      upstream.terminate();
    };
    client.on('message', (data: RawData, binary: boolean) => {
      const buf = toBuffer(data);
      if (upstream.readyState === WebSocket.OPEN) return copy(buf, binary, upstream, client);
      if (upstream.readyState !== WebSocket.CONNECTING) return;
      earlyBytes += buf.length;
      if (earlyBytes > EARLY_BYTES) return fail(`More than ${EARLY_BYTES} bytes of input before the session started.`);
      early.push({ data: buf, binary });
    });
    client.on('close', () => {
      done = true;
      if (upstream.readyState === WebSocket.OPEN) upstream.close(1000);
      else upstream.terminate();
    });
    upstream.on('open', () => {
      if (done) return upstream.close(1000);
      upstream.send(open);
      for (const m of early) copy(m.data, m.binary, upstream, client);
      early = [];
    });
    upstream.on('message', (data: RawData, binary: boolean) => {
      if (client.readyState === WebSocket.OPEN) copy(toBuffer(data), binary, client, upstream);
    });
    upstream.on('unexpected-response', (_req, res) => {
      log.warn({ status: res.statusCode }, 'the replica that granted the exec session refused the forwarded stream');
      fail(res.statusCode === 403 ? `Replica ${route.replicaId} refused the relayed stream (are keys/master.key the same on every replica?).` : `Replica ${route.replicaId} answered HTTP ${res.statusCode}.`);
    });
    upstream.on('error', (e) => {
      log.warn({ error: e.message }, 'the exec stream to the replica that granted the session failed');
      fail(`The replica that granted the session (${route.replicaId}) could not be reached. Try again.`);
    });
    upstream.on('close', (code: number, reason: Buffer) => {
      if (done) return;
      done = true;
      if (client.readyState !== WebSocket.OPEN) return;
      if (code === 1006) {
        client.send(JSON.stringify({ type: 'error', code: 'TargetNotConnectedException', message: `The connection to the replica that granted the session (${route.replicaId}) was lost.` }));
        return client.close(1011, 'relay lost');
      }
      client.close(sendableCode(code), reason.toString('utf8'));
    });
  }
}

/** One frame to `to`, as it came; `to` holding more than the high-water mark pauses `from` until it drains. */
function copy(data: Buffer, binary: boolean, to: WebSocket, from: WebSocket): void {
  to.send(data, { binary }, () => {
    if (to.bufferedAmount < HIGH_WATER_BYTES && from.isPaused) from.resume();
  });
  if (to.bufferedAmount >= HIGH_WATER_BYTES && !from.isPaused) from.pause();
}

function toBuffer(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Close codes a peer may not send (1005 none given, 1006 abnormal, 1015 TLS) become 1000. */
function sendableCode(code: number): number {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999) ? code : 1000;
}
