/**
 * The Apex value model.
 *
 *   null → null            Boolean → boolean        String → string
 *   Integer → number (32-bit, wraps)                 Long → bigint (64-bit, wraps)
 *   Double → Dbl           Decimal → Dec (unscaled BigInt + scale, as java.math.BigDecimal)
 *   Id → ApexId (always the 18-character form; equality is therefore 15/18-insensitive)
 *   Date → ApexDate        Datetime → ApexDatetime (UTC milliseconds)
 *   List/Set/Map → ApexList/ApexSet/ApexMap (insertion-ordered; keys hashed by Apex equality,
 *     String keys case-sensitive)
 *   SObject → SObj (field names case-insensitive)     class instance → Obj
 */
import { isValidId, to18 } from '../ids.ts';
import type { TypeRef } from './ast.ts';
import type { ClassInfo } from './program.ts';

export class Dbl {
  constructor(readonly v: number) {}
}

export class Dec {
  constructor(
    readonly u: bigint,
    readonly s: number,
  ) {}

  static of(v: number | bigint | string): Dec {
    if (typeof v === 'bigint') return new Dec(v, 0);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new RangeError('not a finite number');
      if (Number.isInteger(v) && Math.abs(v) < 1e21) return new Dec(BigInt(v), 0);
      return Dec.parse(String(v))!;
    }
    const d = Dec.parse(v);
    if (!d) throw new RangeError(`Invalid decimal: ${v}`);
    return d;
  }

  static parse(text: string): Dec | undefined {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
    const frac = m[3] ?? '';
    let u = BigInt((m[2] || '0') + frac);
    let s = frac.length - Number(m[4] ?? 0);
    if (s < 0) {
      u *= 10n ** BigInt(-s);
      s = 0;
    }
    return new Dec(m[1] === '-' ? -u : u, s);
  }

  rescale(s: number): bigint {
    return s >= this.s ? this.u * 10n ** BigInt(s - this.s) : this.u / 10n ** BigInt(this.s - s);
  }

  add(o: Dec): Dec {
    const s = Math.max(this.s, o.s);
    return new Dec(this.rescale(s) + o.rescale(s), s);
  }

  sub(o: Dec): Dec {
    const s = Math.max(this.s, o.s);
    return new Dec(this.rescale(s) - o.rescale(s), s);
  }

  mul(o: Dec): Dec {
    return new Dec(this.u * o.u, this.s + o.s);
  }

  /** Division: exact when possible, else 32 significant digits (HALF_EVEN); trailing zeros stripped to the preferred scale. */
  div(o: Dec): Dec {
    if (o.u === 0n) throw new RangeError('Divide by 0');
    const preferred = Math.max(this.s - o.s, 0);
    let s = preferred + 34;
    const e = o.s + s - this.s;
    const num = e >= 0 ? this.u * 10n ** BigInt(e) : this.u / 10n ** BigInt(-e);
    let q = roundBig(num, o.u, 'HALF_EVEN');
    const extra = digits(q) - 32;
    if (extra > 0 && s - extra >= preferred) {
      q = roundBig(q, 10n ** BigInt(extra), 'HALF_EVEN');
      s -= extra;
    }
    return new Dec(q, s).stripTo(preferred);
  }

  stripTo(minScale: number): Dec {
    let u = this.u;
    let s = this.s;
    while (s > minScale && s > 0 && u % 10n === 0n) {
      u /= 10n;
      s--;
    }
    return new Dec(u, s);
  }

  cmp(o: Dec): number {
    const s = Math.max(this.s, o.s);
    const a = this.rescale(s);
    const b = o.rescale(s);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  neg(): Dec {
    return new Dec(-this.u, this.s);
  }

  /** HALF_EVEN unless a mode is given. */
  setScale(s: number, mode: 'HALF_EVEN' | 'HALF_UP' | 'DOWN' | 'UP' | 'FLOOR' | 'CEILING' | 'HALF_DOWN' = 'HALF_EVEN'): Dec {
    if (s >= this.s) return new Dec(this.rescale(s), s);
    const div = 10n ** BigInt(this.s - s);
    return new Dec(roundBig(this.u, div, mode), s);
  }

  toNumber(): number {
    return Number(this.toString());
  }

  toString(): string {
    const neg = this.u < 0n;
    let digitsText = (neg ? -this.u : this.u).toString();
    if (this.s <= 0) return (neg ? '-' : '') + digitsText + '0'.repeat(-this.s);
    if (digitsText.length <= this.s) digitsText = '0'.repeat(this.s - digitsText.length + 1) + digitsText;
    const i = digitsText.length - this.s;
    return `${neg ? '-' : ''}${digitsText.slice(0, i)}.${digitsText.slice(i)}`;
  }
}

