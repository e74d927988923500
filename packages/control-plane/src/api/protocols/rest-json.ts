import type * as http from 'node:http';
import { StevedoreError } from '@stevedore/core';
import type { Action } from '../context';
import { operationOf, shapeOf, signingNameOf, type OperationModel, type ServiceModel, type Shape, type ShapeRef } from './service-model';
import { decodeRestValue, encodeRestValue } from './rest-json-values';

/**
 * AWS REST-JSON (EventBridge Scheduler...): the operation is the HTTP method
 * and path (`POST /schedules/{Name}`), members travel where the model's
 * `location` puts them (URI label, query string, header, or the JSON body),
 * and errors come with `X-Amzn-ErrorType` and a JSON body. Service-agnostic:
 * the routes are compiled from each operation's `http` trait in the
 * service's botocore model, so another REST-JSON service is added by data
 * (its model and its operation table), as with query.ts. Authentication,
 * authorization, throttling and audit are the server's, exactly as for the
 * other protocols: this module only routes, decodes and encodes.
 */
export interface RestJsonService {
  model: ServiceModel;
  /** Operations are named `${targetPrefix}.${Op}` to auth, audit and rate limiting, like an X-Amz-Target. */
  targetPrefix: string;
  actions: ReadonlyMap<string, Action>;
}

export const REST_JSON_CONTENT_TYPE = 'application/json';

type Segment = { literal: string } | { label: string; greedy: boolean };

interface Route {
  service: RestJsonService;
  op: OperationModel;
  method: string;
  segments: Segment[];
  /** Literal query parameters of the requestUri (`/x?versioning`), which the request must carry too. */
  query: [string, string][];
}

/** One request, resolved to its service, operation and the values of its URI labels. */
export interface RestJsonCall {
  service: RestJsonService;
  op: OperationModel;
  target: string;
  labels: Map<string, string>;
  query: URLSearchParams;
}

function compile(service: RestJsonService, op: OperationModel): Route | undefined {
  if (!op.http) return undefined;
  const [path = '/', qs = ''] = op.http.requestUri.split('?');
  const segments = path.split('/').filter((s) => s !== '').map((s): Segment => {
    const m = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(s);
    return m ? { label: m[1]!, greedy: m[2] === '+' } : { literal: s };
  });
  const query = [...new URLSearchParams(qs)];
  return { service, op, method: op.http.method.toUpperCase(), segments, query };
}

function matchPath(route: Route, parts: string[]): Map<string, string> | undefined {
  const labels = new Map<string, string>();
  for (let k = 0; k < route.segments.length; k++) {
    const seg = route.segments[k]!;
    if ('literal' in seg) {
      if (parts[k] !== seg.literal) return undefined;
      continue;
    }
    const raw = seg.greedy ? parts.slice(k).join('/') : parts[k];
    if (raw === undefined || raw === '') return undefined;
    try {
      labels.set(seg.label, decodeURIComponent(raw));
    } catch {
      return undefined;
    }
    if (seg.greedy) return labels;
  }
  return parts.length === route.segments.length ? labels : undefined;
}

/** The service name of the request's SigV4 credential scope, if it is signed. */
function scopedService(headers: http.IncomingHttpHeaders): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\//.exec(String(headers['authorization'] ?? ''))?.[1];
}

/** The routes of every REST-JSON service, matched per request. */
export class RestJsonRouter {
  private readonly routes: Route[];

  constructor(services: readonly RestJsonService[]) {
    this.routes = services.flatMap((s) => Object.values(s.model.operations).map((op) => compile(s, op)).filter((r): r is Route => r !== undefined));
    // The most specific first: more literal segments (`/schedules/{Name}` before a greedy `/{Key+}`), then more literal query parameters.
    const literals = (r: Route) => r.segments.filter((s) => 'literal' in s).length;
    this.routes.sort((a, b) => literals(b) - literals(a) || b.query.length - a.query.length);
  }

  /**
   * The call a request makes, or undefined when no route has its method and
   * path (the request is then some other protocol's). Two services with the
   * same route are told apart by the SigV4 scope's service name.
   */
  match(method: string | undefined, url: string | undefined, headers: http.IncomingHttpHeaders): RestJsonCall | undefined {
    if (headers['x-amz-target'] !== undefined || !method) return undefined;
    const u = url ?? '/';
    const q = u.indexOf('?');
    const parts = (q < 0 ? u : u.slice(0, q)).split('/').filter((s) => s !== '');
    const query = new URLSearchParams(q < 0 ? '' : u.slice(q + 1));
    const scope = scopedService(headers);
    const found: RestJsonCall[] = [];
    for (const r of this.routes) {
      if (r.method !== method.toUpperCase()) continue;
      if (!r.query.every(([k, v]) => query.has(k) && (v === '' || query.get(k) === v))) continue;
      const labels = matchPath(r, parts);
      if (!labels) continue;
      found.push({ service: r.service, op: r.op, target: `${r.service.targetPrefix}.${r.op.name}`, labels, query });
    }
    // A request signed for another service still goes to the route's service, whose authentication refuses the scope.
    return found.find((c) => scope === undefined || signingNameOf(c.service.model) === scope) ?? found[0];
  }
}

