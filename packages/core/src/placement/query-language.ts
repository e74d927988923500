import { InvalidParameterException } from '../errors';
import type { ContainerInstance } from '../model/container-instance';

/**
 * The ECS cluster query language (memberOf constraints, ListContainerInstances
 * `filter`): `subject operator [argument]`, combined with and/or/not and
 * parentheses. A hand-written scanner driven by a recursive-descent parser, so
 * the scanner knows what it expects (an operator after a subject, a value
 * after an operator) and unquoted values such as `t2.*` or
 * `2018-06-18T22:28:28+00:00` need no quoting. Errors name the 1-based
 * character position.
 */

export type SubjectKind = 'agentConnected' | 'agentVersion' | 'attribute' | 'ec2InstanceId' | 'registeredAt' | 'runningTasksCount' | 'taskGroup';
export interface Subject {
  kind: SubjectKind;
  /** Attribute name for `attribute:<name>`. */
  name?: string;
}

export type Operator = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'exists' | '!exists' | 'in' | 'not_in' | '=~' | '!~';

export type QueryExpr =
  | { kind: 'and' | 'or'; left: QueryExpr; right: QueryExpr }
  | { kind: 'not'; expr: QueryExpr }
  | { kind: 'cmp'; subject: Subject; op: Operator; values: string[]; regex?: RegExp; pos: number };

/** What an expression is evaluated against: an instance and its tasks. */
export interface QueryTarget {
  instance: ContainerInstance;
  runningTasksCount: number;
  /** Groups of the instance's tasks that are not stopped. */
  taskGroups: Iterable<string>;
}

