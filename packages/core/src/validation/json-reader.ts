import { ClientException, InvalidParameterException } from '../errors';

/**
 * Reading untrusted request JSON with a field path at every step, so that any
 * error can tell the user exactly which part of their document to fix
 * (`containerDefinitions[1].healthCheck.interval`).
 */

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  // Map keys such as Docker labels contain dots; quote them so the path stays unambiguous.
  if (!PLAIN_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** `fieldOf('containerDefinitions', 1, 'healthCheck')` -> `containerDefinitions[1].healthCheck`. */
export function fieldOf(...parts: (string | number)[]): string {
  return parts.reduce<string>((path, part) => childPath(path, part), '');
}

/** Shape, type, range and pattern mistakes: the request does not follow the API model. */
export function invalidParameter(field: string, problem: string): InvalidParameterException {
  return new InvalidParameterException(`${field}: ${problem}`, field);
}

/**
 * Semantic rules. The ECS wording comes first, unchanged, so people can search
 * for it; the field path and our explanation follow in parentheses.
 */
export function ecsRejection(field: string, ecsMessage: string, detail?: string): ClientException {
  return new ClientException(`${ecsMessage} (${field}${detail === undefined ? '' : `: ${detail}`})`, field);
}

/** AWS JSON services treat an explicit null like an absent member. */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return `${typeof value === 'object' ? 'an object' : typeof value}`;
}

/** Drops undefined members so normalized output has exactly the fields that were set. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}


export interface StringRule {
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  /** How to describe `pattern` to a human. */
  patternText?: string;
}

export interface IntRule {
  min?: number;
  max?: number;
  unit?: string;
}

export interface ListRule {
  minItems?: number;
  maxItems?: number;
}

export function checkString(value: unknown, field: string, rule: StringRule = {}): string {
  if (typeof value !== 'string') throw invalidParameter(field, `expected a string, got ${describeJson(value)}.`);
  if (rule.minLength !== undefined && value.length < rule.minLength) {
    throw invalidParameter(field, rule.minLength === 1 ? 'must not be empty.' : `must be at least ${rule.minLength} characters long.`);
  }
  if (rule.maxLength !== undefined && value.length > rule.maxLength) {
    throw invalidParameter(field, `must be at most ${rule.maxLength} characters long, got ${value.length}.`);
  }
  if (rule.pattern !== undefined && !rule.pattern.test(value)) {
    throw invalidParameter(field, `${JSON.stringify(value)} is not valid: ${rule.patternText ?? `must match ${rule.pattern.source}`}.`);
  }
  return value;
}

export function checkInt(value: unknown, field: string, rule: IntRule = {}): number {
  const unit = rule.unit === undefined ? '' : ` ${rule.unit}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidParameter(field, `expected an integer${unit}, got ${describeJson(value)}.`);
  }
  const { min, max } = rule;
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const range =
      min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
    throw invalidParameter(field, `must be ${range}${unit}, got ${value}.`);
  }
  return value;
}

export function checkEnum<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidParameter(field, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeJson(value)}.`);
  }
  return value as T;
}

export function checkList(value: unknown, field: string, rule: ListRule = {}): unknown[] {
  if (!Array.isArray(value)) throw invalidParameter(field, `expected an array, got ${describeJson(value)}.`);
  if (rule.minItems !== undefined && value.length < rule.minItems) {
    throw invalidParameter(field, `must contain at least ${rule.minItems} item${rule.minItems === 1 ? '' : 's'}.`);
  }
  if (rule.maxItems !== undefined && value.length > rule.maxItems) {
    throw invalidParameter(field, `must contain at most ${rule.maxItems} items, got ${value.length}.`);
  }
  return value;
}

/**
 * One JSON object of a known API shape. Members the shape does not have are
 * ignored, as AWS's services ignore them: a newer SDK or Terraform provider
 * that sends a field this server does not know yet keeps working (the AWS
 * SDKs and CLI check member names on the client side). Known members are
 * checked strictly by the readers below.
 */
