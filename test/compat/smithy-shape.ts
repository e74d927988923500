/**
 * A small validator of a JSON value against a shape of an AWS service model:
 * the Smithy schema `@aws-sdk/client-ecs` (and friends) ship in their code
 * (structure members, their types and which are required; the newest model
 * we have), with enum values from the SDK's exported enums, else from
 * Debian's botocore model (member-to-shape names come from botocore, so
 * shapes botocore 2.9 lacks are checked without their enums). It reports every problem with its path, so a test shows all
 * the ways an answer departs from the model at once.
 *
 * The SDK's schema format (see @smithy/core's schema module): a structure is
 * `[3, namespace, name, traits, memberNames, memberSchemas, requiredCount]`
 * (the first `requiredCount` members are required), a list
 * `[1, ns, name, traits, member]`, a map `[2, ns, name, traits, key, value]`;
 * simple members are numbers: 0 string, 1 number, 2 boolean, 4-7 timestamp,
 * 15 document, 21 blob, and `64 | x` / `128 | x` a list / map of x; a
 * member with traits is `[schema, traits]`.
 */
import * as fs from 'node:fs';

type Schema = number | unknown[] | (() => unknown);

interface BotocoreShape {
  type: string;
  enum?: string[];
  members?: Record<string, { shape: string }>;
  member?: { shape: string };
  value?: { shape: string };
}

export class ServiceShapes {
  private readonly botocore: Record<string, BotocoreShape>;
  private isoTimestamps = false;

  constructor(
    private readonly sdk: Record<string, unknown>,
    botocoreModelFile: string,
  ) {
    this.botocore = (JSON.parse(fs.readFileSync(botocoreModelFile, 'utf8')) as { shapes: Record<string, BotocoreShape> }).shapes;
  }

  /** The SDK's structure schema of a shape (`CreateClusterResponse`), or undefined. */
  has(shape: string): boolean {
    return Array.isArray(this.sdk[`${shape}$`]);
  }

  /**
   * Every problem of `value` against `shape`, as `path: problem`; empty when
   * it conforms. `cliOutput`: the AWS CLI prints timestamps as ISO 8601 text
   * instead of the wire's epoch seconds.
   */
  validate(shape: string, value: unknown, opts: { cliOutput?: boolean } = {}): string[] {
    const schema = this.sdk[`${shape}$`];
    if (!Array.isArray(schema)) return [`${shape}: no such shape in the SDK's model`];
    const errors: string[] = [];
    this.isoTimestamps = opts.cliOutput === true;
    this.check(schema, value, shape, shape, errors);
    return errors;
  }

