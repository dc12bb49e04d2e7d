/**
 * Every authenticated API call becomes one ApiTotalUsage event, readable the platform's way:
 * EventLogFile query + LogFile CSV download, available the same day.
 */
import { expect } from 'chai';
import jsforce from 'jsforce';
import type { LocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { startTestOrg } from '../../helpers/org.ts';

function parseCsv(text: string): Record<string, string>[] {
  const rows = text
    .trim()
    .split('\n')
    .map((line) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!.replace(/""/g, '"')));
  const [header, ...data] = rows;
  return data.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

describe('ApiTotalUsage event log', function () {
  this.timeout(60_000);
  let local: LocalOrg;
  let repToken: string;
  let auditorToken: string;

  before(async () => {
    local = await startTestOrg();
    [repToken, auditorToken] = await Promise.all([personaToken(local.url, 'rep@forcegate.local'), personaToken(local.url, 'auditor@forcegate.local')]);
  });
  after(() => local?.close());

  const connection = (accessToken: string, callOptions?: string) =>
    new jsforce.Connection({ instanceUrl: local.url, accessToken, version: '65.0', callOptions: callOptions ? { client: callOptions } : undefined });

  it('records one row per call with user, entity, method, status and client name', async () => {
    const before = local.org.usage.count();
    const rep = connection(repToken, 'ForceGateTest');
    await rep.query('SELECT Id FROM Account LIMIT 1');
    const created = await rep.sobject('Case').create({ Subject: 'Audit me' });
    expect(created.success).to.equal(true);
    await rep.sobject('Opportunity').create({ Name: 'x' }).catch(() => undefined); // refused: required fields missing
    expect(local.org.usage.count() - before).to.equal(3);

    const auditor = connection(auditorToken);
    const files = await auditor.query<{ Id: string; EventType: string; LogDate: string; LogFile: string; LogFileLength: number; Interval: string }>(
      "SELECT Id, EventType, LogDate, LogFile, LogFileLength, Interval FROM EventLogFile WHERE EventType = 'ApiTotalUsage' AND LogDate = TODAY",
    );
    expect(files.totalSize).to.equal(1);
    const file = files.records[0]!;
    expect(file.Interval).to.equal('Daily');
    expect(file.LogFile).to.equal(`/services/data/v65.0/sobjects/EventLogFile/${file.Id}/LogFile`);

    const csv = (await auditor.request({ method: 'GET', url: file.LogFile })) as unknown as string;
    expect(Buffer.byteLength(csv)).to.be.at.least(file.LogFileLength);
    const rows = parseCsv(csv).filter((r) => r.CLIENT_NAME === 'ForceGateTest');
    expect(rows).to.have.length(3);
    expect(rows.map((r) => r.USER_NAME)).to.deep.equal(['rep@forcegate.local', 'rep@forcegate.local', 'rep@forcegate.local']);
    expect(rows.map((r) => r.ENTITY_NAME)).to.deep.equal(['Account', 'Case', 'Opportunity']);
    expect(rows.map((r) => r.HTTP_METHOD)).to.deep.equal(['GET', 'POST', 'POST']);
    expect(rows.map((r) => r.STATUS_CODE)).to.deep.equal(['200', '201', '400']);
    expect(rows.every((r) => r.EVENT_TYPE === 'ApiTotalUsage' && r.ORGANIZATION_ID === local.org.orgId)).to.equal(true);
    expect(rows[0]!.API_CLIENT_CATEGORY).to.equal('SALESFORCE');
  });

  it('a failed write leaves no record and still leaves its audit row', async () => {
    const before = local.org.usage.count();
    const rep = connection(repToken);
    const accountsBefore = (local.org.db.prepare('SELECT COUNT(*) AS n FROM Account').get() as { n: number }).n;
    const result = await rep.request({
      method: 'POST',
      url: '/services/data/v65.0/composite/sobjects',
      body: JSON.stringify({ allOrNone: true, records: [{ attributes: { type: 'Account' }, Name: 'ok' }, { attributes: { type: 'Account' } }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(result).to.be.an('array').with.length(2);
    const accountsAfter = (local.org.db.prepare('SELECT COUNT(*) AS n FROM Account').get() as { n: number }).n;
    expect(accountsAfter).to.equal(accountsBefore);
    expect(local.org.usage.count() - before).to.equal(1);
  });

  it('event logs need View Event Log Files: the rep is refused', async () => {
    const rep = connection(repToken);
    const err = await rep.query('SELECT Id FROM EventLogFile').then(
      () => undefined,
      (e: Error & { errorCode?: string }) => e,
    );
    expect(err?.errorCode).to.equal('INVALID_TYPE');
  });

  it('unauthenticated calls are refused with INVALID_SESSION_ID and are not attributed to anyone', async () => {
    const before = local.org.usage.count();
    const res = await fetch(`${local.url}/services/data/v65.0/query?q=SELECT+Id+FROM+Account`, { headers: { Authorization: 'Bearer nope' } });
    expect(res.status).to.equal(401);
    expect(await res.json()).to.deep.equal([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    expect(local.org.usage.count()).to.equal(before);
  });
});
