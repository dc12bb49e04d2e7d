/**
 * An in-memory stand-in for the org surfaces the plugin calls, plugged into @salesforce/core's
 * TestContext as `$$.fakeConnectionRequest = fake.handler()`. It answers the Organization query every
 * org flag runs, Tooling McpServerAccess / McpServerDefinition (query, create, PATCH), the API catalog,
 * invocable action describes, EventLogFile queries and LogFile downloads, and records every request.
 */
import type { TestContext } from '@salesforce/core/testSetup';

type FakeRequest = TestContext['fakeConnectionRequest'];

export type FakeAccess = { Id: string; DeveloperName: string; MasterLabel: string; Active: boolean; McpServerId: string | null };
export type FakeDefinition = { Id: string; DeveloperName: string; MasterLabel: string };
export type FakeCatalogServer = { id: string; name: string; label: string; source: string; active: boolean; assets: Array<Record<string, unknown>> };
export type FakeLogFile = { Id: string; LogDate: string; Interval?: string; csv: string };
export type SeenRequest = { method: string; url: string; body?: unknown };

export function apiError(errorCode: string, message: string): Error {
  return Object.assign(new Error(message), { name: errorCode, errorCode });
}

let idCounter = 0;
const newId = (prefix: string): string => `${prefix}${String(++idCounter).padStart(12, '0')}AAA`;

export class FakeOrg {
  public organization: { IsSandbox: boolean; TrialExpirationDate: string | null } = { IsSandbox: false, TrialExpirationDate: null };
  public access: FakeAccess[] = [];
  public definitions: FakeDefinition[] = [];
  public catalog: FakeCatalogServer[] | 'missing' = [];
  /** `apex/ClassName` or `flow/FlowName` → describe body, or an Error the describe fails with. */
  public actions: Record<string, Record<string, unknown> | Error> = {};
  public logFiles: FakeLogFile[] = [];
  /** Tooling ApiNamedQuery rows by name with their parameters; `metadataField: false` answers like an org without the Metadata column. */
  public namedQueries: Record<string, Array<{ parameterName: string; description?: string }>> = {};
  public namedQueryMetadataField = true;
  /** When set, McpServerAccess/McpServerDefinition queries fail with this (org without MCP). */
  public mcpError?: Error;
  /** When set, EventLogFile queries fail with this (user without View Event Log Files). */
  public eventLogError?: Error;
  public readonly requests: SeenRequest[] = [];

  /** Defines a custom server (McpServerDefinition + catalog entry with tool assets). */
  public addCustomServer(name: string, tools: Array<Record<string, unknown>>): FakeDefinition {
    const def = { Id: newId('0Mx'), DeveloperName: name, MasterLabel: name.replace(/_/g, ' ') };
    this.definitions.push(def);
    if (this.catalog !== 'missing') {
      this.catalog.push({ id: def.Id, name, label: def.MasterLabel, source: 'CUSTOM', active: false, assets: tools.map((t) => ({ kind: 'MCP_TOOL', ...t })) });
    }
    return def;
  }

  public handler(): FakeRequest {
    const fake = async (request: unknown): Promise<unknown> => {
      const req = (typeof request === 'string' ? { method: 'GET', url: request } : request) as { method?: string; url: string; body?: unknown };
      const method = String(req.method ?? 'GET').toUpperCase();
      const url = req.url;
      const body = typeof req.body === 'string' && req.body.length > 0 ? (JSON.parse(req.body) as unknown) : req.body;
      this.requests.push({ method, url, body });
      return this.route(method, url, body);
    };
    return fake as FakeRequest;
  }

  public seen(method: string, pathPart: string): SeenRequest[] {
    return this.requests.filter((r) => r.method === method && r.url.includes(pathPart));
  }

  private route(method: string, url: string, body: unknown): unknown {
    const u = new URL(url, 'https://instance.fake.salesforce.com');
    const path = u.pathname.replace(/^\/services\/data\/v[\d.]+/, '');
    if (method === 'GET' && (path === '/query' || path === '/tooling/query')) return this.query(u.searchParams.get('q') ?? '');
    if (method === 'POST' && path === '/tooling/sobjects/McpServerAccess') {
      const rec = body as Partial<FakeAccess>;
      if (!rec.McpServerId && !rec.DeveloperName?.startsWith('platform_')) {
        throw apiError('FIELD_INTEGRITY_EXCEPTION', 'McpServerId is required for custom server access records');
      }
      const row = { Id: newId('0Ma'), DeveloperName: rec.DeveloperName!, MasterLabel: rec.MasterLabel ?? '', Active: rec.Active === true, McpServerId: rec.McpServerId ?? null };
      this.access.push(row);
      return { id: row.Id, success: true, errors: [] };
    }
    const patch = /^\/tooling\/sobjects\/McpServerAccess\/(\w+)$/.exec(path);
    if (method === 'PATCH' && patch) {
      const row = this.access.find((a) => a.Id === patch[1]);
      if (!row) throw apiError('NOT_FOUND', 'The requested resource does not exist');
      Object.assign(row, body as object);
      return undefined;
    }
    if (method === 'GET' && path === '/api-catalog/mcp-servers') {
      if (this.catalog === 'missing') throw apiError('NOT_FOUND', 'The requested resource does not exist');
      return { servers: this.catalog.map(({ assets: _assets, ...s }) => s) };
    }
    const assets = /^\/api-catalog\/mcp-servers\/(\w+)\/assets$/.exec(path);
    if (method === 'GET' && assets) {
      const server = this.catalog === 'missing' ? undefined : this.catalog.find((s) => s.id === assets[1]);
      if (!server) throw apiError('NOT_FOUND', 'The requested resource does not exist');
      return { assets: server.assets };
    }
    const action = /^\/actions\/custom\/(apex|flow)\/(\w+)$/.exec(path);
    if (method === 'GET' && action) {
      const found = this.actions[`${action[1]}/${action[2]}`];
      if (!found) throw apiError('NOT_FOUND', `No action ${action[2]}`);
      if (found instanceof Error) throw found;
      return found;
    }
    const logFile = /^\/sobjects\/EventLogFile\/(\w+)\/LogFile$/.exec(path);
    if (method === 'GET' && logFile) {
      const f = this.logFiles.find((x) => x.Id === logFile[1]);
      if (!f) throw apiError('NOT_FOUND', 'The requested resource does not exist');
      return f.csv;
    }
    throw apiError('NOT_FOUND', `FakeOrg has no ${method} ${path}`);
  }

