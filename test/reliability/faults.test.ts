/**
 * Faults between the MCP server and the org, through the MCP server tests' fault proxy: the org answering
 * 503, not answering at all, or dropping the connection after it has applied a write. Each gives a
 * clear tool error within the bound, a write is never repeated (rows counted in the org's store), and
 * the server answers normally once the org does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startLocalOrg, type LocalOrg } from '../../local-org/src/local-org.ts';
import { mcpToken, personaToken } from '../../local-org/test/helpers/oauth.ts';
import { repoRoot } from '../../local-org/test/helpers/sf.ts';
import { startHttpServer, type RunningHttpServer } from '../../mcp-server/src/http/app.ts';
import { AuditLog } from '../../mcp-server/src/audit/jsonl.ts';
import { startFaultProxy, type FaultProxy } from '../../mcp-server/test/helpers/fault-proxy.ts';
import { call } from '../security/helpers.ts';

describe('reliability: org faults (503, timeout, dropped connection)', function () {
  this.timeout(120_000);
  let org: LocalOrg;
  let proxy: FaultProxy;
  let mcp: RunningHttpServer;
  let client: Client;
  let audit: AuditLog;
  const ORG_TIMEOUT_MS = 1500;
  const tasks = (subject: string): number => (org.org.db.prepare('SELECT COUNT(*) AS n FROM Task WHERE Subject = ?').get(subject) as { n: number }).n;

  before(async () => {
    org = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
    proxy = await startFaultProxy(org.url);
    audit = new AuditLog(join(mkdtempSync(join(tmpdir(), 'forcegate-faults-')), 'audit.jsonl'));
    mcp = await startHttpServer({ orgUrl: proxy.url, port: 0, audit, log: () => undefined, orgTimeoutMs: ORG_TIMEOUT_MS, activationTtlMs: 3_600_000, pollIntervalMs: 30_000 });
    const admin = await personaToken(org.url, 'admin');
    const res = await fetch(`${org.url}/services/data/v66.0/tooling/sobjects/McpServerAccess`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ DeveloperName: 'platform_sobject_all', MasterLabel: 'platform_sobject_all', Active: true }),
    });
    expect(res.status).to.be.below(300);
    const url = `${mcp.url}/platform/mcp/v1/platform/sobject-all`;
    const token = await mcpToken(org.url, 'rep@forcegate.local', { resource: url });
    client = new Client({ name: 'faults', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    expect((await call(client, 'getUserInfo', {})).isError).to.equal(false);
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await mcp?.close();
    await audit?.close();
    await proxy?.close();
    await org?.close();
  });
  afterEach(() => {
    proxy.mode = 'pass';
  });

  const create = (subject: string) => call(client, 'createSobjectRecord', { 'sobject-name': 'Task', body: { Subject: subject, Status: 'Not Started', Priority: 'Normal' } });

  it('org answers 503: read and write give the platform error as a tool error; nothing written; recovers', async () => {
    proxy.mode = '503';
    const read = await call(client, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' });
    expect(read.isError).to.equal(true);
    expect(read.text).to.match(/SERVER_UNAVAILABLE|503|unavailable/i);
    const write = await create('fault 503');
    expect(write.isError).to.equal(true);
    expect(write.text).to.match(/SERVER_UNAVAILABLE|503|unavailable/i);
    expect(tasks('fault 503')).to.equal(0);
    proxy.mode = 'pass';
    expect((await call(client, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' })).isError).to.equal(false);
    expect((await create('fault 503')).isError).to.equal(false);
    expect(tasks('fault 503')).to.equal(1);
  });

  it('org does not answer: ORG_TIMEOUT within the bound for a write; nothing written; recovers', async () => {
    proxy.mode = 'hang';
    const t0 = performance.now();
    const write = await create('fault hang');
    expect(write.isError).to.equal(true);
    expect(write.text).to.match(/^ORG_TIMEOUT: /);
    expect(performance.now() - t0).to.be.below(ORG_TIMEOUT_MS * 3);
    expect(tasks('fault hang')).to.equal(0);
    proxy.mode = 'pass';
    expect((await create('fault hang')).isError).to.equal(false);
    expect(tasks('fault hang')).to.equal(1);
  });

  it('connection dropped after the org applied a write: a clear error, and the write is never repeated', async () => {
    proxy.mode = 'drop-response';
    const write = await create('fault drop');
    expect(write.isError).to.equal(true);
    expect(write.text).to.match(/^ORG_UNREACHABLE: .*may have applied this POST before the connection failed; check the record before retrying/);
    // Give a retry (there must be none) the time to land.
    await new Promise((r) => setTimeout(r, 300));
    expect(tasks('fault drop')).to.equal(1);
    // A read may be retried once (idempotent); it ends as a result or a clear error, never a hang.
    const read = await call(client, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' });
    if (read.isError) expect(read.text).to.match(/^ORG_UNREACHABLE: /);
    proxy.mode = 'pass';
    expect((await call(client, 'getUserInfo', {})).isError).to.equal(false);
    expect(tasks('fault drop')).to.equal(1);
  });
});