  private check(schema: Schema, value: unknown, path: string, botocoreShape: string | undefined, errors: string[]): void {
    const s = typeof schema === 'function' ? (schema() as Schema) : schema;
    if (typeof s === 'number') return this.checkSimple(s, value, path, botocoreShape, errors);
    if (!Array.isArray(s)) return void errors.push(`${path}: unreadable schema`);
    // A member with traits is `[schema, traits]`.
    if (s.length === 2) return this.check(s[0] as Schema, value, path, botocoreShape, errors);
    const tag = s[0] as number;
    if (tag === 3 || tag === -3) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return void errors.push(`${path}: expected an object (${String(s[2])}), got ${describe(value)}`);
      const names = s[4] as string[];
      const members = s[5] as Schema[];
      const required = typeof s[6] === 'number' ? s[6] : 0;
      const b = botocoreShape ? this.botocore[botocoreShape] : undefined;
      const obj = value as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const i = names.indexOf(key);
        if (i < 0) {
          errors.push(`${path}.${key}: not a member of ${String(s[2])}`);
          continue;
        }
        if (obj[key] === null) continue;
        this.check(members[i]!, obj[key], `${path}.${key}`, b?.members?.[key]?.shape, errors);
      }
      for (let i = 0; i < required; i++) if (obj[names[i]!] === undefined) errors.push(`${path}.${names[i]}: required member missing`);
      return;
    }
    if (tag === 1) {
      if (!Array.isArray(value)) return void errors.push(`${path}: expected a list, got ${describe(value)}`);
      const b = botocoreShape ? this.botocore[botocoreShape] : undefined;
      value.forEach((v, i) => this.check(s[4] as Schema, v, `${path}[${i}]`, b?.member?.shape, errors));
      return;
    }
    if (tag === 2) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return void errors.push(`${path}: expected a map, got ${describe(value)}`);
      const b = botocoreShape ? this.botocore[botocoreShape] : undefined;
      for (const [k, v] of Object.entries(value)) this.check(s[5] as Schema, v, `${path}.${k}`, b?.value?.shape, errors);
      return;
    }
    // A named simple shape with traits (SensitiveString): [0, namespace, name, traits, its simple schema].
    if (tag === 0) return this.check(s[4] as Schema, value, path, botocoreShape, errors);
    errors.push(`${path}: unknown schema tag ${String(tag)}`);
  }

  /**
   * The values of an enum shape: the SDK's own (it exports each enum as an
   * object, and is newer), else botocore's.
   */
  private enumOf(shape: string | undefined): string[] | undefined {
    if (shape === undefined) return undefined;
    const sdkEnum = Object.prototype.hasOwnProperty.call(this.sdk, shape) ? this.sdk[shape] : undefined;
    if (sdkEnum !== null && typeof sdkEnum === 'object' && !Array.isArray(sdkEnum)) {
      const values = Object.values(sdkEnum as Record<string, unknown>);
      if (values.length > 0 && values.every((v) => typeof v === 'string')) return values as string[];
    }
    return Object.prototype.hasOwnProperty.call(this.botocore, shape) ? this.botocore[shape]!.enum : undefined;
  }

  private checkSimple(code: number, value: unknown, path: string, botocoreShape: string | undefined, errors: string[]): void {
    if (code & 64 && code < 128) {
      if (!Array.isArray(value)) return void errors.push(`${path}: expected a list, got ${describe(value)}`);
      const member = this.botocore[botocoreShape ?? '']?.member?.shape;
      value.forEach((v, i) => this.checkSimple(code & ~64, v, `${path}[${i}]`, member, errors));
      return;
    }
    if (code & 128) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return void errors.push(`${path}: expected a map, got ${describe(value)}`);
      const member = this.botocore[botocoreShape ?? '']?.value?.shape;
      for (const [k, v] of Object.entries(value)) this.checkSimple(code & ~128, v, `${path}.${k}`, member, errors);
      return;
    }
    switch (code) {
      case 0: {
        if (typeof value !== 'string') return void errors.push(`${path}: expected a string, got ${describe(value)}`);
        const allowed = this.enumOf(botocoreShape);
        // Stevedore's own settings (host access, the FARGATE pool...) are named `stevedore:...`, a namespace AWS never uses.
        if (allowed && !allowed.includes(value) && !value.startsWith('stevedore:')) errors.push(`${path}: '${value}' is not one of ${botocoreShape}: ${allowed.join(', ')}`);
        return;
      }
      case 1:
        if (typeof value !== 'number' || !Number.isFinite(value)) errors.push(`${path}: expected a number, got ${describe(value)}`);
        return;
      case 2:
        if (typeof value !== 'boolean') errors.push(`${path}: expected a boolean, got ${describe(value)}`);
        return;
      case 4:
      case 5:
      case 6:
      case 7:
        // AWS JSON 1.1 sends timestamps as epoch seconds; the AWS CLI prints them as ISO 8601.
        if (this.isoTimestamps && typeof value === 'string' && !Number.isNaN(Date.parse(value))) return;
        if (typeof value !== 'number' || !Number.isFinite(value)) errors.push(`${path}: expected a timestamp (epoch seconds), got ${describe(value)}`);
        return;
      case 21:
        if (typeof value !== 'string') errors.push(`${path}: expected base64 text, got ${describe(value)}`);
        return;
      default:
        return; // documents and anything newer: any JSON value
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

export const ECS_BOTOCORE_MODEL = '/usr/lib/python3/dist-packages/awscli/botocore/data/ecs/2014-11-13/service-2.json';

/** ECS's shapes: the SDK's schema with botocore's enums. */
export function ecsShapes(): ServiceShapes {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return new ServiceShapes(require('@aws-sdk/client-ecs') as Record<string, unknown>, ECS_BOTOCORE_MODEL);
}
