import type * as http from 'node:http';
import type { StevedoreError } from '@stevedore/core';

/**
 * AWS JSON 1.1 (ECS, Secrets Manager, Stevedore's own operations): `POST /`
 * with X-Amz-Target, JSON in and out, errors as `{__type, message}`. The
 * sibling of query.ts; the server picks one per request.
 */
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

export function sendJsonResult(res: http.ServerResponse, result: unknown): void {
  const text = JSON.stringify(result ?? {});
  res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) }).end(text);
}

export function sendJsonError(res: http.ServerResponse, err: StevedoreError, after?: () => void): void {
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
