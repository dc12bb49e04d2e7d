/**
 * Field value validation and coercion for DML: JSON values → the API values the record store
 * keeps, with the platform's per-field errors (STRING_TOO_LONG, INVALID_EMAIL_ADDRESS,
 * INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, NUMBER_OUTSIDE_VALID_RANGE, …).
 *
 * A value of the wrong JSON shape (text for a number, an object for a string) is a
 * `shape` error: the REST API rejects the whole request with JSON_PARSER_ERROR before any DML
 * runs, while the DML service (Apex, Flows, MCP tools) reports INVALID_TYPE_ON_FIELD_IN_RECORD.
 */
import type { FieldDef } from '../schema/types.ts';
import type { SaveError } from './types.ts';

export type Coerced =
  | { ok: true; value: unknown }
  | { ok: false; error: SaveError; shape?: { javaType: string; token: string } };

const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'combobox', 'encryptedstring', 'base64']);

/** Jackson's name for a JSON value's token, as the platform's JSON_PARSER_ERROR messages use it. */
export function jsonToken(value: unknown): string {
  if (value === null) return 'VALUE_NULL';
  if (Array.isArray(value)) return 'START_ARRAY';
  switch (typeof value) {
    case 'string':
      return 'VALUE_STRING';
    case 'number':
      return Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
    case 'boolean':
      return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
    case 'object':
      return 'START_OBJECT';
    default:
      return 'VALUE_EMBEDDED_OBJECT';
  }
}

