import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { grpcError, status } from './grpc-errors';
import type { Peer } from './channel-auth';
import type { RefusalLog } from './refusal-log';

/**
 * What an rpc's body may do with a bad request: refuse it with a status,
 * logged once through the rate-limited refusal log (refusals are security
 * events, and an agent can cause them in a loop).
 */
export interface Refuser {
  /** The error to throw: `throw refuse(...)`. */
  refuse(code: status, details: string, what: string, fields?: Record<string, unknown>): Partial<grpc.ServiceError>;
}

export function refuser(refusals: RefusalLog, call: { getPeer(): string }): Refuser {
  return {
    refuse(code, details, what, fields = {}) {
      refusals.warn({ peer: call.getPeer(), ...fields, reason: details }, what);
      return grpcError(code, details);
    },
  };
}

export interface UnaryContext extends Refuser {
  peer: Peer;
}

export interface UnaryDeps {
  log: Logger;
  refusals: RefusalLog;
  /** The certificate's identity, or throws the status the call ends with. */
  authenticate(call: grpc.ServerUnaryCall<unknown, unknown>): Peer;
  /** The caller's own current session exists (calls bound to a session). */
  hasSession(peer: Peer, metadata: grpc.Metadata, sessionId: string | undefined): boolean;
}

/**
 * The one shape of the dispatcher's unary rpcs: authenticate the caller by
 * its certificate, check its session when the call needs one, run the body,
 * and map what it throws to a status in one place: a gRPC status as is
 * (refusals), anything else INTERNAL with the error logged, never sent.
 */
export function unaryHandler<Req, Res>(
  deps: UnaryDeps,
  what: string,
  opts: { session: boolean },
  body: (ctx: UnaryContext, request: Req) => Res | Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    let peer: Peer;
    try {
      peer = deps.authenticate(call as grpc.ServerUnaryCall<unknown, unknown>);
    } catch (e) {
      return cb(e as grpc.ServiceError);
    }
    if (opts.session && !deps.hasSession(peer, call.metadata, (call.request as { session_id?: string }).session_id)) {
      return cb(grpcError(status.NOT_FOUND, 'unknown or superseded session'));
    }
    const fail = (e: unknown) => cb(isGrpcError(e) ? e : internalError(deps.log, e, what));
    try {
      const res = body({ peer, ...refuser(deps.refusals, call) }, call.request);
      // A body that answers after a shared commit (report-ingest.ts) returns a promise.
      if (res instanceof Promise) res.then((r) => cb(null, r), fail);
      else cb(null, res);
    } catch (e) {
      fail(e);
    }
  };
}

export function internalError(log: Logger, e: unknown, what: string): Partial<grpc.ServiceError> {
  log.error({ err: e }, `dispatcher ${what} failed`);
  return grpcError(status.INTERNAL, 'internal error');
}

export function isGrpcError(e: unknown): e is Partial<grpc.ServiceError> {
  return typeof e === 'object' && e !== null && 'code' in e && 'details' in e && typeof (e as { code: unknown }).code === 'number';
}
