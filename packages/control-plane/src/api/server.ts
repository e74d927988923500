import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import { isStevedoreError, StevedoreError } from '@stevedore/core';
import type { ApiContext } from './context';
import { ACTIONS } from './router';
import { MAX_BODY_BYTES, parseRequestBody } from './json-limits';
import { StreamingResponse } from './actions/logs';

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * The public API: AWS JSON 1.1 over HTTP, `POST /` with X-Amz-Target. Errors
 * are mapped to ECS's `{__type, message}` here and nowhere else.
 */
export function createApiServer(ctx: ApiContext): http.Server {
  const log = ctx.log;
  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    if (req.method === 'GET' && req.url === '/ping') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, new StevedoreError('UnknownOperationException', 'Only POST / is supported.', { httpStatus: 404 }));
      return;
    }
    const started = process.hrtime.bigint();
    let size = 0;
    const chunks: Buffer[] = [];
    let tooLarge = false;
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_BODY_BYTES) {
      tooLarge = true;
      sendError(res, tooLargeError(), () => req.destroy());
      return;
    }
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        sendError(res, tooLargeError(), () => req.destroy());
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooLarge) return;
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.split('.').pop() ?? '';
      try {
        const action = ACTIONS[target];
        if (!action) throw new StevedoreError('UnknownOperationException', target ? `Unknown operation ${target}.` : 'Missing X-Amz-Target header.');
        const body = parseRequestBody(Buffer.concat(chunks).toString('utf8'));
        const result = action(ctx, body);
        if (result instanceof StreamingResponse) {
          streamNdjson(req, res, result);
          return;
        }
        const text = JSON.stringify(result ?? {});
        res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) }).end(text);
        log.debug({ op, status: 200, ms: msSince(started) }, 'api request');
      } catch (e) {
        const err = toStevedoreError(e, log, op);
        sendError(res, err);
        log.info({ op, status: err.httpStatus, error: err.code, field: err.field, ms: msSince(started) }, 'api request failed');
      }
    });
  });
  // Slow or stalled clients cannot hold sockets forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  return server;
}

function tooLargeError() {
  return new StevedoreError('RequestEntityTooLargeException', `The request body exceeds ${MAX_BODY_BYTES} bytes.`, { httpStatus: 413 });
}

function msSince(start: bigint): number {
  return Number((process.hrtime.bigint() - start) / 1_000_000n);
}

function toStevedoreError(e: unknown, log: ApiContext['log'], op: string): StevedoreError {
  if (isStevedoreError(e)) return e;
  log.error({ op, err: e }, 'unexpected error in API action');
  return new StevedoreError('ServerException', 'An internal error occurred.', { httpStatus: 500 });
}

function sendError(res: http.ServerResponse, err: StevedoreError, after?: () => void): void {
  const body: Record<string, unknown> = { __type: err.code, message: err.message };
  if (err.options.extra) Object.assign(body, err.options.extra);
  const text = JSON.stringify(body);
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(err.httpStatus, { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-ErrorType': err.code, 'content-length': Buffer.byteLength(text), connection: after ? 'close' : 'keep-alive' });
  res.end(text, after);
}

function streamNdjson(req: http.IncomingMessage, res: http.ServerResponse, r: StreamingResponse): void {
  const { stream } = r;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (r.idleTimeoutMs <= 0) return;
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => stream.end('ClientException: the agent stopped sending logs'), r.idleTimeoutMs);
  };
  armIdle();
  stream.on('data', (c: { stream: string; data: string }) => {
    armIdle();
    res.write(JSON.stringify(c) + '\n');
  });
  stream.on('end', (error?: string) => {
    if (idle) clearTimeout(idle);
    if (error) res.write(JSON.stringify({ __type: 'ClientException', message: error }) + '\n');
    res.end();
  });
  res.on('close', () => {
    if (idle) clearTimeout(idle);
    if (!stream.ended) stream.cancel();
  });
  req.resume();
}
