/**
 * Setup › API Logs (`/lightning/setup/ApiLogs/home`): the org's ApiTotalUsage events with filters
 * (date range, user, connected app, API client category, object, status), charts of calls per user,
 * per object and per hour (errors in red), the matching events newest first, and a CSV download of
 * exactly the filtered events in the ApiTotalUsage log's columns (`/lightning/setup/ApiLogs/csv`).
 * Filters are a GET form, so a filtered view is a bookmarkable URL.
 */
import { apiUsageCsv, apiUsageCsvValues, API_TOTAL_USAGE_FIELDS } from '../audit/api-usage.ts';
import type { Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { usageCharts, type ApiUsageRow } from './charts.ts';
import { attr, esc, setupPage } from './html.ts';
import type { SetupSessions } from './session.ts';

const MAX_TABLE_ROWS = 500;

export interface LogFilters {
  from?: string;
  to?: string;
  user?: string;
  app?: string;
  category?: string;
  object?: string;
  /** `success` (< 400), `error` (≥ 400) or an exact status code. */
  status?: string;
}

export function parseFilters(q: URLSearchParams): LogFilters {
  const get = (k: string) => {
    const v = q.get(k)?.trim();
    return v ? v : undefined;
  };
  const date = (k: string) => {
    const v = get(k);
    return v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined;
  };
  return { from: date('from'), to: date('to'), user: get('user'), app: get('app'), category: get('category'), object: get('object'), status: get('status') };
}

/** `_api_usage` rows matching the filters, oldest first. */
export function filteredUsage(org: OrgContext, f: LogFilters): Record<string, string | number>[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (condition: string, ...values: (string | number)[]): void => {
    where.push(condition);
    args.push(...values);
  };
  if (f.from) add('log_date >= ?', f.from);
  if (f.to) add('log_date <= ?', f.to);
  if (f.user) add('user_name = ?', f.user);
  if (f.app) add('connected_app_name = ?', f.app);
  if (f.category) add('category = ?', f.category);
  if (f.object) add('entity_name = ?', f.object);
  if (f.status === 'error') add('status_code >= 400');
  else if (f.status === 'success') add('status_code < 400');
  else if (f.status && /^\d{3}$/.test(f.status)) add('status_code = ?', Number(f.status));
  const sql = `SELECT * FROM _api_usage${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
  return org.db.prepare(sql).all(...args) as Record<string, string | number>[];
}

/** `_api_usage` rows in the CSV-keyed shape the charts and the report use. */
export function toReportRows(rows: Record<string, string | number>[]): ApiUsageRow[] {
  return rows.map((r) => {
    const values = apiUsageCsvValues(r);
    const out: ApiUsageRow = {};
    API_TOTAL_USAGE_FIELDS.forEach((name, i) => (out[name] = values[i]));
    return out;
  });
}

function distinct(org: OrgContext, column: string): string[] {
  return (org.db.prepare(`SELECT DISTINCT ${column} AS v FROM _api_usage WHERE ${column} <> '' ORDER BY ${column}`).all() as { v: string }[]).map((r) => r.v);
}

function select(id: string, label: string, name: string, values: string[], current: string | undefined, anyLabel = 'All'): string {
  const opts = [`<option value="">${esc(anyLabel)}</option>`, ...values.map((v) => `<option value="${attr(v)}"${v === current ? ' selected' : ''}>${esc(v)}</option>`)];
  return `<div><label for="${attr(id)}">${esc(label)}</label><select id="${attr(id)}" name="${attr(name)}">${opts.join('')}</select></div>`;
}

function queryString(f: LogFilters): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function registerApiLogsPage(router: Router, org: OrgContext, sessions: SetupSessions): void {
  router.add(
    'GET',
    '/lightning/setup/ApiLogs/home',
    sessions.guard(({ ctx, username, csrf }) => {
      const f = parseFilters(ctx.query);
      const raw = filteredUsage(org, f);
      const rows = toReportRows(raw);
      const errors = rows.filter((r) => Number(r.STATUS_CODE) >= 400).length;
      const statusOptions = ['success', 'error', ...(org.db.prepare('SELECT DISTINCT status_code AS s FROM _api_usage ORDER BY s').all() as { s: number }[]).map((r) => String(r.s))];
      const filters = `<form method="get" action="/lightning/setup/ApiLogs/home" class="card filters" role="search" aria-label="Filter API events">
<div><label for="f-from">From date (UTC)</label><input type="date" id="f-from" name="from" value="${attr(f.from)}"></div>
<div><label for="f-to">To date (UTC)</label><input type="date" id="f-to" name="to" value="${attr(f.to)}"></div>
${select('f-user', 'User', 'user', distinct(org, 'user_name'), f.user)}
${select('f-app', 'App', 'app', distinct(org, 'connected_app_name'), f.app)}
${select('f-category', 'API client category', 'category', distinct(org, 'category'), f.category)}
${select('f-object', 'Object', 'object', distinct(org, 'entity_name'), f.object)}
<div><label for="f-status">Status</label><select id="f-status" name="status"><option value="">All</option>${statusOptions
        .map((s) => `<option value="${attr(s)}"${s === f.status ? ' selected' : ''}>${esc(s === 'success' ? 'Successful (< 400)' : s === 'error' ? 'Errors (≥ 400)' : s)}</option>`)
        .join('')}</select></div>
<div><button type="submit" id="apply-filters">Apply Filters</button> <a class="button secondary" href="/lightning/setup/ApiLogs/home">Clear</a></div>
</form>`;
      const shown = raw.slice(-MAX_TABLE_ROWS).reverse();
      const table = shown
        .map((r) => {
          const err = Number(r.status_code) >= 400;
          return `<tr${err ? ' class="error"' : ''}><td>${esc(String(r.timestamp))}</td><td>${esc(String(r.user_name))}</td><td>${esc(String(r.connected_app_name))}</td><td>${esc(String(r.category))}</td><td>${esc(String(r.api_family))}</td><td>${esc(String(r.http_method))} <code>${esc(String(r.api_resource))}</code></td><td>${esc(String(r.entity_name))}</td><td>${err ? `<span class="badge err">${esc(String(r.status_code))}</span>` : esc(String(r.status_code))}</td></tr>`;
        })
        .join('\n');
      const body = `${filters}
<p role="status" id="result-count"><strong>${rows.length}</strong> events match${errors ? `, <strong class="err">${errors}</strong> with errors` : ''}. <a class="button secondary" id="download-csv" href="/lightning/setup/ApiLogs/csv${attr(queryString(f))}" download>Download CSV</a></p>
<section class="card" aria-labelledby="charts-h"><h2 id="charts-h">Charts</h2>${usageCharts(rows)}</section>
<section aria-labelledby="events-h"><h2 id="events-h">Events${raw.length > MAX_TABLE_ROWS ? ` (newest ${MAX_TABLE_ROWS} of ${raw.length})` : ''}</h2>
<table id="events"><caption class="sr-only">API events, newest first</caption><thead><tr><th scope="col">Time (UTC)</th><th scope="col">User</th><th scope="col">App</th><th scope="col">Client category</th><th scope="col">API</th><th scope="col">Request</th><th scope="col">Object</th><th scope="col">Status</th></tr></thead>
<tbody>
${table || '<tr><td colspan="8">No events match these filters.</td></tr>'}
</tbody></table></section>`;
      return setupPage({ title: 'API Logs', current: 'ApiLogs', username, csrf, body });
    }),
    { auth: 'public' },
  );

  router.add(
    'GET',
    '/lightning/setup/ApiLogs/csv',
    sessions.guard(({ ctx }) => {
      const f = parseFilters(ctx.query);
      const day = new Date().toISOString().slice(0, 10);
      return {
        status: 200,
        body: apiUsageCsv(filteredUsage(org, f)),
        contentType: 'text/csv;charset=UTF-8',
        headers: { 'Content-Disposition': `attachment; filename="ApiTotalUsage-${day}.csv"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
      };
    }),
    { auth: 'public' },
  );
}
