import { parsePercentileStatistic, StevedoreError, type Dimension } from '@stevedore/core';

/**
 * CloudWatch's request rules beyond what its model states (the Query layer
 * already checked types, required members, enums and lengths), with its
 * error codes and wording, naming the parameter as it was sent.
 */
export type Input = Record<string, unknown>;

export function invalid(message: string, field: string): StevedoreError {
  return new StevedoreError('InvalidParameterValue', message, { field });
}

export function combination(message: string, field: string): StevedoreError {
  return new StevedoreError('InvalidParameterCombination', message, { field });
}

export function missingParameter(field: string): StevedoreError {
  return new StevedoreError('MissingParameter', `The parameter ${field} is required.`, { field });
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
export const list = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
export const obj = (v: unknown): Input | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? (v as Input) : undefined);
export const time = (v: unknown): number | undefined => (v instanceof Date ? v.getTime() : undefined);

/** A namespace a caller may write: printable ASCII, not starting with ':' and not AWS's own `AWS/`. */
export function customNamespace(ns: string, field = 'Namespace'): string {
  if (ns.startsWith('AWS/') || !/^[\x20-\x7e]+$/.test(ns) || ns.startsWith(':')) throw invalid(`The value ${ns} for parameter ${field} is invalid.`, field);
  return ns;
}

/** Dimensions as sent (`Dimensions.member.N.Name/Value`), names unique. */
export function dimensionsOf(v: unknown, field: string): Dimension[] {
  const seen = new Set<string>();
  return list<Input>(v).map((d, i) => {
    const name = str(d['Name']);
    const value = str(d['Value']);
    if (name === undefined) throw missingParameter(`${field}.member.${i + 1}.Name`);
    if (value === undefined) throw missingParameter(`${field}.member.${i + 1}.Value`);
    if (seen.has(name)) throw invalid(`The collection ${field} must not have duplicate dimension names (${name}).`, `${field}.member.${i + 1}.Name`);
    seen.add(name);
    return { name, value };
  });
}

/** A period in seconds: a multiple of 60, or 1, 5, 10 or 30 (high resolution). */
export function period(v: unknown, field: string): number {
  const p = num(v);
  if (p === undefined) throw missingParameter(field);
  if (p < 1 || (p % 60 !== 0 && ![1, 5, 10, 30].includes(p))) throw invalid(`The parameter ${field} must be a multiple of 60, or 1, 5, 10 or 30 for high-resolution metrics.`, field);
  return p;
}

/** A percentile statistic (p0.0 - p100); trimmed means and other extended statistics are not supported. */
export function percentileStatistic(v: string, field: string): string {
  if (parsePercentileStatistic(v) === undefined) throw invalid(`The value ${v} for parameter ${field} is not supported: Stevedore computes percentiles (p50, p90, p99.9...).`, field);
  return v;
}

/**
 * CloudWatch rounds a query's start down to the resolution of data that
 * old: a minute within 15 days, five minutes within 63, an hour beyond
 * (periods under a minute are kept as given).
 */
export function roundedStart(start: number, periodSeconds: number, now: number): number {
  if (periodSeconds < 60) return Math.floor(start / (periodSeconds * 1000)) * periodSeconds * 1000;
  const age = now - start;
  const unit = age <= 15 * 86_400_000 ? 60_000 : age <= 63 * 86_400_000 ? 300_000 : 3600_000;
  return Math.floor(start / unit) * unit;
}

export function timeRange(input: Input, now: number): { start: number; end: number } {
  const start = time(input['StartTime']);
  const end = time(input['EndTime']);
  if (start === undefined) throw missingParameter('StartTime');
  if (end === undefined) throw missingParameter('EndTime');
  if (start >= end) throw invalid('The parameter StartTime must be less than the parameter EndTime.', 'StartTime');
  void now;
  return { start, end };
}

/** Opaque paging tokens: base64 of a cursor, refused when not one of ours. */
export function encodeToken(cursor: string | number): string {
  return Buffer.from(JSON.stringify({ c: cursor })).toString('base64');
}

export function decodeToken<T extends string | number>(v: unknown, kind: 'string' | 'number'): T | undefined {
  if (v === undefined) return undefined;
  try {
    const c = (JSON.parse(Buffer.from(String(v), 'base64').toString('utf8')) as { c?: unknown }).c;
    if (typeof c === kind) return c as T;
  } catch {
    // fall through
  }
  throw new StevedoreError('InvalidNextToken', 'The service cannot parse the NextToken.', { field: 'NextToken' });
}
