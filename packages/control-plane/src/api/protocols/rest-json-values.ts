import { StevedoreError } from '@stevedore/core';
import { shapeOf, type ServiceModel, type Shape, type ShapeRef } from './service-model';

/**
 * JSON values of REST-JSON (and JSON) services against their botocore
 * shapes: decoding checks what AWS validates on the wire (required, length,
 * range, enum, pattern) and refuses with ValidationException in AWS's own
 * wording ("Value 'x' at 'Target.EcsParameters.TaskCount' failed to satisfy
 * constraint: ..."), the member path named. Members not in the model are
 * dropped, as AWS ignores them. Encoding keeps the output shape's members
 * only, timestamps as epoch seconds.
 */
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function invalid(field: string, value: unknown, constraint: string): StevedoreError {
  const shown = value === null || value === undefined ? 'null' : `'${String(typeof value === 'object' ? JSON.stringify(value) : value).slice(0, 200)}'`;
  return new StevedoreError('ValidationException', `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`, { field, httpStatus: 400 });
}

const patterns = new Map<string, RegExp | null>();

function patternOf(p: string): RegExp | null {
  let re = patterns.get(p);
  if (re === undefined) {
    try {
      re = new RegExp(p);
    } catch {
      // A model pattern JavaScript cannot read is not enforced rather than refusing everything.
      re = null;
    }
    patterns.set(p, re);
  }
  return re;
}

function checkLength(shape: Shape, n: number, field: string, value: unknown, what: string): void {
  if (shape.min !== undefined && n < shape.min) throw invalid(field, value, `Member must have ${what} greater than or equal to ${shape.min}`);
  if (shape.max !== undefined && n > shape.max) throw invalid(field, value, `Member must have ${what} less than or equal to ${shape.max}`);
}

export function decodeRestValue(model: ServiceModel, ref: ShapeRef, v: unknown, field: string): unknown {
  const shape = shapeOf(model, ref.shape);
  const wrong = (what: string) => invalid(field || 'body', v, `Member must be ${what}`);
  switch (shape.type) {
    case 'structure': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw wrong('an object');
      const out: Record<string, unknown> = {};
      for (const [member, mref] of Object.entries(shape.members ?? {})) {
        const f = field ? `${field}.${member}` : member;
        const x = own(v, member) ? (v as Record<string, unknown>)[member] : undefined;
        if (x === undefined || x === null) {
          if (shape.required?.includes(member)) throw invalid(f, null, 'Member must not be null');
          continue;
        }
        out[member] = decodeRestValue(model, mref, x, f);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(v)) throw wrong('a list');
      checkLength(shape, v.length, field, v, 'length');
      return v.map((x, i) => {
        if (x === null || x === undefined) throw invalid(`${field}[${i}]`, null, 'Member must not be null');
        return decodeRestValue(model, shape.member!, x, `${field}[${i}]`);
      });
    }
    case 'map': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw wrong('an object');
      const entries = Object.entries(v as Record<string, unknown>);
      checkLength(shape, entries.length, field, v, 'length');
      const out = Object.create(null) as Record<string, unknown>;
      for (const [k, x] of entries) {
        decodeRestValue(model, shape.key!, k, `${field}.key`);
        out[k] = decodeRestValue(model, shape.value!, x, `${field}.${k}`);
      }
      return out;
    }
    case 'string': {
      if (typeof v !== 'string') throw wrong('a string');
      checkLength(shape, [...v].length, field, v, 'length');
      if (shape.enum && !shape.enum.includes(v)) throw invalid(field, v, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      const re = shape.pattern !== undefined ? patternOf(shape.pattern) : null;
      if (re && !re.test(v)) throw invalid(field, v, `Member must satisfy regular expression pattern: ${shape.pattern}`);
      return v;
    }
    case 'integer':
    case 'long':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw wrong('an integer');
      if (shape.min !== undefined && v < shape.min) throw invalid(field, v, `Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && v > shape.max) throw invalid(field, v, `Member must have value less than or equal to ${shape.max}`);
      return v;
    case 'double':
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw wrong('a number');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw wrong('a boolean');
      return v;
    case 'timestamp': {
      // JSON bodies carry epoch seconds; ISO 8601 text (query strings, some clients) is read too. Milliseconds out.
      const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v)) : NaN;
      if (!Number.isFinite(ms)) throw wrong('a timestamp');
      return ms;
    }
    case 'blob':
      if (typeof v !== 'string') throw wrong('base64 text');
      return Buffer.from(v, 'base64');
    default:
      return v;
  }
}

/** Timestamps are milliseconds inside Stevedore (numbers or Dates) and epoch seconds on the wire. */
export function encodeRestValue(model: ServiceModel, shape: Shape, v: unknown): unknown {
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      if (v === null || typeof v !== 'object') return out;
      for (const [member, mref] of Object.entries(shape.members ?? {})) {
        const x = own(v, member) ? (v as Record<string, unknown>)[member] : undefined;
        if (x !== undefined && x !== null) out[member] = encodeRestValue(model, shapeOf(model, mref.shape), x);
      }
      return out;
    }
    case 'list':
      return (Array.isArray(v) ? v : []).map((x) => encodeRestValue(model, shapeOf(model, shape.member!.shape), x));
    case 'map':
      return Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, x]) => [k, encodeRestValue(model, shapeOf(model, shape.value!.shape), x)]));
    case 'timestamp':
      return v instanceof Date ? v.getTime() / 1000 : typeof v === 'number' ? v / 1000 : v;
    default:
      return v;
  }
}
