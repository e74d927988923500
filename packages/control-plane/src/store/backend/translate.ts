import { group, isWord, render, skipWs, splitCommas, tokenize, type Group, type Node, type Token } from './sql-tokens';

/**
 * The one place where the SQLite dialect the repositories and migrations are
 * written in becomes PostgreSQL's (docs/design/store-backends.md lists every
 * rule and what stays the author's job). Pure: the same text always gives the
 * same translation, so the PostgreSQL backend translates each statement once
 * and caches it with its prepared statement.
 */
export interface TranslateSchema {
  /** Primary key columns of a table, for `INSERT OR REPLACE` (PostgreSQL needs a conflict target). */
  primaryKey(table: string): string[] | undefined;
  /** The type of columns of this name, when every table agrees (for `@p IS NULL OR col > @p`). */
  columnType?(column: string): string | undefined;
}

export interface Translation {
  sql: string;
  /** Positional statements: how many `$n`. */
  count: number;
  /** Named statements: the name bound to `$i+1` (without its `@`/`:`/`$`). */
  names?: string[];
}

const TYPE_MAP: Record<string, string> = {
  // Timestamps in milliseconds overflow PostgreSQL's 32-bit INTEGER; SQLite's INTEGER is 64-bit.
  INTEGER: 'BIGINT',
  INT: 'BIGINT',
  REAL: 'DOUBLE PRECISION',
  BLOB: 'BYTEA',
};

/** Words after `IS` that keep their meaning; anything else (`IS ?`, `IS col`) is SQLite's null-safe equality. */
const IS_KEEPS = new Set(['NULL', 'NOT', 'TRUE', 'FALSE', 'DISTINCT', 'UNKNOWN']);

export function toPostgres(sql: string, schema?: TranslateSchema): Translation {
  const tokens = tokenize(sql);
  const params = numberParams(tokens, schema);
  const flat = rewriteWords(tokens);
  const tree = rewriteCalls(group(flat));
  const statements = splitStatements(tree)
    .map((s) => rewriteStatement(s, schema))
    .filter((s): s is Node[] => s !== undefined);
  const out = statements.map(render).join(';');
  return { sql: out, ...params };
}

/** `?`/`@name` -> `$n`; a parameter seen only in `? IS [NOT] NULL` gets a type PostgreSQL cannot infer otherwise. */
function numberParams(tokens: Token[], schema: TranslateSchema | undefined): Omit<Translation, 'sql'> {
  const byName = new Map<string, number>();
  const names: string[] = [];
  let positional = 0;
  let named = false;
  let unnamed = false;
  const slots: { tok: Token; index: number }[] = [];
  for (const tok of tokens) {
    if (tok.t !== 'param') continue;
    let index: number;
    if (tok.v.startsWith('?')) {
      unnamed = true;
      index = tok.v.length > 1 ? Number(tok.v.slice(1)) : ++positional;
      positional = Math.max(positional, index);
    } else {
      named = true;
      const name = tok.v.slice(1);
      let k = byName.get(name);
      if (k === undefined) {
        names.push(name);
        k = names.length;
        byName.set(name, k);
      }
      index = k;
    }
    slots.push({ tok, index });
  }
  if (named && unnamed) throw new Error('SQL mixes positional (?) and named (@name) parameters');
  const seen = new Set<number>();
  const casts = new Map<number, string>();
  for (const s of slots) {
    const first = !seen.has(s.index);
    seen.add(s.index);
    // PostgreSQL types a parameter where it first meets it, and `$1 IS NULL` says nothing: give it the type of
    // the column it is compared with elsewhere (`@after IS NULL OR seq > @after`), or text.
    if (first && isNullTest(tokens, tokens.indexOf(s.tok))) {
      const others = slots.filter((o) => o.index === s.index && o !== s);
      let type: string | undefined;
      for (const o of others) type ??= comparedColumnType(tokens, tokens.indexOf(o.tok), schema);
      casts.set(s.index, type ?? 'text');
    }
  }
  const castDone = new Set<number>();
  for (const s of slots) {
    const cast = casts.get(s.index);
    const add = cast !== undefined && !castDone.has(s.index);
    if (add) castDone.add(s.index);
    s.tok.v = `$${s.index}${add ? `::${cast}` : ''}`;
  }
  return named ? { count: names.length, names } : { count: positional };
}

