import type * as http from 'node:http';
import { StevedoreError } from '@stevedore/core';
import { shapeOf, type OperationModel, type ServiceModel, type Shape, type ShapeRef } from './service-model';
import { checkCount, checkRange, checkString, decodeTimestamp, invalidValue, missing } from './query-input';
import { queryErrorOf, type QueryService } from './query';

/**
 * AWS JSON 1.0 for services that have a botocore model here (CloudWatch):
 * current AWS SDKs call CloudWatch this way (`X-Amz-Target:
 * GraniteServiceVersion20100801.Op`, `x-amzn-query-mode: true`) while
 * botocore and the AWS CLI still use Query. Same model, same actions, same
 * checks as query-input.ts: members are PascalCase as in Query, timestamps
 * are epoch seconds, and errors carry `x-amzn-query-error: Code;Sender` so
 * "query-compatible" clients see the Query error code.
 */
export const JSON_1_0_CONTENT_TYPE = 'application/x-amz-json-1.0';

/** The model service whose JSON target prefix an X-Amz-Target carries. */
export function jsonModelServiceOf(services: readonly QueryService[], target: string): QueryService | undefined {
  const dot = target.lastIndexOf('.');
  return dot > 0 ? services.find((s) => s.targetPrefix === target.slice(0, dot)) : undefined;
}

export function decodeJsonInput(model: ServiceModel, input: ShapeRef | undefined, body: unknown): Record<string, unknown> {
  if (!input) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new StevedoreError('SerializationException', 'The request body must be a JSON object.');
  return decodeStructure(model, shapeOf(model, input.shape), body as Record<string, unknown>, '');
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function decodeStructure(model: ServiceModel, shape: Shape, value: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    const field = prefix + member;
    const v = own(value, member) ? value[member] : undefined;
    if (v === undefined || v === null) {
      if (shape.required?.includes(member)) throw missing(field);
      continue;
    }
    out[member] = decodeValue(model, ref, v, field);
  }
  return out;
}

function decodeValue(model: ServiceModel, ref: ShapeRef, v: unknown, field: string): unknown {
  const shape = shapeOf(model, ref.shape);
  const wrong = (what: string) => invalidValue(`The parameter ${field} must be ${what}.`, field);
  switch (shape.type) {
    case 'structure':
      if (typeof v !== 'object' || Array.isArray(v)) throw wrong('an object');
      return decodeStructure(model, shape, v as Record<string, unknown>, `${field}.`);
    case 'list':
      if (!Array.isArray(v)) throw wrong('a list');
      return checkCount(v.map((x, i) => {
        const f = `${field}.member.${i + 1}`;
        if (x === null || x === undefined) throw missing(f);
        return decodeValue(model, shape.member!, x, f);
      }), shape, field);
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) throw wrong('an object');
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = decodeValue(model, shape.value!, x, `${field}.${k}`);
      return checkCount(out, shape, field);
    }
    case 'string':
      if (typeof v !== 'string') throw wrong('a string');
      return checkString(shape, v, field);
    case 'integer':
    case 'long':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw wrong('an integer');
      return checkRange(v, shape, field);
    case 'double':
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw wrong('a number');
      return checkRange(v, shape, field);
    case 'boolean':
      if (typeof v !== 'boolean') throw wrong('true or false');
      return v;
    case 'timestamp':
      if (typeof v === 'number') return decodeTimestamp(String(v), field);
      if (typeof v === 'string') return decodeTimestamp(v, field);
      throw wrong('a timestamp');
    case 'blob':
      if (typeof v !== 'string') throw wrong('base64 text');
      return Buffer.from(v, 'base64');
    default:
      return v;
  }
}

/** The output as JSON 1.0: members of the shape only, timestamps in epoch seconds. */
export function encodeJsonOutput(model: ServiceModel, op: OperationModel, result: unknown): unknown {
  if (!op.output) return {};
  return encodeValue(model, op.output, result ?? {});
}

function encodeValue(model: ServiceModel, ref: ShapeRef, v: unknown): unknown {
  const shape = shapeOf(model, ref.shape);
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      if (v === null || typeof v !== 'object') return out;
      for (const [member, mref] of Object.entries(shape.members ?? {})) {
        const x = own(v, member) ? (v as Record<string, unknown>)[member] : undefined;
        if (x !== undefined && x !== null) out[member] = encodeValue(model, mref, x);
      }
      return out;
    }
    case 'list':
      return (Array.isArray(v) ? v : []).map((x) => encodeValue(model, shape.member!, x));
    case 'map':
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, encodeValue(model, shape.value!, x)]));
    case 'timestamp':
      return v instanceof Date ? v.getTime() / 1000 : typeof v === 'number' ? v / 1000 : v;
    default:
      return v;
  }
}

export function sendJsonModelResult(res: http.ServerResponse, service: QueryService, op: OperationModel, result: unknown): void {
  const text = JSON.stringify(encodeJsonOutput(service.model, op, result));
  res.writeHead(200, { 'content-type': JSON_1_0_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) }).end(text);
}

/** The model's error shape name for a code (`InvalidParameterValue` -> `InvalidParameterValueException`), else the code. */
function errorShapeName(model: ServiceModel, code: string): string {
  for (const [name, shape] of Object.entries(model.shapes)) if (shape.error?.code === code) return name;
  return code;
}

export function sendJsonModelError(res: http.ServerResponse, err: StevedoreError, service: QueryService, after?: () => void): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const { code, status } = queryErrorOf(err, service.model);
  const type = errorShapeName(service.model, code);
  const text = JSON.stringify({ __type: type, message: err.message });
  res.writeHead(status, {
    'content-type': JSON_1_0_CONTENT_TYPE,
    'x-amzn-query-error': `${code};${status < 500 ? 'Sender' : 'Receiver'}`,
    'content-length': Buffer.byteLength(text),
    connection: after ? 'close' : 'keep-alive',
  });
  res.end(text, after);
}
