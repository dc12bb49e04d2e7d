/**
 * ApiTotalUsage event log files (platform.md §11): finding them for a date range, downloading their
 * CSV, keeping the rows of chosen API client categories, and summarising the calls.
 */
import type { Connection } from '@salesforce/core';
import { emptyDateRange, invalidDate, isAccessDenied, isMissingType, noEventLogAccess } from './errors.js';

export const API_CLIENT_CATEGORIES = [
  'SALESFORCE_HOSTED_MCP',
  'AGENTFORCE_AGENT',
  'EXTERNAL_APPLICATION',
  'LIGHTNING_UI',
  'SALESFORCE',
  'UNKNOWN',
] as const;

/** Columns written when there is no log file to take the header from (the documented ApiTotalUsage columns). */
export const DEFAULT_COLUMNS = [
  'EVENT_TYPE',
  'TIMESTAMP',
  'REQUEST_ID',
  'ORGANIZATION_ID',
  'USER_ID',
  'USER_NAME',
  'API_FAMILY',
  'API_VERSION',
  'API_RESOURCE',
  'HTTP_METHOD',
  'STATUS_CODE',
  'ENTITY_NAME',
  'CONNECTED_APP_ID',
  'CONNECTED_APP_NAME',
  'CLIENT_NAME',
  'API_CLIENT_CATEGORY',
  'CLIENT_IP',
  'COUNTS_AGAINST_API_LIMIT',
  'TIMESTAMP_DERIVED',
];

export type EventLogFileRecord = {
  Id: string;
  EventType: string;
  LogDate: string;
  Interval?: string | null;
  Sequence?: number | null;
  LogFileLength?: number | null;
};

export type CountRow = { calls: number; errors: number };

export type UsageSummary = {
  rows: number;
  errors: number;
  byUser: Array<{ user: string } & CountRow>;
  byObject: Array<{ object: string } & CountRow>;
  byDay: Array<{ day: string } & CountRow>;
  byStatus: Array<{ status: string; calls: number }>;
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD`, `today` or `yesterday` (UTC) → `YYYY-MM-DD`. */
export function parseDay(flag: string, value: string, now = new Date()): string {
  const v = value.trim().toLowerCase();
  if (v === 'today') return now.toISOString().slice(0, 10);
  if (v === 'yesterday') return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  if (!DAY.test(v)) throw invalidDate(flag, value);
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw invalidDate(flag, value);
  return v;
}

export function checkRange(start: string, end: string): void {
  if (start > end) throw emptyDateRange(start, end);
}

/**
 * The ApiTotalUsage files whose LogDate falls in [start, end]. Where a day has a Daily file, its
 * Hourly files are dropped (they hold the same events).
 */
export async function findLogFiles(conn: Connection, username: string, start: string, end: string): Promise<EventLogFileRecord[]> {
  const soql =
    'SELECT Id, EventType, LogDate, Interval, Sequence, LogFileLength FROM EventLogFile ' +
    `WHERE EventType = 'ApiTotalUsage' AND LogDate >= ${start}T00:00:00Z AND LogDate <= ${end}T23:59:59Z ORDER BY LogDate`;
  let records: EventLogFileRecord[];
  try {
    records = (await conn.query<EventLogFileRecord>(soql, { autoFetch: true, maxFetch: 50_000 })).records;
  } catch (error) {
    if (isMissingType(error) || isAccessDenied(error)) throw noEventLogAccess(username, error);
    throw error;
  }
  const dailyDays = new Set(records.filter((r) => (r.Interval ?? 'Daily') === 'Daily').map((r) => r.LogDate.slice(0, 10)));
  return records.filter((r) => (r.Interval ?? 'Daily') === 'Daily' || !dailyDays.has(r.LogDate.slice(0, 10)));
}

/** The CSV text of one log file. */
export async function downloadLogFile(conn: Connection, username: string, id: string): Promise<string> {
  try {
    const body = await conn.request<unknown>(
      { method: 'GET', url: `/services/data/v${conn.getApiVersion()}/sobjects/EventLogFile/${id}/LogFile` },
      // never let the client parse the CSV into objects: the column order matters
      { responseType: 'text/plain' },
    );
    return typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? '');
  } catch (error) {
    if (isAccessDenied(error)) throw noEventLogAccess(username, error);
    throw error;
  }
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends, newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  let i = 0;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < s.length) {
    const c = s[i];
    if (inQuotes) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      inQuotes = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

export function toCsv(columns: string[], rows: Array<Record<string, string>>): string {
  const quote = (v: string): string => `"${v.replace(/"/g, '""')}"`;
  const lines = [columns.map(quote).join(',')];
  for (const r of rows) lines.push(columns.map((c) => quote(r[c] ?? '')).join(','));
  return lines.join('\n') + '\n';
}

