/**
 * Literal and bind values → what the columns store (see storage/record-store.ts): booleans 0/1,
 * numbers, dates `YYYY-MM-DD`, datetimes ISO UTC `…T…Z`, 18-character Ids. Every value reaches
 * SQLite as a statement parameter; nothing here builds SQL text.
 */
import { isValidId, to18 } from '../ids.ts';
import type { FieldDef, FieldType } from '../schema/types.ts';

export type TypeClass = 'string' | 'id' | 'boolean' | 'int' | 'double' | 'date' | 'datetime' | 'time' | 'other';

export function typeClass(type: FieldType): TypeClass {
  switch (type) {
    case 'id':
    case 'reference':
      return 'id';
    case 'boolean':
      return 'boolean';
    case 'int':
    case 'long':
      return 'int';
    case 'double':
    case 'currency':
    case 'percent':
      return 'double';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'time':
      return 'time';
    case 'address':
    case 'anyType':
      return 'other';
    default:
      return 'string';
  }
}

/** The SOAP type name the platform uses in filter-type error messages. */
export function soapTypeName(fd: FieldDef): string {
  switch (typeClass(fd.type)) {
    case 'id':
      return 'id';
    case 'boolean':
      return 'boolean';
    case 'int':
      return 'int';
    case 'double':
      return 'double';
    case 'date':
      return 'date';
    case 'datetime':
      return 'dateTime';
    case 'time':
      return 'time';
    default:
      return 'string';
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' };

/**
 * A quoted SOQL string literal's value. In LIKE patterns `\%`, `\_` and `\\` stay escaped (the
 * pattern is matched with `ESCAPE '\'`); elsewhere they become the bare characters.
 */
export function unquote(raw: string, forLike = false): string {
  const body = raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2 ? raw.slice(1, -1) : raw;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i === body.length - 1) {
      out += c;
      continue;
    }
    const next = body[++i]!;
    if (forLike && (next === '%' || next === '_' || next === '\\')) out += '\\' + next;
    else if (next === '%' || next === '_') out += next;
    else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else out += SIMPLE_ESCAPES[next] ?? next;
  }
  return out;
}

/** `2024-01-02T03:04:05Z`, `…+0000`, `…-08:00` → `2024-01-02T11:04:05.000Z`; undefined when invalid. */
export function normalizeDatetime(value: string): string | undefined {
  const v = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A numeric literal (`100`, `-1.5`, `USD100`) as a number. */
export function parseNumber(raw: string): number {
  return Number(raw.replace(/^[A-Za-z]{3}(?=-?\d)/, ''));
}

/** 15 or 18-character Id → the 18-character form the store uses (the suffix is recomputed). */
export function normalizeIdValue(value: string): string | undefined {
  if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(value)) return undefined;
  const id18 = to18(value.slice(0, 15));
  return isValidId(id18) ? id18 : undefined;
}

export class BindTypeError extends Error {}

/**
 * An Apex/Named-Query bind value converted for a field: Dates become `YYYY-MM-DD` or ISO strings,
 * booleans 0/1, Ids 18 characters. Unknown shapes are passed as strings (never as SQL).
 */
export function coerceBind(fd: FieldDef | undefined, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  const cls = fd ? typeClass(fd.type) : 'other';
  if (value instanceof Date) {
    if (cls === 'date') return value.toISOString().slice(0, 10);
    return value.toISOString();
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') {
    if (cls === 'string' || cls === 'id') return String(value);
    return value;
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'object') throw new BindTypeError(`Invalid bind expression type of ${Array.isArray(value) ? 'List' : 'Object'} for column of type ${fd ? soapTypeName(fd) : 'unknown'}`);
  const s = String(value);
  switch (cls) {
    case 'id':
      return normalizeIdValue(s) ?? s;
    case 'boolean':
      return s.toLowerCase() === 'true' ? 1 : 0;
    case 'int':
    case 'double': {
      const n = Number(s);
      if (Number.isNaN(n)) throw new BindTypeError(`Invalid number: ${s}`);
      return n;
    }
    case 'datetime':
      return normalizeDatetime(s) ?? (/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00.000Z` : s);
    case 'date':
      return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : s;
    default:
      return s;
  }
}

/** A list bind (Array or Set) as an array; a scalar becomes a one-element list. */
export function bindList(value: unknown): unknown[] {
  if (value instanceof Set) return [...value];
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined) return [];
  return [value];
}
