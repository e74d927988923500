import type * as http from 'node:http';
import type * as https from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ExecRefusal, type ExecOutput, type ExecRelay, type ExecSessionHandle } from '../exec/exec-relay';
import { RELAY_EXEC_STREAM_PATH, verifyExecStreamHop, type ExecStreamForwarder } from '../exec/exec-stream-forward';
import { RELAY_SIGNATURE_HEADER } from '../relay/replica-relay';

/**
 * The `streamUrl` of ExecuteCommand's session: a WebSocket on the API's own
 * endpoint, `/v1/exec/<sessionId>` (docs/design/ecs-exec.md, "Stream
 * protocol"). The upgrade itself carries no credentials: the client's first
 * message must be `{"type":"open","token":...}` with the session's
 * single-use token (SSM's data channel opens the same way, with the token
 * in its first message), so the token never sits in a URL or a proxy's log.
 * After that, binary messages are stdin one way and output the other
 * (first byte 1 = stdout, 2 = stderr); text messages are control: resize and
 * eof from the client, started, exit and error to it.
 *
 * With several replicas, a stream whose session another replica granted is
 * forwarded there (exec/exec-stream-forward.ts) once its open message shows
 * the token's route; the granting replica serves it on an internal route
 * that takes only upgrades signed with the relay key.
 */

export const EXEC_STREAM_PATH = /^\/v1\/exec\/(ecs-execute-command-[0-9a-f]{24})$/;

/** Time the client has to send its open message after the upgrade. */
const OPEN_TIMEOUT_MS = 10_000;
/** Largest message a client may send (keystrokes, pasted text, a resize). */
const MAX_CLIENT_MESSAGE = 64 * 1024;

export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;

interface OpenMessage {
  type: 'open';
  token: string;
  tty?: boolean;
  cols?: number;
  rows?: number;
}

function parseControl(data: RawData): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : 0);

/** Forwarding to other replicas: absent without a relay key (one replica, in memory). */
export interface ExecStreamRelaying {
  forwarder: ExecStreamForwarder;
  key: Buffer;
  now: () => number;
}

/** Serves exec streams on the API server's upgrade requests; anything else upgrading is refused. Returns what drops every stream at shutdown. */
export function attachExecStreams(server: http.Server | https.Server, relay: ExecRelay, log: Logger, relaying?: ExecStreamRelaying): { closeAll(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE, perMessageDeflate: false, clientTracking: true });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const m = EXEC_STREAM_PATH.exec(path);
    const hop = m ? undefined : RELAY_EXEC_STREAM_PATH.exec(path);
    if ((!m && !hop) || req.method !== 'GET') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (hop) {
      // Another replica forwarding a client's stream: only with the relay key, and served here only (never forwarded again).
      if (!relaying || !verifyExecStreamHop(relaying.key, hop[1]!, req.headers[RELAY_SIGNATURE_HEADER], relaying.now())) {
        log.warn({ execSession: hop[1], remote: req.socket.remoteAddress }, 'an exec stream hop not signed with the replica relay key was refused');
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => serve(ws, hop[1]!, relay, log, undefined));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, m![1]!, relay, log, relaying?.forwarder));
  });
  // Upgraded sockets are not the HTTP server's any more: closing it would wait for them.
  return { closeAll: () => wss.clients.forEach((ws) => ws.terminate()) };
}

function serve(ws: WebSocket, sessionId: string, relay: ExecRelay, log: Logger, forwarder: ExecStreamForwarder | undefined): void {
  let handle: ExecSessionHandle | undefined;
  let closed = false;
  /** Handed to the forwarder: this function no longer reads or writes the stream. */
  let forwarded = false;
  const drained: (() => void)[] = [];
  const close = (code = 1000, reason = '') => {
    if (closed) return;
    closed = true;
    ws.close(code, reason);
  };
  const send = (out: ExecOutput) => {
    if (closed || ws.readyState !== ws.OPEN) return;
    const after = () => {
      if (ws.bufferedAmount === 0) drained.forEach((fn) => fn());
    };
    if (out.kind === 'data') ws.send(Buffer.concat([Buffer.from([out.stream === 'stderr' ? STREAM_STDERR : STREAM_STDOUT]), out.data]), { binary: true }, after);
    else if (out.kind === 'started') ws.send(JSON.stringify({ type: 'started' }));
    else if (out.kind === 'exit') ws.send(JSON.stringify({ type: 'exit', exitCode: out.exitCode }));
    else ws.send(JSON.stringify({ type: 'error', code: out.code, message: out.message }));
  };
  const timer = setTimeout(() => {
    if (!handle) {
      send({ kind: 'error', code: 'InvalidTokenException', message: 'No open message with the session token.' });
      close(1008, 'no token');
    }
  }, OPEN_TIMEOUT_MS);
  ws.on('message', (data, isBinary) => {
    if (closed || forwarded) return;
    if (handle) {
      if (isBinary) return handle.input(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
      const c = parseControl(data);
      if (c?.['type'] === 'resize') handle.resize(num(c['cols']), num(c['rows']));
      else if (c?.['type'] === 'eof') handle.eof();
      return;
    }
    const open = isBinary ? undefined : (parseControl(data) as Partial<OpenMessage> | undefined);
    if (open?.type !== 'open' || typeof open.token !== 'string' || open.token.length > 256) {
      send({ kind: 'error', code: 'InvalidTokenException', message: 'The first message must be {"type":"open","token":...}.' });
      return close(1008, 'no token');
    }
    clearTimeout(timer);
    if (forwarder && !relay.holds(sessionId)) {
      // Not granted here: the token says which replica granted it, if any.
      try {
        const route = forwarder.route(sessionId, open.token);
        if (route) {
          forwarded = true;
          return forwarder.pipe(ws, (Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])).toString('utf8'), route, sessionId);
        }
      } catch (e) {
        send({ kind: 'error', code: 'TargetNotConnectedException', message: (e as Error).message });
        return close(1011, 'relay failed');
      }
    }
    try {
      handle = relay.open(sessionId, open.token, { tty: open.tty === true, cols: num(open.cols), rows: num(open.rows) }, {
        send,
        close: () => close(),
        pending: () => ws.bufferedAmount,
        onDrained: (fn) => drained.push(fn),
      });
    } catch (e) {
      if (!(e instanceof ExecRefusal)) log.error({ err: e, execSession: sessionId }, 'exec stream failed');
      send({ kind: 'error', code: e instanceof ExecRefusal ? e.code : 'ServerException', message: e instanceof ExecRefusal ? e.message : 'An internal error occurred.' });
      log.warn({ execSession: sessionId, reason: (e as Error).message }, 'exec stream refused');
      close(1008, 'refused');
    }
  });
  ws.on('close', () => {
    closed = true;
    clearTimeout(timer);
    handle?.close();
  });
  ws.on('error', () => undefined);
}
