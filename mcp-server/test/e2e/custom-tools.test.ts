/**
 * Custom tools end to end: Apex actions and Flows posted as `{"inputs":[args]}` with the caller's
 * token, structured output, schema refusals before any org call, and the action's own errors as
 * MCP tool errors.
 */
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHarness, type Harness } from '../helpers/harness.ts';

const text = (r: unknown): string => ((r as { content: { text: string }[] }).content)[0]!.text;

/** The local org does not run Apex yet: such calls fail with its own error code (NOTES-for-lead.md). */
function skipIfApexUnsupported(ctx: Mocha.Context, r: unknown): void {
  if ((r as { isError?: boolean }).isError && /^APEX_EXECUTION_UNSUPPORTED: /.test(text(r))) {
    console.log(`      GAP: ${text(r).slice(0, 120)} (see mcp-server/NOTES-for-lead.md)`);
    ctx.skip();
  }
}

describe('mcp-server: custom tools', function () {
  this.timeout(180_000);
  let h: Harness;
  let read: Client;
  let service: Client;
  let acmeId: string;
  let openCaseId: string;

  before(async () => {
    h = await startHarness();
    await h.setActive('custom/ForceGate_Read', true);
    await h.setActive('custom/ForceGate_Service', true);
    await h.setActive('platform/sobject-reads', true);
    read = await h.connect('rep@forcegate.local', 'custom/ForceGate_Read');
    service = await h.connect('rep@forcegate.local', 'custom/ForceGate_Service');
    const std = await h.connect('rep@forcegate.local', 'platform/sobject-reads');
    const acme = await std.callTool({ name: 'soqlQuery', arguments: { q: "SELECT Id FROM Account WHERE Name LIKE 'Acme%' LIMIT 1" } });
    acmeId = (acme.structuredContent as { records: { Id: string }[] }).records[0]!.Id;
    const c = await std.callTool({ name: 'soqlQuery', arguments: { q: "SELECT Id FROM Case WHERE IsClosed = false AND Owner.Username = 'rep@forcegate.local' LIMIT 1" } });
    openCaseId = (c.structuredContent as { records: { Id: string }[] }).records[0]!.Id;
  });
  after(async () => h?.close());

  it('an Apex action returns its outputs as structured content (and the same JSON as text)', async function () {
    const r = await read.callTool({ name: 'account_health_summary', arguments: { accountId: acmeId } });
    skipIfApexUnsupported(this, r);
    expect(r.isError, text(r)).to.not.equal(true);
    const out = r.structuredContent as Record<string, unknown>;
    expect(out.accountId).to.equal(acmeId);
    expect(out).to.have.property('healthBand');
    expect(JSON.parse(text(r))).to.deep.equal(out);
  });

  it('bad arguments are refused by the schema before any org call', async () => {
    const before = (await h.auditLines()).length;
    const r = await service.callTool({ name: 'create_support_case', arguments: { accountId: 'not-an-id', subject: 42 } });
    expect(r.isError).to.equal(true);
    expect(text(r)).to.match(/Input validation error/);
    const unknown = await service.callTool({ name: 'create_support_case', arguments: { accountId: acmeId, subject: 'x', surprise: true } });
    expect(unknown.isError).to.equal(true);
    const lines = (await h.auditLines()).slice(before);
    expect(lines).to.have.length(2);
    for (const l of lines) expect(l).to.include({ outcome: 'error', errorCode: 'INVALID_ARGUMENTS', orgCalls: 0 });
  });

  it("an action's own failure is a tool error carrying the platform's code and message", async function () {
    const r = await service.callTool({ name: 'create_support_case', arguments: { accountId: acmeId, subject: 'Broken', priority: 'Urgent' } });
    skipIfApexUnsupported(this, r);
    expect(r.isError).to.equal(true);
    expect(text(r)).to.match(/^[A-Z_]+: .+/);
    expect(text(r)).to.match(/Urgent|priority|Priority/);
  });

  it('an Apex write action creates a record as the caller', async function () {
    const r = await service.callTool({ name: 'create_support_case', arguments: { accountId: acmeId, subject: 'Invoices not syncing', priority: 'High' } });
    skipIfApexUnsupported(this, r);
    expect(r.isError, text(r)).to.not.equal(true);
    expect((r.structuredContent as { caseId: string }).caseId).to.match(/^500/);
  });

  it('a Flow action runs with its inputs and returns its outputs', async () => {
    const tools = (await service.listTools()).tools;
    const escalate = tools.find((t) => t.name === 'escalate_case')!;
    expect(Object.keys((escalate.inputSchema as { properties: object }).properties)).to.include.members(['caseId', 'reason']);
    const r = await service.callTool({ name: 'escalate_case', arguments: { caseId: openCaseId, reason: 'Customer blocked on invoicing' } });
    expect(r.isError, text(r)).to.not.equal(true);
    expect(r.structuredContent).to.be.an('object');
  });

  it('Named Query tools are served when the org exposes their parameters', async function () {
    const names = (await read.listTools()).tools.map((t) => t.name);
    if (!names.includes('open_cases_by_account')) {
      // GAP (NOTES-for-lead.md): the local org's Tooling ApiNamedQuery has no Metadata (parameters),
      // so the server cannot build a truthful input schema and leaves the nq: tools out.
      console.log('      GAP: nq: tools left out — local org exposes no Named Query parameters (see mcp-server/NOTES-for-lead.md)');
      this.skip();
    }
    const r = await read.callTool({ name: 'open_cases_by_account', arguments: { accountId: acmeId } });
    expect(r.isError, text(r)).to.not.equal(true);
    expect(r.structuredContent).to.have.property('records');
  });
});
