/**
 * The REST query and search surfaces through unmodified jsforce 3.10.16, with real OAuth tokens for
 * each persona: per-user results, the platform's error bodies and statuses, paging with
 * nextRecordsUrl (queryMore, autoFetch, batchSize header), queryAll, SOSL and the sf CLI's probes.
 */
import { expect } from 'chai';
import jsforce from 'jsforce';
import type { LocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { startTestOrg } from '../../helpers/org.ts';

type Rec = jsforce.Record & { attributes: { type: string; url: string } };

describe('REST query and search (jsforce)', function () {
  this.timeout(120_000);
  let local: LocalOrg;
  const tokens: Record<string, string> = {};
  const V = '65.0';

  const conn = (username: string) => new jsforce.Connection({ instanceUrl: local.url, accessToken: tokens[username]!, version: V });
  const get = async (username: string, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${local.url}${path}`, { headers: { authorization: `Bearer ${tokens[username]!}`, ...headers } });
    return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as unknown };
  };
  const q = (soql: string) => encodeURIComponent(soql);
  const jsforceError = async (p: PromiseLike<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e as Error & { errorCode?: string };
    }
    throw new Error('expected the call to fail');
  };

  before(async () => {
    local = await startTestOrg();
    const users = ['admin@forcegate.local', 'rep@forcegate.local', 'manager@forcegate.local', 'auditor@forcegate.local', 'outsider@forcegate.local'];
    const issued = await Promise.all(users.map((u) => personaToken(local.url, u)));
    users.forEach((u, i) => (tokens[u] = issued[i]!));
    // Enough extra records to page (the smallest batch the API allows is 200).
    const account = local.org.schema.get('Account')!;
    const rep = (local.org.db.prepare('SELECT Id FROM "User" WHERE Username = ?').get('rep@forcegate.local') as { Id: string }).Id;
    local.org.db.transaction(() => {
      for (let i = 0; i < 450; i++) local.org.store.insert(account, { Name: `ZZ Paging ${String(i).padStart(3, '0')}`, OwnerId: rep }, local.org.systemUserId);
    })();
  });
  after(() => local?.close());

  it('the same query gives each persona what the platform would show them', async () => {
    const soql = "SELECT Id, Name, Owner.Username FROM Opportunity WHERE NOT Name LIKE 'ZZ%' ORDER BY Name";
    const admin = await conn('admin@forcegate.local').query<Rec>(soql);
    const manager = await conn('manager@forcegate.local').query<Rec>(soql);
    const rep = await conn('rep@forcegate.local').query<Rec>(soql);
    const auditor = await conn('auditor@forcegate.local').query<Rec>(soql);
    expect([admin.totalSize, manager.totalSize, rep.totalSize, auditor.totalSize]).to.deep.equal([10, 9, 5, 0]);
    expect(new Set(rep.records.map((r) => (r.Owner as Rec).Username))).to.deep.equal(new Set(['rep@forcegate.local']));
    expect(rep.records[0]!.attributes).to.deep.equal({ type: 'Opportunity', url: `/services/data/v${V}/sobjects/Opportunity/${rep.records[0]!.Id as string}` });

    const accounts = await conn('auditor@forcegate.local').query("SELECT Id FROM Account WHERE NOT Name LIKE 'ZZ%'");
    expect(accounts.totalSize).to.equal(8);

    const outsider = await jsforceError(conn('outsider@forcegate.local').query('SELECT Id FROM Account'));
    expect(outsider.errorCode).to.equal('INVALID_TYPE');
    expect(outsider.message).to.contain("sObject type 'Account' is not supported.");
  });

  it('a field hidden by FLS is INVALID_FIELD "No such column" with HTTP 400, exactly as a missing one', async () => {
    const rep = await conn('rep@forcegate.local').query<Rec>("SELECT Name, Internal_Risk_Rating__c FROM Account WHERE Name = 'Globex Industries'");
    expect(rep.records[0]!.Internal_Risk_Rating__c).to.equal('High');
    const hidden = await get('auditor@forcegate.local', `/services/data/v${V}/query?q=${q('SELECT Name, Internal_Risk_Rating__c FROM Account')}`);
    expect(hidden.status).to.equal(400);
    expect(hidden.contentType).to.match(/^application\/json/);
    expect(hidden.body).to.deep.equal([
      {
        message:
          "\nSELECT Name, Internal_Risk_Rating__c FROM Account\n             ^\nERROR at Row:1:Column:14\nNo such column 'Internal_Risk_Rating__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
        errorCode: 'INVALID_FIELD',
      },
    ]);
    const viaJsforce = await jsforceError(conn('auditor@forcegate.local').query('SELECT Internal_Risk_Rating__c FROM Account'));
    expect(viaJsforce.errorCode).to.equal('INVALID_FIELD');
  });

  it('errors: MALFORMED_QUERY (also for a missing q), unknown types, bind variables over REST', async () => {
    const bad = await get('rep@forcegate.local', `/services/data/v${V}/query?q=${q('SELECT Id, From Account')}`);
    expect(bad).to.deep.include({ status: 400, body: [{ message: "\nSELECT Id, From Account\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'From'", errorCode: 'MALFORMED_QUERY' }] });
    const missing = await get('rep@forcegate.local', `/services/data/v${V}/query`);
    expect(missing.status).to.equal(400);
    expect((missing.body as { errorCode: string }[])[0]!.errorCode).to.equal('MALFORMED_QUERY');
    const bind = await get('rep@forcegate.local', `/services/data/v${V}/query?q=${q('SELECT Id FROM Account WHERE Name = :x')}`);
    expect((bind.body as { errorCode: string }[])[0]!.errorCode).to.equal('MALFORMED_QUERY');
    const unsupportedVersion = await get('rep@forcegate.local', `/services/data/v12.0/query?q=${q('SELECT Id FROM Account')}`);
    expect(unsupportedVersion.status).to.equal(404);
  });

  it('answers the sf CLI\'s Organization query and its Dev Hub probe, and COUNT()', async () => {
    for (const user of ['admin@forcegate.local', 'outsider@forcegate.local']) {
      const org = await get(user, `/services/data/v51.0/query?q=${q('SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization')}`);
      expect(org.status).to.equal(200);
      expect((org.body as { records: Rec[] }).records[0]).to.deep.include({ Name: 'ForceGate Local Org', InstanceName: 'LOCAL', IsSandbox: false, OrganizationType: 'Developer Edition' });
      const probe = await get(user, `/services/data/v51.0/query?q=SELECT%20Id%20FROM%20ScratchOrgInfo%20limit%201`);
      expect(probe.status).to.equal(400);
      expect((probe.body as { errorCode: string }[])[0]!.errorCode).to.equal('INVALID_TYPE');
      const count = await get(user, `/services/data/v${V}/query?q=${q('SELECT COUNT() FROM User')}`);
      expect(count.status).to.equal(200);
      expect(count.body).to.deep.equal({ totalSize: (count.body as { totalSize: number }).totalSize, done: true, records: [] });
    }
  });

  it('pages: nextRecordsUrl, queryMore, autoFetch with a batchSize hint', async () => {
    const rep = conn('rep@forcegate.local');
    const soql = "SELECT Id, Name FROM Account WHERE Name LIKE 'ZZ Paging%' ORDER BY Name";
    const first = await rep.request<{ totalSize: number; done: boolean; nextRecordsUrl?: string; records: Rec[] }>({
      method: 'GET',
      url: `/services/data/v${V}/query?q=${q(soql)}`,
      headers: { 'Sforce-Query-Options': 'batchSize=200' },
    });
    expect(first).to.include({ totalSize: 450, done: false });
    expect(first.records).to.have.length(200);
    expect(first.nextRecordsUrl).to.match(new RegExp(`^/services/data/v${V.replace('.', '\\.')}/query/01g[A-Za-z0-9]{15}-200$`));
    const second = await rep.queryMore<Rec>(first.nextRecordsUrl!);
    expect(second.records[0]!.Name).to.equal('ZZ Paging 200');
    expect(second.done).to.equal(false);

    // A batch size above the maximum is clamped to 2000: one page.
    const all = await rep.request<{ done: boolean; records: Rec[] }>({ method: 'GET', url: `/services/data/v${V}/query?q=${q(soql)}`, headers: { 'Sforce-Query-Options': 'batchSize=5000' } });
    expect(all.done).to.equal(true);

    const fetched = await rep.query<Rec>(soql, { autoFetch: true, maxFetch: 1000, headers: { 'Sforce-Query-Options': 'batchSize=200' } });
    expect(fetched.records.map((r) => r.Name)).to.deep.equal(Array.from({ length: 450 }, (_, i) => `ZZ Paging ${String(i).padStart(3, '0')}`));
  });

  it('a query locator belongs to the user who ran the query', async () => {
    const first = await conn('rep@forcegate.local').request<{ nextRecordsUrl: string }>({
      method: 'GET',
      url: `/services/data/v${V}/query?q=${q("SELECT Id FROM Account WHERE Name LIKE 'ZZ Paging%'")}`,
      headers: { 'Sforce-Query-Options': 'batchSize=200' },
    });
    const locator = first.nextRecordsUrl.split('/').pop()!;
    const stolen = await get('admin@forcegate.local', `/services/data/v${V}/query/${locator}`);
    expect(stolen).to.deep.include({ status: 400, body: [{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }] });
    const unknown = await get('rep@forcegate.local', `/services/data/v${V}/query/01g5g0000000001AAA-200`);
    expect(unknown.status).to.equal(400);
    const mine = await get('rep@forcegate.local', `/services/data/v${V}/queryAll/${locator}`);
    expect(mine.status).to.equal(200);
  });

  it('queryAll (scanAll) includes the Recycle Bin', async () => {
    const rep = conn('rep@forcegate.local');
    const created = await rep.sobject('Case').create({ Subject: 'ZZ Recycled' });
    await rep.sobject('Case').destroy((created as { id: string }).id);
    expect((await rep.query("SELECT Id FROM Case WHERE Subject = 'ZZ Recycled'")).totalSize).to.equal(0);
    const all = await rep.query<Rec>("SELECT Id, IsDeleted FROM Case WHERE Subject = 'ZZ Recycled'", { scanAll: true });
    expect(all.records[0]!.IsDeleted).to.equal(true);
  });

  it('child subqueries and parent relationships over REST', async () => {
    const r = await conn('rep@forcegate.local').query<Rec>("SELECT Name, Owner.Name, (SELECT LastName FROM Contacts ORDER BY LastName), (SELECT Subject FROM Cases) FROM Account WHERE Name IN ('Acme Corporation', 'Initech') ORDER BY Name");
    const [acme, initech] = r.records;
    expect(acme!.Owner).to.deep.include({ Name: 'Riley Rep' });
    expect(acme!.Contacts).to.deep.include({ totalSize: 2, done: true });
    expect(((acme!.Contacts as { records: Rec[] }).records).map((c) => c.LastName)).to.deep.equal(['Hopper', 'Lovelace']);
    expect(initech!.Cases).to.equal(null); // rep2's cases are private
  });

  it('records the FROM object as the audit entity', async () => {
    await conn('rep@forcegate.local').query('SELECT Id FROM Opportunity LIMIT 1');
    const today = new Date().toISOString().slice(0, 10);
    const csv = local.org.usage.csv(today);
    expect(csv.split('\n').some((line) => line.includes('/query') && line.includes('"Opportunity"'))).to.equal(true);
  });

  it('SOSL search: {searchRecords}, per-user results, MALFORMED_SEARCH', async () => {
    const rep = conn('rep@forcegate.local');
    const found = await rep.search("FIND {Acme} IN ALL FIELDS RETURNING Account(Id, Name WHERE Industry = 'Technology'), Opportunity(Name ORDER BY Name)");
    const records = (found as unknown as { searchRecords: Rec[] }).searchRecords;
    expect(records.map((x) => x.attributes.type)).to.deep.equal(['Account', 'Opportunity', 'Opportunity']);
    expect(records[0]).to.deep.include({ Name: 'Acme Corporation' });
    const hidden = await rep.search('FIND {Initech} RETURNING Opportunity(Name)');
    expect((hidden as unknown as { searchRecords: Rec[] }).searchRecords).to.deep.equal([]);
    const bad = await get('rep@forcegate.local', `/services/data/v${V}/search?q=${q('FIND {John|jane_gray@uoa.edu} RETURNING Contact')}`);
    expect(bad).to.deep.include({
      status: 400,
      body: [{ message: "\nFIND {John|jane_gray@uoa.edu} RETURNING Contact\n         ^\nERROR at Row:1:Column:10\nline 1:10 mismatched character '|' expecting '}'", errorCode: 'MALFORMED_SEARCH' }],
    });
    const ps = await get('rep@forcegate.local', `/services/data/v${V}/parameterizedSearch?q=Acme&sobject=Account&Account.fields=Id,Name`);
    expect(ps.status).to.equal(200);
    expect((ps.body as { searchRecords: Rec[] }).searchRecords.map((x) => x.Name)).to.deep.equal(['Acme Corporation']);
  });

  it('columns=true answers the column metadata sf data query lays its table out with', async () => {
    const soql = 'SELECT Id, Name, Owner.Name, (SELECT LastName FROM Contacts) FROM Account LIMIT 1';
    const r = await get('rep@forcegate.local', `/services/data/v${V}/query?q=${q(soql)}&columns=true`);
    expect(r.status).to.equal(200);
    const body = r.body as { columnMetadata: { columnName: string; aggregate: boolean; displayName: string; joinColumns: { columnName: string }[] }[]; entityName: string; idSelected: boolean };
    expect(body).to.deep.include({ entityName: 'Account', idSelected: true });
    expect(body.columnMetadata.map((c) => [c.columnName, c.aggregate, c.joinColumns.map((j) => j.columnName)])).to.deep.equal([
      ['Id', false, []],
      ['Name', false, []],
      ['Owner', false, ['Name']],
      ['Contacts', true, ['LastName']],
    ]);
    const agg = await get('rep@forcegate.local', `/services/data/v${V}/query?q=${q('SELECT StageName, COUNT(Id) n, SUM(Amount) FROM Opportunity GROUP BY StageName')}&columns=true`);
    const aggCols = (agg.body as typeof body).columnMetadata.map((c) => [c.columnName, c.displayName, c.aggregate]);
    expect(aggCols).to.deep.equal([
      ['StageName', 'StageName', true],
      ['n', 'COUNT(Id)', true],
      ['expr0', 'SUM(Amount)', true],
    ]);
    const hidden = await get('auditor@forcegate.local', `/services/data/v${V}/query?q=${q('SELECT Internal_Risk_Rating__c FROM Account')}&columns=true`);
    expect(hidden.status).to.equal(400);
  });

  it('the Tooling API query endpoint runs the same engine', async () => {
    const r = await get('admin@forcegate.local', `/services/data/v${V}/tooling/query?q=${q('SELECT Id, Name FROM User WHERE IsActive = true ORDER BY Name LIMIT 2')}`);
    expect(r.status).to.equal(200);
    expect((r.body as { records: Rec[] }).records).to.have.length(2);
  });
});
