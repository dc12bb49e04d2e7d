/**
 * ApiTotalUsage events: one row per authenticated API request, in the columns of the platform's
 * event log file. Rows live in `_api_usage`; EventLogFile records and their CSV are derived from it
 * (see event-log-files.ts), so today's log is available at once.
 */
import type { Db } from '../storage/database.ts';

/** CSV column order of the ApiTotalUsage log (LogFileFieldNames). */
export const API_TOTAL_USAGE_FIELDS = [
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
  'USER_ID_DERIVED',
] as const;

export const API_TOTAL_USAGE_TYPES = [
  'String', 'String', 'String', 'Id', 'Id', 'String', 'String', 'String', 'String', 'String', 'Number', 'String',
  'Id', 'String', 'String', 'String', 'IP', 'Boolean', 'DateTime', 'Id',
];

export type ApiClientCategory = 'AGENTFORCE_AGENT' | 'EXTERNAL_APPLICATION' | 'LIGHTNING_UI' | 'SALESFORCE' | 'UNKNOWN' | 'SALESFORCE_HOSTED_MCP';

export interface ApiUsageEvent {
  requestId: string;
  timestamp: Date;
  orgId: string;
  userId: string;
  username: string;
  apiFamily: string;
  apiVersion: string;
  apiResource: string;
  httpMethod: string;
  statusCode: number;
  entityName: string;
  connectedAppId: string;
  connectedAppName: string;
  clientName: string;
  category: ApiClientCategory;
  clientIp: string;
}

export function ensureAuditTables(db: Db): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS _api_usage (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      log_date TEXT NOT NULL,
      timestamp TEXT NOT NULL,
      request_id TEXT NOT NULL,
      org_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      user_name TEXT NOT NULL,
      api_family TEXT NOT NULL,
      api_version TEXT NOT NULL,
      api_resource TEXT NOT NULL,
      http_method TEXT NOT NULL,
      status_code INTEGER NOT NULL,
      entity_name TEXT NOT NULL,
      connected_app_id TEXT NOT NULL,
      connected_app_name TEXT NOT NULL,
      client_name TEXT NOT NULL,
      category TEXT NOT NULL,
      client_ip TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ix_api_usage_date ON _api_usage (log_date);
  `);
}

export class ApiUsageLog {
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    ensureAuditTables(db);
    this.insertStmt = db.prepare(`INSERT INTO _api_usage
      (log_date, timestamp, request_id, org_id, user_id, user_name, api_family, api_version, api_resource, http_method,
       status_code, entity_name, connected_app_id, connected_app_name, client_name, category, client_ip)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  record(e: ApiUsageEvent): void {
    const iso = e.timestamp.toISOString();
    this.insertStmt.run(
      iso.slice(0, 10),
      iso,
      e.requestId,
      e.orgId,
      e.userId,
      e.username,
      e.apiFamily,
      e.apiVersion,
      e.apiResource,
      e.httpMethod,
      e.statusCode,
      e.entityName,
      e.connectedAppId,
      e.connectedAppName,
      e.clientName,
      e.category,
      e.clientIp,
    );
  }

  /** Days (UTC, `YYYY-MM-DD`) that have events, with their row counts. */
  days(): { logDate: string; count: number }[] {
    return this.db.prepare('SELECT log_date AS logDate, COUNT(*) AS count FROM _api_usage GROUP BY log_date ORDER BY log_date').all() as {
      logDate: string;
      count: number;
    }[];
  }

  /** The day's log as CSV, every value quoted as in the platform's files. */
  csv(logDate: string): string {
    const rows = this.db.prepare('SELECT * FROM _api_usage WHERE log_date = ? ORDER BY seq').all(logDate) as Record<string, string | number>[];
    return apiUsageCsv(rows);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM _api_usage').get() as { n: number }).n;
  }
}

/** `_api_usage` rows (any selection, e.g. Setup's filtered API log) as the ApiTotalUsage CSV. */
export function apiUsageCsv(rows: Record<string, string | number>[]): string {
  return [API_TOTAL_USAGE_FIELDS.map(quote).join(','), ...rows.map((r) => apiUsageCsvValues(r).map((v) => quote(v)).join(','))].join('\n') + '\n';
}

/** One `_api_usage` row as the CSV's values, in API_TOTAL_USAGE_FIELDS order. */
export function apiUsageCsvValues(r: Record<string, string | number>): string[] {
  const ts = String(r.timestamp);
  const compact = ts.replace(/[-:T]/g, '').replace('Z', ''); // yyyyMMddHHmmss.SSS
  return [
    'ApiTotalUsage',
    compact,
    r.request_id,
    r.org_id,
    String(r.user_id).slice(0, 15),
    r.user_name,
    r.api_family,
    r.api_version,
    r.api_resource,
    r.http_method,
    r.status_code,
    r.entity_name,
    String(r.connected_app_id).slice(0, 15),
    r.connected_app_name,
    r.client_name,
    r.category,
    r.client_ip,
    r.api_family === 'REST' || r.api_family === 'ApexREST' ? 'true' : 'false',
    ts,
    r.user_id,
  ].map((v) => String(v ?? ''));
}

function quote(v: string): string {
  return `"${v.replace(/"/g, '""')}"`;
}
