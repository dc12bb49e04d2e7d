/**
 * End-to-end harness: a real local org (in memory, force-app deployed at start) and this MCP server
 * on port 0, both over HTTP; tokens from the org's real PKCE flow; the SDK's own Client and
 * StreamableHTTPClientTransport. Servers are activated the way an admin does it: Tooling API
 * `McpServerAccess` with the admin's token.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startLocalOrg, type LocalOrg } from '../../../local-org/src/local-org.ts';
import { mcpToken, personaToken, usernameOf } from '../../../local-org/test/helpers/oauth.ts';
import { repoRoot } from '../../../local-org/test/helpers/sf.ts';
import { AuditLog } from '../../src/audit/jsonl.ts';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../../src/http/app.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';

export { repoRoot, usernameOf };

export interface Harness {
  org: LocalOrg;
  /** With `faultProxy`: the MCP server reaches the org through it. */
  proxy?: FaultProxy;
  mcp: RunningHttpServer;
  audit: AuditLog;
  auditFile: string;
  /** `<mcp url>/platform/mcp/v1/<key>` */
  serverUrl(key: string): string;
  /** An mcp_api JWT for a persona/username, audience = the server URL (cached per user+resource). */
  token(persona: string, key?: string): Promise<string>;
  adminApiToken(): Promise<string>;
  /** Creates or updates the McpServerAccess row (Tooling API, as admin). */
  setActive(developerNameOrCustom: string, active: boolean): Promise<void>;
  connect(persona: string, key: string, opts?: { token?: string }): Promise<Client>;
  auditLines(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<HttpServerOptions> & { faultProxy?: boolean } = {}): Promise<Harness> {
  const org = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
  const dir = mkdtempSync(join(tmpdir(), 'forcegate-mcp-'));
  const auditFile = join(dir, 'audit.jsonl');
  const audit = new AuditLog(auditFile);
  const proxy = options.faultProxy ? await startFaultProxy(org.url) : undefined;
  const mcp = await startHttpServer({ orgUrl: proxy?.url ?? org.url, port: 0, audit, log: () => undefined, pollIntervalMs: 300, activationTtlMs: 1000, ...options });
  const tokens = new Map<string, Promise<string>>();
  const clients: Client[] = [];
  let adminToken: Promise<string> | undefined;
  const serverUrl = (key: string): string => `${mcp.url}/platform/mcp/v1/${key}`;
  const h: Harness = {
    org,
    proxy,
    mcp,
    audit,
    auditFile,
    serverUrl,
    token(persona, key = 'platform/sobject-all') {
      const resource = serverUrl(key);
      const k = `${persona}|${resource}`;
      if (!tokens.has(k)) tokens.set(k, mcpToken(org.url, persona, { resource }));
      return tokens.get(k)!;
    },
    adminApiToken() {
      return (adminToken ??= personaToken(org.url, 'admin'));
    },
    async setActive(name, active) {
      const token = await h.adminApiToken();
      const base = `${org.url}/services/data/v66.0/tooling`;
      const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
      let developerName = name;
      let mcpServerId: string | undefined;
      if (name.startsWith('custom/')) {
        developerName = name.slice('custom/'.length);
        const q = await fetch(`${base}/query?q=${encodeURIComponent(`SELECT Id FROM McpServerDefinition WHERE DeveloperName = '${developerName}'`)}`, { headers });
        const body = (await q.json()) as { records: { Id: string }[] };
        mcpServerId = body.records[0]?.Id;
        if (!mcpServerId) throw new Error(`no McpServerDefinition ${developerName}: ${JSON.stringify(body)}`);
      } else if (name.startsWith('platform/')) {
        developerName = `platform_${name.slice('platform/'.length).replace(/-/g, '_')}`;
      }
      const q = await fetch(`${base}/query?q=${encodeURIComponent(`SELECT Id, Active FROM McpServerAccess WHERE DeveloperName = '${developerName}'`)}`, { headers });
      const existing = ((await q.json()) as { records?: { Id: string }[] }).records?.[0];
      const res = existing
        ? await fetch(`${base}/sobjects/McpServerAccess/${existing.Id}`, { method: 'PATCH', headers, body: JSON.stringify({ Active: active }) })
        : await fetch(`${base}/sobjects/McpServerAccess`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ DeveloperName: developerName, MasterLabel: developerName, Active: active, ...(mcpServerId ? { McpServerId: mcpServerId } : {}) }),
          });
      if (res.status >= 300) throw new Error(`McpServerAccess ${developerName}: ${res.status} ${await res.text()}`);
    },
    async connect(persona, key, opts = {}) {
      const token = opts.token ?? (await h.token(persona, key));
      const client = new Client({ name: 'forcegate-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(serverUrl(key)), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async auditLines() {
      await audit.flush();
      if (!existsSync(auditFile)) return [];
      return readFileSync(auditFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await mcp.close();
      await audit.close();
      await proxy?.close();
      await org.close();
    },
  };
  return h;
}
