/**
 * The Flow formula language: a tokenizer, a recursive-descent parser and an evaluator for the
 * subset of functions ForceGate's flows use (listed in `FUNCTIONS`), with `{!merge}` references,
 * arithmetic, comparison, `&` concatenation and date arithmetic.
 *
 * Hand-written on purpose: there is no maintained JavaScript library for Salesforce's formula
 * language (the few npm packages are abandoned or implement a different dialect), and the subset
 * the local org needs is small. Anything outside it is refused when the flow is validated, never
 * guessed at run time.
 */
import {
  FlowDate,
  FlowRecord,
  coerce,
  flowCompare,
  flowEquals,
  isBlank,
  roundHalfUp,
  toBoolean,
  toDate,
  toDateTime,
  toNumber,
  toText,
  type FlowValue,
} from './flow-values.ts';

export class FormulaError extends Error {}

export type FormulaNode =
  | { k: 'lit'; v: FlowValue }
  | { k: 'ref'; name: string }
  | { k: 'call'; fn: string; args: FormulaNode[] }
  | { k: 'un'; op: '-' | '+' | '!'; e: FormulaNode }
  | { k: 'bin'; op: string; l: FormulaNode; r: FormulaNode };

/** What a formula can see: the interview's resources and the clock. */
export interface FormulaScope {
  resolve(reference: string): FlowValue;
  /** Today in the org's time zone. */
  today(): FlowDate;
  now(): Date;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type Token =
  | { t: 'num'; v: number; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'ref'; v: string; pos: number }
  | { t: 'id'; v: string; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'end'; pos: number };

const OPERATORS = ['&&', '||', '==', '!=', '<>', '<=', '>=', '+', '-', '*', '/', '^', '&', '(', ')', ',', '=', '<', '>', '!'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new FormulaError(`Unterminated comment at position ${i + 1}`);
      i = end + 2;
      continue;
    }
    if (c === '{' && src[i + 1] === '!') {
      const end = src.indexOf('}', i + 2);
      if (end < 0) throw new FormulaError(`Unterminated merge field at position ${i + 1}`);
      const name = src.slice(i + 2, end).trim();
      if (!/^\$?[A-Za-z][A-Za-z0-9_]*(\.\$?[A-Za-z][A-Za-z0-9_]*)*$/.test(name)) throw new FormulaError(`Invalid merge field {!${name}}`);
      out.push({ t: 'ref', v: name, pos: i });
      i = end + 1;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const n = src[j + 1]!;
          s += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
          j += 2;
        } else {
          s += src[j];
          j++;
        }
      }
      if (j >= src.length) throw new FormulaError(`Unterminated string at position ${i + 1}`);
      out.push({ t: 'str', v: s, pos: i });
      i = j + 1;
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^\$?[A-Za-z_][A-Za-z0-9_]*(\.\$?[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ t: 'op', v: op, pos: i });
      i += op.length;
      continue;
    }
    throw new FormulaError(`Syntax error. Found '${c}' at position ${i + 1}`);
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser (precedence, loosest first: ||, &&, = == != <>, < <= > >=, + - &, * /, ^, unary)

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FormulaNode {
    const node = this.or();
    const t = this.peek();
    if (t.t !== 'end') throw new FormulaError(`Syntax error. Extra ${describe(t)}`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private isOp(...ops: string[]): string | undefined {
    const t = this.peek();
    return t.t === 'op' && ops.includes(t.v) ? t.v : undefined;
  }

  private expectOp(op: string): void {
    const t = this.peek();
    if (t.t !== 'op' || t.v !== op) throw new FormulaError(`Syntax error. Missing '${op}' before ${describe(t)}`);
    this.i++;
  }

  private binary(next: () => FormulaNode, ops: string[]): FormulaNode {
    let left = next();
    for (let op = this.isOp(...ops); op; op = this.isOp(...ops)) {
      this.i++;
      left = { k: 'bin', op, l: left, r: next() };
    }
    return left;
  }

  private or = (): FormulaNode => this.binary(this.and, ['||']);
  private and = (): FormulaNode => this.binary(this.equality, ['&&']);
  private equality = (): FormulaNode => this.binary(this.relational, ['=', '==', '!=', '<>']);
  private relational = (): FormulaNode => this.binary(this.additive, ['<', '<=', '>', '>=']);
  private additive = (): FormulaNode => this.binary(this.multiplicative, ['+', '-', '&']);
  private multiplicative = (): FormulaNode => this.binary(this.power, ['*', '/']);
  private power = (): FormulaNode => this.binary(this.unary, ['^']);

  private unary = (): FormulaNode => {
    const op = this.isOp('-', '+', '!');
    if (op) {
      this.i++;
      return { k: 'un', op: op as '-' | '+' | '!', e: this.unary() };
    }
    return this.primary();
  };

  private primary(): FormulaNode {
    const t = this.peek();
    switch (t.t) {
      case 'num':
        this.i++;
        return { k: 'lit', v: t.v };
      case 'str':
        this.i++;
        return { k: 'lit', v: t.v };
      case 'ref':
        this.i++;
        return { k: 'ref', name: t.v };
      case 'id': {
        this.i++;
        if (this.isOp('(')) {
          this.i++;
          const fn = t.v.toUpperCase();
          const args: FormulaNode[] = [];
          if (!this.isOp(')')) {
            args.push(this.or());
            while (this.isOp(',')) {
              this.i++;
              args.push(this.or());
            }
          }
          this.expectOp(')');
          const spec = FUNCTIONS[fn];
          if (!spec) throw new FormulaError(`Unknown function ${fn}. Check spelling.`);
          if (args.length < spec.min || (spec.max >= 0 && args.length > spec.max)) {
            throw new FormulaError(`Incorrect number of parameters for function '${fn}()'. Expected ${arity(spec)}, received ${args.length}`);
          }
          if (fn === 'CASE' && args.length % 2 !== 0) throw new FormulaError(`Incorrect number of parameters for function 'CASE()'. Expected an even number`);
          return { k: 'call', fn, args };
        }
        const upper = t.v.toUpperCase();
        if (upper === 'TRUE') return { k: 'lit', v: true };
        if (upper === 'FALSE') return { k: 'lit', v: false };
        if (upper === 'NULL') return { k: 'lit', v: null };
        return { k: 'ref', name: t.v };
      }
      case 'op':
        if (t.v === '(') {
          this.i++;
          const e = this.or();
          this.expectOp(')');
          return e;
        }
        throw new FormulaError(`Syntax error. Found ${describe(t)}`);
      case 'end':
        throw new FormulaError('Syntax error. Missing expression at the end of the formula');
    }
  }
}

function describe(t: Token): string {
  if (t.t === 'end') return 'the end of the formula';
  return `'${t.t === 'ref' ? `{!${t.v}}` : String(t.v)}' at position ${t.pos + 1}`;
}

function arity(spec: FunctionSpec): string {
  if (spec.max < 0) return `at least ${spec.min}`;
  return spec.min === spec.max ? String(spec.min) : `${spec.min} to ${spec.max}`;
}

const cache = new Map<string, FormulaNode>();

/** Parses a formula (cached); throws FormulaError with a platform-like message on bad syntax. */
export function parseFormula(expression: string): FormulaNode {
  let node = cache.get(expression);
  if (!node) {
    node = new Parser(tokenize(expression)).parse();
    if (cache.size > 500) cache.clear();
    cache.set(expression, node);
  }
  return node;
}

/** Every resource a formula references (`var`, `var.Field`, `$Flow.CurrentDate`, …). */
export function formulaReferences(node: FormulaNode): string[] {
  const refs: string[] = [];
  const walk = (n: FormulaNode): void => {
    if (n.k === 'ref') refs.push(n.name);
    else if (n.k === 'call') n.args.forEach(walk);
    else if (n.k === 'un') walk(n.e);
    else if (n.k === 'bin') {
      walk(n.l);
      walk(n.r);
    }
  };
  walk(node);
  return refs;
}

// ---------------------------------------------------------------------------------------------
// Evaluator

/** Evaluates a formula; `dataType` (the formula resource's type) converts the result. */
export function evaluateFormula(expression: string | FormulaNode, scope: FormulaScope, dataType?: string, scale?: number): FlowValue {
  const node = typeof expression === 'string' ? parseFormula(expression) : expression;
  const value = evaluate(node, scope);
  if (!dataType) return value;
  if (dataType === 'String') return value === null ? '' : toText(value);
  try {
    return coerce(value, dataType, dataType === 'Currency' ? scale ?? 2 : scale);
  } catch (e) {
    throw new FormulaError(`The formula expression is invalid: ${(e as Error).message}`);
  }
}

function evaluate(n: FormulaNode, s: FormulaScope): FlowValue {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'ref':
      return s.resolve(n.name);
    case 'un': {
      const v = evaluate(n.e, s);
      if (n.op === '!') return v === null ? null : !toBoolean(v);
      const num = arithmeticNumber(v, n.op);
      return num === null ? null : n.op === '-' ? -num : num;
    }
    case 'bin':
      return binary(n.op, n.l, n.r, s);
    case 'call': {
      const spec = FUNCTIONS[n.fn]!;
      if (spec.lazy) return spec.lazy(n.args, s);
      return spec.fn!(n.args.map((a) => evaluate(a, s)), s);
    }
  }
}