// A Map: the word comes from the expression, and `constructor` must not be an operator.
const WORD_OPERATORS: ReadonlyMap<string, Operator> = new Map([
  ['equals', '=='],
  ['not_equals', '!='],
  ['greater_than', '>'],
  ['greater_than_equal', '>='],
  ['less_than', '<'],
  ['less_than_equal', '<='],
  ['exists', 'exists'],
  ['not_exists', '!exists'],
  ['in', 'in'],
  ['not_in', 'not_in'],
  ['matches', '=~'],
  ['not_matches', '!~'],
]);
// Longest first so `>=` wins over `>`.
const SYMBOL_OPERATORS: [string, Operator][] = [
  ['!exists', '!exists'],
  ['!in', 'not_in'],
  ['==', '=='],
  ['!=', '!='],
  ['>=', '>='],
  ['<=', '<='],
  ['=~', '=~'],
  ['!~', '!~'],
  ['>', '>'],
  ['<', '<'],
];
const SUBJECTS = ['agentConnected', 'agentVersion', 'ec2InstanceId', 'registeredAt', 'runningTasksCount'] as const;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_\-/\\.]+/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/;
export const MAX_EXPRESSION_LENGTH = 2000;

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(expected: string, at = this.i): never {
    const found = at >= this.s.length ? 'the end of the expression' : `'${this.s.slice(at, at + 12).split(/\s/)[0] || this.s[at]}'`;
    throw new InvalidParameterException(`Invalid expression at position ${at + 1}: expected ${expected} but found ${found}.`, 'expression');
  }

  private skip(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private peekWord(): string {
    const m = /^[A-Za-z_]+/.exec(this.s.slice(this.i));
    return m ? m[0] : '';
  }

  /** Consumes `word` when it stands alone (not the prefix of a longer word). */
  private keyword(...words: string[]): boolean {
    this.skip();
    const w = this.peekWord().toLowerCase();
    if (!words.includes(w)) return false;
    this.i += w.length;
    return true;
  }

  private symbol(sym: string): boolean {
    this.skip();
    if (!this.s.startsWith(sym, this.i)) return false;
    this.i += sym.length;
    return true;
  }

  parse(): QueryExpr {
    this.skip();
    if (this.i >= this.s.length) this.fail('an expression');
    const e = this.or();
    this.skip();
    if (this.i < this.s.length) this.fail("'and', 'or' or the end of the expression");
    return e;
  }

  private or(): QueryExpr {
    let left = this.and();
    while (this.symbol('||') || this.keyword('or')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): QueryExpr {
    let left = this.unary();
    while (this.symbol('&&') || this.keyword('and')) left = { kind: 'and', left, right: this.unary() };
    return left;
  }

  private unary(): QueryExpr {
    this.skip();
    if (this.keyword('not') || (this.s[this.i] === '!' && !/^!(exists|in\b|=|~)/.test(this.s.slice(this.i)) && this.symbol('!'))) {
      return { kind: 'not', expr: this.unary() };
    }
    if (this.symbol('(')) {
      const e = this.or();
      if (!this.symbol(')')) this.fail("')'");
      return e;
    }
    return this.comparison();
  }

  private subject(): Subject {
    this.skip();
    const rest = this.s.slice(this.i);
    if (rest.startsWith('attribute:')) {
      const m = ATTRIBUTE_NAME.exec(rest.slice('attribute:'.length));
      if (!m) this.fail('an attribute name', this.i + 'attribute:'.length);
      this.i += 'attribute:'.length + m[0].length;
      return { kind: 'attribute', name: m[0] };
    }
    if (/^task:group\b/.test(rest)) {
      this.i += 'task:group'.length;
      return { kind: 'taskGroup' };
    }
    const w = /^[A-Za-z0-9]+/.exec(rest)?.[0] ?? '';
    const known = SUBJECTS.find((x) => x === w);
    if (!known) this.fail('a subject (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount, task:group)');
    this.i += w.length;
    return { kind: known };
  }

  private operator(): Operator {
    this.skip();
    for (const [sym, op] of SYMBOL_OPERATORS) {
      if (this.s.startsWith(sym, this.i) && !(sym === '!in' && /[A-Za-z_]/.test(this.s[this.i + 3] ?? ''))) {
        this.i += sym.length;
        return op;
      }
    }
    const w = this.peekWord().toLowerCase();
    const op = WORD_OPERATORS.get(w);
    if (!op) this.fail('an operator (==, !=, >, >=, <, <=, exists, !exists, in, not_in, =~, !~)');
    this.i += w.length;
    return op;
  }

  /** A quoted string, or an unquoted run that may hold balanced parentheses. */
  private value(inList: boolean): { text: string; pos: number } {
    this.skip();
    const pos = this.i;
    const q = this.s[this.i];
    if (q === "'" || q === '"') {
      let out = '';
      this.i++;
      while (this.i < this.s.length && this.s[this.i] !== q) {
        if (this.s[this.i] === '\\' && this.s[this.i + 1] === q) this.i++;
        out += this.s[this.i++];
      }
      if (this.i >= this.s.length) this.fail(`a closing ${q}`);
      this.i++;
      return { text: out, pos };
    }
    // An operator character here is a typo such as `===`, not a value.
    if (/[=<>!~&|]/.test(q ?? '')) this.fail('a value', pos);
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (/\s/.test(c) || (inList && (c === ',' || c === ']'))) break;
      if (c === '(') depth++;
      if (c === ')') {
        if (depth === 0) break;
        depth--;
      }
      this.i++;
    }
    if (this.i === pos) this.fail('a value', pos);
    return { text: this.s.slice(pos, this.i), pos };
  }

  private list(): { text: string; pos: number }[] {
    if (!this.symbol('[')) this.fail("a list such as '[a, b]'");
    const out = [this.value(true)];
    while (this.symbol(',')) out.push(this.value(true));
    if (!this.symbol(']')) this.fail("',' or ']'");
    return out;
  }

  private comparison(): QueryExpr {
    const subject = this.subject();
    const pos = this.i;
    const op = this.operator();
    if (op === 'exists' || op === '!exists') return { kind: 'cmp', subject, op, values: [], pos };
    const vals = op === 'in' || op === 'not_in' ? this.list() : [this.value(false)];
    const node: QueryExpr = { kind: 'cmp', subject, op, values: vals.map((v) => v.text), pos };
    for (const v of vals) checkValue(this, subject, op, v.text, v.pos);
    if (op === '=~' || op === '!~') {
      try {
        node.regex = new RegExp(`^(?:${vals[0]!.text})$`);
      } catch {
        this.fail('a valid regular expression', vals[0]!.pos);
      }
    }
    return node;
  }
}

function checkValue(p: Parser, subject: Subject, op: Operator, v: string, pos: number): void {
  if (op === '=~' || op === '!~') return;
  if (subject.kind === 'runningTasksCount' && !/^\d+$/.test(v)) p.fail('a whole number', pos);
  if (subject.kind === 'registeredAt' && (!DATE.test(v) || Number.isNaN(parseDate(v)))) p.fail('a date such as 2018-06-18T22:28:28+00:00', pos);
  if (subject.kind === 'agentConnected' && v !== 'true' && v !== 'false') p.fail("'true' or 'false'", pos);
}