function isNullTest(tokens: Token[], i: number): boolean {
  const j = skipWs(tokens, i + 1);
  if (!isWord(tokens[j], 'IS')) return false;
  const k = skipWs(tokens, j + 1);
  return isWord(tokens[k], 'NULL') || (isWord(tokens[k], 'NOT') && isWord(tokens[skipWs(tokens, k + 1)], 'NULL'));
}

const COMPARISONS = new Set(['=', '==', '!=', '<>', '<', '>', '<=', '>=']);

/** `col OP $n` or `$n OP col`: the type of col, if the schema knows it. */
function comparedColumnType(tokens: Token[], i: number, schema: TranslateSchema | undefined): string | undefined {
  if (!schema?.columnType) return undefined;
  const prevOp = prevNonWs(tokens, i);
  if (prevOp !== undefined && tokens[prevOp]!.t === 'punct' && COMPARISONS.has(tokens[prevOp]!.v)) {
    const col = prevNonWs(tokens, prevOp);
    if (col !== undefined && tokens[col]!.t === 'word') return schema.columnType(tokens[col]!.v.toLowerCase());
  }
  const nextOp = skipWs(tokens, i + 1);
  if (tokens[nextOp]?.t === 'punct' && COMPARISONS.has(tokens[nextOp]!.v)) {
    const col = tokens[skipWs(tokens, nextOp + 1)];
    if (col?.t === 'word') {
      // `qualifier.column`
      const k = skipWs(tokens, nextOp + 1);
      const dotted = tokens[k + 1]?.t === 'punct' && tokens[k + 1]!.v === '.' && tokens[k + 2]?.t === 'word' ? tokens[k + 2]!.v : col.v;
      return schema.columnType(dotted.toLowerCase());
    }
  }
  return undefined;
}

function prevNonWs(tokens: Token[], i: number): number | undefined {
  let k = i - 1;
  while (k >= 0 && (tokens[k]!.t === 'ws' || tokens[k]!.t === 'comment')) k--;
  return k >= 0 ? k : undefined;
}

function rewriteWords(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.t === 'punct' && tok.v === '==') {
      out.push({ t: 'punct', v: '=' });
      continue;
    }
    if (tok.t !== 'word') {
      out.push(tok);
      continue;
    }
    const up = tok.v.toUpperCase();
    const next = skipWs(tokens, i + 1);
    if (up === 'AUTOINCREMENT') {
      // Identity columns never reuse a value, which is what AUTOINCREMENT adds to SQLite's rowid.
      while (out.length > 0 && out[out.length - 1]!.t === 'ws') out.pop();
      continue;
    }
    if (up === 'WITHOUT' && isWord(tokens[next], 'ROWID')) {
      while (out.length > 0 && out[out.length - 1]!.t === 'ws') out.pop();
      i = next;
      continue;
    }
    if (up === 'ROWID' || up === '_ROWID_') {
      out.push({ t: 'word', v: 'ctid' });
      continue;
    }
    if (up === 'LIMIT' && tokens[next]?.t === 'param') {
      // SQLite reads a negative LIMIT as none; PostgreSQL refuses it (NULL is none there).
      out.push(tok, ...tokens.slice(i + 1, next), { t: 'word', v: 'NULLIF(GREATEST(' }, tokens[next]!, { t: 'word', v: ', -1), -1)' });
      i = next;
      continue;
    }
    if (up === 'LIKE') {
      // SQLite's LIKE ignores ASCII case.
      out.push({ t: 'word', v: 'ILIKE' });
      continue;
    }
    if (up === 'INTEGER' && isWord(tokens[next], 'PRIMARY') && isWord(tokens[skipWs(tokens, next + 1)], 'KEY')) {
      // A rowid alias: assigned on insert when not given.
      out.push({ t: 'word', v: 'BIGINT GENERATED BY DEFAULT AS IDENTITY' });
      continue;
    }
    const mapped = TYPE_MAP[up];
    if (mapped) {
      out.push({ t: 'word', v: mapped });
      continue;
    }
    if (up === 'IS') {
      const a = tokens[next];
      const negated = isWord(a, 'NOT');
      const b = negated ? tokens[skipWs(tokens, next + 1)] : a;
      if (b && !(b.t === 'word' && IS_KEEPS.has(b.v.toUpperCase()))) {
        out.push({ t: 'word', v: negated ? 'IS DISTINCT FROM' : 'IS NOT DISTINCT FROM' });
        if (negated) i = next;
        continue;
      }
    }
    if (up === 'AS') {
      const a = tokens[next];
      // PostgreSQL folds unquoted names to lower case; SQLite keeps an alias as written.
      if (a && a.t === 'word' && /[a-z]/.test(a.v) && /[A-Z]/.test(a.v)) {
        out.push(tok, ...tokens.slice(i + 1, next), { t: 'ident', v: `"${a.v}"` });
        i = next;
        continue;
      }
    }
    out.push(tok);
  }
  return out;
}

