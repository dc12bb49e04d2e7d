/**
 * Faults the long-lived-session suite (faults.test.ts) does not cover:
 *
 * 1. the org down / answering 503 / hanging while a client connects (token check, activation, the
 *    catalog of the first tools/list): a clear HTTP error in the MCP/OAuth shape within the bound, no
 *    stack trace, never an empty or partial tool list; the same client connects once the org is back;
 * 2. the activation state re-read while the org fails: refused (fail closed), stateful and stateless —
 *    also when only the activation read fails and the org would answer the tool call (a server the
 *    admin deactivated meanwhile must not serve data);
 * 3. stateless mode under 503 / no answer / a dropped connection after a write: clear tool errors, a
 *    write never repeated, recovery;
 * 4. the user's token revoked at the org while a session is open: INVALID_SESSION_ID, no data, and the
 *    refusal is in the server's audit log;
 * 5. the org (a child process on an on-disk SQLite directory) killed with SIGKILL in the middle of a
 *    burst of MCP writes and restarted on the same port: every acknowledged write is in the org once,
 *    with its ApiTotalUsage row and its success line in the MCP audit log; failed calls are clear tool
 *    errors; the MCP server (not restarted) serves again with the same token. Meanwhile a server that
 *    never fetched the org's keys answers 500 server_error (org down, or a maintenance page's 503).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mcpLogin, mcpToken, personaToken } from '../../local-org/test/helpers/oauth.ts';
import { repoRoot } from '../../local-org/test/helpers/sf.ts';
import { AuditLog } from '../../mcp-server/src/audit/jsonl.ts';
import { invalidateActionDescribes } from '../../mcp-server/src/org/actions.ts';
import { OrgClient } from '../../mcp-server/src/org/client.ts';
import { OrgApiError } from '../../mcp-server/src/org/errors.ts';
import { CatalogBuilder } from '../../mcp-server/src/servers/catalog.ts';
import type { Resolution } from '../../mcp-server/src/servers/registry.ts';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../../mcp-server/src/http/app.ts';
import { startHarness, type Harness } from '../../mcp-server/test/helpers/harness.ts';
import { call, withTimeout, type ToolOutcome } from '../security/helpers.ts';

const ORG_TIMEOUT_MS = 1500;
const ALL = 'platform/sobject-all';
const READS = 'platform/sobject-reads';
const SERVICE = 'custom/ForceGate_Service';
const REP = 'rep@forcegate.local';
const MANAGER = 'manager@forcegate.local';
const STANDARD_ALL_TOOLS = 11;

type AuditLine = Record<string, unknown> & { tool: string; outcome: string; errorCode?: string; username: string | null; orgCalls: number };

/** An MCP server of this process, its audit file, and tokens addressed to it. */
interface Mcp {
  mcp: RunningHttpServer;
  url(key: string): string;
  token(user: string, key?: string): Promise<string>;
  connect(token: string, key?: string): Promise<Client>;
  lines(): Promise<AuditLine[]>;
  close(): Promise<void>;
}

async function startMcp(orgUrl: string, via: string, options: Partial<HttpServerOptions> = {}): Promise<Mcp> {
  const dir = mkdtempSync(join(tmpdir(), 'forcegate-org-restart-'));
  const file = join(dir, 'audit.jsonl');
  const audit = new AuditLog(file);
  const mcp = await startHttpServer({ orgUrl: via, port: 0, audit, log: () => undefined, orgTimeoutMs: ORG_TIMEOUT_MS, pollIntervalMs: 30_000, ...options });
  const clients: Client[] = [];
  const url = (key: string): string => `${mcp.url}/platform/mcp/v1/${key}`;
  return {
    mcp,
    url,
    token: (user, key = ALL) => mcpToken(orgUrl, user, { resource: url(key) }),
    async connect(token, key = ALL) {
      const client = new Client({ name: 'org-restart', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url(key)), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      clients.push(client);
      return client;
    },
    async lines() {
      await audit.flush();
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditLine);
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await mcp.close();
      await audit.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Raw {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown> | undefined;
  ms: number;
}

/** A raw JSON-RPC POST (initialize by default), to see the status and body a client gets. */
async function rawPost(url: string, token: string, message: Record<string, unknown> = INITIALIZE, sessionId?: string): Promise<Raw> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(sessionId ? { 'Mcp-Session-Id': sessionId, 'Mcp-Protocol-Version': '2025-11-25' } : {}),
    },
    body: JSON.stringify(message),
  });
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body, ms: performance.now() - t0 };
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'org-restart-raw', version: '1.0.0' } },
};

