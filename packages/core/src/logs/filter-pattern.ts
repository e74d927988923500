import { InvalidParameterException } from '../errors';

/**
 * CloudWatch Logs filter patterns (FilterLogEvents `filterPattern`):
 * - unstructured: terms that must all appear (case-sensitive), "quoted
 *   phrases", `?term` (at least one of the `?` terms), `-term` (must not
 *   appear); an empty pattern matches every event;
 * - JSON: `{ $.a.b = "x" }`, `!=`, `<`, `<=`, `>`, `>=` on numbers, a `*`
 *   at a string's end as a prefix match, `IS NULL`, `EXISTS`, `NOT EXISTS`,
 *   `IS TRUE`/`IS FALSE`, conditions joined by `&&` or `||` (one kind per
 *   pattern; no parentheses), matched against events that are JSON objects.
 * Space-delimited (`[a, b]`) and regex (`%...%`) patterns are refused.
 */
export type EventMatcher = (message: string) => boolean;

const MAX_PATTERN = 1024;

export function compileFilterPattern(pattern: string | undefined): EventMatcher {
  const p = (pattern ?? '').trim();
  if (p.length > MAX_PATTERN) throw invalid(`the pattern is longer than ${MAX_PATTERN} characters`);
  if (p === '' || p === '""') return () => true;
  if (p.startsWith('{')) return compileJson(p);
  if (p.startsWith('[')) throw invalid('space-delimited patterns ([...]) are not supported by Stevedore; use terms or a JSON pattern');
  if (p.startsWith('%')) throw invalid('regular expression patterns (%...%) are not supported by Stevedore; use terms or a JSON pattern');
  return compileTerms(p);
}

function invalid(why: string): InvalidParameterException {
  return new InvalidParameterException(`Invalid filter pattern: ${why}.`, 'filterPattern');
}

interface Term {
  kind: 'all' | 'any' | 'none';
  text: string;
}

function compileTerms(p: string): EventMatcher {
  const terms: Term[] = [];
  let i = 0;
  while (i < p.length) {
    if (p[i] === ' ' || p[i] === '\t') {
      i++;
      continue;
    }
    let kind: Term['kind'] = 'all';
    if (p[i] === '?') {
      kind = 'any';
      i++;
    } else if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ' ') {
      kind = 'none';
      i++;
    }
    let text = '';
    if (p[i] === '"') {
      const end = p.indexOf('"', i + 1);
      if (end < 0) throw invalid('a quoted phrase is not closed');
      text = p.slice(i + 1, end);
      i = end + 1;
    } else {
      while (i < p.length && p[i] !== ' ' && p[i] !== '\t') text += p[i++];
    }
    if (text !== '') terms.push({ kind, text });
  }
  const all = terms.filter((t) => t.kind === 'all').map((t) => t.text);
  const any = terms.filter((t) => t.kind === 'any').map((t) => t.text);
  const none = terms.filter((t) => t.kind === 'none').map((t) => t.text);
  return (m) => all.every((t) => m.includes(t)) && (any.length === 0 || any.some((t) => m.includes(t))) && !none.some((t) => m.includes(t));
}

type Cond = (doc: unknown) => boolean;

function compileJson(p: string): EventMatcher {
  if (!p.endsWith('}')) throw invalid('a JSON pattern ends with }');
  const body = p.slice(1, -1).trim();
  if (body.includes('(')) throw invalid('parentheses in JSON patterns are not supported by Stevedore');
  const hasAnd = body.includes('&&');
  const hasOr = body.includes('||');
  if (hasAnd && hasOr) throw invalid('mixing && and || in one pattern is not supported by Stevedore');
  const parts = body.split(hasOr ? '||' : '&&').map((s) => s.trim());
  const conds = parts.map(compileCondition);
  const test: (d: unknown) => boolean = hasOr ? (d) => conds.some((c) => c(d)) : (d) => conds.every((c) => c(d));
  return (m) => {
    const t = m.trimStart();
    if (!t.startsWith('{')) return false;
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch {
      return false;
    }
    return test(doc);
  };
}

const SELECTOR = /^\$((?:\.[A-Za-z_$@][\w$@-]*|\[\d+\])*)/;

function select(doc: unknown, path: (string | number)[]): { found: boolean; value?: unknown } {
  let cur: unknown = doc;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return { found: false };
    // Own keys only: `$.constructor` must not find Object.prototype's.
    if (!Object.prototype.hasOwnProperty.call(cur, k)) return { found: false };
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return { found: true, value: cur };
}

function compileCondition(c: string): Cond {
  const m = SELECTOR.exec(c);
  if (!m || m[0] === '$') throw invalid(`'${c}' does not start with a selector such as $.field`);
  const path = [...m[1]!.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((x) => (x[1] !== undefined ? x[1] : Number(x[2])));
  const rest = c.slice(m[0].length).trim();
  const unary = /^(IS NULL|NOT EXISTS|EXISTS|IS TRUE|IS FALSE)$/i.exec(rest);
  if (unary) {
    const op = unary[1]!.toUpperCase();
    return (d) => {
      const s = select(d, path);
      if (op === 'EXISTS') return s.found;
      if (op === 'NOT EXISTS') return !s.found;
      if (op === 'IS NULL') return s.found && s.value === null;
      return s.found && s.value === (op === 'IS TRUE');
    };
  }
  const cmp = /^(=|!=|<=|>=|<|>)\s*(.+)$/.exec(rest);
  if (!cmp) throw invalid(`'${c}' has no comparison (=, !=, <, <=, >, >=, IS NULL, EXISTS, IS TRUE)`);
  const op = cmp[1]!;
  const raw = cmp[2]!.trim();
  if (/^-?\d+(\.\d+)?$/.test(raw)) {
    const n = Number(raw);
    return (d) => {
      const s = select(d, path);
      if (!s.found || typeof s.value !== 'number') return false;
      const v = s.value;
      return op === '=' ? v === n : op === '!=' ? v !== n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : v >= n;
    };
  }
  if (op !== '=' && op !== '!=') throw invalid(`'${op}' compares numbers only`);
  const str = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  const prefix = str.endsWith('*') ? str.slice(0, -1) : undefined;
  const eq = (v: unknown) => typeof v === 'string' && (prefix !== undefined ? v.startsWith(prefix) : v === str);
  return (d) => {
    const s = select(d, path);
    if (!s.found) return false;
    return op === '=' ? eq(s.value) : !eq(s.value);
  };
}
