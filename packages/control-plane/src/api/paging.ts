import { InvalidParameterException } from '@stevedore/core';

/**
 * Opaque nextToken: base64url of the last key returned. Each listing decodes
 * only its own key shape; anything else is an invalid token, never a crash.
 */
export function encodeToken(key: unknown): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64url');
}

export function decodeToken<T>(token: string | undefined, guard: (k: unknown) => k is T): T | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown };
    if (parsed && guard(parsed.k)) return parsed.k;
  } catch {
    // fall through to the error below
  }
  throw new InvalidParameterException('Invalid nextToken.', 'nextToken');
}

export const isString = (k: unknown): k is string => typeof k === 'string';
export const isNumber = (k: unknown): k is number => typeof k === 'number' && Number.isFinite(k);
export const isFamilyRevision = (k: unknown): k is [string, number] =>
  Array.isArray(k) && k.length === 2 && typeof k[0] === 'string' && typeof k[1] === 'number';

/** Takes limit+1 rows: when the extra row exists there is a next page. */
export function page<T, K>(rows: T[], limit: number, keyOf: (t: T) => K): { items: T[]; nextToken?: string } {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextToken: encodeToken(keyOf(items[items.length - 1]!)) };
}