export class ObjectReader {
  private constructor(
    private readonly raw: Record<string, unknown>,
    readonly path: string,
  ) {}

  static of(value: unknown, path: string, shape: string): ObjectReader {
    if (!isPlainObject(value)) throw invalidParameter(path, `expected ${shape} object, got ${describeJson(value)}.`);
    return new ObjectReader(value, path);
  }

  at(key: string): string {
    return childPath(this.path, key);
  }

  has(key: string): boolean {
    return !isAbsent(this.raw[key]);
  }

  value(key: string): unknown {
    const v = this.raw[key];
    return isAbsent(v) ? undefined : v;
  }

  private need(key: string, what: string): unknown {
    const v = this.value(key);
    if (v === undefined) throw invalidParameter(this.at(key), `${what} is required.`);
    return v;
  }

  string(key: string, rule?: StringRule): string | undefined {
    const v = this.value(key);
    return v === undefined ? undefined : checkString(v, this.at(key), rule);
  }

  requiredString(key: string, rule?: StringRule): string {
    return checkString(this.need(key, `'${key}'`), this.at(key), rule);
  }

  int(key: string, rule?: IntRule): number | undefined {
    const v = this.value(key);
    return v === undefined ? undefined : checkInt(v, this.at(key), rule);
  }

  requiredInt(key: string, rule?: IntRule): number {
    return checkInt(this.need(key, `'${key}'`), this.at(key), rule);
  }

  bool(key: string): boolean | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw invalidParameter(this.at(key), `expected a boolean, got ${describeJson(v)}.`);
    return v;
  }

  requiredBool(key: string): boolean {
    this.need(key, `'${key}'`);
    return this.bool(key)!;
  }

  enumOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.value(key);
    return v === undefined ? undefined : checkEnum(v, this.at(key), allowed);
  }

  requiredEnum<T extends string>(key: string, allowed: readonly T[]): T {
    return checkEnum(this.need(key, `'${key}'`), this.at(key), allowed);
  }

  stringList(key: string, rule?: ListRule & { item?: StringRule }): string[] | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    const field = this.at(key);
    return checkList(v, field, rule).map((item, i) => checkString(item, childPath(field, i), rule?.item));
  }

  /** `{string: string}` maps (dockerLabels, driverOpts, log options). */
  stringMap(key: string, rule?: { key?: StringRule; value?: StringRule }): Record<string, string> | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    const field = this.at(key);
    if (!isPlainObject(v)) throw invalidParameter(field, `expected an object of string values, got ${describeJson(v)}.`);
    const out: Record<string, string> = {};
    for (const [k, item] of Object.entries(v)) {
      const itemField = childPath(field, k);
      // `out[k] =` with k "__proto__" would set the prototype and drop the entry: refused, not lost.
      if (k === '__proto__') throw invalidParameter(itemField, `the key '__proto__' is not supported by Stevedore.`);
      if (rule?.key !== undefined) checkString(k, itemField, rule.key);
      out[k] = checkString(item, itemField, rule?.value);
    }
    return out;
  }

  list<T>(key: string, readItem: (item: unknown, field: string, index: number) => T, rule?: ListRule): T[] | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    const field = this.at(key);
    return checkList(v, field, rule).map((item, i) => readItem(item, childPath(field, i), i));
  }

  requiredList<T>(key: string, readItem: (item: unknown, field: string, index: number) => T, rule?: ListRule): T[] {
    this.need(key, `'${key}'`);
    return this.list(key, readItem, rule)!;
  }

  object<T>(key: string, readObject: (value: unknown, field: string) => T): T | undefined {
    const v = this.value(key);
    return v === undefined ? undefined : readObject(v, this.at(key));
  }

  requiredObject<T>(key: string, readObject: (value: unknown, field: string) => T): T {
    return readObject(this.need(key, `'${key}'`), this.at(key));
  }
}