function display(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function shapeError(fd: FieldDef, value: unknown, javaType: string): Coerced {
  return {
    ok: false,
    error: { statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD', message: `${fd.label}: value not of required type: ${display(value)}`, fields: [fd.name] },
    shape: { javaType, token: jsonToken(value) },
  };
}

function fieldError(fd: FieldDef, statusCode: string, message: string): Coerced {
  return { ok: false, error: { statusCode, message, fields: [fd.name] } };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$/i;
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/** `YYYY-MM-DD`, or undefined when not a valid calendar date. */
export function parseDate(value: string): string | undefined {
  const m = DATE.exec(value.trim());
  if (!m) return undefined;
  return validDate(Number(m[1]), Number(m[2]), Number(m[3])) ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/** An ISO-8601 date/time (`Z`, `+0000`, `+00:00` or no zone = UTC) → `…T…Z`, or undefined. */
export function parseDatetime(value: string): string | undefined {
  const m = DATETIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', zone] = m;
  if (!validDate(Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = zone.replace(':', '');
    offsetMinutes = (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
  }
  const ms = Math.round(Number(`0.${frac}`) * 1000);
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms) - offsetMinutes * 60_000;
  return new Date(t).toISOString();
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

/**
 * Validates and converts one field value. `null`/`undefined` (and `''` for text) mean "no value":
 * the caller decides whether that is allowed (REQUIRED_FIELD_MISSING). Booleans become false.
 * Reference values are only shape-checked here; the DML service resolves them.
 */
export function coerceValue(fd: FieldDef, raw: unknown): Coerced {
  if (raw === undefined || raw === null || raw === '') return { ok: true, value: fd.type === 'boolean' ? false : null };
  if (typeof raw === 'object' && fd.type !== 'multipicklist' && fd.type !== 'anyType') {
    return shapeError(fd, raw, javaTypeOf(fd));
  }
  switch (fd.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return { ok: true, value: raw.toLowerCase() === 'true' };
      if (raw === 0 || raw === 1) return { ok: true, value: raw === 1 };
      return shapeError(fd, raw, 'boolean');
    }
    case 'int':
    case 'long': {
      const n = toNumber(raw);
      if (n === undefined || !Number.isInteger(n)) return shapeError(fd, raw, fd.type === 'int' ? 'int' : 'long');
      return checkRange(fd, n, raw);
    }
    case 'double':
    case 'currency':
    case 'percent': {
      const n = toNumber(raw);
      if (n === undefined) return shapeError(fd, raw, 'double');
      const scale = fd.scale ?? 0;
      const factor = 10 ** scale;
      return checkRange(fd, Math.round(n * factor) / factor, raw);
    }
    case 'date': {
      if (typeof raw !== 'string') return shapeError(fd, raw, 'date');
      const d = parseDate(raw);
      return d ? { ok: true, value: d } : shapeError(fd, raw, 'date');
    }
    case 'datetime': {
      if (typeof raw !== 'string') return shapeError(fd, raw, 'datetime');
      const d = parseDatetime(raw);
      return d ? { ok: true, value: d } : shapeError(fd, raw, 'datetime');
    }
    case 'time': {
      if (typeof raw !== 'string') return shapeError(fd, raw, 'time');
      const m = TIME.exec(raw.trim());
      if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) return shapeError(fd, raw, 'time');
      return { ok: true, value: `${m[1]}:${m[2]}:${m[3] ?? '00'}.${(m[4] ?? '0').padEnd(3, '0')}Z` };
    }
    case 'id':
    case 'reference': {
      if (typeof raw !== 'string') return shapeError(fd, raw, 'String');
      return { ok: true, value: raw.trim() };
    }
    case 'multipicklist': {
      const values = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(';') : undefined;
      if (!values) return shapeError(fd, raw, 'String');
      const cleaned = [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))];
      if (cleaned.length === 0) return { ok: true, value: null };
      if (fd.restrictedPicklist) {
        const bad = cleaned.find((v) => !isAllowedPicklistValue(fd, v));
        if (bad !== undefined) return restrictedPicklistError(fd, bad);
      }
      return checkLength(fd, cleaned.join(';'));
    }
    case 'anyType':
      return { ok: true, value: raw };
    default: {
      if (!TEXT_TYPES.has(fd.type) && fd.type !== 'address') return shapeError(fd, raw, 'String');
      const text = String(raw);
      if (fd.type === 'email' && !EMAIL.test(text.trim())) {
        return fieldError(fd, 'INVALID_EMAIL_ADDRESS', `${fd.label}: invalid email address: ${text}`);
      }
      if (fd.type === 'picklist' && fd.restrictedPicklist && !isAllowedPicklistValue(fd, text)) return restrictedPicklistError(fd, text);
      return checkLength(fd, fd.type === 'email' ? text.trim() : text);
    }
  }
}

function isAllowedPicklistValue(fd: FieldDef, value: string): boolean {
  return (fd.picklistValues ?? []).some((p) => p.active && p.value === value);
}

function restrictedPicklistError(fd: FieldDef, value: string): Coerced {
  return fieldError(fd, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${fd.label}: bad value for restricted picklist field: ${value}`);
}

function checkLength(fd: FieldDef, text: string): Coerced {
  const max = fd.length ?? 0;
  if (max > 0 && text.length > max) {
    return fieldError(fd, 'STRING_TOO_LONG', `${fd.label}: data value too large: ${text} (max length=${max})`);
  }
  return { ok: true, value: text };
}

function checkRange(fd: FieldDef, n: number, raw: unknown): Coerced {
  const precision = fd.precision ?? 18;
  const scale = fd.scale ?? 0;
  const integerDigits = Math.max(precision - scale, 0);
  if (Math.abs(n) >= 10 ** integerDigits) {
    return fieldError(fd, 'NUMBER_OUTSIDE_VALID_RANGE', `${fd.label}: value outside of valid range on numeric field: ${display(raw)}`);
  }
  return { ok: true, value: n };
}

function javaTypeOf(fd: FieldDef): string {
  switch (fd.type) {
    case 'boolean':
      return 'boolean';
    case 'int':
      return 'int';
    case 'long':
      return 'long';
    case 'double':
    case 'currency':
    case 'percent':
      return 'double';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    default:
      return 'String';
  }
}
