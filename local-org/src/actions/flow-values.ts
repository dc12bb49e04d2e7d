/**
 * Values inside a flow interview: text, numbers, booleans, dates (a calendar day with no time zone),
 * datetimes (an instant), records (an sObject in memory) and collections of any of those.
 *
 * Conversions to and from the REST API's JSON forms live here too, so the interpreter, the formula
 * evaluator and the actions endpoint agree on them.
 */
import { isValidId, sameId } from '../ids.ts';
import type { FieldDef, SchemaRegistry } from '../schema/types.ts';

/** A calendar date (Flow `Date`): no time, no time zone. */
export class FlowDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {}

  static parse(text: string): FlowDate | undefined {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
    if (!m) return undefined;
    const d = new FlowDate(Number(m[1]), Number(m[2]), Number(m[3]));
    // Reject 2026-02-30 and friends: the platform does not roll dates over.
    const check = new Date(Date.UTC(d.year, d.month - 1, d.day));
    if (check.getUTCFullYear() !== d.year || check.getUTCMonth() !== d.month - 1 || check.getUTCDate() !== d.day) return undefined;
    return d;
  }

  /** Days since 1970-01-01 (for arithmetic and comparison). */
  toEpochDay(): number {
    return Math.floor(Date.UTC(this.year, this.month - 1, this.day) / 86_400_000);
  }

  static fromEpochDay(day: number): FlowDate {
    const d = new Date(day * 86_400_000);
    return new FlowDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  }

  addDays(days: number): FlowDate {
    return FlowDate.fromEpochDay(this.toEpochDay() + Math.trunc(days));
  }

  /** ADDMONTHS: the same day n months later, clamped to the month's last day. */
  addMonths(months: number): FlowDate {
    const total = this.year * 12 + (this.month - 1) + Math.trunc(months);
    const year = Math.floor(total / 12);
    const month = (total % 12) + 1;
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
    return new FlowDate(year, month, Math.min(this.day, last));
  }

  toString(): string {
    return `${String(this.year).padStart(4, '0')}-${String(this.month).padStart(2, '0')}-${String(this.day).padStart(2, '0')}`;
  }
}

/**
 * A record held by a flow variable. Field names are matched case-insensitively (as the platform
 * does) and keep the casing they were first given. `dirty` lists the fields the flow has set
 * since the record was read, which is what an Update Records element on the variable writes.
 */
export class FlowRecord {
  private readonly values = new Map<string, { name: string; value: FlowValue }>();
  readonly dirty = new Set<string>();

  constructor(readonly objectName: string) {}

  get(field: string): FlowValue {
    return this.values.get(field.toLowerCase())?.value ?? null;
  }

  has(field: string): boolean {
    return this.values.has(field.toLowerCase());
  }

  /** Sets a field; `markDirty` false when loading values read from the database. */
  set(field: string, value: FlowValue, markDirty = true): void {
    const key = field.toLowerCase();
    const existing = this.values.get(key);
    this.values.set(key, { name: existing?.name ?? field, value });
    if (markDirty) this.dirty.add(existing?.name ?? field);
  }

  fields(): { name: string; value: FlowValue }[] {
    return [...this.values.values()];
  }

  get id(): string | null {
    const id = this.get('Id');
    return typeof id === 'string' && id ? id : null;
  }

  clone(): FlowRecord {
    const copy = new FlowRecord(this.objectName);
    for (const { name, value } of this.values.values()) copy.set(name, value, false);
    for (const d of this.dirty) copy.dirty.add(d);
    return copy;
  }
}

export type FlowScalar = string | number | boolean | FlowDate | Date | FlowRecord | null;
export type FlowValue = FlowScalar | FlowScalar[];

