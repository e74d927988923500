import * as http from 'node:http';
import * as https from 'node:https';
import { randomUUID } from 'node:crypto';
import { isStevedoreError, StevedoreError } from '@stevedore/core';
import type { ApiContext } from './context';
import { actionFor, dispatch, QUERY_SERVICES, REST_JSON_SERVICES, STEVEDORE_TARGET_PREFIX } from './router';
import { MAX_BODY_BYTES, parseRequestBody } from './json-limits';
import { StreamingResponse } from './actions/logs';
import { writeLogResponse } from './log-response';
import { RELAY_POST_PATHS } from './replica-relay-route';
import type { ApiAuth } from './auth/api-auth';
import { sendJsonError, sendJsonResult } from './protocols/json';
import { decodeQueryCall, isQueryRequest, queryOperation, resolveQueryCall, sendQueryError, sendQueryResult, type QueryService } from './protocols/query';
import { decodeJsonInput, jsonModelServiceOf, sendJsonModelError, sendJsonModelResult } from './protocols/json-model';
import { operationOf } from './protocols/service-model';
import { decodeRestJsonInput, RestJsonRouter, restJsonAction, sendRestJsonError, sendRestJsonResult } from './protocols/rest-json';
import { REDEEM_CONSOLE_SIGNIN_TOKEN, redeemConsoleSigninToken } from './actions/console-sessions';

export interface ApiServerOptions {
  /** Every request but GET /ping and GET /ready goes through it. */
  auth: ApiAuth;
  /** Requests one client address may have in flight at once; more are throttled. */
  maxInFlightPerClient?: number;
  /** Deadline for the request headers, then for the whole request (headers and body). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * Serve HTTPS. The server starts without an identity: the caller sets one
   * with setSecureContext before it listens, and again on every renewal.
   */
  tls?: boolean;
  /** `GET /metrics` (Prometheus, with its own bearer-token check). */
  metricsRoute?: http.RequestListener;
  /** `POST /internal/replica/v1/...`: other replicas' relayed log reads and exec grants, signed with the relay key (replica-relay-route.ts). */
  relayRoute?: http.RequestListener;
  /** `GET /ready` (unauthenticated: leadership and store reachability only). */
  readinessRoute?: http.RequestListener;
  /** `GET /console/...`: the web console's static files (console-route.ts). */
  consoleRoute?: http.RequestListener;
  /** Told each finished request: its X-Amz-Target, HTTP status and duration (Prometheus). */
  onRequest?: (target: string, status: number, seconds: number) => void;
}

/** The API's server: plain HTTP on loopback, HTTPS elsewhere (see config.ts apiTlsOf). */
export type ApiServer = http.Server | https.Server;

/**
 * The public API: AWS JSON 1.1 over HTTP, `POST /` with X-Amz-Target, and
 * the AWS Query protocol (form in, XML out) for CloudWatch, told apart per
 * request (protocols/). Each request is authenticated (SigV4), throttled per
 * access key, parsed with size and depth limits, authorized against the
 * caller's role, and only then handed to its action; both protocols take
 * the same path. Errors are mapped to the protocol's error shape here
 * (`{__type, message}` or `<ErrorResponse>`) and nowhere else.
 */