/** Dates without a zone are UTC, as ECS reads them. */
function parseDate(v: string): number {
  return Date.parse(/T.*(Z|[+-]\d{2}:?\d{2})$/.test(v) || !v.includes('T') ? v : `${v}Z`);
}

export function parseQuery(expression: string): QueryExpr {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new InvalidParameterException(`Invalid expression: longer than ${MAX_EXPRESSION_LENGTH} characters.`, 'expression');
  }
  return new Parser(expression).parse();
}

/** True when the result depends on the instance's tasks, so it can change while tasks are placed. */
export function dependsOnTasks(e: QueryExpr): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
      return dependsOnTasks(e.left) || dependsOnTasks(e.right);
    case 'not':
      return dependsOnTasks(e.expr);
    case 'cmp':
      return e.subject.kind === 'taskGroup' || e.subject.kind === 'runningTasksCount';
  }
}

export function evaluateQuery(e: QueryExpr, t: QueryTarget): boolean {
  switch (e.kind) {
    case 'and':
      return evaluateQuery(e.left, t) && evaluateQuery(e.right, t);
    case 'or':
      return evaluateQuery(e.left, t) || evaluateQuery(e.right, t);
    case 'not':
      return !evaluateQuery(e.expr, t);
    case 'cmp':
      return compare(e, t);
  }
}

const NEGATED: Partial<Record<Operator, Operator>> = { '!=': '==', '!exists': 'exists', not_in: 'in', '!~': '=~' };

function subjectValues(s: Subject, t: QueryTarget): string[] {
  const i = t.instance;
  switch (s.kind) {
    case 'agentConnected':
      return [String(i.agentConnected)];
    case 'agentVersion':
      return [i.versionInfo.agentVersion];
    case 'ec2InstanceId':
      return [i.ec2InstanceId];
    case 'registeredAt':
      return [String(i.registeredAt)];
    case 'runningTasksCount':
      return [String(t.runningTasksCount)];
    case 'taskGroup':
      return [...t.taskGroups];
    case 'attribute': {
      const a = i.attributes.find((x) => x.name === s.name);
      return a ? [a.value ?? ''] : [];
    }
  }
}

/**
 * Negative operators are the negation of their positive form, so a missing
 * attribute satisfies `!=`, and `task:group != db` means "no db task here"
 * (anti-affinity) rather than "some task that is not db".
 */
function compare(e: Extract<QueryExpr, { kind: 'cmp' }>, t: QueryTarget): boolean {
  const positive = NEGATED[e.op];
  if (positive) return !compare({ ...e, op: positive }, t);
  const actual = subjectValues(e.subject, t);
  if (e.op === 'exists') return actual.length > 0;
  return actual.some((a) => {
    switch (e.op) {
      case '==':
        return order(e.subject, a, e.values[0]!) === 0;
      case 'in':
        return e.values.some((v) => order(e.subject, a, v) === 0);
      case '=~':
        return e.regex!.test(a);
      case '>':
        return order(e.subject, a, e.values[0]!) > 0;
      case '>=':
        return order(e.subject, a, e.values[0]!) >= 0;
      case '<':
        return order(e.subject, a, e.values[0]!) < 0;
      case '<=':
        return order(e.subject, a, e.values[0]!) <= 0;
      default:
        return false;
    }
  });
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

function order(s: Subject, a: string, b: string): number {
  if (s.kind === 'registeredAt') return Math.sign(Number(a) - parseDate(b));
  if (s.kind === 'agentVersion') return compareVersions(a, b);
  if (NUMERIC.test(a) && NUMERIC.test(b)) return Math.sign(Number(a) - Number(b));
  return a === b ? 0 : a < b ? -1 : 1;
}

/** `1.14.5` < `1.14.10`: numeric segments compared as numbers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/);
  const pb = b.replace(/^v/, '').split(/[.-]/);
  for (let k = 0; k < Math.max(pa.length, pb.length); k++) {
    const x = pa[k] ?? '0';
    const y = pb[k] ?? '0';
    const d = NUMERIC.test(x) && NUMERIC.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
