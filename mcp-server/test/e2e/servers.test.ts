/**
 * Server endpoints and tool sets: only active servers answer (404 with how to activate, never a tool
 * list, otherwise), sandbox paths are the same servers, read-only servers do not even register a
 * write tool, and annotations are explicit and truthful.
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../helpers/harness.ts';

const WRITE_TOOLS = ['createSobjectRecord', 'updateSobjectRecord', 'updateRelatedRecord', 'deleteSobjectRecord', 'deleteRelatedRecord'];
const READ_TOOLS = ['getUserInfo', 'getObjectSchema', 'soqlQuery', 'find', 'listRecentSobjectRecords', 'getRelatedRecords'];

async function rawInitialize(h: Harness, key: string, token: string): Promise<Response> {
  return fetch(h.serverUrl(key), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });
}

describe('mcp-server: servers and endpoints', function () {
  this.timeout(120_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
    for (const key of ['platform/sobject-reads', 'platform/sobject-mutations', 'platform/sobject-deletes', 'platform/sobject-all', 'custom/ForceGate_Read', 'custom/ForceGate_Service']) {
      await h.setActive(key, true);
    }
  });
  after(async () => h?.close());

  it('an inactive standard server answers 404 with how to activate it, and no tool list', async () => {
    await h.setActive('platform/sobject-deletes', false);
    await new Promise((r) => setTimeout(r, 1100)); // activation cache (1 s in tests, 30 s by default)
    const res = await rawInitialize(h, 'platform/sobject-deletes', await h.token('admin', 'platform/sobject-deletes'));
    expect(res.status).to.equal(404);
    const body = (await res.json()) as Record<string, string>;
    expect(body.error).to.equal('mcp_server_inactive');
    expect(body.server).to.equal('platform/sobject-deletes');
    expect(body.message).to.match(/not active/).and.match(/sf mcp server activate --name sobject-deletes/);
    expect(JSON.stringify(body)).to.not.match(/deleteSobjectRecord|tools/);
    await h.setActive('platform/sobject-deletes', true);
    await new Promise((r) => setTimeout(r, 1100));
  });

  it('a server never activated (no McpServerAccess row) answers 404', async () => {
    const org = h.org.org;
    org.db.prepare("DELETE FROM McpServerAccess WHERE DeveloperName = 'platform_sobject_mutations'").run();
    await new Promise((r) => setTimeout(r, 1100));
    const res = await rawInitialize(h, 'platform/sobject-mutations', await h.token('admin', 'platform/sobject-mutations'));
    expect(res.status).to.equal(404);
    await h.setActive('platform/sobject-mutations', true);
    await new Promise((r) => setTimeout(r, 1100));
  });

  it('unknown standard and custom servers answer 404', async () => {
    const a = await rawInitialize(h, 'platform/sobject-everything', await h.token('admin', 'platform/sobject-everything'));
    expect(a.status).to.equal(404);
    expect(((await a.json()) as { error: string }).error).to.equal('mcp_server_not_found');
    const b = await rawInitialize(h, 'custom/No_Such_Server', await h.token('admin', 'custom/No_Such_Server'));
    expect(b.status).to.equal(404);
    expect(((await b.json()) as { message: string }).message).to.match(/No_Such_Server/);
    const c = await fetch(`${h.mcp.url}/platform/mcp/v1/elsewhere/x/y`, { method: 'POST' });
    expect(c.status).to.equal(404);
  });

  it('DNS-rebinding protection: a foreign Host or Origin is refused with 403', async () => {
    const url = new URL(h.serverUrl('platform/sobject-reads'));
    const viaHost = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const r = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { Host: 'evil.example', 'Content-Type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', reject);
        r.end('{}');
      }, reject);
    });
    expect(viaHost).to.equal(403);
    const viaOrigin = await fetch(url, { method: 'POST', headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' }, body: '{}' });
    expect(viaOrigin.status).to.equal(403);
    const inspector = await fetch(url, { method: 'OPTIONS', headers: { Origin: 'http://localhost:6274' } });
    expect(inspector.status).to.equal(204);
    expect(inspector.headers.get('access-control-allow-origin')).to.equal('http://localhost:6274');
  });

  it('an unauthenticated request is answered 401 before anything about the org is revealed', async () => {
    const res = await fetch(h.serverUrl('custom/No_Such_Server'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).to.equal(401);
  });

  it('sobject-reads lists the six read tools and no write tool at all', async () => {
    const client = await h.connect('admin', 'platform/sobject-reads');
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).to.have.members(READ_TOOLS);
    for (const w of WRITE_TOOLS) expect(names).to.not.include(w);
    const call = await client.callTool({ name: 'createSobjectRecord', arguments: { 'sobject-name': 'Case', body: { Subject: 'x' } } });
    expect(call.isError).to.equal(true);
    expect(JSON.stringify(call.content)).to.match(/not found/);
  });

  it('mutations, deletes and all have the hosted tool sets (9, 8, 11)', async () => {
    const list = async (key: string): Promise<string[]> => (await (await h.connect('admin', key)).listTools()).tools.map((t) => t.name);
    expect(await list('platform/sobject-mutations')).to.have.members([...READ_TOOLS, 'createSobjectRecord', 'updateSobjectRecord', 'updateRelatedRecord']);
    expect(await list('platform/sobject-deletes')).to.have.members([...READ_TOOLS, 'deleteSobjectRecord', 'deleteRelatedRecord']);
    expect(await list('platform/sobject-all')).to.have.members([...READ_TOOLS, ...WRITE_TOOLS]);
  });

  it('annotations are explicit and truthful on every standard tool; names are valid MCP tool names', async () => {
    const tools = (await (await h.connect('admin', 'platform/sobject-all')).listTools()).tools;
    for (const t of tools) {
      expect(t.name).to.match(/^[A-Za-z0-9_./-]{1,64}$/);
      const a = t.annotations!;
      for (const k of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) expect(a[k], `${t.name}.${k}`).to.be.a('boolean');
      expect(a.openWorldHint).to.equal(false);
      if (READ_TOOLS.includes(t.name)) expect(a.readOnlyHint, t.name).to.equal(true);
      else expect(a.readOnlyHint, t.name).to.equal(false);
      if (t.name.startsWith('delete')) expect(a.destructiveHint).to.equal(true);
      if (t.name === 'createSobjectRecord') expect(a.destructiveHint).to.equal(false);
      expect(t.outputSchema, t.name).to.be.an('object');
    }
  });

  it('the sandbox path serves the same server', async () => {
    const client = await h.connect('admin', 'sandbox/platform/sobject-reads');
    expect((await client.listTools()).tools).to.have.length(6);
  });

  it('custom servers serve their McpServerDefinition tools with the definition\'s names, titles, descriptions and hints', async () => {
    const service = (await (await h.connect('admin', 'custom/ForceGate_Service')).listTools()).tools;
    const byName = Object.fromEntries(service.map((t) => [t.name, t]));
    expect(Object.keys(byName)).to.include.members(['create_support_case', 'log_call_activity', 'escalate_case', 'update_opportunity_stage', 'create_case_follow_up_tasks']);
    const escalate = byName.escalate_case!;
    expect(escalate.title).to.equal('Escalate Case');
    expect(escalate.description).to.match(/^Escalate an open support case/);
    expect(escalate.annotations).to.include({ readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false });
    const create = byName.create_support_case!;
    expect(create.annotations).to.include({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    // Input schema from the Apex describe: types, required, descriptions.
    const schema = create.inputSchema as { properties: Record<string, { type?: string; description?: string; pattern?: string }>; required?: string[] };
    expect(schema.required).to.include.members(['accountId', 'subject']);
    expect(schema.required).to.not.include('description');
    expect(schema.properties.accountId!.pattern).to.be.a('string');
    expect(schema.properties.subject!.description).to.match(/Short summary/);
    expect(create.outputSchema).to.have.nested.property('properties.caseId');

    const read = (await (await h.connect('admin', 'custom/ForceGate_Read')).listTools()).tools;
    const health = read.find((t) => t.name === 'account_health_summary')!;
    expect(health.annotations).to.include({ readOnlyHint: true, destructiveHint: false });
    expect((health.outputSchema as { properties: Record<string, unknown> }).properties).to.include.keys('healthScore', 'healthBand');
  });
});
