import { InvalidParameterException, type Tag } from '@stevedore/core';
import { Params } from '../params';

/** ECS tag rules: ≤50 tags, key 1-128, value ≤256, `aws:` prefix reserved. */
export function validateTags(raw: unknown[] | undefined, field = 'tags'): Tag[] {
  if (!raw) return [];
  if (raw.length > 50) throw new InvalidParameterException(`${field} must contain at most 50 items.`, field);
  const seen = new Set<string>();
  return raw.map((t, i) => {
    const f = `${field}[${i}]`;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) throw new InvalidParameterException(`${f} must be an object.`, f);
    const p = new Params(t as Record<string, unknown>);
    const key = p.string('key');
    if (key === undefined || key.length < 1 || key.length > 128) throw new InvalidParameterException(`${f}.key must be 1-128 characters.`, `${f}.key`);
    if (key.toLowerCase().startsWith('aws:')) throw new InvalidParameterException(`${f}.key: the aws: prefix is reserved for AWS use.`, `${f}.key`);
    const value = p.string('value', { max: 256 });
    if (seen.has(key)) throw new InvalidParameterException(`${f}.key '${key}' is duplicated.`, `${f}.key`);
    seen.add(key);
    return value === undefined ? { key } : { key, value };
  });
}