/** The UTC day of an event row, from TIMESTAMP_DERIVED (ISO) or TIMESTAMP (`yyyyMMddHHmmss.SSS`). */
export function dayOf(row: Record<string, string>): string {
  const derived = row.TIMESTAMP_DERIVED ?? '';
  if (/^\d{4}-\d{2}-\d{2}/.test(derived)) return derived.slice(0, 10);
  const ts = row.TIMESTAMP ?? '';
  if (/^\d{8}/.test(ts)) return `${ts.slice(0, 4)}-${ts.slice(4, 6)}-${ts.slice(6, 8)}`;
  return '';
}

/** Turns one file's CSV into rows keyed by column, keeping the rows of the categories and days asked for. */
export function filterRows(
  csv: string,
  categories: ReadonlySet<string> | 'ALL',
  start: string,
  end: string,
): { columns: string[]; rows: Array<Record<string, string>>; read: number } {
  const [header, ...body] = parseCsv(csv);
  if (!header) return { columns: [], rows: [], read: 0 };
  const rows: Array<Record<string, string>> = [];
  for (const values of body) {
    const row: Record<string, string> = {};
    header.forEach((col, i) => (row[col] = values[i] ?? ''));
    const day = dayOf(row);
    if (day && (day < start || day > end)) continue;
    if (categories !== 'ALL' && !categories.has((row.API_CLIENT_CATEGORY ?? '').toUpperCase())) continue;
    rows.push(row);
  }
  return { columns: header, rows, read: body.length };
}

function isError(row: Record<string, string>): boolean {
  const status = Number(row.STATUS_CODE);
  return Number.isFinite(status) && status >= 400;
}

/** Calls per user, per object, per day, and the error calls per status code. */
export function summarize(rows: Array<Record<string, string>>): UsageSummary {
  const users = new Map<string, CountRow>();
  const objects = new Map<string, CountRow>();
  const days = new Map<string, CountRow>();
  const statuses = new Map<string, number>();
  const bump = (m: Map<string, CountRow>, key: string, error: boolean): void => {
    const c = m.get(key) ?? { calls: 0, errors: 0 };
    c.calls++;
    if (error) c.errors++;
    m.set(key, c);
  };
  let errors = 0;
  for (const r of rows) {
    const error = isError(r);
    if (error) {
      errors++;
      statuses.set(r.STATUS_CODE, (statuses.get(r.STATUS_CODE) ?? 0) + 1);
    }
    bump(users, r.USER_NAME || r.USER_ID || '(unknown)', error);
    bump(objects, r.ENTITY_NAME || '(none)', error);
    bump(days, dayOf(r) || '(unknown)', error);
  }
  const byCalls = <T extends { calls: number }>(a: T, b: T): number => b.calls - a.calls;
  return {
    rows: rows.length,
    errors,
    byUser: [...users].map(([user, c]) => ({ user, ...c })).sort((a, b) => byCalls(a, b) || a.user.localeCompare(b.user)),
    byObject: [...objects].map(([object, c]) => ({ object, ...c })).sort((a, b) => byCalls(a, b) || a.object.localeCompare(b.object)),
    byDay: [...days].map(([day, c]) => ({ day, ...c })).sort((a, b) => a.day.localeCompare(b.day)),
    byStatus: [...statuses].map(([status, calls]) => ({ status, calls })).sort((a, b) => a.status.localeCompare(b.status)),
  };
}