function digits(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

function roundBig(a: bigint, b: bigint, mode: string): bigint {
  if (b < 0n) {
    a = -a;
    b = -b;
  }
  const q = a / b;
  const r = a % b;
  if (r === 0n) return q;
  const sign = a < 0n ? -1n : 1n;
  const twice = (r < 0n ? -r : r) * 2n;
  const away = q + sign;
  switch (mode) {
    case 'DOWN':
      return q;
    case 'UP':
      return away;
    case 'FLOOR':
      return sign < 0n ? away : q;
    case 'CEILING':
      return sign > 0n ? away : q;
    case 'HALF_UP':
      return twice >= b ? away : q;
    case 'HALF_DOWN':
      return twice > b ? away : q;
    default:
      if (twice > b) return away;
      if (twice < b) return q;
      return q % 2n === 0n ? q : away;
  }
}

export class ApexId {
  readonly v: string;
  constructor(v: string) {
    this.v = to18(v);
  }
  static parse(s: string): ApexId | undefined {
    return isValidId(s) ? new ApexId(s) : undefined;
  }
}

const DAY_MS = 86400000;

export class ApexDate {
  /** Days since 1970-01-01 (UTC). */
  constructor(readonly days: number) {}
  static of(y: number, m: number, d: number): ApexDate {
    return new ApexDate(Math.floor(Date.UTC(y, m - 1, d) / DAY_MS));
  }
  static parse(s: string): ApexDate | undefined {
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(s.trim());
    if (!m) return undefined;
    const d = ApexDate.of(Number(m[1]), Number(m[2]), Number(m[3]));
    return d.month() === Number(m[2]) ? d : undefined;
  }
  private get js(): Date {
    return new Date(this.days * DAY_MS);
  }
  year(): number {
    return this.js.getUTCFullYear();
  }
  month(): number {
    return this.js.getUTCMonth() + 1;
  }
  day(): number {
    return this.js.getUTCDate();
  }
  addDays(n: number): ApexDate {
    return new ApexDate(this.days + n);
  }
  addMonths(n: number): ApexDate {
    const y = this.year();
    const m = this.month() - 1 + n;
    const ny = y + Math.floor(m / 12);
    const nm = ((m % 12) + 12) % 12;
    const last = new Date(Date.UTC(ny, nm + 1, 0)).getUTCDate();
    return ApexDate.of(ny, nm + 1, Math.min(this.day(), last));
  }
  toString(): string {
    return this.js.toISOString().slice(0, 10);
  }
}

export class ApexDatetime {
  constructor(readonly ms: number) {}
  toString(): string {
    return new Date(this.ms).toISOString().slice(0, 19).replace('T', ' ');
  }
  iso(): string {
    return new Date(this.ms).toISOString().replace(/\.\d{3}Z$/, '.000Z');
  }
}

export class ApexBlob {
  constructor(readonly data: Buffer) {}
}

export type Value =
  | null
  | boolean
  | string
  | number
  | bigint
  | Dbl
  | Dec
  | ApexId
  | ApexDate
  | ApexDatetime
  | ApexBlob
  | ApexList
  | ApexSet
  | ApexMap
  | SObj
  | Obj
  | TypeValue
  | EnumValue;

export class ApexList {
  /** Set on the result of inline SOQL: assignable to a single sObject variable. */
  fromSoql?: boolean;
  constructor(
    public elem: TypeRef,
    public items: Value[] = [],
  ) {}
}

export class ApexSet {
  readonly m = new Map<string, Value>();
  constructor(public elem: TypeRef) {}
}

export class ApexMap {
  readonly m = new Map<string, [Value, Value]>();
  constructor(
    public key: TypeRef,
    public val: TypeRef,
  ) {}
}

/** An sObject: type name (API casing) and fields keyed by lower-case name. */
export class SObj {
  readonly f = new Map<string, { name: string; v: Value }>();
  /** Fields that may be read: everything for a new record; the selected ones for a queried record. */
  queried = false;
  constructor(public type: string) {}
  get(name: string): Value | undefined {
    return this.f.get(name.toLowerCase())?.v;
  }
  has(name: string): boolean {
    return this.f.has(name.toLowerCase());
  }
  set(name: string, v: Value): void {
    const k = name.toLowerCase();
    const cur = this.f.get(k);
    if (cur) cur.v = v;
    else this.f.set(k, { name, v });
  }
}

/** An instance of an Apex class (user-defined or built-in such as RestRequest or an exception). */
export class Obj {
  readonly f = new Map<string, Value>();
  /** Native payload of built-in classes (exception details, SaveResult, …). */
  native: Record<string, unknown> = {};
  constructor(public cls: ClassInfo) {}
}

/** What an Obj needs to know about its class (the interpreter's ClassInfo implements it). */
export interface ClassLike {
  name: string;
  /** Fully qualified name for getTypeName (`System.QueryException`, `ForceGateActionException`). */
  qualifiedName: string;
  superClass?: ClassLike;
  interfaces: string[];
  isException: boolean;
}

/** A type used as a value: `Account` in `Account.SObjectType`, a class name before `.staticMember`. */
export class TypeValue {
  constructor(
    readonly kind: 'class' | 'sobject' | 'builtin' | 'schema-field',
    readonly name: string,
    readonly ref?: unknown,
  ) {}
}

export class EnumValue {
  constructor(
    readonly enumName: string,
    readonly name: string,
    readonly ordinal: number,
  ) {}
}

// ---- type names ----------------------------------------------------------------------------------

export function typeKey(t: TypeRef): string {
  return t.name.toLowerCase().replace(/^system\./, '');
}

export function typeText(t: TypeRef): string {
  return t.args.length ? `${t.name}<${t.args.map(typeText).join(',')}>` : t.name;
}

export const OBJECT_TYPE: TypeRef = { name: 'Object', args: [] };
export const STRING_TYPE: TypeRef = { name: 'String', args: [] };
export const ID_TYPE: TypeRef = { name: 'Id', args: [] };

/** The Apex type name of a runtime value (for errors, instanceof and getTypeName-like uses). */
export function runtimeTypeName(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'Boolean';
  if (typeof v === 'string') return 'String';
  if (typeof v === 'number') return 'Integer';
  if (typeof v === 'bigint') return 'Long';
  if (v instanceof Dbl) return 'Double';
  if (v instanceof Dec) return 'Decimal';
  if (v instanceof ApexId) return 'Id';
  if (v instanceof ApexDate) return 'Date';
  if (v instanceof ApexDatetime) return 'Datetime';
  if (v instanceof ApexBlob) return 'Blob';
  if (v instanceof ApexList) return `List<${typeText(v.elem)}>`;
  if (v instanceof ApexSet) return `Set<${typeText(v.elem)}>`;
  if (v instanceof ApexMap) return `Map<${typeText(v.key)},${typeText(v.val)}>`;
  if (v instanceof SObj) return v.type;
  if (v instanceof Obj) return v.cls.name;
  if (v instanceof EnumValue) return v.enumName;
  return 'Object';
}

// ---- rendering -----------------------------------------------------------------------------------

/** Java's Double.toString as Apex prints Doubles (1.0, 1.5E10). */
export function doubleText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mant, exp] = n.toExponential().split('e') as [string, string];
  return `${mant.includes('.') ? mant : `${mant}.0`}E${Number(exp)}`;
}

