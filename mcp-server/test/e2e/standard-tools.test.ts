/**
 * The standard sObject tools against the local org, as admin on sobject-all: relationships (down
 * through child relationships, up through lookups), create/update/delete, SOSL.
 */
import { expect } from 'chai';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHarness, type Harness } from '../helpers/harness.ts';

type Out = Record<string, unknown>;
const text = (r: unknown): string => (r as { content: { text: string }[] }).content[0]!.text;

describe('mcp-server: standard tools', function () {
  this.timeout(120_000);
  let h: Harness;
  let c: Client;
  let acme: string;
  // The server does not re-validate its own structuredContent (the SDK's zod pass cost more than the
  // rest of a 200-row call): every successful result here is checked against the listed outputSchema.
  const outputValidators = new Map<string, ValidateFunction>();
  const call = async (name: string, args: Record<string, unknown>): Promise<Out> => {
    const r = await c.callTool({ name, arguments: args });
    expect(r.isError, `${name}: ${text(r)}`).to.not.equal(true);
    const validate = outputValidators.get(name);
    expect(validate, `${name} lists an outputSchema`).to.not.equal(undefined);
    expect(validate!(r.structuredContent), `${name} structuredContent matches its outputSchema: ${JSON.stringify(validate!.errors)}`).to.equal(true);
    expect(JSON.parse(text(r)), `${name}: the text block carries the same JSON`).to.deep.equal(r.structuredContent);
    return r.structuredContent as Out;
  };
  const soql = async (q: string): Promise<Out[]> => (await call('soqlQuery', { q })).records as Out[];

  before(async () => {
    h = await startHarness();
    await h.setActive('platform/sobject-all', true);
    c = await h.connect('admin', 'platform/sobject-all');
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const tool of (await c.listTools()).tools) if (tool.outputSchema) outputValidators.set(tool.name, ajv.compile(tool.outputSchema));
    acme = ((await soql("SELECT Id FROM Account WHERE Name LIKE 'Acme%' LIMIT 1"))[0]!.Id as string);
  });
  after(async () => h?.close());

  it('getRelatedRecords follows child relationships, one and two levels down', async () => {
    const contacts = await call('getRelatedRecords', { 'sobject-name': 'Account', id: acme, 'relationship-path': 'Contacts', fields: ['Id', 'LastName', 'AccountId'] });
    expect(contacts.relatedObject).to.equal('Contact');
    expect((contacts.records as Out[]).length).to.be.greaterThan(0);
    for (const r of contacts.records as Out[]) expect(r.AccountId).to.equal(acme);
    const deep = await call('getRelatedRecords', { 'sobject-name': 'Account', id: acme, 'relationship-path': 'Contacts.Cases' });
    expect(deep.relatedObject).to.equal('Case');
    const bad = await c.callTool({ name: 'getRelatedRecords', arguments: { 'sobject-name': 'Account', id: acme, 'relationship-path': 'Nope' } });
    expect(bad.isError).to.equal(true);
    expect(text(bad)).to.match(/^INVALID_FIELD: Account has no child relationship named Nope/);
  });

  it('updateRelatedRecord updates a parent through a lookup and a child named by related-id', async () => {
    const contact = (await soql(`SELECT Id FROM Contact WHERE AccountId = '${acme}' LIMIT 1`))[0]!.Id as string;
    const up = await call('updateRelatedRecord', { 'sobject-name': 'Contact', id: contact, 'relationship-path': 'Account', body: { Phone: '+1 555 0100' } });
    expect(up).to.include({ sobjectName: 'Account', id: acme });
    expect((await soql(`SELECT Phone FROM Account WHERE Id = '${acme}'`))[0]!.Phone).to.equal('+1 555 0100');
    const created = await call('createSobjectRecord', { 'sobject-name': 'Case', body: { Subject: 'Related update', AccountId: acme } });
    const child = await call('updateRelatedRecord', { 'sobject-name': 'Account', id: acme, 'relationship-path': 'Cases', 'related-id': created.id, body: { Priority: 'Low' } });
    expect(child).to.include({ sobjectName: 'Case', id: created.id });
    const other = await c.callTool({ name: 'updateRelatedRecord', arguments: { 'sobject-name': 'Account', id: acme, 'relationship-path': 'Cases', body: { Priority: 'Low' } } });
    expect(other.isError).to.equal(true);
    expect(text(other)).to.match(/related-id is required/);
  });

  it('deleteSobjectRecord and deleteRelatedRecord move records to the Recycle Bin', async () => {
    const a = await call('createSobjectRecord', { 'sobject-name': 'Case', body: { Subject: 'Delete me', AccountId: acme } });
    const b = await call('createSobjectRecord', { 'sobject-name': 'Case', body: { Subject: 'Delete me too', AccountId: acme } });
    await call('deleteSobjectRecord', { 'sobject-name': 'Case', id: a.id });
    await call('deleteRelatedRecord', { 'sobject-name': 'Account', id: acme, 'relationship-path': 'Cases', 'related-id': b.id });
    expect(await soql(`SELECT Id FROM Case WHERE Id IN ('${a.id}', '${b.id}')`)).to.have.length(0);
    const again = await c.callTool({ name: 'deleteSobjectRecord', arguments: { 'sobject-name': 'Case', id: a.id } });
    expect(again.isError).to.equal(true);
    expect(text(again)).to.match(/^[A-Z_]+: /);
  });

  it('find accepts plain text or a SOSL statement; listRecentSobjectRecords lists newest first', async () => {
    const plain = await call('find', { q: 'Acme', 'sobject-names': ['Account'] });
    expect((plain.searchRecords as Out[]).some((r) => r.Id === acme)).to.equal(true);
    const cases = await call('find', { q: 'Acme', 'sobject-names': ['Case', 'Contact'] });
    expect(cases.searchRecords).to.be.an('array');
    const sosl = await call('find', { search: 'FIND {Acme} IN NAME FIELDS RETURNING Account(Id, Name)' });
    expect((sosl.searchRecords as Out[]).length).to.be.greaterThan(0);
    const recent = await call('listRecentSobjectRecords', { 'sobject-name': 'Case', limit: 3 });
    const dates = (recent.records as Out[]).map((r) => String(r.LastModifiedDate));
    expect(dates).to.deep.equal([...dates].sort().reverse());
  });

  it('soqlQuery pages with next-records-url', async () => {
    const first = await call('soqlQuery', { query: 'SELECT Id FROM Account' });
    expect(first.done).to.be.a('boolean');
    if (!first.done) {
      const next = await call('soqlQuery', { 'next-records-url': first.nextRecordsUrl });
      expect(next.records).to.be.an('array');
    }
  });
});
