/**
 * sObject Collections (jsforce array create/update/retrieve/destroy), `/composite` with
 * referenceIds and allOrNone, and `/composite/batch`, over HTTP.
 */
import { expect } from 'chai';
import jsforce from 'jsforce';
import type { LocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { startTestOrg } from '../../helpers/org.ts';

const V = '65.0';

describe('sObject Collections and composite', function () {
  this.timeout(60_000);
  let local: LocalOrg;
  let rep: string;
  let rep2: string;

  before(async () => {
    local = await startTestOrg();
    [rep, rep2] = await Promise.all([personaToken(local.url, 'rep@forcegate.local'), personaToken(local.url, 'rep2@forcegate.local')]);
  });
  after(() => local?.close());

  const conn = (token: string) => new jsforce.Connection({ instanceUrl: local.url, accessToken: token, version: V });
  const post = async (token: string, path: string, body: unknown, method = 'POST') => {
    const res = await fetch(`${local.url}/services/data/v${V}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  };
  const count = (object: string) => (local.org.db.prepare(`SELECT COUNT(*) AS n FROM "${object}" WHERE IsDeleted = 0`).get() as { n: number }).n;

  describe('collections', () => {
    it('jsforce arrays: create, retrieve, update, destroy', async () => {
      const cases = conn(rep).sobject('Case');
      const created = await cases.create([{ Subject: 'one' }, { Subject: 'two', Priority: 'High' }]);
      expect(created.map((r) => r.success)).to.deep.equal([true, true]);
      const ids = created.map((r) => r.id!);
      const got = (await cases.retrieve(ids)) as Record<string, unknown>[];
      expect(got.map((r) => r.Subject)).to.deep.equal(['one', 'two']);
      expect(got[1]).to.include({ Priority: 'High', Status: 'New', Id: ids[1] });
      const updated = await cases.update(ids.map((Id, i) => ({ Id, Subject: `updated ${i}` })));
      expect(updated).to.deep.equal(ids.map((id) => ({ id, success: true, errors: [] })));
      const destroyed = await cases.destroy(ids);
      expect(destroyed).to.deep.equal(ids.map((id) => ({ id, success: true, errors: [] })));
      const again = await cases.destroy(ids);
      expect(again[0]).to.deep.equal({ id: ids[0], success: false, errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }] });
    });

    it('per-record results with statusCode; allOrNone rolls everything back', async () => {
      const before = count('Case');
      const partial = await post(rep, '/composite/sobjects', {
        allOrNone: false,
        records: [
          { attributes: { type: 'Case' }, Subject: 'fine' },
          { attributes: { type: 'Case' }, Subject: 'x'.repeat(300) },
        ],
      });
      expect(partial.status).to.equal(200);
      const [good, bad] = partial.json as Record<string, unknown>[];
      expect(good).to.include({ success: true });
      expect(bad).to.deep.equal({
        success: false,
        errors: [{ statusCode: 'STRING_TOO_LONG', message: `Subject: data value too large: ${'x'.repeat(300)} (max length=255)`, fields: ['Subject'] }],
      });
      expect(count('Case')).to.equal(before + 1);

      const all = await post(rep, '/composite/sobjects', {
        allOrNone: true,
        records: [
          { attributes: { type: 'Case' }, Subject: 'rolled back' },
          { attributes: { type: 'Opportunity' }, Name: 'missing stage' },
        ],
      });
      expect(all.json).to.deep.equal([
        {
          success: false,
          errors: [
            {
              statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
              message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
              fields: [],
            },
          ],
        },
        { success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [StageName, CloseDate]', fields: ['StageName', 'CloseDate'] }] },
      ]);
      expect(count('Case')).to.equal(before + 1);
    });

    it("sharing per record: rep2's records fail, the rep's succeed", async () => {
      const [mine, theirs] = await Promise.all([
        conn(rep).sobject('Case').create({ Subject: 'mine' }),
        conn(rep2).sobject('Case').create({ Subject: 'theirs' }),
      ]);
      const res = await post(
        rep,
        '/composite/sobjects',
        {
          records: [
            { attributes: { type: 'Case' }, id: mine.id, Subject: 'mine 2' },
            { attributes: { type: 'Case' }, id: theirs.id, Subject: 'stolen' },
          ],
        },
        'PATCH',
      );
      expect(res.json).to.deep.equal([
        { id: mine.id, success: true, errors: [] },
        { id: theirs.id, success: false, errors: [{ statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY', message: 'insufficient access rights on object id', fields: [] }] },
      ]);
      const retrieved = await post(rep, '/composite/sobjects/Case', { ids: [mine.id, theirs.id], fields: ['Subject'] });
      expect(retrieved.json).to.deep.equal([
        { attributes: { type: 'Case', url: `/services/data/v${V}/sobjects/Case/${mine.id}` }, Subject: 'mine 2', Id: mine.id },
        null,
      ]);
      const del = await fetch(`${local.url}/services/data/v${V}/composite/sobjects?ids=${mine.id},${theirs.id}&allOrNone=true`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${rep}` },
      });
      const delJson = (await del.json()) as { id: string; success: boolean; errors: { statusCode: string }[] }[];
      expect(delJson.map((r) => [r.id, r.errors[0]?.statusCode])).to.deep.equal([
        [mine.id, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
        [theirs.id, 'INSUFFICIENT_ACCESS_OR_READONLY'],
      ]);
      expect(count('Case')).to.be.greaterThan(0);
      expect((local.org.db.prepare('SELECT IsDeleted FROM "Case" WHERE Id = ?').get(mine.id) as { IsDeleted: number }).IsDeleted).to.equal(0);
    });

    it('request-level errors: more than 200 records, unknown type, unknown field', async () => {
      const many = Array.from({ length: 201 }, (_, i) => ({ attributes: { type: 'Case' }, Subject: `n${i}` }));
      const tooMany = await post(rep, '/composite/sobjects', { records: many });
      expect(tooMany.status).to.equal(400);
      expect((tooMany.json as { errorCode: string }[])[0]!.errorCode).to.equal('EXCEEDED_ID_LIMIT');
      const badType = await post(rep, '/composite/sobjects', { records: [{ attributes: { type: 'Nope__c' }, Name: 'x' }] });
      expect(badType.status).to.equal(400);
      expect((badType.json as { errorCode: string }[])[0]!.errorCode).to.equal('INVALID_TYPE');
      const badField = await post(rep, '/composite/sobjects', { records: [{ attributes: { type: 'Case' }, Nope__c: 'x' }] });
      expect(badField.status).to.equal(400);
      expect(badField.json).to.deep.equal([{ message: "No such column 'Nope__c' on sobject of type Case", errorCode: 'INVALID_FIELD' }]);
    });
  });

  describe('composite', () => {
    it('references earlier results with @{ref.field}', async () => {
      const res = await post(rep, '/composite', {
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `/services/data/v${V}/sobjects/Account`, referenceId: 'NewAccount', body: { Name: 'Composite Co' } },
          {
            method: 'POST',
            url: `/services/data/v${V}/sobjects/Opportunity`,
            referenceId: 'NewOpp',
            body: { Name: 'Composite deal', StageName: 'Prospecting', CloseDate: '2026-12-01', AccountId: '@{NewAccount.id}' },
          },
          { method: 'GET', url: `/services/data/v${V}/sobjects/Opportunity/@{NewOpp.id}?fields=AccountId,Name`, referenceId: 'ReadBack' },
          { method: 'PATCH', url: `/services/data/v${V}/sobjects/Account/@{NewAccount.id}`, referenceId: 'Rename', body: { Name: 'Composite Co 2' } },
        ],
      });
      expect(res.status).to.equal(200);
      const out = (res.json as { compositeResponse: { body: Record<string, unknown> | null; httpHeaders: Record<string, string>; httpStatusCode: number; referenceId: string }[] })
        .compositeResponse;
      expect(out.map((r) => [r.referenceId, r.httpStatusCode])).to.deep.equal([
        ['NewAccount', 201],
        ['NewOpp', 201],
        ['ReadBack', 200],
        ['Rename', 204],
      ]);
      const accountId = out[0]!.body!.id as string;
      expect(out[0]!.httpHeaders).to.deep.equal({ Location: `/services/data/v${V}/sobjects/Account/${accountId}` });
      expect(out[2]!.body).to.include({ AccountId: accountId, Name: 'Composite deal' });
      expect(out[3]!.body).to.equal(null);
    });

    it('dispatches to the query resource through the router', async () => {
      const res = await post(rep, '/composite', {
        compositeRequest: [
          { method: 'POST', url: `/services/data/v${V}/sobjects/Account`, referenceId: 'Acc', body: { Name: 'Queried Co' } },
          { method: 'GET', url: `/services/data/v${V}/query?q=${encodeURIComponent("SELECT Id, Name FROM Account WHERE Id = '@{Acc.id}'")}`, referenceId: 'Q' },
          { method: 'PATCH', url: `/services/data/v${V}/sobjects/Account/@{Q.records[0].Id}`, referenceId: 'Rename', body: { Name: 'Queried Co 2' } },
        ],
      });
      const out = (res.json as { compositeResponse: { body: { totalSize?: number; records?: { Name: string }[] } | null; httpStatusCode: number }[] }).compositeResponse;
      expect(out.map((r) => r.httpStatusCode)).to.deep.equal([201, 200, 204]);
      expect(out[1]!.body!.totalSize).to.equal(1);
      expect(out[1]!.body!.records![0]!.Name).to.equal('Queried Co');
    });

    it('allOrNone: a failure rolls back the earlier subrequests', async () => {
      const before = count('Account');
      const res = await post(rep, '/composite', {
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `/services/data/v${V}/sobjects/Account`, referenceId: 'Acc', body: { Name: 'Doomed' } },
          { method: 'POST', url: `/services/data/v${V}/sobjects/Opportunity`, referenceId: 'Opp', body: { Name: 'No stage', AccountId: '@{Acc.id}' } },
          { method: 'GET', url: `/services/data/v${V}/sobjects/Account/@{Acc.id}`, referenceId: 'After' },
        ],
      });
      const out = (res.json as { compositeResponse: { body: { errorCode: string }[]; httpStatusCode: number }[] }).compositeResponse;
      expect(out.map((r) => [r.httpStatusCode, r.body[0]!.errorCode])).to.deep.equal([
        [400, 'PROCESSING_HALTED'],
        [400, 'REQUIRED_FIELD_MISSING'],
        [400, 'PROCESSING_HALTED'],
      ]);
      expect(count('Account')).to.equal(before);
    });

    it('without allOrNone, successes stay and dependants of a failure are halted', async () => {
      const before = count('Case');
      const res = await post(rep, '/composite', {
        compositeRequest: [
          { method: 'POST', url: `/services/data/v${V}/sobjects/Case`, referenceId: 'Good', body: { Subject: 'kept' } },
          { method: 'POST', url: `/services/data/v${V}/sobjects/Case`, referenceId: 'Bad', body: { Subject: 'x'.repeat(300) } },
          { method: 'PATCH', url: `/services/data/v${V}/sobjects/Case/@{Bad.id}`, referenceId: 'Dependent', body: { Subject: 'y' } },
          { method: 'GET', url: `/services/data/v${V}/sobjects/Case/describe`, referenceId: 'Describe' },
        ],
      });
      const out = (res.json as { compositeResponse: { body: unknown; httpStatusCode: number }[] }).compositeResponse;
      expect(out.map((r) => r.httpStatusCode)).to.deep.equal([201, 400, 400, 200]);
      expect((out[2]!.body as { errorCode: string }[])[0]!.errorCode).to.equal('PROCESSING_HALTED');
      expect(count('Case')).to.equal(before + 1);
      const usage = local.org.db.prepare('SELECT api_resource, status_code FROM _api_usage ORDER BY seq DESC LIMIT 1').get();
      expect(usage).to.deep.equal({ api_resource: '/composite', status_code: 200 });
    });
  });

  describe('composite batch', () => {
    it('runs independent subrequests; haltOnError stops the rest', async () => {
      const res = await post(rep, '/composite/batch', {
        batchRequests: [
          { method: 'POST', url: `v${V}/sobjects/Case`, richInput: { Subject: 'batched' } },
          { method: 'GET', url: `v${V}/sobjects/Case/500000000000000AAA` },
          { method: 'GET', url: `v${V}/sobjects/Case/describe` },
        ],
      });
      const body = res.json as { hasErrors: boolean; results: { statusCode: number; result: unknown }[] };
      expect(body.hasErrors).to.equal(true);
      expect(body.results.map((r) => r.statusCode)).to.deep.equal([201, 404, 200]);

      const halted = await post(rep, '/composite/batch', {
        haltOnError: true,
        batchRequests: [
          { method: 'GET', url: `v${V}/sobjects/Nope__c/describe` },
          { method: 'GET', url: `v${V}/sobjects/Case/describe` },
        ],
      });
      const h = halted.json as { results: { statusCode: number; result: { errorCode: string }[] }[] };
      expect(h.results.map((r) => [r.statusCode, r.result[0]?.errorCode])).to.deep.equal([
        [404, 'NOT_FOUND'],
        [412, 'BATCH_PROCESSING_HALTED'],
      ]);
    });
  });
});
