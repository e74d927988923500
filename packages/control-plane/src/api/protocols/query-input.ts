import { StevedoreError } from '@stevedore/core';
import { shapeOf, type ServiceModel, type Shape, type ShapeRef } from './service-model';

/**
 * Decoding of AWS Query requests (`Action=...&Version=...&A.B.member.1.C=x`)
 * into the nested input an action reads, guided by the operation's input
 * shape: `X.member.N` is a list (`X.N` when flattened), `X.entry.N.key` /
 * `.value` a map, `A.B` a structure member, scalars are typed from their
 * shape (numbers, booleans, ISO 8601 or epoch-second timestamps as Date).
 * AWS's constraints the model carries (required, enum, min/max) are checked
 * here, naming the parameter as it was sent (`MetricData.member.2.Value`).
 * Parameters the shape does not name are ignored, as AWS does.
 */

/** Form parameters as a tree on the dots: `A.member.1.B` -> A > member > 1 > B. A Map, since names are input. */
export interface ParamNode {
  value?: string;
  children: Map<string, ParamNode>;
}

const MAX_PARAMS = 50_000;
const MAX_DEPTH = 16;

export function paramTree(params: Iterable<[string, string]>): ParamNode {
  const root: ParamNode = { children: new Map() };
  let n = 0;
  for (const [name, value] of params) {
    if (++n > MAX_PARAMS) throw invalidValue(`The request has more than ${MAX_PARAMS} parameters.`);
    const parts = name.split('.');
    if (parts.length > MAX_DEPTH) throw invalidValue(`The parameter ${name.slice(0, 200)} is nested deeper than ${MAX_DEPTH} levels.`);
    let node = root;
    for (const p of parts) {
      let next = node.children.get(p);
      if (!next) {
        next = { children: new Map() };
        node.children.set(p, next);
      }
      node = next;
    }
    node.value = value;
  }
  return root;
}

export function invalidValue(message: string, field?: string): StevedoreError {
  return new StevedoreError('InvalidParameterValue', message, field === undefined ? {} : { field });
}

export function missing(field: string): StevedoreError {
  return new StevedoreError('MissingParameter', `The parameter ${field} is required.`, { field });
}

/** Decodes the input of an operation from the request's parameter tree (the root holds Action and Version too). */
export function decodeQueryInput(model: ServiceModel, input: ShapeRef | undefined, root: ParamNode): Record<string, unknown> {
  if (!input) return {};
  return decodeStructure(model, shapeOf(model, input.shape), root, '') ?? {};
}

function decodeStructure(model: ServiceModel, shape: Shape, node: ParamNode, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [member, ref] of Object.entries(shape.members ?? {})) {
    const wire = ref.locationName ?? member;
    const child = node.children.get(wire);
    const field = prefix + wire;
    const value = child === undefined ? undefined : decodeValue(model, ref, child, field);
    if (value === undefined) {
      if (shape.required?.includes(member)) throw missing(field);
      continue;
    }
    out[member] = value;
  }
  return out;
}

function decodeValue(model: ServiceModel, ref: ShapeRef, node: ParamNode, field: string): unknown {
  const shape = shapeOf(model, ref.shape);
  switch (shape.type) {
    case 'structure':
      return decodeStructure(model, shape, node, `${field}.`);
    case 'list':
      return checkCount(decodeList(model, shape, ref, node, field), shape, field);
    case 'map':
      return checkCount(decodeMap(model, shape, node, field), shape, field);
    default:
      return node.value === undefined ? undefined : decodeScalar(shape, node.value, field);
  }
}

/** Children named 1, 2, 3... in numeric order; anything else is not an item. */
function items(node: ParamNode, field: string): [string, ParamNode][] {
  const out: [number, string, ParamNode][] = [];
  for (const [k, v] of node.children) {
    if (!/^[1-9]\d{0,5}$/.test(k)) throw invalidValue(`The parameter ${field}.${k.slice(0, 100)} is not a valid list index.`, field);
    out.push([Number(k), k, v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, k, v]) => [k, v]);
}

