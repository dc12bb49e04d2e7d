/**
 * The same tools, called by the design.md personas, give each one what the org lets that user see
 * and do: sharing (Opportunity is Private), field-level security (Internal_Risk_Rating__c), object
 * permissions (Read Only cannot create), Apex class access (custom tools) — because every org call
 * is made with the caller's own token.
 */
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHarness, type Harness } from '../helpers/harness.ts';

type Rec = Record<string, unknown> & { Id: string; Owner?: { Username?: string } };

async function soql(c: Client, q: string): Promise<{ isError?: boolean; records: Rec[]; text: string }> {
  const r = await c.callTool({ name: 'soqlQuery', arguments: { q } });
  const text = (r.content as { text: string }[])[0]!.text;
  return { isError: r.isError as boolean | undefined, records: ((r.structuredContent as { records?: Rec[] } | undefined)?.records ?? []), text };
}

describe('mcp-server: personas', function () {
  this.timeout(180_000);
  let h: Harness;
  const clients: Record<string, Client> = {};

  before(async () => {
    h = await startHarness();
    await h.setActive('platform/sobject-all', true);
    await h.setActive('custom/ForceGate_Service', true);
    for (const p of ['admin', 'rep@forcegate.local', 'rep2@forcegate.local', 'manager@forcegate.local', 'auditor']) {
      clients[p] = await h.connect(p, 'platform/sobject-all');
    }
  });
  after(async () => h?.close());

  it('getUserInfo names each caller', async () => {
    for (const [p, c] of Object.entries(clients)) {
      const me = (await c.callTool({ name: 'getUserInfo', arguments: {} })).structuredContent as { username: string; profile: string };
      expect(me.username).to.equal(p.includes('@') ? p : `${p}@forcegate.local`);
    }
    const auditor = (await clients.auditor!.callTool({ name: 'getUserInfo', arguments: {} })).structuredContent as { profile: string; role: string };
    expect(auditor).to.include({ profile: 'Read Only', role: 'Auditor' });
  });

  it('sharing: the same Opportunity query returns different records per user', async () => {
    const q = 'SELECT Id, Name, Owner.Username FROM Opportunity';
    const all = await soql(clients.admin!, q);
    const rep = await soql(clients['rep@forcegate.local']!, q);
    const rep2 = await soql(clients['rep2@forcegate.local']!, q);
    const manager = await soql(clients['manager@forcegate.local']!, q);
    const auditor = await soql(clients.auditor!, q);
    expect(all.records.length).to.be.greaterThan(rep.records.length);
    const owners = (rs: Rec[]) => new Set(rs.map((r) => r.Owner?.Username));
    expect([...owners(rep.records)]).to.deep.equal(['rep@forcegate.local']);
    expect([...owners(rep2.records)]).to.deep.equal(['rep2@forcegate.local']);
    // The manager is above both reps in the role hierarchy.
    expect([...owners(manager.records)]).to.include.members(['rep@forcegate.local', 'rep2@forcegate.local']);
    expect(owners(manager.records).has('admin@forcegate.local')).to.equal(false);
    expect(auditor.records).to.have.length(0);
    const repIds = new Set(rep.records.map((r) => r.Id));
    expect(rep2.records.some((r) => repIds.has(r.Id))).to.equal(false);
  });

  it('field-level security: Internal_Risk_Rating__c is readable by admin and rep (Agent_Service) but not the auditor', async () => {
    const q = 'SELECT Id, Name, Internal_Risk_Rating__c FROM Account';
    expect((await soql(clients.admin!, q)).isError).to.not.equal(true);
    expect((await soql(clients['rep@forcegate.local']!, q)).isError).to.not.equal(true);
    const auditor = await soql(clients.auditor!, q);
    expect(auditor.isError).to.equal(true);
    expect(auditor.text).to.match(/^INVALID_FIELD: /).and.match(/Internal_Risk_Rating__c/);
    const schema = (await clients.auditor!.callTool({ name: 'getObjectSchema', arguments: { 'object-name': 'Account' } })).structuredContent as {
      objects: { fields: { name: string }[] }[];
    };
    const fields = schema.objects[0]!.fields.map((f) => f.name);
    expect(fields).to.include('Health_Score__c');
    expect(fields).to.not.include('Internal_Risk_Rating__c');
  });

  it('object permissions: the Read Only auditor cannot create a Case; the rep can', async () => {
    const account = (await soql(clients['rep@forcegate.local']!, "SELECT Id FROM Account WHERE Owner.Username = 'rep@forcegate.local' LIMIT 1")).records[0]!;
    const args = { 'sobject-name': 'Case', body: { Subject: 'Persona test', AccountId: account.Id } };
    const denied = await clients.auditor!.callTool({ name: 'createSobjectRecord', arguments: args });
    expect(denied.isError).to.equal(true);
    expect((denied.content as { text: string }[])[0]!.text).to.match(/^[A-Z_]+: /);
    const created = await clients['rep@forcegate.local']!.callTool({ name: 'createSobjectRecord', arguments: args });
    expect(created.isError, JSON.stringify(created.content)).to.not.equal(true);
    expect((created.structuredContent as { id: string }).id).to.match(/^500/);
  });

  it("record access: a rep cannot update the other rep's Case", async () => {
    const theirs = (await soql(clients.admin!, "SELECT Id FROM Case WHERE Owner.Username = 'rep2@forcegate.local' LIMIT 1")).records[0]!;
    const r = await clients['rep@forcegate.local']!.callTool({ name: 'updateSobjectRecord', arguments: { 'sobject-name': 'Case', id: theirs.Id, body: { Priority: 'Low' } } });
    expect(r.isError).to.equal(true);
    expect((r.content as { text: string }[])[0]!.text).to.match(/INSUFFICIENT_ACCESS|ENTITY_IS_DELETED|NOT_FOUND/);
  });

  it('custom tools: each user sees only the actions they may run', async () => {
    const admin = (await (await h.connect('admin', 'custom/ForceGate_Service')).listTools()).tools.map((t) => t.name);
    const auditor = (await (await h.connect('auditor', 'custom/ForceGate_Service')).listTools()).tools.map((t) => t.name);
    expect(admin).to.include('create_support_case');
    // The auditor has no access to the write actions' Apex classes (ForceGate_Agent_Service).
    expect(auditor).to.not.include('create_support_case');
    expect(auditor.length).to.be.lessThan(admin.length);
  });
});