function rewriteCalls(nodes: Node[]): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (n.t === 'group') {
      out.push({ t: 'group', items: rewriteCalls(n.items) });
      continue;
    }
    const j = skipWs(nodes, i + 1);
    const call = nodes[j];
    if (n.t !== 'word' || call?.t !== 'group') {
      out.push(n);
      continue;
    }
    const gap = nodes.slice(i + 1, j);
    const args = splitCommas(call.items).map(rewriteCalls);
    const fn = n.v.toUpperCase();
    const word = (v: string): Token => ({ t: 'word', v });
    const g = (items: Node[]): Group => ({ t: 'group', items });
    const join = (parts: Node[][]): Node[] => parts.flatMap((p, k) => (k === 0 ? p : [{ t: 'punct', v: ',' } as Token, ...p]));
    i = j;
    if ((fn === 'MAX' || fn === 'MIN') && args.length > 1) {
      // SQLite's scalar max/min of several arguments (the one-argument form is the aggregate).
      out.push(word(fn === 'MAX' ? 'GREATEST' : 'LEAST'), g(join(args)));
    } else if ((fn === 'STRFTIME' && args.length === 2 && render(args[0]!).trim() === "'%s'" && render(args[1]!).trim() === "'now'") || (fn === 'UNIXEPOCH' && render(call.items).trim() === '')) {
      // The time now in whole seconds (migrations that stamp seed rows).
      out.push(word('CAST'), g([word('EXTRACT(EPOCH FROM now()) AS BIGINT')]));
    } else if (fn === 'IFNULL') {
      out.push(word('COALESCE'), g(join(args)));
    } else if (fn === 'INSTR') {
      out.push(word('strpos'), g(join(args)));
    } else if (fn === 'JSON_EACH' && args.length === 1) {
      // Rows of `value` as text, as SQLite's json_each gives for an array of strings; CAST(value AS INTEGER) for numbers.
      out.push(word('json_array_elements_text'), g([word('CAST'), g([...args[0]!, word(' AS json')])]));
    } else if (fn === 'JSON_EXTRACT' && args.length === 2) {
      const path = jsonPath(args[1]!);
      out.push(g([word('CAST'), g([...args[0]!, word(' AS jsonb')]), word(` #>> '{${path.join(',')}}'`)]));
    } else if (fn === 'CAST' && isCastTo(call.items, 'BYTEA')) {
      // Text as its UTF-8 bytes (length() of it counts bytes), as SQLite's CAST(text AS BLOB).
      const inner = rewriteCalls(call.items);
      const as = lastWordIndex(inner, 'AS');
      let e = as;
      while (e > 0 && inner[e - 1]!.t === 'ws') e--;
      out.push(word('convert_to'), g([...inner.slice(0, e), { t: 'punct', v: ', ' }, { t: 'string', v: "'UTF8'" }]));
    } else {
      out.push(n, ...gap, g(join(args)));
    }
  }
  return out;
}