/** String.valueOf / string concatenation of a value. */
export function toApexString(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Dbl) return doubleText(v.v);
  if (v instanceof Dec) return v.toString();
  if (v instanceof ApexId) return v.v;
  if (v instanceof ApexDate) return v.toString();
  if (v instanceof ApexDatetime) return v.toString();
  if (v instanceof ApexBlob) return `Blob[${v.data.length}]`;
  if (v instanceof ApexList) return `(${v.items.map(toApexString).join(', ')})`;
  if (v instanceof ApexSet) return `{${[...v.m.values()].map(toApexString).join(', ')}}`;
  if (v instanceof ApexMap) return `{${[...v.m.values()].map(([k, x]) => `${toApexString(k)}=${toApexString(x)}`).join(', ')}}`;
  if (v instanceof SObj) return `${v.type}:{${[...v.f.values()].map((e) => `${e.name}=${toApexString(e.v)}`).join(', ')}}`;
  if (v instanceof Obj) {
    if (v.cls.isException) return `${v.cls.qualifiedName}: ${toApexString((v.f.get('message') ?? null) as Value)}`;
    return `${v.cls.name}:[${[...v.f.entries()].map(([k, x]) => `${k}=${toApexString(x)}`).join(', ')}]`;
  }
  if (v instanceof EnumValue) return v.name;
  if (v instanceof TypeValue) return v.name;
  return String(v);
}