/** A refusal a client can act on: an error status, a JSON body in the MCP/OAuth shape, no internals. */
function expectClearRefusal(r: Raw, what: string): void {
  expect(r.status, `${what}: ${r.status} ${r.text}`).to.be.at.least(400);
  expect(r.body, `${what}: not JSON: ${r.text}`).to.be.an('object');
  const b = r.body!;
  const shaped = typeof b.error === 'string' || (typeof b.error === 'object' && b.error !== null && typeof (b.error as { message?: unknown }).message === 'string');
  expect(shaped, `${what}: not an OAuth or JSON-RPC error: ${r.text}`).to.equal(true);
  expect(r.text, `${what}: internals leaked`).to.not.match(/\n\s+at |\.ts:\d+|node_modules|file:\/\//);
  expect(r.text, `${what}: a tool list`).to.not.match(/"tools"\s*:/);
}

const create = (c: Client, subject: string): Promise<ToolOutcome> =>
  call(c, 'createSobjectRecord', { 'sobject-name': 'Task', body: { Subject: subject, Status: 'Not Started', Priority: 'Normal' } });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A call that may be refused at the HTTP layer (the SDK throws) or answered with a tool error. */
async function attempt(c: Client, name: string, args: Record<string, unknown>): Promise<{ kind: 'ok' | 'tool error' | 'refused'; text: string }> {
  try {
    const r = await withTimeout(call(c, name, args), 20_000, name);
    return { kind: r.isError ? 'tool error' : 'ok', text: r.text };
  } catch (e) {
    // The SDK's StreamableHTTPError carries the HTTP status as `code`.
    const code = (e as { code?: unknown }).code;
    return { kind: 'refused', text: `${typeof code === 'number' ? `HTTP ${code}: ` : ''}${String(e)}` };
  }
}

describe('reliability: faults at connect, activation re-reads, stateless mode, revoked tokens, org restart', function () {
  this.timeout(60_000);

  describe('in-process org behind the fault proxy', () => {
    let h: Harness;
    const started: Mcp[] = [];
    const start = async (options: Partial<HttpServerOptions> = {}): Promise<Mcp> => {
      const m = await startMcp(h.org.url, h.proxy!.url, options);
      started.push(m);
      return m;
    };
    const forceGateRows = (where = '1=1'): number =>
      (h.org.org.db.prepare(`SELECT COUNT(*) AS n FROM _api_usage WHERE client_name = 'ForceGate' AND ${where}`).get() as { n: number }).n;
    const tasks = (subject: string): number => (h.org.org.db.prepare('SELECT COUNT(*) AS n FROM Task WHERE Subject = ?').get(subject) as { n: number }).n;

    before(async () => {
      h = await startHarness({ faultProxy: true, activationTtlMs: 3_600_000, pollIntervalMs: 30_000 });
      for (const s of [ALL, READS, SERVICE]) await h.setActive(s, true);
    });
    after(async () => {
      for (const m of started) await m.close().catch(() => undefined);
      await h?.close();
    });
    afterEach(() => {
      h.proxy!.mode = 'pass';
      h.proxy!.only = undefined;
    });

    describe('1. faults while a client connects (initialize and the first tools/list)', () => {
      // What each fault gives at the door of a server that has not seen this server path active yet
      // (no "seen active" grace): the activation read fails and is refused. (The org's signing keys are
      // fetched from the org's own jwks_uri, not through the proxy: a key outage is in case 5.)
      const refusedWith = { down: [502, 'org_unavailable'], '503': [403, 'mcp_server_unavailable'], hang: [504, 'org_unavailable'] } as const;
      for (const mode of ['down', '503', 'hang'] as const) {
        it(`a fresh server and an org that is ${mode} while a client connects: ${refusedWith[mode][0]} ${refusedWith[mode][1]} within the bound, no tool list; the same client connects once the org is back`, async () => {
          const m = await start({ activationTtlMs: 200 });
          const token = await m.token(REP);
          h.proxy!.mode = mode;
          const r = await rawPost(m.url(ALL), token);
          expectClearRefusal(r, `initialize, org ${mode}`);
          expect([r.status, r.body!.error]).to.deep.equal([...refusedWith[mode]]);
          expect(r.ms).to.be.below(ORG_TIMEOUT_MS * 4);
          const client = new Client({ name: 'org-restart', version: '1.0.0' });
          const transport = (): StreamableHTTPClientTransport =>
            new StreamableHTTPClientTransport(new URL(m.url(ALL)), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
          const failed = await client.connect(transport()).then(
            () => undefined,
            (e: unknown) => e as { code?: number },
          );
          expect(failed?.code).to.equal(refusedWith[mode][0]);
          h.proxy!.mode = 'pass';
          await client.connect(transport());
          try {
            expect((await client.listTools()).tools).to.have.length(STANDARD_ALL_TOOLS);
            expect((await call(client, 'getUserInfo', {})).isError).to.equal(false);
          } finally {
            await client.close();
          }
        });
      }

      it('server seen active < 5 min ago, org down when a new client connects: initialize and the fixed list (grace), every call a tool error naming the outage, no org call', async () => {
        const m = await start({ activationTtlMs: 200 });
        await m.connect(await m.token(REP));
        const token = await m.token(MANAGER);
        await sleep(300);
        const rowsBefore = forceGateRows();
        h.proxy!.mode = 'down';
        const c = await m.connect(token);
        expect((await c.listTools()).tools).to.have.length(STANDARD_ALL_TOOLS);
        const r = await call(c, 'getUserInfo', {});
        expect(r.isError).to.equal(true);
        expect(r.text).to.match(/^ORG_UNREACHABLE: .*cannot be confirmed/);
        expect(forceGateRows()).to.equal(rowsBefore);
        h.proxy!.mode = 'pass';
        expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);
      });

      for (const mode of ['down', '503', 'hang'] as const) {
        it(`a custom server whose tools need the caller's describes, describes failing (${mode}): refused, never an empty or partial list; then the full list`, async () => {
          const m = await start({ activationTtlMs: 3_600_000 });
          // The activation and definition are read (and cached) with another user's session.
          const other = await m.connect(await m.token(MANAGER, SERVICE), SERVICE);
          const full = (await other.listTools()).tools.length;
          expect(full).to.be.greaterThan(0);
          const token = await m.token(REP, SERVICE);
          // Describes are cached per user across servers of this process: make this user's cold.
          invalidateActionDescribes();
          h.proxy!.mode = mode;
          h.proxy!.only = /\/composite|\/actions\//;
          const r = await rawPost(m.url(SERVICE), token);
          expectClearRefusal(r, `initialize ${SERVICE}, describes ${mode}`);
          expect([r.status, r.body!.error]).to.deep.equal(mode === 'hang' ? [504, 'org_unavailable'] : mode === 'down' ? [502, 'org_unavailable'] : [502, 'org_error']);
          expect(r.ms).to.be.below(ORG_TIMEOUT_MS * 4);
          h.proxy!.mode = 'pass';
          const c = await m.connect(token, SERVICE);
          expect((await c.listTools()).tools.length).to.be.greaterThan(0);
        });
      }

      it('a catalog needing single reads (one invocable action, an Apex REST class read through Tooling) while the org answers 503: it fails, never a partial list, nothing cached; then complete', async () => {
        // The deployed servers have several actions each (one Composite batch) and no Apex REST tool, so
        // this path is driven at the catalog builder, through the proxy. Before the fix both tools were
        // left out (an empty list, cached) while the org answered 503.
        const org = new OrgClient({ instanceUrl: h.proxy!.url, apiVersion: '66.0', accessToken: await h.adminApiToken(), timeoutMs: ORG_TIMEOUT_MS });
        const adminId = (h.org.org.db.prepare('SELECT Id FROM "User" WHERE Username = ?').get('admin@forcegate.local') as { Id: string }).Id;
        const caller = { userId: adminId, clientId: 'test', scopes: ['api'], expiresAt: Math.floor(Date.now() / 1000) + 3600 };
        const res: Extract<Resolution, { status: 'active' }> = {
          status: 'active',
          ref: { kind: 'custom', name: 'One', sandbox: false, key: 'custom/One', path: '/platform/mcp/v1/custom/One' },
          label: 'One',
          custom: { apiName: 'One', source: 'tooling', tools: [{ apiIdentifier: 'aa:apex-AccountHealthSummary' }, { apiIdentifier: 'ar:AccountSnapshotResource' }] },
        };
        const builder = new CatalogBuilder();
        invalidateActionDescribes();
        for (const only of [/\/actions\/custom\//, /ApexClass/]) {
          h.proxy!.mode = '503';
          h.proxy!.only = only;
          const failed = await builder.get(res, org, caller, h.proxy!.url, { fresh: true }).then(
            (c) => `a catalog of ${c.tools.length} tools (left out: ${c.skipped.map((x) => x.reason).join('; ')})`,
            (e: unknown) => e,
          );
          expect(failed, `${only}`).to.be.instanceOf(OrgApiError);
          expect((failed as OrgApiError).status).to.equal(503);
          h.proxy!.mode = 'pass';
          const ok = await builder.get(res, org, caller, h.proxy!.url);
          expect(ok.tools.map((t) => t.name).sort(), `${only} ${JSON.stringify(ok.skipped)}`).to.have.length(2);
          expect(ok.skipped).to.deep.equal([]);
        }
      });
    });

    describe('2. the activation state re-read while the org fails: fail closed', () => {
      for (const stateless of [false, true]) {
        const label = stateless ? 'stateless' : 'stateful';

        it(`${label}: the org answers 503 to the activation re-read → the call is refused before any tool runs; nothing written; then served`, async () => {
          const m = await start({ activationTtlMs: 200, stateless });
          const c = await m.connect(await m.token(REP));
          expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);
          await sleep(300);
          const subject = `activation 503 ${label}`;
          h.proxy!.mode = '503';
          const r = await attempt(c, 'createSobjectRecord', { 'sobject-name': 'Task', body: { Subject: subject, Status: 'Not Started', Priority: 'Normal' } });
          expect(r.kind).to.equal('refused');
          expect(r.text).to.match(/^HTTP 403: /).and.match(/mcp_server_unavailable/).and.not.match(/\n\s+at /);
          expect(tasks(subject)).to.equal(0);
          const line = (await m.lines()).at(-1)!;
          expect([line.tool, line.outcome, line.errorCode, line.orgCalls]).to.deep.equal(['createSobjectRecord', 'error', 'MCP_SERVER_UNAVAILABLE', 0]);
          h.proxy!.mode = 'pass';
          expect((await create(c, subject)).isError).to.equal(false);
          expect(tasks(subject)).to.equal(1);
        });

        it(`${label}: the org unreachable at the re-read, server seen active < 5 min ago → every call is a clear tool error naming the outage, no data`, async () => {
          const m = await start({ activationTtlMs: 200, stateless });
          const c = await m.connect(await m.token(REP));
          expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);
          await sleep(300);
          const subject = `activation down ${label}`;
          h.proxy!.mode = 'down';
          const read = await attempt(c, 'soqlQuery', { q: 'SELECT Id, Name FROM Account LIMIT 5' });
          const write = await attempt(c, 'createSobjectRecord', { 'sobject-name': 'Task', body: { Subject: subject, Status: 'Not Started', Priority: 'Normal' } });
          for (const r of [read, write]) {
            expect(r.kind).to.equal('tool error');
            expect(r.text).to.match(/^ORG_UNREACHABLE: /).and.not.match(/"records"/);
          }
          expect(tasks(subject)).to.equal(0);
          h.proxy!.mode = 'pass';
          expect((await call(c, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' })).isError).to.equal(false);
        });

        for (const mode of ['down', 'hang'] as const) {
          it(`${label}: only the activation read fails (${mode}) while the org would answer tools, and an admin deactivated the server meanwhile → no tool reaches the org, no data; then 404`, async () => {
            const m = await start({ activationTtlMs: 200, stateless });
            const c = await m.connect(await m.token(REP, READS), READS);
            expect((await call(c, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' })).isError).to.equal(false);
            await h.setActive(READS, false);
            try {
              await sleep(300);
              const queriesBefore = forceGateRows("api_resource = '/query'");
              h.proxy!.only = /\/tooling\/|\/api-catalog\//;
              h.proxy!.mode = mode;
              const r = await attempt(c, 'soqlQuery', { q: 'SELECT Id, Name FROM Account LIMIT 5' });
              expect(r.kind, r.text).to.not.equal('ok');
              expect(r.text).to.not.match(/"records"/);
              expect(forceGateRows("api_resource = '/query'"), 'a tool reached the org').to.equal(queriesBefore);
              const line = (await m.lines()).at(-1)!;
              expect([line.tool, line.outcome, line.orgCalls]).to.deep.equal(['soqlQuery', 'error', 0]);
              expect(line.errorCode).to.equal(mode === 'down' ? 'ORG_UNREACHABLE' : 'ORG_TIMEOUT');
              h.proxy!.mode = 'pass';
              h.proxy!.only = undefined;
              const after = await attempt(c, 'soqlQuery', { q: 'SELECT Id, Name FROM Account LIMIT 5' });
              expect(after.kind).to.equal('refused');
              expect(after.text).to.match(/404/).and.match(/mcp_server_inactive/);
            } finally {
              await h.setActive(READS, true);
            }
          });
        }
      }
    });

    describe('3. stateless mode: 503, no answer, connection dropped after a write', () => {
      let m: Mcp;
      let c: Client;
      before(async () => {
        m = await start({ stateless: true, activationTtlMs: 3_600_000 });
        c = await m.connect(await m.token(REP));
        expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);
      });

      it('503: read and write are tool errors with the platform error; nothing written; recovers', async () => {
        h.proxy!.mode = '503';
        const read = await call(c, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' });
        expect(read.isError).to.equal(true);
        expect(read.text).to.match(/^SERVER_UNAVAILABLE: /);
        const write = await create(c, 'stateless 503');
        expect(write.isError).to.equal(true);
        expect(write.text).to.match(/^SERVER_UNAVAILABLE: /);
        expect(tasks('stateless 503')).to.equal(0);
        h.proxy!.mode = 'pass';
        expect((await create(c, 'stateless 503')).isError).to.equal(false);
        expect(tasks('stateless 503')).to.equal(1);
      });

      it('no answer: ORG_TIMEOUT within the bound; nothing written; recovers', async () => {
        h.proxy!.mode = 'hang';
        const t0 = performance.now();
        const write = await create(c, 'stateless hang');
        expect(write.isError).to.equal(true);
        expect(write.text).to.match(/^ORG_TIMEOUT: /);
        expect(performance.now() - t0).to.be.below(ORG_TIMEOUT_MS * 4);
        expect(tasks('stateless hang')).to.equal(0);
        h.proxy!.mode = 'pass';
        expect((await create(c, 'stateless hang')).isError).to.equal(false);
        expect(tasks('stateless hang')).to.equal(1);
      });

      it('connection dropped after the org applied a write: ORG_UNREACHABLE, the write is never repeated; recovers', async () => {
        h.proxy!.mode = 'drop-response';
        const write = await create(c, 'stateless drop');
        expect(write.isError).to.equal(true);
        expect(write.text).to.match(/^ORG_UNREACHABLE: /);
        await sleep(300);
        expect(tasks('stateless drop')).to.equal(1);
        const read = await call(c, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' });
        if (read.isError) expect(read.text).to.match(/^ORG_UNREACHABLE: /);
        h.proxy!.mode = 'pass';
        expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);
        expect(tasks('stateless drop')).to.equal(1);
        const lines = (await m.lines()).filter((l) => l.tool === 'createSobjectRecord');
        expect(lines.filter((l) => l.outcome === 'error').map((l) => l.errorCode)).to.deep.equal(['SERVER_UNAVAILABLE', 'ORG_TIMEOUT', 'ORG_UNREACHABLE']);
        expect(lines.filter((l) => l.outcome === 'success')).to.have.length(2);
      });
    });

    describe('4. the token revoked at the org while a session is open', () => {
      const revoke = (token: string): Promise<Response> =>
        fetch(`${h.org.url}/services/oauth2/revoke`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });

      it('activation cached: the next call is a tool error INVALID_SESSION_ID asking to re-authenticate, no data, nothing written, audited', async () => {
        const m = await start({ activationTtlMs: 3_600_000 });
        const { access_token: token } = await mcpLogin(h.org.url, MANAGER, { resource: m.url(ALL) });
        const c = await m.connect(token);
        expect((await call(c, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' })).isError).to.equal(false);
        expect((await revoke(token)).status).to.equal(200);
        const read = await call(c, 'soqlQuery', { q: 'SELECT Id, Name FROM Account LIMIT 5' });
        expect(read.isError).to.equal(true);
        expect(read.text).to.match(/^INVALID_SESSION_ID: /).and.match(/re-authenticate/).and.not.match(/"records"/);
        const write = await create(c, 'revoked write');
        expect(write.isError).to.equal(true);
        expect(write.text).to.match(/^INVALID_SESSION_ID: /);
        expect(tasks('revoked write')).to.equal(0);
        const lines = (await m.lines()).slice(-2);
        expect(lines.map((l) => [l.tool, l.outcome, l.errorCode, l.username])).to.deep.equal([
          ['soqlQuery', 'error', 'INVALID_SESSION_ID', MANAGER],
          ['createSobjectRecord', 'error', 'INVALID_SESSION_ID', MANAGER],
        ]);
      });

      it('activation re-read with the revoked token: 401 with a WWW-Authenticate challenge at the door, no data, audited', async () => {
        const m = await start({ activationTtlMs: 200 });
        const { access_token: token } = await mcpLogin(h.org.url, MANAGER, { resource: m.url(ALL) });
        const c = await m.connect(token);
        expect((await call(c, 'soqlQuery', { q: 'SELECT Id FROM Account LIMIT 1' })).isError).to.equal(false);
        const sessionId = (c.transport as StreamableHTTPClientTransport).sessionId!;
        expect((await revoke(token)).status).to.equal(200);
        await sleep(300);
        const r = await rawPost(m.url(ALL), token, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'soqlQuery', arguments: { q: 'SELECT Id, Name FROM Account LIMIT 5' } } }, sessionId);
        expect(r.status).to.equal(401);
        expect(r.headers.get('www-authenticate')).to.match(/^Bearer error="invalid_token"/).and.match(/resource_metadata="/);
        expect(r.text).to.not.match(/"records"/);
        expectClearRefusal(r, 'tools/call with a revoked token');
        const line = (await m.lines()).at(-1)!;
        expect([line.tool, line.outcome, line.errorCode, line.username]).to.deep.equal(['soqlQuery', 'error', 'INVALID_SESSION_ID', MANAGER]);
      });
    });
  });

  describe('5. the org killed with SIGKILL during a burst of MCP writes and restarted on the same port', () => {
    let dataDir: string | undefined;
    let org: OrgProcess | undefined;
    const mcps: Mcp[] = [];
    after(async () => {
      for (const m of mcps) await m.close().catch(() => undefined);
      await org?.stop().catch(() => undefined);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('every acknowledged write is in the org once, with its ApiTotalUsage row and its audit success line; failures are clear tool errors; the server recovers with the same token', async function () {
      this.timeout(120_000);
      dataDir = mkdtempSync(join(tmpdir(), 'forcegate-org-restart-data-'));
      org = await startOrgProcess(dataDir, 0);
      const port = Number(new URL(org.url).port);
      const orgUrl = org.url;
      const admin = await personaToken(orgUrl, 'admin');
      const act = await fetch(`${orgUrl}/services/data/v66.0/tooling/sobjects/McpServerAccess`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ DeveloperName: 'platform_sobject_all', MasterLabel: 'platform_sobject_all', Active: true }),
      });
      expect(act.status).to.be.below(300);
      // The server under test re-reads activation every second, so the outage meets activation re-reads too.
      const m = await startMcp(orgUrl, orgUrl, { activationTtlMs: 1000, orgTimeoutMs: 3000 });
      mcps.push(m);
      // A second server no client has used yet: the org's keys are fetched on its first request.
      const spare = await startMcp(orgUrl, orgUrl, { activationTtlMs: 1000, orgTimeoutMs: 3000 });
      mcps.push(spare);
      const token = await m.token(REP);
      const spareToken = await spare.token(REP);
      const c = await m.connect(token);
      expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);

      const prefix = `restart ${Date.now().toString(36)} `;
      const acked = new Map<string, string>();
      const failed: { subject: string; text: string }[] = [];
      const thrown: string[] = [];
      const reads = { ok: 0, failed: 0, okAfter: 0 };
      let phase: 'before' | 'down' | 'after' = 'before';
      let ackedAfter = 0;
      let calls = 0;
      let paused = false;
      let stop = false;
      const writer = async (): Promise<void> => {
        while (!stop) {
          if (paused) {
            await sleep(20);
            continue;
          }
          const subject = `${prefix}${calls++}`;
          try {
            const r = await withTimeout(create(c, subject), 20_000, subject);
            if (r.isError) {
              failed.push({ subject, text: r.text });
              await sleep(100);
            } else {
              acked.set(subject, (r.structured as { id: string }).id);
              if (phase === 'after') ackedAfter++;
            }
          } catch (e) {
            thrown.push(`${subject}: ${String(e)}`);
            await sleep(100);
          }
        }
      };
      const reader = async (): Promise<void> => {
        while (!stop) {
          if (paused) {
            await sleep(20);
            continue;
          }
          try {
            const r = await withTimeout(call(c, 'soqlQuery', { q: `SELECT Id, Subject FROM Task WHERE Subject LIKE '${prefix}%' LIMIT 5` }), 20_000, 'read');
            if (r.isError) {
              expect(r.text).to.match(/^(ORG_UNREACHABLE|ORG_TIMEOUT): /);
              reads.failed++;
              await sleep(100);
            } else {
              reads.ok++;
              if (phase === 'after') reads.okAfter++;
            }
          } catch (e) {
            thrown.push(`read: ${String(e)}`);
            await sleep(100);
          }
        }
      };
      const t0 = performance.now();
      const loops = Promise.all([writer(), writer(), writer(), reader()]);
      try {
        await until(() => acked.size >= 20, 30_000, '20 acknowledged writes');
        const tKill = performance.now();
        phase = 'down';
        await org.kill();

        // The org is gone. A server that never fetched the org's keys cannot check a token: a clear
        // 500 server_error (OAuth shape), not a 401 that would send the client to sign in again.
        paused = true;
        const cold = await rawPost(spare.url(ALL), spareToken);
        expectClearRefusal(cold, 'initialize while the org is down (keys never fetched)');
        expect(cold.status).to.equal(500);
        expect(cold.body!.error).to.equal('server_error');
        // A maintenance page on the org's address (503 to everything): the same, never a 401.
        const maintenance = await maintenancePage(port);
        const during = await rawPost(spare.url(ALL), spareToken);
        await maintenance.close();
        expectClearRefusal(during, 'initialize while the org answers 503 (keys never fetched)');
        expect(during.status).to.equal(500);
        expect(during.body!.error).to.equal('server_error');
        paused = false;
        await sleep(500);

        org = await startOrgProcess(dataDir, port);
        const tBack = performance.now();
        phase = 'after';
        await until(() => ackedAfter >= 10 && reads.okAfter >= 2, 30_000, '10 acknowledged writes after the restart');
        stop = true;
        await loops;
        console.log(
          `      ${acked.size} writes acknowledged (${ackedAfter} after the restart), ${failed.length} failed, ${reads.ok} reads ok, ${reads.failed} failed; ` +
            `burst ${((tKill - t0) / 1000).toFixed(1)} s, outage ${((tBack - tKill) / 1000).toFixed(1)} s`,
        );
      } finally {
        stop = true;
        paused = false;
        await loops.catch(() => undefined);
      }

      // Every failed call was a tool error naming the outage (none was thrown at the client).
      expect(thrown, thrown.slice(0, 3).join('\n')).to.deep.equal([]);
      for (const f of failed) expect(f.text, f.subject).to.match(/^(ORG_UNREACHABLE|ORG_TIMEOUT): /);
      expect(failed.length).to.be.greaterThan(0);

      // The server recovers with the same token; the org's keys and token rows survived the restart.
      expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);
      const late = await spare.connect(spareToken);
      expect((await late.listTools()).tools).to.have.length(STANDARD_ALL_TOOLS);
      expect((await call(late, 'soqlQuery', { q: `SELECT Id FROM Task WHERE Subject LIKE '${prefix}%' LIMIT 1` })).isError).to.equal(false);

      await org.stop();
      org = undefined;
      const lines = (await m.lines()).filter((l) => l.tool === 'createSobjectRecord');
      const db = new Database(join(dataDir, 'org.sqlite'), { readonly: true });
      try {
        const rows = db.prepare('SELECT Id, Subject FROM Task WHERE Subject LIKE ?').all(`${prefix}%`) as { Id: string; Subject: string }[];
        const bySubject = new Map<string, string[]>();
        for (const r of rows) bySubject.set(r.Subject, [...(bySubject.get(r.Subject) ?? []), r.Id]);
        // No duplicate at all, and every acknowledged write exactly once, with the acknowledged Id.
        expect([...bySubject].filter(([, ids]) => ids.length > 1)).to.deep.equal([]);
        for (const [subject, id] of acked) expect(bySubject.get(subject), subject).to.deep.equal([id]);
        // Writes committed without an acknowledgement were in flight when the org died: failed calls.
        const failedSubjects = new Set(failed.map((f) => f.subject));
        const unacked = rows.filter((r) => !acked.has(r.Subject));
        for (const r of unacked) expect(failedSubjects.has(r.Subject), r.Subject).to.equal(true);
        // One ApiTotalUsage row per committed write (committed together), none without its record.
        const usage = db
          .prepare("SELECT COUNT(*) AS n FROM _api_usage WHERE client_name = 'ForceGate' AND http_method = 'POST' AND api_resource = '/sobjects/Task' AND status_code = 201")
          .get() as { n: number };
        expect(usage.n).to.equal(rows.length);
        // The MCP audit log: one line per call; a success line for every acknowledged write.
        expect(lines).to.have.length(calls);
        expect(lines.filter((l) => l.outcome === 'success')).to.have.length(acked.size);
        const errors = lines.filter((l) => l.outcome === 'error');
        expect(errors).to.have.length(failed.length);
        for (const l of errors) expect(l.errorCode).to.be.oneOf(['ORG_UNREACHABLE', 'ORG_TIMEOUT']);
        console.log(`      ${rows.length} Tasks in the org (${unacked.length} committed while their call failed), ${usage.n} ApiTotalUsage rows, ${lines.length} audit lines`);
      } finally {
        db.close();
      }
    });
  });
});

interface OrgProcess {
  url: string;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (clean close), and wait for the exit. */
  stop(): Promise<void>;
}

/** The local org's CLI as a child process on `dataDir` (on-disk SQLite), ready when it prints its URL. */
async function startOrgProcess(dataDir: string, port: number): Promise<OrgProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'local-org/src/cli.ts', '--port', String(port), '--data', dataDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the local org did not start: ${stderr}`)), 60_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /Local org ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the local org exited (${code}): ${stderr}`));
      });
    });
    const signal = async (sig: NodeJS.Signals): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      await exited;
    };
    return { url, kill: () => signal('SIGKILL'), stop: () => signal('SIGTERM') };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

/** Something on the org's address answering 503 to every request, as a load balancer does during maintenance. */
async function maintenancePage(port: number): Promise<{ close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(503, { 'Content-Type': 'application/json', Connection: 'close' });
    res.end(JSON.stringify([{ errorCode: 'SERVER_UNAVAILABLE', message: 'The org is down for maintenance.' }]));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