function jsonPath(arg: Node[]): string[] {
  const lit = arg.find((n) => n.t !== 'ws');
  if (!lit || lit.t !== 'string' || !/^'\$(\.[A-Za-z0-9_]+)*'$/.test(lit.v)) throw new Error(`json_extract needs a literal '$.a.b' path on PostgreSQL, got ${render(arg)}`);
  return lit.v.slice(2, -1).split('.').filter((s) => s !== '');
}

function isCastTo(items: Node[], type: string): boolean {
  const k = lastWordIndex(items, 'AS');
  return k >= 0 && isWord(items[skipWs(items, k + 1)], type) && skipWs(items, skipWs(items, k + 1) + 1) >= items.length;
}

function lastWordIndex(items: Node[], w: string): number {
  for (let k = items.length - 1; k >= 0; k--) if (isWord(items[k], w)) return k;
  return -1;
}

function splitStatements(nodes: Node[]): Node[][] {
  const out: Node[][] = [[]];
  for (const n of nodes) {
    if (n.t === 'punct' && n.v === ';') out.push([]);
    else out[out.length - 1]!.push(n);
  }
  return out;
}

function rewriteStatement(s: Node[], schema: TranslateSchema | undefined): Node[] | undefined {
  const first = skipWs(s, 0);
  // PRAGMAs (foreign_keys around a table rebuild, ...) have no PostgreSQL meaning.
  if (isWord(s[first], 'PRAGMA')) return undefined;
  let mode: 'ignore' | 'replace' | undefined;
  let rest: number;
  if (isWord(s[first], 'INSERT') && isWord(s[skipWs(s, first + 1)], 'OR')) {
    const how = skipWs(s, skipWs(s, first + 1) + 1);
    mode = isWord(s[how], 'IGNORE') ? 'ignore' : isWord(s[how], 'REPLACE') ? 'replace' : undefined;
    if (!mode) throw new Error(`INSERT OR ${render([s[how]!])} has no PostgreSQL translation`);
    rest = how + 1;
  } else if (isWord(s[first], 'REPLACE') && isWord(s[skipWs(s, first + 1)], 'INTO')) {
    mode = 'replace';
    rest = first + 1;
  } else {
    return s;
  }
  const head: Node[] = [...s.slice(0, first), { t: 'word', v: 'INSERT' }];
  const body = s.slice(rest);
  const into = skipWs(body, 0);
  const tableAt = skipWs(body, into + 1);
  const tableNode = body[tableAt];
  const cols = body[skipWs(body, tableAt + 1)];
  let conflict: string;
  if (mode === 'ignore') {
    conflict = ' ON CONFLICT DO NOTHING';
  } else {
    if (!tableNode || (tableNode.t !== 'word' && tableNode.t !== 'ident') || cols?.t !== 'group') throw new Error('INSERT OR REPLACE needs INTO table(columns) on PostgreSQL');
    const table = tableNode.t === 'ident' ? tableNode.v.slice(1, -1) : tableNode.v.toLowerCase();
    const key = schema?.primaryKey(table);
    if (!key || key.length === 0) throw new Error(`INSERT OR REPLACE INTO ${table}: no primary key known for the conflict target`);
    const columns = splitCommas(cols.items).map((c) => render(c).trim());
    const keySet = new Set(key.map((k) => k.toLowerCase()));
    const others = columns.filter((c) => !keySet.has(c.replace(/"/g, '').toLowerCase()));
    conflict = ` ON CONFLICT (${key.join(', ')}) ${others.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${others.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`}`;
  }
  // Before RETURNING, if any, and before trailing whitespace.
  let end = body.length;
  while (end > 0 && (body[end - 1]!.t === 'ws' || body[end - 1]!.t === 'comment')) end--;
  const returning = body.findIndex((n) => isWord(n, 'RETURNING'));
  const at = returning >= 0 ? returning : end;
  return [...head, ...body.slice(0, at), { t: 'word', v: returning >= 0 ? `${conflict.trimStart()} ` : conflict }, ...body.slice(at)];
}