export function isBlank(v: FlowValue | undefined): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/** Flow `EqualTo`: Ids compare 15/18-insensitively, dates by day, datetimes by instant, records by Id. */
export function flowEquals(a: FlowValue, b: FlowValue): boolean {
  if (a === null || a === undefined || a === '') return b === null || b === undefined || b === '';
  if (b === null || b === undefined || b === '') return false;
  if (a instanceof FlowDate || b instanceof FlowDate) {
    const x = toDate(a);
    const y = toDate(b);
    return x !== null && y !== null && x.toEpochDay() === y.toEpochDay();
  }
  if (a instanceof Date || b instanceof Date) {
    const x = toDateTime(a);
    const y = toDateTime(b);
    return x !== null && y !== null && x.getTime() === y.getTime();
  }
  if (a instanceof FlowRecord || b instanceof FlowRecord) {
    const x = a instanceof FlowRecord ? a.id : a;
    const y = b instanceof FlowRecord ? b.id : b;
    return typeof x === 'string' && typeof y === 'string' && sameId(x, y);
  }
  if (typeof a === 'number' || typeof b === 'number') {
    const x = toNumber(a);
    const y = toNumber(b);
    return x !== null && y !== null && x === y;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return toBoolean(a) === toBoolean(b);
  if (Array.isArray(a) || Array.isArray(b)) return false;
  const sa = String(a);
  const sb = String(b);
  if (sa === sb) return true;
  return (sa.length === 15 || sa.length === 18) && (sb.length === 15 || sb.length === 18) && isValidId(sa) && isValidId(sb) && sameId(sa, sb);
}

/** -1, 0, 1, or undefined when either side is null or the values cannot be ordered. */
export function flowCompare(a: FlowValue, b: FlowValue): number | undefined {
  if (a === null || b === null || a === undefined || b === undefined) return undefined;
  let x: number | string | null;
  let y: number | string | null;
  if (a instanceof FlowDate || b instanceof FlowDate) {
    x = toDate(a)?.toEpochDay() ?? null;
    y = toDate(b)?.toEpochDay() ?? null;
  } else if (a instanceof Date || b instanceof Date) {
    x = toDateTime(a)?.getTime() ?? null;
    y = toDateTime(b)?.getTime() ?? null;
  } else if (typeof a === 'number' || typeof b === 'number') {
    x = toNumber(a);
    y = toNumber(b);
  } else if (typeof a === 'string' && typeof b === 'string') {
    x = a;
    y = b;
  } else {
    return undefined;
  }
  if (x === null || y === null) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function toNumber(v: FlowValue): number | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return v.trim() !== '' && Number.isFinite(n) ? n : null;
  }
  return null;
}

export function toBoolean(v: FlowValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.toLowerCase() === 'true';
  if (typeof v === 'number') return v !== 0;
  return false;
}

export function toDate(v: FlowValue): FlowDate | null {
  if (v instanceof FlowDate) return v;
  if (v instanceof Date) return new FlowDate(v.getUTCFullYear(), v.getUTCMonth() + 1, v.getUTCDate());
  if (typeof v === 'string') return FlowDate.parse(v.slice(0, 10)) ?? null;
  return null;
}

export function toDateTime(v: FlowValue): Date | null {
  if (v instanceof Date) return v;
  if (v instanceof FlowDate) return new Date(Date.UTC(v.year, v.month - 1, v.day));
  if (typeof v === 'string') return parseDateTime(v);
  return null;
}