function arithmeticNumber(v: FlowValue, op: string): number | null {
  if (v === null || v === '') return null;
  const n = typeof v === 'number' ? v : null;
  if (n === null) throw new FormulaError(`Incorrect parameter type for operator '${op}'. Expected Number, received ${typeName(v)}`);
  return n;
}

function typeName(v: FlowValue): string {
  if (v instanceof FlowDate) return 'Date';
  if (v instanceof Date) return 'DateTime';
  if (v instanceof FlowRecord) return 'Object';
  if (Array.isArray(v)) return 'Collection';
  if (typeof v === 'string') return 'Text';
  if (typeof v === 'boolean') return 'Boolean';
  return 'Number';
}

function binary(op: string, ln: FormulaNode, rn: FormulaNode, s: FormulaScope): FlowValue {
  if (op === '&&' || op === '||') {
    const l = toBoolean(evaluate(ln, s));
    if (op === '&&' && !l) return false;
    if (op === '||' && l) return true;
    return toBoolean(evaluate(rn, s));
  }
  const l = evaluate(ln, s);
  const r = evaluate(rn, s);
  switch (op) {
    case '&':
      return toText(l) + toText(r);
    case '=':
    case '==':
      return flowEquals(l, r);
    case '!=':
    case '<>':
      return !flowEquals(l, r);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const c = flowCompare(l, r);
      if (c === undefined) return false;
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
    case '+':
      return add(l, r);
    case '-':
      return subtract(l, r);
    case '*':
    case '/':
    case '^': {
      const a = arithmeticNumber(l, op);
      const b = arithmeticNumber(r, op);
      if (a === null || b === null) return null;
      if (op === '*') return a * b;
      if (op === '^') return a ** b;
      // Division by zero makes the whole formula null in a flow, rather than an error.
      return b === 0 ? null : a / b;
    }
  }
  throw new FormulaError(`Unknown operator ${op}`);
}

