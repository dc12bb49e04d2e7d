/**
 * stdio mode: `forcegate-mcp --stdio --target-org <alias>` serves one server for one local user with
 * the sf CLI's stored auth (isolated HOME), against the local org over HTTP.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { personaToken } from '../../../local-org/test/helpers/oauth.ts';
import { SfCli } from '../../../local-org/test/helpers/sf.ts';
import { repoRoot, startHarness, type Harness } from '../helpers/harness.ts';

describe('mcp-server: stdio', function () {
  this.timeout(180_000);
  let h: Harness;
  let sf: SfCli;

  before(async () => {
    h = await startHarness();
    await h.setActive('platform/sobject-reads', true);
    sf = new SfCli();
    const login = await sf.loginWithToken(h.org.url, await personaToken(h.org.url, 'rep@forcegate.local'), 'fg-rep');
    expect(login.code, login.stderr + login.stdout).to.equal(0);
  });
  after(async () => {
    await h?.close();
    sf?.dispose();
  });

  function spawnClient(server: string, auditFile: string): { client: Client; transport: StdioClientTransport; stderr: () => string } {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(repoRoot, 'mcp-server/bin/forcegate-mcp.js'), '--stdio', '--target-org', 'fg-rep', '--server', server, '--audit-log', auditFile],
      env: sf.env() as Record<string, string>,
      cwd: repoRoot,
      stderr: 'pipe',
    });
    let err = '';
    transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    return { client: new Client({ name: 'stdio-test', version: '1' }), transport, stderr: () => err };
  }

  it('serves the read tools as the sf CLI user, and audits every call', async () => {
    const auditFile = join(mkdtempSync(join(tmpdir(), 'fg-stdio-')), 'audit.jsonl');
    const { client, transport, stderr } = spawnClient('platform/sobject-reads', auditFile);
    try {
      await client.connect(transport);
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).to.have.members(['getUserInfo', 'getObjectSchema', 'soqlQuery', 'find', 'listRecentSobjectRecords', 'getRelatedRecords']);
      const me = await client.callTool({ name: 'getUserInfo', arguments: {} });
      expect(me.isError, JSON.stringify(me.content) + stderr()).to.not.equal(true);
      expect((me.structuredContent as { username: string }).username).to.equal('rep@forcegate.local');
      const opps = await client.callTool({ name: 'soqlQuery', arguments: { q: 'SELECT Id, Owner.Username FROM Opportunity' } });
      const owners = new Set((opps.structuredContent as { records: { Owner: { Username: string } }[] }).records.map((r) => r.Owner.Username));
      expect([...owners]).to.deep.equal(['rep@forcegate.local']);
    } finally {
      await client.close();
    }
    const lines = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).to.have.length(2);
    expect(lines[0]).to.include({ transport: 'stdio', username: 'rep@forcegate.local', tool: 'getUserInfo', outcome: 'success' });
  });

  it('refuses to start for a server that is not active', async () => {
    const auditFile = join(mkdtempSync(join(tmpdir(), 'fg-stdio-')), 'audit.jsonl');
    const { client, transport, stderr } = spawnClient('platform/sobject-deletes', auditFile);
    let error: unknown;
    try {
      await client.connect(transport);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(Error);
    await new Promise((r) => setTimeout(r, 200));
    expect(stderr()).to.match(/not active/);
  });
});
