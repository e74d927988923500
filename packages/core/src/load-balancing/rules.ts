import type { ListenerRule, RuleCondition, RuleField } from '../model/load-balancer';
import { validationError } from './health-check';

/** ALB rule priorities: 1-50000, lowest evaluated first. */
export const MIN_RULE_PRIORITY = 1;
export const MAX_RULE_PRIORITY = 50_000;
/** ALB: at most 5 wildcards and at most 3 values per condition (documented limits). */
const MAX_VALUES = 3;
const MAX_WILDCARDS = 5;

const HOST_CHARS = /^[A-Za-z0-9.*?-]+$/;
// No quotes or spaces: patterns are written into HAProxy's configuration inside single quotes.
const PATH_CHARS = /^[A-Za-z0-9_\-.$/~@:+&()!,;=*?%]+$/;

const HEADER_NAME = /^[A-Za-z0-9_-]{1,40}$/;
const METHOD = /^[A-Z_-]{1,40}$/;
// Header and query-string values: printable ASCII, no quotes or backslashes (they become regexes in single quotes).
const TEXT_VALUE = /^[\x20-\x26\x28-\x5b\x5d-\x7e]+$/;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]{2,39}\/(12[0-8]|1[01]\d|\d?\d)$/;
/** Conditions a rule may have once; http-header and query-string may repeat (different headers, pairs). */
const ONCE: ReadonlySet<RuleField> = new Set(['host-header', 'path-pattern', 'http-request-method', 'source-ip']);

/**
 * Checks ALB conditions: host-header, path-pattern, http-request-method and
 * source-ip at most once per rule; 1-3 values of at most 128 characters
 * (http-request-method and source-ip: 1-5); `*` and `?` wildcards except in
 * methods and addresses, at most 5 per rule. Methods are upper case
 * (A-Z, `-`, `_`), source-ip values CIDR blocks, http-header names tokens.
 */
export function validateConditions(conditions: RuleCondition[]): void {
  if (conditions.length === 0) throw validationError('A rule must have at least one condition.', 'Conditions');
  if (conditions.length > 5) throw validationError('A rule can have at most 5 conditions.', 'Conditions');
  const seen = new Set<RuleField>();
  let wildcards = 0;
  conditions.forEach((c, i) => {
    const field = `Conditions[${i}]`;
    if (ONCE.has(c.field) && seen.has(c.field)) throw validationError(`A rule can have at most one '${c.field}' condition.`, field);
    seen.add(c.field);
    const max = c.field === 'http-request-method' || c.field === 'source-ip' || c.field === 'query-string' ? 5 : MAX_VALUES;
    if (c.values.length === 0 || c.values.length > max) throw validationError(`A '${c.field}' condition must have 1 to ${max} values.`, field);
    if (c.field === 'http-header' && (c.httpHeaderName === undefined || !HEADER_NAME.test(c.httpHeaderName))) throw validationError(`'${c.httpHeaderName ?? ''}' is not a valid HttpHeaderName (letters, digits, - and _).`, `${field}.HttpHeaderConfig.HttpHeaderName`);
    if (c.field === 'query-string') {
      for (const q of c.queryStrings ?? []) {
        for (const part of [q.key, q.value]) {
          if (part === undefined) continue;
          if (part.length === 0 || part.length > 128 || !TEXT_VALUE.test(part) || /[&=]/.test(part)) throw validationError(`'${part}' is not a valid query-string key or value.`, field);
          wildcards += (part.match(/[*?]/g) ?? []).length;
        }
      }
      return;
    }
    for (const v of c.values) {
      if (v.length === 0 || v.length > 128) throw validationError(`Condition values must be 1 to 128 characters.`, field);
      let ok: boolean;
      switch (c.field) {
        case 'host-header':
          ok = HOST_CHARS.test(v);
          break;
        case 'path-pattern':
          ok = PATH_CHARS.test(v) && (v.startsWith('/') || v.startsWith('*'));
          break;
        case 'http-request-method':
          ok = METHOD.test(v);
          break;
        case 'source-ip':
          ok = IPV4_CIDR.test(v) || IPV6_CIDR.test(v);
          break;
        default:
          ok = TEXT_VALUE.test(v);
      }
      if (!ok) throw validationError(`'${v}' is not a valid ${c.field} value.`, field);
      if (c.field !== 'http-request-method' && c.field !== 'source-ip') wildcards += (v.match(/[*?]/g) ?? []).length;
    }
  });
  if (wildcards > MAX_WILDCARDS) throw validationError(`A rule can have at most ${MAX_WILDCARDS} wildcards.`, 'Conditions');
}

/**
 * An ALB wildcard pattern as an anchored regular expression source: `*`
 * matches any run of characters, `?` exactly one, everything else literally.
 */
export function wildcardToRegex(pattern: string): string {
  let out = '^';
  for (const ch of pattern) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += /[A-Za-z0-9_\-/~@:,;=&%]/.test(ch) ? ch : `\\${ch}`;
  }
  return out + '$';
}

/** A request as conditions see it (headers by lower-case name, query as decoded pairs). */
export interface RuleRequest {
  host: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  query?: [string, string][];
}

/** ALB's matching: hosts, header and query values case-insensitively; paths and methods as sent. */
export function conditionMatches(c: RuleCondition, request: RuleRequest): boolean {
  const re = (v: string, flags = '') => new RegExp(wildcardToRegex(v), flags);
  switch (c.field) {
    case 'host-header':
      return c.values.some((v) => re(v, 'i').test(request.host.split(':')[0]!));
    case 'path-pattern':
      return c.values.some((v) => re(v).test(request.path));
    case 'http-request-method':
      return c.values.includes(request.method ?? 'GET');
    case 'http-header': {
      const h = request.headers?.[String(c.httpHeaderName).toLowerCase()];
      return h !== undefined && c.values.some((v) => re(v, 'i').test(h));
    }
    case 'query-string':
      return (c.queryStrings ?? []).some((q) => (request.query ?? []).some(([k, v]) => (q.key === undefined || re(q.key, 'i').test(k)) && re(q.value, 'i').test(v)));
    default:
      return false; // source-ip: decided by the load balancer from the connection
  }
}

/** Evaluation order: priority ascending, first match wins; the default action comes last. */
export function sortRules<T extends Pick<ListenerRule, 'priority'>>(rules: T[]): T[] {
  return [...rules].sort((a, b) => a.priority - b.priority);
}

/** Which rule a request matches, as ALB evaluates them; undefined means the default action. */
export function matchRule<T extends Pick<ListenerRule, 'priority' | 'conditions'>>(rules: T[], request: RuleRequest): T | undefined {
  return sortRules(rules).find((r) => r.conditions.every((c) => conditionMatches(c, request)));
}