function add(l: FlowValue, r: FlowValue): FlowValue {
  if (typeof l === 'string' || typeof r === 'string') {
    if ((typeof l === 'string' || l === null) && (typeof r === 'string' || r === null)) return (l ?? '') + (r ?? '');
  }
  if (l === null || r === null) return null;
  if (l instanceof FlowDate && typeof r === 'number') return l.addDays(r);
  if (r instanceof FlowDate && typeof l === 'number') return r.addDays(l);
  if (l instanceof Date && typeof r === 'number') return new Date(l.getTime() + r * 86_400_000);
  if (r instanceof Date && typeof l === 'number') return new Date(r.getTime() + l * 86_400_000);
  const a = arithmeticNumber(l, '+');
  const b = arithmeticNumber(r, '+');
  return a === null || b === null ? null : a + b;
}

function subtract(l: FlowValue, r: FlowValue): FlowValue {
  if (l === null || r === null) return null;
  if (l instanceof FlowDate && r instanceof FlowDate) return l.toEpochDay() - r.toEpochDay();
  if (l instanceof Date && r instanceof Date) return (l.getTime() - r.getTime()) / 86_400_000;
  if (l instanceof FlowDate && typeof r === 'number') return l.addDays(-r);
  if (l instanceof Date && typeof r === 'number') return new Date(l.getTime() - r * 86_400_000);
  const a = arithmeticNumber(l, '-');
  const b = arithmeticNumber(r, '-');
  return a === null || b === null ? null : a - b;
}