  private query(soql: string): unknown {
    const records = this.rows(soql);
    return { totalSize: records.length, done: true, records };
  }

  private rows(soql: string): unknown[] {
    if (/FROM\s+Organization/i.test(soql)) {
      return [{ attributes: { type: 'Organization' }, Name: 'Fake', InstanceName: 'CS1', NamespacePrefix: null, OrganizationType: 'Developer Edition', ...this.organization }];
    }
    if (/FROM\s+McpServerAccess/i.test(soql)) {
      if (this.mcpError) throw this.mcpError;
      return this.access.map((a) => ({ attributes: { type: 'McpServerAccess' }, ...a }));
    }
    if (/FROM\s+McpServerDefinition/i.test(soql)) {
      if (this.mcpError) throw this.mcpError;
      return this.definitions.map((d) => ({ attributes: { type: 'McpServerDefinition' }, ...d }));
    }
    if (/FROM\s+EventLogFile/i.test(soql)) {
      if (this.eventLogError) throw this.eventLogError;
      const from = /LogDate\s*>=\s*(\d{4}-\d{2}-\d{2})/i.exec(soql)?.[1] ?? '0000-00-00';
      const to = /LogDate\s*<=\s*(\d{4}-\d{2}-\d{2})/i.exec(soql)?.[1] ?? '9999-99-99';
      return this.logFiles
        .filter((f) => f.LogDate.slice(0, 10) >= from && f.LogDate.slice(0, 10) <= to)
        .map((f) => ({ attributes: { type: 'EventLogFile' }, Id: f.Id, EventType: 'ApiTotalUsage', LogDate: f.LogDate, Interval: f.Interval ?? 'Daily', Sequence: 1, LogFileLength: f.csv.length }));
    }
    if (/FROM\s+ApiNamedQuery/i.test(soql)) {
      if (/Metadata/.test(soql) && !this.namedQueryMetadataField) throw apiError('INVALID_FIELD', "No such column 'Metadata' on entity 'ApiNamedQuery'");
      const name = /Name\s*=\s*'([^']*)'/.exec(soql)?.[1] ?? '';
      const params = this.namedQueries[name];
      if (!params) return [];
      return [{ attributes: { type: 'ApiNamedQuery' }, Id: '0NQ000000000001AAA', ...(/Metadata/.test(soql) ? { Metadata: { apiNamedQueryParameters: params.length === 1 ? params[0] : params } } : {}) }];
    }
    if (/SELECT\s+COUNT\(\)/i.test(soql)) return [];
    throw apiError('MALFORMED_QUERY', `FakeOrg cannot answer ${soql}`);
  }
}

/** An ApiTotalUsage CSV with the platform's quoting, one row per event. */
export function usageCsv(rows: Array<Partial<Record<string, string>>>): string {
  const cols = ['EVENT_TYPE', 'TIMESTAMP', 'REQUEST_ID', 'USER_NAME', 'API_RESOURCE', 'HTTP_METHOD', 'STATUS_CODE', 'ENTITY_NAME', 'API_CLIENT_CATEGORY', 'TIMESTAMP_DERIVED'];
  const q = (v: string): string => `"${v.replace(/"/g, '""')}"`;
  const lines = [cols.map(q).join(',')];
  for (const r of rows) {
    const derived = r.TIMESTAMP_DERIVED ?? '2026-05-01T10:00:00.000Z';
    const full: Record<string, string> = {
      EVENT_TYPE: 'ApiTotalUsage',
      TIMESTAMP: derived.replace(/[-:T]/g, '').replace('Z', ''),
      REQUEST_ID: `req-${Math.random().toString(36).slice(2, 8)}`,
      USER_NAME: 'rep@forcegate.local',
      API_RESOURCE: '/v65.0/query',
      HTTP_METHOD: 'GET',
      STATUS_CODE: '200',
      ENTITY_NAME: 'Account',
      API_CLIENT_CATEGORY: 'SALESFORCE_HOSTED_MCP',
      ...(r as Record<string, string>),
      TIMESTAMP_DERIVED: derived,
    };
    lines.push(cols.map((c) => q(full[c] ?? '')).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
