/**
 * CloudWatch metric math, the subset Stevedore evaluates: query ids, numbers,
 * `+ - * /`, unary minus, parentheses, arrays `[a, b]`, and the functions
 * SUM, AVG, MIN, MAX. As in CloudWatch, a function of an array of time
 * series is a time series (per timestamp across the series), and a function
 * of one time series is a scalar (over its points). Arithmetic joins time
 * series on their timestamps (a timestamp missing from one side has no
 * result) and applies scalars to every point; results that are not finite
 * (division by zero) are dropped. Pure: the caller resolves ids.
 */
export type Series = Map<number, number>;
export type MathValue = { kind: 'scalar'; value: number } | { kind: 'series'; points: Series } | { kind: 'array'; items: Series[] };

export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
}

type Node =
  | { t: 'num'; v: number }
  | { t: 'id'; id: string }
  | { t: 'neg'; e: Node }
  | { t: 'bin'; op: '+' | '-' | '*' | '/'; l: Node; r: Node }
  | { t: 'call'; fn: string; arg: Node }
  | { t: 'arr'; items: Node[] };

const FUNCTIONS = new Set(['SUM', 'AVG', 'MIN', 'MAX']);
const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/(),[\]]))/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new MetricMathError(`Unexpected character '${text[at + (text.slice(at).length - text.slice(at).trimStart().length)]}' at position ${at + 1}.`);
    out.push(m[1] ?? m[2] ?? m[3]!);
    at = TOKEN.lastIndex;
  }
  return out;
}

/** Parses an expression; the ids it names are returned with it. */
export function parseMetricMath(text: string): { ast: Node; ids: Set<string> } {
  if (text.length > 1024) throw new MetricMathError('The expression is longer than 1024 characters.');
  const tokens = tokenize(text);
  let i = 0;
  const ids = new Set<string>();
  const peek = () => tokens[i];
  const take = (want?: string) => {
    const t = tokens[i];
    if (t === undefined || (want !== undefined && t !== want)) throw new MetricMathError(t === undefined ? `Unexpected end of expression${want ? `: expected '${want}'` : ''}.` : `Unexpected '${t}'${want ? `: expected '${want}'` : ''}.`);
    i++;
    return t;
  };
  let depth = 0;
  const expr = (): Node => {
    if (++depth > 50) throw new MetricMathError('The expression is nested too deeply.');
    let l = term();
    while (peek() === '+' || peek() === '-') {
      const op = take() as '+' | '-';
      l = { t: 'bin', op, l, r: term() };
    }
    depth--;
    return l;
  };
  const term = (): Node => {
    let l = unary();
    while (peek() === '*' || peek() === '/') {
      const op = take() as '*' | '/';
      l = { t: 'bin', op, l, r: unary() };
    }
    return l;
  };
  const unary = (): Node => (peek() === '-' ? (take(), { t: 'neg', e: unary() }) : primary());
  const primary = (): Node => {
    const t = take();
    if (/^\d/.test(t)) return { t: 'num', v: Number(t) };
    if (t === '(') {
      const e = expr();
      take(')');
      return e;
    }
    if (t === '[') {
      const items = [expr()];
      while (peek() === ',') {
        take();
        items.push(expr());
      }
      take(']');
      return { t: 'arr', items };
    }
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') {
        if (!FUNCTIONS.has(t)) throw new MetricMathError(`Unsupported function ${t}: Stevedore supports ${[...FUNCTIONS].join(', ')}.`);
        take('(');
        const arg = expr();
        take(')');
        return { t: 'call', fn: t, arg };
      }
      if (!/^[a-z]/.test(t)) throw new MetricMathError(`Unknown identifier ${t}: metric ids start with a lower-case letter.`);
      ids.add(t);
      return { t: 'id', id: t };
    }
    throw new MetricMathError(`Unexpected '${t}'.`);
  };
  const ast = expr();
  if (i < tokens.length) throw new MetricMathError(`Unexpected '${tokens[i]}'.`);
  return { ast, ids };
}

const OPS = {
  '+': (a: number, b: number) => a + b,
  '-': (a: number, b: number) => a - b,
  '*': (a: number, b: number) => a * b,
  '/': (a: number, b: number) => a / b,
};

function finite(points: Series): Series {
  for (const [t, v] of points) if (!Number.isFinite(v)) points.delete(t);
  return points;
}

function binary(op: (a: number, b: number) => number, l: MathValue, r: MathValue): MathValue {
  if (l.kind === 'scalar' && r.kind === 'scalar') return { kind: 'scalar', value: op(l.value, r.value) };
  if (l.kind === 'array') return { kind: 'array', items: l.items.map((s) => asSeries(binary(op, { kind: 'series', points: s }, r))) };
  if (r.kind === 'array') return { kind: 'array', items: r.items.map((s) => asSeries(binary(op, l, { kind: 'series', points: s }))) };
  const out: Series = new Map();
  if (l.kind === 'series' && r.kind === 'series') {
    for (const [t, a] of l.points) {
      const b = r.points.get(t);
      if (b !== undefined) out.set(t, op(a, b));
    }
  } else if (l.kind === 'series' && r.kind === 'scalar') {
    for (const [t, a] of l.points) out.set(t, op(a, r.value));
  } else if (l.kind === 'scalar' && r.kind === 'series') {
    for (const [t, b] of r.points) out.set(t, op(l.value, b));
  }
  return { kind: 'series', points: finite(out) };
}

function asSeries(v: MathValue): Series {
  if (v.kind !== 'series') throw new MetricMathError('Expected a time series.');
  return v.points;
}

function aggregate(fn: string, values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (fn) {
    case 'SUM':
      return values.reduce((a, b) => a + b, 0);
    case 'AVG':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'MIN':
      return Math.min(...values);
    default:
      return Math.max(...values);
  }
}

function call(fn: string, arg: MathValue): MathValue {
  if (arg.kind === 'scalar') return arg;
  if (arg.kind === 'series') {
    const v = aggregate(fn, [...arg.points.values()]);
    return v === undefined ? { kind: 'series', points: new Map() } : { kind: 'scalar', value: v };
  }
  const byTime = new Map<number, number[]>();
  for (const s of arg.items) for (const [t, v] of s) byTime.set(t, [...(byTime.get(t) ?? []), v]);
  const out: Series = new Map();
  for (const [t, vs] of [...byTime].sort((a, b) => a[0] - b[0])) out.set(t, aggregate(fn, vs)!);
  return { kind: 'series', points: out };
}

/** Evaluates a parsed expression; `resolve` gives the time series (or value) of a query id. */
export function evaluateMetricMath(ast: Node, resolve: (id: string) => MathValue): MathValue {
  switch (ast.t) {
    case 'num':
      return { kind: 'scalar', value: ast.v };
    case 'id':
      return resolve(ast.id);
    case 'neg':
      return binary(OPS['*'], { kind: 'scalar', value: -1 }, evaluateMetricMath(ast.e, resolve));
    case 'bin':
      return binary(OPS[ast.op], evaluateMetricMath(ast.l, resolve), evaluateMetricMath(ast.r, resolve));
    case 'call':
      return call(ast.fn, evaluateMetricMath(ast.arg, resolve));
    case 'arr':
      return { kind: 'array', items: ast.items.flatMap((n) => {
        const v = evaluateMetricMath(n, resolve);
        if (v.kind === 'array') return v.items;
        if (v.kind === 'series') return [v.points];
        throw new MetricMathError('An array holds time series, not numbers.');
      }) };
  }
}