// ---- equality and hashing ------------------------------------------------------------------------

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

function identity(o: object): number {
  let n = identities.get(o);
  if (n === undefined) identities.set(o, (n = nextIdentity++));
  return n;
}

function numeric(v: Value): Dec | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return Dec.of(v);
  if (v instanceof Dec) return v;
  if (v instanceof Dbl) return Number.isFinite(v.v) ? Dec.of(v.v) : undefined;
  return undefined;
}

/** Apex `==`: Strings case-insensitively, Ids 15/18-insensitively, numbers by value, collections and sObjects deeply. */
export function apexEquals(a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' || a instanceof ApexId) {
    if (typeof b !== 'string' && !(b instanceof ApexId)) return false;
    if (a instanceof ApexId || b instanceof ApexId) {
      const sa = a instanceof ApexId ? a.v : a;
      const sb = b instanceof ApexId ? b.v : b;
      if (a instanceof ApexId && b instanceof ApexId) return sa === sb;
      // Id compared with a String: the String must be a valid Id of the same record.
      return isValidId(sa) && isValidId(sb) ? to18(sa) === to18(sb) : sa.toLowerCase() === sb.toLowerCase();
    }
    return a.toLowerCase() === b.toLowerCase();
  }
  if (typeof a === 'boolean') return a === b;
  const na = numeric(a);
  if (na) {
    const nb = numeric(b);
    if (!nb) return false;
    if (a instanceof Dbl || b instanceof Dbl) return Number(na.toString()) === Number(nb.toString());
    return na.cmp(nb) === 0;
  }
  if (a instanceof ApexDate) return b instanceof ApexDate && a.days === b.days;
  if (a instanceof ApexDatetime) return b instanceof ApexDatetime && a.ms === b.ms;
  if (a instanceof ApexBlob) return b instanceof ApexBlob && a.data.equals(b.data);
  if (a instanceof EnumValue) return b instanceof EnumValue && a.enumName === b.enumName && a.name === b.name;
  if (a instanceof ApexList) return b instanceof ApexList && a.items.length === b.items.length && a.items.every((x, i) => apexEquals(x, b.items[i]!));
  if (a instanceof ApexSet) return b instanceof ApexSet && a.m.size === b.m.size && [...a.m.keys()].every((k) => b.m.has(k));
  if (a instanceof ApexMap) {
    return b instanceof ApexMap && a.m.size === b.m.size && [...a.m.entries()].every(([k, [, v]]) => b.m.has(k) && apexEquals(v, b.m.get(k)![1]));
  }
  if (a instanceof SObj) {
    if (!(b instanceof SObj) || a.type.toLowerCase() !== b.type.toLowerCase() || a.f.size !== b.f.size) return false;
    for (const [k, e] of a.f) {
      const o = b.f.get(k);
      if (!o || !apexEquals(e.v, o.v)) return false;
    }
    return true;
  }
  return a === b;
}

/** The key of a value in a Set or Map: equal keys hash alike (String keys case-sensitive, as in Apex). */
export function hashKey(v: Value): string {
  if (v === null) return 'n';
  if (typeof v === 'string') return `s${v}`;
  if (v instanceof ApexId) return `s${v.v}`;
  if (typeof v === 'boolean') return v ? 'bt' : 'bf';
  if (typeof v === 'number' || typeof v === 'bigint') return `#${v}`;
  if (v instanceof Dec) return `#${v.stripTo(0).toString()}`;
  if (v instanceof Dbl) return `#${Number.isInteger(v.v) ? v.v : doubleText(v.v)}`;
  if (v instanceof ApexDate) return `D${v.days}`;
  if (v instanceof ApexDatetime) return `T${v.ms}`;
  if (v instanceof EnumValue) return `E${v.enumName}.${v.name}`;
  if (v instanceof SObj) return `O${v.type.toLowerCase()}{${[...v.f.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, e]) => `${k}=${hashKey(e.v)}`).join(',')}}`;
  if (v instanceof ApexList) return `L(${v.items.map(hashKey).join(',')})`;
  if (v instanceof ApexSet) return `S{${[...v.m.keys()].sort().join(',')}}`;
  return `@${identity(v as object)}`;
}
