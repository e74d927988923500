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

/**
 * Checks ALB conditions: host-header and path-pattern, each at most once per
 * rule, 1-3 values of at most 128 characters, `*` and `?` wildcards.
 */
export function validateConditions(conditions: RuleCondition[]): void {
  if (conditions.length === 0) throw validationError('A rule must have at least one condition.', 'Conditions');
  const seen = new Set<RuleField>();
  let wildcards = 0;
  conditions.forEach((c, i) => {
    const field = `Conditions[${i}]`;
    if (seen.has(c.field)) throw validationError(`A rule can have at most one '${c.field}' condition.`, field);
    seen.add(c.field);
    if (c.values.length === 0 || c.values.length > MAX_VALUES) throw validationError(`A '${c.field}' condition must have 1 to ${MAX_VALUES} values.`, field);
    for (const v of c.values) {
      if (v.length === 0 || v.length > 128) throw validationError(`Condition values must be 1 to 128 characters.`, field);
      const ok = c.field === 'host-header' ? HOST_CHARS.test(v) : PATH_CHARS.test(v) && (v.startsWith('/') || v.startsWith('*'));
      if (!ok) throw validationError(`'${v}' is not a valid ${c.field} value.`, field);
      wildcards += (v.match(/[*?]/g) ?? []).length;
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

/** Host headers match case-insensitively, paths case-sensitively (ALB). */
export function conditionMatches(c: RuleCondition, request: { host: string; path: string }): boolean {
  const subject = c.field === 'host-header' ? request.host.split(':')[0]! : request.path;
  return c.values.some((v) => new RegExp(wildcardToRegex(v), c.field === 'host-header' ? 'i' : '').test(subject));
}

/** Evaluation order: priority ascending, first match wins; the default action comes last. */
export function sortRules<T extends Pick<ListenerRule, 'priority'>>(rules: T[]): T[] {
  return [...rules].sort((a, b) => a.priority - b.priority);
}

/** Which rule a request matches, as ALB evaluates them; undefined means the default action. */
export function matchRule<T extends Pick<ListenerRule, 'priority' | 'conditions'>>(rules: T[], request: { host: string; path: string }): T | undefined {
  return sortRules(rules).find((r) => r.conditions.every((c) => conditionMatches(c, request)));
}
