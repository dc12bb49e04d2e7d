/**
 * The unmodified sf CLI against a local org: org, data, sobject and api commands, as a developer
 * would use them after logging in, with each persona seeing what the org lets them see.
 */
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { startTestOrg } from '../../helpers/org.ts';
import { SfCli } from '../../helpers/sf.ts';

interface QueryResult {
  totalSize: number;
  records: Record<string, unknown>[];
}

describe('sf CLI against the local org', function () {
  this.timeout(180_000);
  let local: LocalOrg;
  const sf = new SfCli();

  before(async () => {
    local = await startTestOrg();
    const [admin, rep, auditor] = await Promise.all([
      personaToken(local.url, 'admin@forcegate.local'),
      personaToken(local.url, 'rep@forcegate.local'),
      personaToken(local.url, 'auditor@forcegate.local'),
    ]);
    for (const [alias, token] of [
      ['admin', admin],
      ['rep', rep],
      ['auditor', auditor],
    ] as const) {
      const login = await sf.loginWithToken(local.url, token, alias);
      expect(login.code, login.stderr + login.stdout).to.equal(0);
    }
  });

  after(async () => {
    sf.dispose();
    await local?.close();
  });

  it('org display shows the org and the logged-in user', async () => {
    const r = await sf.run<{ id: string; username: string; instanceUrl: string; connectedStatus: string }>(['org', 'display', '-o', 'rep', '--json']);
    expect(r.code, r.stdout).to.equal(0);
    expect(r.json!.result.id).to.equal(local.org.orgId);
    expect(r.json!.result.username).to.equal('rep@forcegate.local');
    expect(r.json!.result.connectedStatus).to.equal('Connected');
  });

  it('data query returns records with parent relationship fields', async () => {
    const r = await sf.run<QueryResult>(['data', 'query', '-q', 'SELECT Id, Name, Owner.Username FROM Account ORDER BY Name', '-o', 'admin', '--json']);
    expect(r.code, r.stdout).to.equal(0);
    expect(r.json!.result.totalSize).to.be.greaterThan(0);
    const first = r.json!.result.records[0] as { Owner: { Username: string } };
    expect(first.Owner.Username).to.match(/@forcegate\.local$/);
  });

  it('data create / get / update / delete record round trip', async () => {
    const created = await sf.run<{ id: string; success: boolean }>(['data', 'create', 'record', '-s', 'Account', '-v', "Name='CLI Created Account' Industry='Energy'", '-o', 'rep', '--json']);
    expect(created.code, created.stdout).to.equal(0);
    const id = created.json!.result.id;
    expect(id).to.match(/^001/);

    const got = await sf.run<{ Name: string; Industry: string }>(['data', 'get', 'record', '-s', 'Account', '-i', id, '-o', 'rep', '--json']);
    expect(got.code, got.stdout).to.equal(0);
    expect(got.json!.result.Name).to.equal('CLI Created Account');

    const updated = await sf.run(['data', 'update', 'record', '-s', 'Account', '-i', id, '-v', "Phone='555-0100'", '-o', 'rep', '--json']);
    expect(updated.code, updated.stdout).to.equal(0);
    const after = await sf.run<{ Phone: string }>(['data', 'get', 'record', '-s', 'Account', '-i', id, '-o', 'rep', '--json']);
    expect(after.json!.result.Phone).to.equal('555-0100');

    // Standard User cannot delete Accounts (object permission), so the rep's delete is refused…
    const refused = await sf.run(['data', 'delete', 'record', '-s', 'Account', '-i', id, '-o', 'rep', '--json']);
    expect(refused.code).to.not.equal(0);
    // …and the admin's succeeds.
    const deleted = await sf.run(['data', 'delete', 'record', '-s', 'Account', '-i', id, '-o', 'admin', '--json']);
    expect(deleted.code, deleted.stdout).to.equal(0);
  });

  it('the auditor cannot create records (Read Only profile)', async () => {
    const r = await sf.run(['data', 'create', 'record', '-s', 'Account', '-v', "Name='Nope'", '-o', 'auditor', '--json']);
    expect(r.code).to.not.equal(0);
    expect(r.stdout).to.match(/insufficient access/i);
  });

  it('personas see different opportunities for the same query', async () => {
    const soql = 'SELECT Id, Name, Owner.Username FROM Opportunity';
    const [admin, rep, auditor] = await Promise.all(
      ['admin', 'rep', 'auditor'].map((alias) => sf.run<QueryResult>(['data', 'query', '-q', soql, '-o', alias, '--json'])),
    );
    for (const r of [admin, rep, auditor]) expect(r!.code, r!.stdout).to.equal(0);
    const owners = (r: typeof admin) => new Set(r!.json!.result.records.map((x) => (x.Owner as { Username: string }).Username));
    expect(admin!.json!.result.totalSize).to.be.greaterThan(rep!.json!.result.totalSize);
    expect([...owners(rep)]).to.deep.equal(['rep@forcegate.local']);
    expect(auditor!.json!.result.totalSize).to.equal(0);
  });

  it('the auditor gets INVALID_FIELD for the field hidden from the read permission set', async () => {
    const r = await sf.run(['data', 'query', '-q', 'SELECT Id, Internal_Risk_Rating__c FROM Account', '-o', 'auditor', '--json']);
    expect(r.code).to.not.equal(0);
    expect(r.stdout).to.match(/No such column 'Internal_Risk_Rating__c' on entity 'Account'/);
  });

  it('sobject describe and list', async () => {
    const d = await sf.run<{ name: string; fields: { name: string }[] }>(['sobject', 'describe', '-s', 'Account', '-o', 'rep', '--json']);
    expect(d.code, d.stdout).to.equal(0);
    expect(d.json!.result.name).to.equal('Account');
    expect(d.json!.result.fields.map((f) => f.name)).to.include.members(['Id', 'Name', 'Health_Score__c', 'Internal_Risk_Rating__c']);

    const auditorDescribe = await sf.run<{ fields: { name: string }[] }>(['sobject', 'describe', '-s', 'Account', '-o', 'auditor', '--json']);
    expect(auditorDescribe.json!.result.fields.map((f) => f.name)).to.not.include('Internal_Risk_Rating__c');

    const list = await sf.run<string[]>(['sobject', 'list', '-s', 'all', '-o', 'rep', '--json']);
    expect(list.code, list.stdout).to.equal(0);
    expect(list.json!.result).to.include.members(['Account', 'Opportunity', 'Account_Plan__c']);
  });

  it('api request rest reaches any REST resource', async () => {
    const r = await sf.run(['api', 'request', 'rest', '/services/data/v65.0/limits', '-o', 'rep']);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.have.nested.property('DailyApiRequests.Max');
  });
});
