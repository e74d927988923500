import { InvalidParameterException } from '@stevedore/core';

/**
 * Typed readers for request members. Every failure names the member and the
 * rule, in the words of ECS's own validation errors.
 */
export class Params {
  constructor(readonly body: Record<string, unknown>) {}

  static of(body: unknown): Params {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new InvalidParameterException('The request body must be a JSON object.');
    }
    return new Params(body as Record<string, unknown>);
  }

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  string(name: string, opts: { required?: boolean; max?: number; pattern?: RegExp; patternText?: string; enum?: readonly string[] } = {}): string | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) {
      if (opts.required) throw new InvalidParameterException(`${name} is required.`, name);
      return undefined;
    }
    if (typeof v !== 'string') throw new InvalidParameterException(`${name} must be a string.`, name);
    if (opts.required && v.length === 0) throw new InvalidParameterException(`${name} can not be blank.`, name);
    if (opts.max !== undefined && v.length > opts.max) throw new InvalidParameterException(`${name} must be at most ${opts.max} characters.`, name);
    if (opts.pattern && !opts.pattern.test(v)) throw new InvalidParameterException(`${name} ${opts.patternText ?? 'has an invalid format'}.`, name);
    if (opts.enum && !opts.enum.includes(v)) throw new InvalidParameterException(`${name} must be one of: ${opts.enum.join(', ')}.`, name);
    return v;
  }

  requiredString(name: string, opts: Parameters<Params['string']>[1] = {}): string {
    return this.string(name, { ...opts, required: true })!;
  }

  integer(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidParameterException(`${name} must be an integer.`, name);
    if (opts.min !== undefined && v < opts.min) throw new InvalidParameterException(`${name} must be at least ${opts.min}.`, name);
    if (opts.max !== undefined && v > opts.max) throw new InvalidParameterException(`${name} must be at most ${opts.max}.`, name);
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new InvalidParameterException(`${name} must be a boolean.`, name);
    return v;
  }

  stringList(name: string, opts: { required?: boolean; max?: number; min?: number } = {}): string[] | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) {
      if (opts.required) throw new InvalidParameterException(`${name} is required.`, name);
      return undefined;
    }
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidParameterException(`${name} must be a list of strings.`, name);
    if (opts.min !== undefined && v.length < opts.min) throw new InvalidParameterException(`${name} must contain at least ${opts.min} item${opts.min === 1 ? '' : 's'}.`, name);
    if (opts.max !== undefined && v.length > opts.max) throw new InvalidParameterException(`${name} must contain at most ${opts.max} items.`, name);
    return v as string[];
  }

  object(name: string): Record<string, unknown> | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidParameterException(`${name} must be an object.`, name);
    return v as Record<string, unknown>;
  }

  list(name: string, opts: { max?: number } = {}): unknown[] | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw new InvalidParameterException(`${name} must be a list.`, name);
    if (opts.max !== undefined && v.length > opts.max) throw new InvalidParameterException(`${name} must contain at most ${opts.max} items.`, name);
    return v;
  }

  /** ECS maxResults: 1..100, with an operation-specific default. */
  maxResults(def: number): number {
    return this.integer('maxResults', { min: 1, max: 100 }) ?? def;
  }
}

export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
export const NAME_PATTERN_TEXT = 'must be 1-255 characters of letters (upper and lowercase), numbers, hyphens and underscores';