// ---------------------------------------------------------------------------------------------
// Functions

interface FunctionSpec {
  min: number;
  /** -1: variadic. */
  max: number;
  fn?: (args: FlowValue[], s: FormulaScope) => FlowValue;
  /** Functions that must not evaluate every argument (IF, CASE, AND, OR, BLANKVALUE). */
  lazy?: (args: FormulaNode[], s: FormulaScope) => FlowValue;
}

const text = (v: FlowValue): string => (v === null ? '' : toText(v));
const num = (v: FlowValue, fn: string): number | null => {
  if (v === null || v === '') return null;
  if (typeof v !== 'number') throw new FormulaError(`Incorrect parameter type for function '${fn}()'. Expected Number, received ${typeName(v)}`);
  return v;
};
const date = (v: FlowValue, fn: string): FlowDate | null => {
  if (v === null || v === '') return null;
  if (v instanceof FlowDate) return v;
  if (v instanceof Date) return toDate(v);
  throw new FormulaError(`Incorrect parameter type for function '${fn}()'. Expected Date, received ${typeName(v)}`);
};
const numeric = (fn: string, f: (...n: number[]) => number, arityMin = 1, arityMax = 1): FunctionSpec => ({
  min: arityMin,
  max: arityMax,
  fn: (args) => {
    const ns = args.map((a) => num(a, fn));
    if (ns.some((n) => n === null)) return null;
    const r = f(...(ns as number[]));
    return Number.isFinite(r) ? r : null;
  },
});