export function createApiServer(ctx: ApiContext, opts: ApiServerOptions): ApiServer {
  const log = ctx.log;
  const { auth } = opts;
  const maxInFlight = opts.maxInFlightPerClient ?? 64;
  const inFlight = new Map<string, number>();
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const restRoutes = new RestJsonRouter(REST_JSON_SERVICES);
  // Node checks request deadlines on this period: keep it well under the deadline so slow bodies are cut on time.
  const serverOptions: http.ServerOptions = { connectionsCheckingInterval: Math.max(100, Math.min(1000, requestTimeout / 4)) };
  const handler: http.RequestListener = (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    if (req.method === 'GET' && req.url === '/ping') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/ready' && opts.readinessRoute) {
      opts.readinessRoute(req, res);
      return;
    }
    if (req.method === 'POST' && RELAY_POST_PATHS.has(req.url ?? '') && opts.relayRoute) {
      opts.relayRoute(req, res);
      return;
    }
    const query = isQueryRequest(req.method, req.url, req.headers);
    // REST-JSON: the method and path name a modelled operation (EventBridge Scheduler's `POST /schedules/{Name}`).
    const rest = query ? undefined : restRoutes.match(req.method, req.url, req.headers);
    // Errors before the service is known (throttled, too large) still come in the request's protocol.
    let queryService: QueryService | undefined;
    // A JSON request to a modelled Query service (CloudWatch as current SDKs call it) answers in JSON 1.0 with Query error codes.
    const modelJson = query ? undefined : jsonModelServiceOf(QUERY_SERVICES, String(req.headers['x-amz-target'] ?? ''));
    const sendError = (r: http.ServerResponse, err: StevedoreError, after?: () => void) =>
      query ? sendQueryError(r, err, queryService, requestId, after) : rest ? sendRestJsonError(r, err, rest.service, after) : modelJson ? sendJsonModelError(r, err, modelJson, after) : sendJsonError(r, err, after);
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics' && opts.metricsRoute) {
      opts.metricsRoute(req, res);
      return;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && /^\/console(\/|$|\?)/.test(req.url ?? '') && opts.consoleRoute) {
      opts.consoleRoute(req, res);
      return;
    }
    const remote = req.socket.remoteAddress ?? 'unknown';
    const busy = inFlight.get(remote) ?? 0;
    if (busy >= maxInFlight) {
      sendError(res, new StevedoreError('ThrottlingException', 'Rate exceeded', { retryable: true }), () => req.destroy());
      return;
    }
    inFlight.set(remote, busy + 1);
    res.once('close', () => {
      const n = (inFlight.get(remote) ?? 1) - 1;
      if (n <= 0) inFlight.delete(remote);
      else inFlight.set(remote, n);
    });
    if (req.method !== 'POST' && !query && !rest) {
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
      const raw = Buffer.concat(chunks);
      let accessKeyId: string | undefined;
      let op = '';
      // The operation's X-Amz-Target (JSON) or its equivalent (Query), for the request metrics.
      let target = '';
      const received = { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headersDistinct, body: raw };
      const handleJson = async () => {
        target = String(req.headers['x-amz-target'] ?? '');
        op = target.split('.').pop() ?? '';
        if (target === `${STEVEDORE_TARGET_PREFIX}${REDEEM_CONSOLE_SIGNIN_TOKEN}`) {
          // Unsigned: the one-time sign-in token in the body is the credential (actions/console-sessions.ts).
          const result = redeemConsoleSigninToken(ctx, parseRequestBody(raw.toString('utf8')));
          return () => sendJsonResult(res, result);
        }
        const principal = await auth.authenticate(received, target, remote);
        accessKeyId = principal.accessKeyId;
        if (modelJson) {
          const operation = operationOf(modelJson.model, op);
          const action = modelJson.actions.get(op);
          if (!operation || !action) throw new StevedoreError('UnknownOperationException', `Unknown operation ${target.slice(0, 200)}.`);
          const input = decodeJsonInput(modelJson.model, operation.input, parseRequestBody(raw.toString('utf8')));
          auth.authorize(principal, target, input);
          const result = await dispatch(ctx, principal, target, input, action);
          return () => sendJsonModelResult(res, modelJson, operation, result);
        }
        actionFor(target); // an unknown operation is refused before its body is parsed
        const body = parseRequestBody(raw.toString('utf8'));
        auth.authorize(principal, target, body);
        // The exec stream URL ExecuteCommand returns names the endpoint the caller used.
        const result = await dispatch(req.headers.host === undefined ? ctx : { ...ctx, requestHost: req.headers.host }, principal, target, body);
        return () => {
          if (result instanceof StreamingResponse) writeLogResponse(req, res, result);
          else sendJsonResult(res, result);
        };
      };
      const handleQuery = async () => {
        const call = resolveQueryCall(QUERY_SERVICES, received.method, received.url, req.headers, raw);
        op = call.op.slice(0, 128);
        queryService = call.service;
        target = call.target;
        const principal = await auth.authenticate(received, call.target, remote);
        accessKeyId = principal.accessKeyId;
        const { op: operation, action, service } = queryOperation(call);
        const body = decodeQueryCall(call, operation, service);
        auth.authorize(principal, call.target, body);
        const result = await dispatch(ctx, principal, call.target, body, action);
        return () => sendQueryResult(res, service, operation, result, requestId);
      };
      const handleRest = async () => {
        const call = rest!;
        op = call.op.name;
        target = call.target;
        const principal = await auth.authenticate(received, call.target, remote);
        accessKeyId = principal.accessKeyId;
        const action = restJsonAction(call);
        const body = decodeRestJsonInput(call, req.headers, raw);
        auth.authorize(principal, call.target, body);
        const result = await dispatch(ctx, principal, call.target, body, action);
        return () => sendRestJsonResult(res, call.service, call.op, result);
      };
      (query ? handleQuery() : rest ? handleRest() : handleJson()).then(
        (send) => {
          send();
          log.debug({ op, accessKeyId, status: 200, ms: msSince(started) }, 'api request');
          opts.onRequest?.(target, 200, Number(process.hrtime.bigint() - started) / 1e9);
        },
        (e: unknown) => {
          const err = toStevedoreError(e, log, op);
          sendError(res, err);
          log.info({ op, accessKeyId, status: err.httpStatus, error: err.code, field: err.field, ms: msSince(started) }, 'api request failed');
          opts.onRequest?.(target, err.httpStatus, Number(process.hrtime.bigint() - started) / 1e9);
        },
      );
    });
  };
  const server: ApiServer = opts.tls ? https.createServer({ ...serverOptions, minVersion: 'TLSv1.2', handshakeTimeout: opts.headersTimeoutMs ?? 10_000 }, handler) : http.createServer(serverOptions, handler);
  // Slow or stalled clients cannot hold sockets forever: headers, then the
  // whole request (a body trickled byte by byte included) have deadlines.
  server.headersTimeout = opts.headersTimeoutMs ?? 10_000;
  server.requestTimeout = requestTimeout;
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