/** The action of a call; the router only matches modelled operations, so a missing one is a wiring bug made visible. */
export function restJsonAction(call: RestJsonCall): Action {
  const action = operationOf(call.service.model, call.op.name) && call.service.actions.get(call.op.name);
  if (!action) throw new StevedoreError('UnknownOperationException', `Unknown operation ${call.op.name}.`, { httpStatus: 404 });
  return action;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The input structure of a call: URI labels, query parameters and headers
 * read as their shapes' types, the rest from the JSON body, then every
 * member checked against the model (required, length, range, enum,
 * pattern), each failure naming its member's path.
 */
export function decodeRestJsonInput(call: RestJsonCall, headers: http.IncomingHttpHeaders, body: Buffer): Record<string, unknown> {
  const { model } = call.service;
  const ref = call.op.input;
  if (!ref) return {};
  const shape = shapeOf(model, ref.shape);
  const payloadMember = (shape as Shape & { payload?: string }).payload;
  const text = body.toString('utf8');
  let json: unknown = {};
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      throw new StevedoreError('SerializationException', 'The request body is not valid JSON.');
    }
  }
  const raw: Record<string, unknown> = {};
  const bodyMembers = payloadMember === undefined ? json : {};
  if (payloadMember !== undefined) raw[payloadMember] = json;
  else if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new StevedoreError('SerializationException', 'The request body must be a JSON object.');
  for (const [member, mref] of Object.entries(shape.members ?? {})) {
    const name = mref.locationName ?? member;
    switch (mref.location) {
      case 'uri':
        if (call.labels.has(name)) raw[member] = fromText(model, mref, call.labels.get(name)!, 'uri');
        break;
      case 'querystring': {
        const values = call.query.getAll(name);
        if (values.length === 0) break;
        raw[member] = shapeOf(model, mref.shape).type === 'list' ? values.map((v) => fromText(model, shapeOf(model, mref.shape).member!, v, 'querystring')) : fromText(model, mref, values[0]!, 'querystring');
        break;
      }
      case 'header': {
        const v = headers[name.toLowerCase()];
        if (v !== undefined) raw[member] = fromText(model, mref, Array.isArray(v) ? v.join(',') : v, 'header');
        break;
      }
      case 'headers':
      case 'statusCode':
        break;
      default:
        if (member !== payloadMember && own(bodyMembers as object, name)) raw[member] = (bodyMembers as Record<string, unknown>)[name];
    }
  }
  return decodeRestValue(model, ref, raw, '') as Record<string, unknown>;
}

/** A label, query parameter or header as its shape's JSON value, for decodeRestValue to check. */
function fromText(model: ServiceModel, ref: ShapeRef, text: string, where: 'uri' | 'querystring' | 'header'): unknown {
  const type = shapeOf(model, ref.shape).type;
  if (type === 'integer' || type === 'long' || type === 'double' || type === 'float') return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (type === 'timestamp' && where === 'header') {
    const t = Date.parse(text);
    return Number.isNaN(t) ? text : t / 1000;
  }
  return text;
}

/** A result as the operation's output: header members as headers, the rest as the JSON body. */
export function sendRestJsonResult(res: http.ServerResponse, service: RestJsonService, op: OperationModel, result: unknown): void {
  const headers: Record<string, string> = { 'content-type': REST_JSON_CONTENT_TYPE };
  let out: unknown = {};
  if (op.output) {
    const shape = shapeOf(service.model, op.output.shape);
    const bodyShape: Shape = { ...shape, members: {} };
    const r = (result ?? {}) as Record<string, unknown>;
    for (const [member, ref] of Object.entries(shape.members ?? {})) {
      if (ref.location === 'header' && r[member] !== undefined && r[member] !== null) headers[(ref.locationName ?? member).toLowerCase()] = String(r[member]);
      else if (!ref.location) bodyShape.members![member] = ref;
    }
    out = encodeRestValue(service.model, bodyShape, r);
  }
  const text = JSON.stringify(out);
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(op.http?.responseCode ?? 200, headers).end(text);
}

/**
 * Stevedore's shared errors (auth, throttling, limits, ECS-style validation)
 * under the names REST-JSON services use, when the model has them.
 */
const REST_CODES: ReadonlyMap<string, string> = new Map([
  ['InvalidParameterException', 'ValidationException'],
  ['ClientException', 'ValidationException'],
  ['ServerException', 'InternalServerException'],
]);

/** Code and HTTP status of an error: the service model's own status where it declares the error. */
export function restJsonErrorOf(err: StevedoreError, model: ServiceModel | undefined): { code: string; status: number } {
  const mapped = REST_CODES.get(err.code);
  const code = mapped !== undefined && model && own(model.shapes, mapped) ? mapped : err.code;
  const declared = model && own(model.shapes, code) ? model.shapes[code]?.error?.httpStatusCode : undefined;
  const status = declared ?? (code === 'UnknownOperationException' ? 404 : code === 'AccessDeniedException' || code === 'UnrecognizedClientException' || code === 'InvalidSignatureException' ? 403 : code === 'ThrottlingException' ? 429 : err.httpStatus);
  return { code, status };
}

export function sendRestJsonError(res: http.ServerResponse, err: StevedoreError, service: RestJsonService | undefined, after?: () => void): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const { code, status } = restJsonErrorOf(err, service?.model);
  // The models' error shapes carry `Message` (botocore and the SDKs read either case).
  const text = JSON.stringify({ Message: err.message });
  res.writeHead(status, {
    'content-type': REST_JSON_CONTENT_TYPE,
    'x-amzn-errortype': code,
    'content-length': Buffer.byteLength(text),
    connection: after ? 'close' : 'keep-alive',
  });
  res.end(text, after);
}