export const FUNCTIONS: Record<string, FunctionSpec> = {
  // Logical
  IF: {
    min: 3,
    max: 3,
    lazy: (a, s) => (toBoolean(evaluate(a[0]!, s)) ? evaluate(a[1]!, s) : evaluate(a[2]!, s)),
  },
  AND: { min: 1, max: -1, lazy: (a, s) => a.every((x) => toBoolean(evaluate(x, s))) },
  OR: { min: 1, max: -1, lazy: (a, s) => a.some((x) => toBoolean(evaluate(x, s))) },
  NOT: { min: 1, max: 1, fn: ([v]) => !toBoolean(v!) },
  ISBLANK: { min: 1, max: 1, fn: ([v]) => isBlank(v!) },
  ISNULL: { min: 1, max: 1, fn: ([v]) => v === null || v === undefined || v === '' },
  BLANKVALUE: {
    min: 2,
    max: 2,
    lazy: (a, s) => {
      const v = evaluate(a[0]!, s);
      return isBlank(v) ? evaluate(a[1]!, s) : v;
    },
  },
  NULLVALUE: {
    min: 2,
    max: 2,
    lazy: (a, s) => {
      const v = evaluate(a[0]!, s);
      return v === null || v === '' ? evaluate(a[1]!, s) : v;
    },
  },
  CASE: {
    min: 4,
    max: -1,
    lazy: (a, s) => {
      const subject = evaluate(a[0]!, s);
      for (let i = 1; i + 1 < a.length; i += 2) {
        if (flowEquals(subject, evaluate(a[i]!, s))) return evaluate(a[i + 1]!, s);
      }
      return evaluate(a[a.length - 1]!, s);
    },
  },
  ISPICKVAL: { min: 2, max: 2, fn: ([v, lit]) => text(v!) === text(lit!) },
  // Text
  TEXT: {
    min: 1,
    max: 1,
    fn: ([v]) => (v === null ? '' : toText(v!)),
  },
  VALUE: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      if (v === null || v === '') return null;
      const n = toNumber(typeof v === 'string' ? v.replace(/,/g, '') : v!);
      if (n === null) throw new FormulaError(`VALUE(): "${text(v!)}" is not a number`);
      return n;
    },
  },
  LEN: { min: 1, max: 1, fn: ([v]) => text(v!).length },
  UPPER: { min: 1, max: 2, fn: ([v]) => text(v!).toUpperCase() },
  LOWER: { min: 1, max: 2, fn: ([v]) => text(v!).toLowerCase() },
  TRIM: { min: 1, max: 1, fn: ([v]) => text(v!).trim() },
  LEFT: { min: 2, max: 2, fn: ([v, n]) => text(v!).slice(0, Math.max(0, num(n!, 'LEFT') ?? 0)) },
  RIGHT: {
    min: 2,
    max: 2,
    fn: ([v, n]) => {
      const k = Math.max(0, num(n!, 'RIGHT') ?? 0);
      return k === 0 ? '' : text(v!).slice(-k);
    },
  },
  MID: {
    min: 3,
    max: 3,
    fn: ([v, start, len]) => {
      const st = Math.max(1, num(start!, 'MID') ?? 1);
      return text(v!).substr(st - 1, Math.max(0, num(len!, 'MID') ?? 0));
    },
  },
  CONTAINS: { min: 2, max: 2, fn: ([t, c]) => text(t!).includes(text(c!)) },
  BEGINS: { min: 2, max: 2, fn: ([t, c]) => text(t!).startsWith(text(c!)) },
  FIND: {
    min: 2,
    max: 3,
    fn: ([search, t, start]) => {
      const from = start === undefined ? 0 : Math.max(0, (num(start, 'FIND') ?? 1) - 1);
      const needle = text(search!);
      if (needle === '') return 0;
      return text(t!).indexOf(needle, from) + 1;
    },
  },
  SUBSTITUTE: { min: 3, max: 3, fn: ([t, o, n]) => (text(o!) === '' ? text(t!) : text(t!).split(text(o!)).join(text(n!))) },
  LPAD: { min: 2, max: 3, fn: ([t, n, p]) => pad(text(t!), num(n!, 'LPAD') ?? 0, p === undefined ? ' ' : text(p), true) },
  RPAD: { min: 2, max: 3, fn: ([t, n, p]) => pad(text(t!), num(n!, 'RPAD') ?? 0, p === undefined ? ' ' : text(p), false) },
  BR: { min: 0, max: 0, fn: () => '\n' },
  // Math
  ABS: numeric('ABS', Math.abs),
  CEILING: numeric('CEILING', Math.ceil),
  FLOOR: numeric('FLOOR', Math.floor),
  ROUND: numeric('ROUND', (n, d) => roundHalfUp(n, d), 2, 2),
  MOD: numeric('MOD', (a, b) => (b === 0 ? NaN : a % b), 2, 2),
  SQRT: numeric('SQRT', Math.sqrt),
  MAX: {
    min: 1,
    max: -1,
    fn: (args) => {
      const ns = args.map((a) => num(a, 'MAX'));
      return ns.some((n) => n === null) ? null : Math.max(...(ns as number[]));
    },
  },
  MIN: {
    min: 1,
    max: -1,
    fn: (args) => {
      const ns = args.map((a) => num(a, 'MIN'));
      return ns.some((n) => n === null) ? null : Math.min(...(ns as number[]));
    },
  },
  // Date and time
  TODAY: { min: 0, max: 0, fn: (_a, s) => s.today() },
  NOW: { min: 0, max: 0, fn: (_a, s) => s.now() },
  DATE: {
    min: 3,
    max: 3,
    fn: ([y, m, d]) => {
      const [yy, mm, dd] = [num(y!, 'DATE'), num(m!, 'DATE'), num(d!, 'DATE')];
      if (yy === null || mm === null || dd === null) return null;
      const parsed = FlowDate.parse(`${String(yy).padStart(4, '0')}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`);
      if (!parsed) throw new FormulaError(`DATE(${yy}, ${mm}, ${dd}) is not a valid date`);
      return parsed;
    },
  },
  DATEVALUE: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      if (v === null || v === '') return null;
      if (v instanceof FlowDate) return v;
      if (v instanceof Date) return toDate(v);
      const d = FlowDate.parse(text(v!).slice(0, 10));
      if (!d) throw new FormulaError(`DATEVALUE(): "${text(v!)}" is not a date`);
      return d;
    },
  },
  DATETIMEVALUE: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      if (v === null || v === '') return null;
      const d = toDateTime(v!);
      if (!d) throw new FormulaError(`DATETIMEVALUE(): "${text(v!)}" is not a datetime`);
      return d;
    },
  },
  YEAR: { min: 1, max: 1, fn: ([v]) => date(v!, 'YEAR')?.year ?? null },
  MONTH: { min: 1, max: 1, fn: ([v]) => date(v!, 'MONTH')?.month ?? null },
  DAY: { min: 1, max: 1, fn: ([v]) => date(v!, 'DAY')?.day ?? null },
  WEEKDAY: {
    min: 1,
    max: 1,
    fn: ([v]) => {
      const d = date(v!, 'WEEKDAY');
      // 1 = Sunday … 7 = Saturday; 1970-01-01 was a Thursday (5).
      return d === null ? null : ((((d.toEpochDay() + 4) % 7) + 7) % 7) + 1;
    },
  },
  ADDMONTHS: {
    min: 2,
    max: 2,
    fn: ([v, n]) => {
      const months = num(n!, 'ADDMONTHS');
      if (v === null || months === null) return null;
      if (v instanceof Date) {
        const d = toDate(v)!.addMonths(months);
        return new Date(Date.UTC(d.year, d.month - 1, d.day, v.getUTCHours(), v.getUTCMinutes(), v.getUTCSeconds(), v.getUTCMilliseconds()));
      }
      return date(v!, 'ADDMONTHS')!.addMonths(months);
    },
  },
};

function pad(t: string, n: number, p: string, left: boolean): string {
  if (t.length >= n) return t.slice(0, n);
  if (p === '') return t;
  const fill = p.repeat(Math.ceil((n - t.length) / p.length)).slice(0, n - t.length);
  return left ? fill + t : t + fill;
}

/** Names of the functions the evaluator supports (for error messages and the report). */
export const SUPPORTED_FUNCTIONS = Object.keys(FUNCTIONS).sort();

/**
 * Replaces `{!reference}` merge fields in text (text templates, interview labels) with the text
 * form of each value. Unknown references are left to `resolve`, which may throw.
 */
export function mergeText(template: string, resolve: (reference: string) => FlowValue): string {
  return template.replace(/\{!([^}]+)\}/g, (_m, ref: string) => toText(resolve(ref.trim())));
}

/** The references inside `{!…}` merge fields of a text. */
export function mergeReferences(template: string): string[] {
  return [...template.matchAll(/\{!([^}]+)\}/g)].map((m) => m[1]!.trim());
}
