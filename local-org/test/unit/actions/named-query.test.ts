/**
 * Named Query parameters: typed by the field they are compared with, always bound (never spliced),
 * every parameter required, unknown ones refused; date literals become date-literal tokens of the
 * parsed query.
 */
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { ApiError } from '../../../src/http/errors.ts';
import { findNamedQuery, parseDateLiteral, prepareNamedQuery, type NamedQueryDef } from '../../../src/actions/named-query.ts';
import { runQuery } from '../../../src/soql/engine.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';

function inline(soql: string, ...parameters: string[]): NamedQueryDef {
  return { name: 'Inline', label: 'Inline', description: null, apiVersion: '66.0', soql, parameters: parameters.map((name) => ({ name, label: null, description: null })) };
}

describe('Named query parameters', function () {
  this.timeout(60_000);
  let local: LocalOrg;
  const prepare = (nq: NamedQueryDef | string, params: Record<string, string>) =>
    prepareNamedQuery(local.org.schema, typeof nq === 'string' ? findNamedQuery(local.org.db, nq)! : nq, new URLSearchParams(params));
  const refusal = (nq: NamedQueryDef | string, params: Record<string, string>): ApiError => {
    try {
      prepare(nq, params);
    } catch (e) {
      expect(e).to.be.instanceOf(ApiError);
      expect((e as ApiError).status).to.equal(400);
      return e as ApiError;
    }
    throw new Error('expected a 400');
  };

  before(async () => {
    local = await startTestOrg();
  });
  after(() => local?.close());

  it('reads the deployed ApiNamedQuery components', () => {
    const nq = findNamedQuery(local.org.db, 'OpenCasesByAccount')!;
    expect(nq.parameters.map((p) => p.name)).to.deep.equal(['accountId']);
    expect(nq.soql).to.match(/WHERE AccountId = :accountId/);
    expect(findNamedQuery(local.org.db, 'opencasesbyaccount')?.name).to.equal('OpenCasesByAccount');
    expect(findNamedQuery(local.org.db, 'Nope')).to.equal(undefined);
  });

  it('types Id parameters: 15 or 18 characters, anything else is an invalid ID', () => {
    const acme = (local.org.db.prepare("SELECT Id FROM Account WHERE Name = 'Acme Corporation'").get() as { Id: string }).Id;
    expect(prepare('OpenCasesByAccount', { accountId: acme }).binds).to.deep.equal({ accountId: acme });
    expect(prepare('OpenCasesByAccount', { accountId: acme.slice(0, 15) }).binds).to.deep.equal({ accountId: acme });
    const e = refusal('OpenCasesByAccount', { accountId: "001' OR Name != '" });
    expect(e.errorCode).to.equal('INVALID_QUERY_FILTER_OPERATOR');
    expect(e.message).to.equal("invalid ID field: 001' OR Name != '");
  });

  it('types Decimal parameters, with the org currency as an optional prefix', () => {
    expect(prepare('MyOpenOpportunitiesThisQuarter', { minAmount: '1000' }).binds).to.deep.equal({ minAmount: 1000 });
    expect(prepare('MyOpenOpportunitiesThisQuarter', { minAmount: '10.99' }).binds).to.deep.equal({ minAmount: 10.99 });
    expect(prepare('MyOpenOpportunitiesThisQuarter', { minAmount: 'USD20000' }).binds).to.deep.equal({ minAmount: 20000 });
    expect(refusal('MyOpenOpportunitiesThisQuarter', { minAmount: 'EUR5' }).message).to.match(/currency ISO code EUR is not supported/);
    const e = refusal('MyOpenOpportunitiesThisQuarter', { minAmount: 'lots' });
    expect(e.errorCode).to.equal('INVALID_QUERY_FILTER_OPERATOR');
    expect(e.message).to.equal("value of filter criterion for field 'Amount' must be of type double");
  });

  it('binds a hostile String as a plain value: the SOQL text is unchanged', () => {
    const hostile = "x' OR Name LIKE '%";
    const { soql, binds } = prepare('AccountPlansByStatus', { status: hostile });
    expect(binds).to.deep.equal({ status: hostile });
    expect(soql).to.equal(findNamedQuery(local.org.db, 'AccountPlansByStatus')!.soql);
    const admin = local.org.access.forUser(userId(local, 'admin@forcegate.local'))!;
    expect(runQuery(local.org, soql, { user: admin, apiVersion: '66.0', binds }).totalSize).to.equal(0);
  });

  it('requires every parameter and refuses unknown or repeated ones', () => {
    let e = refusal('AccountPlansByStatus', {});
    expect(e.errorCode).to.equal('MALFORMED_QUERY');
    expect(e.message).to.equal("Missing value for parameter 'status'");
    e = refusal('AccountPlansByStatus', { status: 'Active', limit: '5' });
    expect(e.message).to.equal("Unknown parameter 'limit' for the named query AccountPlansByStatus. It takes: status.");
    expect(() => prepareNamedQuery(local.org.schema, findNamedQuery(local.org.db, 'AccountPlansByStatus')!, new URLSearchParams('status=A&status=B'))).to.throw(
      ApiError,
      "Parameter 'status' is given more than once.",
    );
  });

  describe('types from the compared field', () => {
    const nq = inline(
      'SELECT Id FROM Opportunity WHERE CloseDate >= :since AND IsClosed = :closed AND CreatedDate < :before AND Probability > :p AND Account.Name = :acct AND Account.NumberOfEmployees > :staff AND Id IN :ids',
      'since',
      'closed',
      'before',
      'p',
      'acct',
      'staff',
      'ids',
    );
    const good = { since: '2026-01-31', closed: 'FALSE', before: '2026-10-14T09:00:00-07:00', p: '50', acct: 'Acme', staff: '12', ids: '006000000000001AAA' };

    it('binds Date, Boolean, Datetime, Percent, String through a relationship, Integer and a list', () => {
      const { soql, binds } = prepare(nq, good);
      expect(soql).to.equal(nq.soql);
      expect(binds).to.deep.equal({ since: '2026-01-31', closed: false, before: '2026-10-14T16:00:00.000Z', p: 50, acct: 'Acme', staff: 12, ids: ['006000000000001AAA'] });
    });

    it('refuses values of the wrong type, naming the field and its type', () => {
      const cases: [string, string, string][] = [
        ['since', '2026-02-30', "value of filter criterion for field 'CloseDate' must be of type date"],
        ['since', '31/01/2026', "value of filter criterion for field 'CloseDate' must be of type date"],
        ['closed', 'yes', "value of filter criterion for field 'IsClosed' must be of type boolean"],
        ['before', '2026-10-14 09:00', "value of filter criterion for field 'CreatedDate' must be of type dateTime"],
        ['staff', '1.5', "value of filter criterion for field 'NumberOfEmployees' must be of type int"],
        ['since', 'LAST_N_DAYS:x', "value of filter criterion for field 'CloseDate' must be of type date"],
      ];
      for (const [param, value, message] of cases) {
        const e = refusal(nq, { ...good, [param]: value });
        expect(e.message, `${param}=${value}`).to.equal(message);
        expect(e.errorCode).to.equal('INVALID_QUERY_FILTER_OPERATOR');
      }
    });

    it('turns a date literal into a date-literal token of the parsed query', () => {
      const { soql } = prepare(nq, { ...good, since: 'LAST_N_DAYS:30', before: 'today' });
      expect(soql).to.match(/CloseDate >= LAST_N_DAYS:30/);
      expect(soql).to.match(/CreatedDate < TODAY/);
      expect(soql).to.not.match(/:since|:before/);
      expect(soql).to.match(/Probability > :p/);
    });

    it('recognises only real date literals', () => {
      expect(parseDateLiteral('THIS_QUARTER')).to.deep.equal({ literal: 'THIS_QUARTER' });
      expect(parseDateLiteral('next_n_days:7')).to.deep.equal({ literal: 'NEXT_N_DAYS', n: 7 });
      expect(parseDateLiteral('TODAY:3')).to.equal(undefined);
      expect(parseDateLiteral('LAST_N_DAYS')).to.equal(undefined);
      expect(parseDateLiteral("TODAY OR Name != ''")).to.equal(undefined);
    });
  });
});
