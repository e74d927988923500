import type * as http from 'node:http';
import { StevedoreError } from '@stevedore/core';
import type { Action } from '../context';
import { operationOf, signingNameOf, type OperationModel, type ServiceModel } from './service-model';
import { decodeQueryInput, paramTree, type ParamNode } from './query-input';
import { encodeQueryError, encodeQueryResponse } from './query-output';

/**
 * The AWS Query protocol (CloudWatch, ELBv2, IAM...): `POST /` with a
 * form-encoded body `Action=Op&Version=YYYY-MM-DD&...` (or `GET /?Action=...`),
 * answered in XML. Service-agnostic: a service plugs in its botocore model
 * (wire shapes) and its operation table. Requests are told apart from JSON
 * ones by having no X-Amz-Target and a form body (or a GET query); the
 * service is picked by the SigV4 credential scope's service name, then by
 * Version. Authentication, authorization, throttling and audit are the
 * server's, exactly as for JSON requests: this module only decodes and encodes.
 */
export interface QueryService {
  model: ServiceModel;
  /**
   * Operations are named `${targetPrefix}.${Op}` to the shared auth, audit
   * and rate limiting, like an X-Amz-Target (for CloudWatch the target prefix
   * of its JSON protocol, GraniteServiceVersion20100801), so one table
   * (auth/operation-resources.ts TARGET_NAMESPACES) maps it to its IAM namespace.
   */
  targetPrefix: string;
  /** Operation name -> action; a Map, since the name comes from the request. */
  actions: ReadonlyMap<string, Action>;
}

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
const XML_CONTENT_TYPE = 'text/xml';

export function isQueryRequest(method: string | undefined, url: string | undefined, headers: http.IncomingHttpHeaders): boolean {
  if (headers['x-amz-target'] !== undefined) return false;
  if (method === 'GET') return /[?&]Action=/.test(url ?? '');
  if (method !== 'POST') return false;
  const type = String(headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === FORM_CONTENT_TYPE;
}

/** One Query request, resolved to its service and operation (both may be unknown until authenticated). */
export interface QueryCall {
  service: QueryService | undefined;
  /** The operation's name as sent (for logs and the response element). */
  op: string;
  /** What auth, audit and throttling see: `${targetPrefix}.${Action}`, or '' for no known service. */
  target: string;
  params: ParamNode;
}

/** The service name of the request's SigV4 credential scope, if it is signed. */
function scopedService(headers: http.IncomingHttpHeaders): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\//.exec(String(headers['authorization'] ?? ''))?.[1];
}

export function resolveQueryCall(services: readonly QueryService[], method: string, url: string, headers: http.IncomingHttpHeaders, body: Buffer): QueryCall {
  const q = url.indexOf('?');
  const text = method === 'GET' ? (q < 0 ? '' : url.slice(q + 1)) : body.toString('utf8');
  const params = paramTree(new URLSearchParams(text));
  const op = params.children.get('Action')?.value ?? '';
  const version = params.children.get('Version')?.value;
  const scope = scopedService(headers);
  const candidates = services.filter((s) => (scope === undefined || signingNameOf(s.model) === scope) && (version === undefined || s.model.metadata.apiVersion === version));
  // Without a version, a signing scope alone must name one service.
  const service = candidates.length === 1 ? candidates[0] : undefined;
  return { service, op, target: service && op ? `${service.targetPrefix}.${op}` : '', params };
}

/** The operation and action of a call, after authentication; InvalidAction otherwise. */
export function queryOperation(call: QueryCall): { op: OperationModel; action: Action; service: QueryService } {
  if (!call.op) throw new StevedoreError('MissingAction', 'The request must contain the parameter Action.', { field: 'Action' });
  const op = call.service && operationOf(call.service.model, call.op);
  const action = call.service?.actions.get(call.op);
  if (!call.service || !op || !action) {
    const version = call.params.children.get('Version')?.value;
    throw new StevedoreError('InvalidAction', `Could not find operation ${call.op.slice(0, 128)} for version ${(version ?? 'NO_VERSION_SPECIFIED').slice(0, 32)}`, { field: 'Action' });
  }
  return { op, action, service: call.service };
}

export function decodeQueryCall(call: QueryCall, op: OperationModel, service: QueryService): Record<string, unknown> {
  return decodeQueryInput(service.model, op.input, call.params);
}

export function sendQueryResult(res: http.ServerResponse, service: QueryService, op: OperationModel, result: unknown, requestId: string): void {
  const text = encodeQueryResponse(service.model, op, result, requestId);
  res.writeHead(200, { 'content-type': XML_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Stevedore's shared error codes (auth, throttling, limits) under the names Query services use. */
const QUERY_CODES: ReadonlyMap<string, { code: string; status?: number }> = new Map([
  ['AccessDeniedException', { code: 'AccessDenied', status: 403 }],
  ['UnrecognizedClientException', { code: 'InvalidClientTokenId', status: 403 }],
  ['InvalidSignatureException', { code: 'SignatureDoesNotMatch', status: 403 }],
  ['ThrottlingException', { code: 'Throttling', status: 400 }],
  ['UnknownOperationException', { code: 'InvalidAction', status: 400 }],
  ['SerializationException', { code: 'MalformedQueryString', status: 400 }],
  ['RequestEntityTooLargeException', { code: 'RequestEntityTooLarge', status: 413 }],
  ['InvalidParameterException', { code: 'InvalidParameterValue', status: 400 }],
  ['ServerException', { code: 'InternalFailure', status: 500 }],
]);

/** Code and HTTP status of an error: the service model's own where it declares the code. */
export function queryErrorOf(err: StevedoreError, model: ServiceModel | undefined): { code: string; status: number } {
  const mapped = QUERY_CODES.get(err.code);
  if (mapped) return { code: mapped.code, status: mapped.status ?? err.httpStatus };
  if (model) {
    // An error raised by the name of the model's shape (`LoadBalancerNotFoundException`, as the
    // JSON form of the same operation has it) goes out under the shape's wire code (`LoadBalancerNotFound`).
    const named = Object.prototype.hasOwnProperty.call(model.shapes, err.code) ? model.shapes[err.code] : undefined;
    if (named?.error?.code) return { code: named.error.code, status: named.error.httpStatusCode ?? err.httpStatus };
    for (const shape of Object.values(model.shapes)) {
      if (shape.error?.code === err.code && shape.error.httpStatusCode) return { code: err.code, status: shape.error.httpStatusCode };
    }
  }
  return { code: err.code, status: err.httpStatus };
}

export function sendQueryError(res: http.ServerResponse, err: StevedoreError, service: QueryService | undefined, requestId: string, after?: () => void): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const { code, status } = queryErrorOf(err, service?.model);
  const text = encodeQueryError(service?.model.metadata.xmlNamespace, code, err.message, status < 500, requestId);
  res.writeHead(status, { 'content-type': XML_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), connection: after ? 'close' : 'keep-alive' });
  res.end(text, after);
}
