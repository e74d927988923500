/**
 * A SQL tokenizer just fine enough to rewrite SQLite statements for
 * PostgreSQL without touching string literals, quoted identifiers or
 * comments. Tokens are grouped by parentheses into a tree so function
 * calls can be rewritten with their arguments.
 */
export type Token =
  | { t: 'ws'; v: string }
  | { t: 'comment'; v: string }
  | { t: 'string'; v: string }
  | { t: 'ident'; v: string }
  | { t: 'word'; v: string }
  | { t: 'number'; v: string }
  /** `?`, `?NNN`, `@name`, `:name`, `$name`. */
  | { t: 'param'; v: string }
  | { t: 'punct'; v: string };

export interface Group {
  t: 'group';
  items: Node[];
}
export type Node = Token | Group;

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;
const TWO_CHAR_OPS = new Set(['!=', '<>', '<=', '>=', '==', '||', '::', '->']);

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i]!)) i++;
      out.push({ t: 'ws', v: sql.slice(start, i) });
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      out.push({ t: 'comment', v: sql.slice(start, i) });
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out.push({ t: 'comment', v: sql.slice(start, i) });
    } else if (c === "'") {
      i = closeQuote(sql, i, "'");
      out.push({ t: 'string', v: sql.slice(start, i) });
    } else if (c === '"' || c === '`') {
      i = closeQuote(sql, i, c);
      // Backquoted identifiers are SQLite's (MySQL's) spelling of "quoted".
      const inner = sql.slice(start + 1, i - 1).split(c + c).join(c);
      out.push({ t: 'ident', v: `"${inner.replace(/"/g, '""')}"` });
    } else if (c === '[') {
      const end = sql.indexOf(']', i);
      i = end < 0 ? n : end + 1;
      out.push({ t: 'ident', v: `"${sql.slice(start + 1, i - 1).replace(/"/g, '""')}"` });
    } else if (c === '?') {
      i++;
      while (i < n && /[0-9]/.test(sql[i]!)) i++;
      out.push({ t: 'param', v: sql.slice(start, i) });
    } else if ((c === '@' || c === ':' || c === '$') && i + 1 < n && WORD_START.test(sql[i + 1]!) && !(c === ':' && sql[i - 1] === ':')) {
      i++;
      while (i < n && WORD.test(sql[i]!)) i++;
      out.push({ t: 'param', v: sql.slice(start, i) });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9.eE]/.test(sql[i]!)) {
        // An exponent sign belongs to the number.
        if ((sql[i] === 'e' || sql[i] === 'E') && (sql[i + 1] === '+' || sql[i + 1] === '-')) i++;
        i++;
      }
      out.push({ t: 'number', v: sql.slice(start, i) });
    } else if (WORD_START.test(c)) {
      while (i < n && WORD.test(sql[i]!)) i++;
      out.push({ t: 'word', v: sql.slice(start, i) });
    } else {
      const two = sql.slice(i, i + 2);
      i += TWO_CHAR_OPS.has(two) ? 2 : 1;
      out.push({ t: 'punct', v: sql.slice(start, i) });
    }
  }
  return out;
}

function closeQuote(sql: string, i: number, q: string): number {
  let j = i + 1;
  for (;;) {
    const k = sql.indexOf(q, j);
    if (k < 0) throw new Error(`unterminated ${q} in SQL: ${sql.slice(i, i + 40)}`);
    if (sql[k + 1] === q) {
      j = k + 2;
      continue;
    }
    return k + 1;
  }
}

/** Parentheses become groups; `items` of a group exclude the parentheses themselves. */
export function group(tokens: Token[]): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (const tok of tokens) {
    const top = stack[stack.length - 1]!;
    if (tok.t === 'punct' && tok.v === '(') {
      const g: Group = { t: 'group', items: [] };
      top.push(g);
      stack.push(g.items);
    } else if (tok.t === 'punct' && tok.v === ')') {
      if (stack.length === 1) throw new Error('unbalanced ) in SQL');
      stack.pop();
    } else {
      top.push(tok);
    }
  }
  if (stack.length !== 1) throw new Error('unbalanced ( in SQL');
  return root;
}

export function render(nodes: Node[]): string {
  let s = '';
  for (const n of nodes) s += n.t === 'group' ? `(${render(n.items)})` : n.v;
  return s;
}

/** Splits at top-level commas (function arguments, column lists). */
export function splitCommas(nodes: Node[]): Node[][] {
  const parts: Node[][] = [[]];
  for (const n of nodes) {
    if (n.t === 'punct' && n.v === ',') parts.push([]);
    else parts[parts.length - 1]!.push(n);
  }
  return parts;
}

export const isWord = (n: Node | undefined, ...words: string[]): boolean => n !== undefined && n.t === 'word' && words.some((w) => w.toUpperCase() === n.v.toUpperCase());

/** The index of the next node that is not whitespace or a comment, from i on. */
export function skipWs(nodes: Node[], i: number): number {
  while (i < nodes.length && (nodes[i]!.t === 'ws' || nodes[i]!.t === 'comment')) i++;
  return i;
}
