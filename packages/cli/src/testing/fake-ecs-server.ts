/**
 * A tiny ECS JSON endpoint on 127.0.0.1 with canned replies, for the CLI's
 * unit tests. Real HTTP, so the client's headers, status handling and
 * streaming are exercised as they are against the control plane.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  target: string;
  operation: string;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

/** A non-200 JSON reply. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly contentType = 'application/x-amz-json-1.1',
  ) {}
}

/** A streamed reply: the function writes to the open response and ends it (or not). */
export class StreamReply {
  constructor(readonly write: (res: http.ServerResponse) => void | Promise<void>) {}
}

export type Handler = (body: Record<string, unknown>, call: RecordedCall) => unknown;

export interface FakeEcs {
  endpoint: string;
  calls: RecordedCall[];
  callsTo(operation: string): RecordedCall[];
  close(): Promise<void>;
}

export function ecsError(type: string, message: string, status = 400): Reply {
  return new Reply(status, { __type: type, message });
}

export async function startFakeEcs(handlers: Record<string, Handler>): Promise<FakeEcs> {
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = target.split('.').pop() ?? '';
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          return send(res, new Reply(400, { __type: 'SerializationException', message: 'bad JSON' }));
        }
        const call = { target, operation, body, headers: req.headers };
        calls.push(call);
        const handler = handlers[operation];
        if (!handler) return send(res, ecsError('UnknownOperationException', `no handler for ${target}`));
        try {
          send(res, await handler(body, call));
        } catch (e) {
          send(res, ecsError('ServerException', String(e), 500));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (op) => calls.filter((c) => c.operation === op),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, reply: unknown): void {
  if (reply instanceof StreamReply) {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' });
    void reply.write(res);
    return;
  }
  const r = reply instanceof Reply ? reply : new Reply(200, reply ?? {});
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, { 'content-type': r.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