function decodeList(model: ServiceModel, shape: Shape, ref: ShapeRef, node: ParamNode, field: string): unknown[] {
  const flattened = shape.flattened ?? ref.flattened ?? false;
  const memberName = shape.member?.locationName ?? 'member';
  const holder = flattened ? node : node.children.get(memberName);
  // An empty list is sent as `X=` with no members.
  if (!holder) return [];
  const base = flattened ? field : `${field}.${memberName}`;
  return items(holder, base).map(([k, n]) => {
    const v = decodeValue(model, shape.member!, n, `${base}.${k}`);
    if (v === undefined) throw missing(`${base}.${k}`);
    return v;
  });
}

function decodeMap(model: ServiceModel, shape: Shape, node: ParamNode, field: string): Record<string, unknown> {
  const keyName = shape.key?.locationName ?? 'key';
  const valueName = shape.value?.locationName ?? 'value';
  const holder = shape.flattened ? node : node.children.get('entry');
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (!holder) return out;
  const base = shape.flattened ? field : `${field}.entry`;
  for (const [k, n] of items(holder, base)) {
    const key = n.children.get(keyName)?.value;
    if (key === undefined) throw missing(`${base}.${k}.${keyName}`);
    const vn = n.children.get(valueName);
    const v = vn === undefined ? undefined : decodeValue(model, shape.value!, vn, `${base}.${k}.${valueName}`);
    if (v === undefined) throw missing(`${base}.${k}.${valueName}`);
    out[key] = v;
  }
  return out;
}

export function checkCount<T extends unknown[] | Record<string, unknown>>(v: T, shape: Shape, field: string): T {
  const n = Array.isArray(v) ? v.length : Object.keys(v).length;
  if (shape.min !== undefined && n < shape.min) throw invalidValue(`The collection ${field} must have at least ${shape.min} member${shape.min === 1 ? '' : 's'}.`, field);
  if (shape.max !== undefined && n > shape.max) throw invalidValue(`The collection ${field} must not have more than ${shape.max} members.`, field);
  return v;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function decodeScalar(shape: Shape, raw: string, field: string): unknown {
  switch (shape.type) {
    case 'string':
      return checkString(shape, raw, field);
    case 'integer':
    case 'long': {
      if (!/^-?\d{1,16}$/.test(raw)) throw invalidValue(`The parameter ${field} must be an integer, not '${clip(raw)}'.`, field);
      return checkRange(Number(raw), shape, field);
    }
    case 'double':
    case 'float': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw invalidValue(`The value ${clip(raw)} for parameter ${field} is invalid.`, field);
      return checkRange(n, shape, field);
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw invalidValue(`The parameter ${field} must be true or false, not '${clip(raw)}'.`, field);
      return raw === 'true';
    case 'timestamp':
      return decodeTimestamp(raw, field);
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}

export function checkString(shape: Shape, raw: string, field: string): string {
  if (shape.enum && !shape.enum.includes(raw)) {
    throw invalidValue(`Value '${clip(raw)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${shape.enum.join(', ')}]`, field);
  }
  if (shape.min !== undefined && raw.length < shape.min) throw invalidValue(`The parameter ${field} must be at least ${shape.min} characters long.`, field);
  if (shape.max !== undefined && raw.length > shape.max) throw invalidValue(`The parameter ${field} must be at most ${shape.max} characters long.`, field);
  return raw;
}

export function checkRange(n: number, shape: Shape, field: string): number {
  if (shape.min !== undefined && n < shape.min) throw invalidValue(`The parameter ${field} must be greater than or equal to ${shape.min}.`, field);
  if (shape.max !== undefined && n > shape.max) throw invalidValue(`The parameter ${field} must be less than or equal to ${shape.max}.`, field);
  return n;
}

/** ISO 8601 (what botocore and the SDKs send) or epoch seconds. */
export function decodeTimestamp(raw: string, field: string): Date {
  let ms = NaN;
  if (/^-?\d+(\.\d+)?$/.test(raw)) ms = Number(raw) * 1000;
  else if (ISO_8601.test(raw)) ms = Date.parse(/T/.test(raw) && !/(Z|[+-]\d{2}:?\d{2})$/.test(raw) ? `${raw}Z` : raw);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw invalidValue(`The parameter ${field} must be a timestamp (ISO 8601), not '${clip(raw)}'.`, field);
  return new Date(ms);
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}...` : s;
}