/** ISO 8601 datetimes as the API accepts them (`…Z`, `…+0000`, `…+00:00`); a bare date is midnight UTC. */
export function parseDateTime(text: string): Date | null {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) return FlowDate.parse(t) ? new Date(`${t}T00:00:00Z`) : null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (!m) return null;
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const d = new Date(`${m[1]}T${m[2]}${zone.toUpperCase()}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Flow's text form of a value (merge fields, TEXT(), string concatenation). */
export function toText(v: FlowValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof FlowDate) return v.toString();
  if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, 'Z').replace('T', ' ');
  if (v instanceof FlowRecord) return v.id ?? '';
  return v.map(toText).join(', ');
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  // Avoid binary noise (0.1 + 0.2) without switching to exponent notation for ordinary values.
  const rounded = Math.round(n * 1e10) / 1e10;
  return String(rounded);
}

/** Flow data types (`<dataType>` of variables, constants and formulas). */
export type FlowDataType = 'String' | 'Number' | 'Currency' | 'Boolean' | 'Date' | 'DateTime' | 'SObject' | 'Picklist' | 'Multipicklist' | 'Apex' | 'Time';

/** Coerces a value to a flow data type (assignment into a typed variable). Throws on impossible conversions. */
export function coerce(value: FlowValue, dataType: string, scale?: number): FlowValue {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => coerce(v, dataType, scale) as FlowScalar);
  switch (dataType) {
    case 'String':
    case 'Picklist':
    case 'Multipicklist':
      return value instanceof FlowRecord ? value : toText(value);
    case 'Number':
    case 'Currency': {
      if (value === '') return null;
      const n = toNumber(value);
      if (n === null) throw new TypeError(`"${toText(value)}" is not a number`);
      return scale !== undefined ? roundHalfUp(n, scale) : n;
    }
    case 'Boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      if (value === '') return null;
      throw new TypeError(`"${toText(value)}" is not a Boolean`);
    case 'Date': {
      if (value === '') return null;
      const d = toDate(value);
      if (!d) throw new TypeError(`"${toText(value)}" is not a date`);
      return d;
    }
    case 'DateTime': {
      if (value === '') return null;
      const d = toDateTime(value);
      if (!d) throw new TypeError(`"${toText(value)}" is not a datetime`);
      return d;
    }
    default:
      return value;
  }
}

/** Half-up rounding, as the platform rounds Number/Currency values to their scale. */
export function roundHalfUp(n: number, scale: number): number {
  const f = 10 ** scale;
  const r = Math.sign(n) * Math.round(Math.abs(n) * f + 1e-9) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** A field value as stored in a flow record: dates and datetimes become FlowDate / Date. */
export function fromApiFieldValue(fd: FieldDef | undefined, value: unknown): FlowValue {
  if (value === null || value === undefined) return null;
  if (!fd) return typeof value === 'object' ? null : (value as FlowScalar);
  switch (fd.type) {
    case 'date':
      return typeof value === 'string' ? FlowDate.parse(value.slice(0, 10)) ?? null : null;
    case 'datetime':
      return typeof value === 'string' ? parseDateTime(value) : null;
    case 'boolean':
      return value === true || value === 1 || value === 'true';
    case 'int':
    case 'long':
    case 'double':
    case 'currency':
    case 'percent':
      return typeof value === 'number' ? value : toNumber(String(value));
    default:
      return typeof value === 'object' ? null : String(value);
  }
}

/** A field value in the form the DML service takes (REST JSON). */
export function toApiFieldValue(fd: FieldDef | undefined, value: FlowValue): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => toApiFieldValue(fd, v)).join(';');
  if (value instanceof FlowRecord) return value.id;
  if (value instanceof FlowDate) return fd?.type === 'datetime' ? `${value.toString()}T00:00:00.000Z` : value.toString();
  if (value instanceof Date) return fd?.type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString();
  if (fd) {
    switch (fd.type) {
      case 'int':
      case 'long':
      case 'double':
      case 'currency':
      case 'percent':
        return typeof value === 'number' ? value : toNumber(value);
      case 'boolean':
        return toBoolean(value);
      case 'date':
        return toDate(value)?.toString() ?? value;
      default:
        return typeof value === 'string' ? value : toText(value);
    }
  }
  return value;
}

/** Builds a FlowRecord from a REST record (`attributes` + fields), typing values through the schema. */
export function recordFromApi(schema: SchemaRegistry, objectName: string, api: Record<string, unknown>): FlowRecord {
  const type = (api.attributes as { type?: string } | undefined)?.type ?? objectName;
  const o = schema.get(type);
  const rec = new FlowRecord(o?.name ?? type);
  for (const [k, v] of Object.entries(api)) {
    if (k === 'attributes') continue;
    if (v !== null && typeof v === 'object') continue; // parent relationships are not flow fields
    const fd = o ? schema.field(o.name, k) : undefined;
    rec.set(fd?.name ?? k, fromApiFieldValue(fd, v), false);
  }
  return rec;
}

/** A value in the JSON form of an action's `outputValues`. */
export function toOutputJson(v: FlowValue, apiVersion = ''): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => toOutputJson(x, apiVersion));
  if (v instanceof FlowDate) return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof FlowRecord) {
    const out: Record<string, unknown> = { attributes: { type: v.objectName } };
    if (v.id && apiVersion) (out.attributes as Record<string, unknown>).url = `/services/data/v${apiVersion}/sobjects/${v.objectName}/${v.id}`;
    for (const f of v.fields()) out[f.name] = toOutputJson(f.value, apiVersion);
    return out;
  }
  return v;
}
