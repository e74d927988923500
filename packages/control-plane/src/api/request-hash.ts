import { createHash } from 'node:crypto';

/** Stable hash of a request without its clientToken: same parameters, same hash, whatever the key order. */
export function requestHash(body: Record<string, unknown>, omit: string[] = ['clientToken']): string {
  const rest = Object.fromEntries(Object.entries(body).filter(([k, v]) => !omit.includes(k) && v !== undefined && v !== null));
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
