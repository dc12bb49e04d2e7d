/**
 * SOSL against a real in-memory org: the FIND front end, scopes, RETURNING clauses, per-user
 * security (objects, fields, sharing) and MALFORMED_SEARCH errors; and parameterizedSearch.
 */
import { expect } from 'chai';
import { QueryError } from '../../../src/soql/errors.ts';
import { parseSosl, runParameterizedSearch, runSearch, type SearchResult } from '../../../src/soql/sosl.ts';
import { ADMIN, AUDITOR, OUTSIDER, REP, REP2, startFixture, type Fixture } from './fixture.ts';

type Rec = Record<string, unknown> & { attributes: { type: string; url: string } };

describe('SOSL', function () {
  this.timeout(60_000);
  let fx: Fixture;
  const search = (username: string, sosl: string): SearchResult => runSearch(fx.local.org, sosl, { user: fx.user(username), apiVersion: '65.0' });
  const recs = (r: SearchResult) => r.searchRecords as Rec[];
  const fails = (fn: () => unknown): QueryError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof QueryError) return e;
      throw e;
    }
    throw new Error('expected a QueryError');
  };

  before(async () => {
    fx = await startFixture();
  });
  after(() => fx?.local.close());

  it('parses FIND, scope, RETURNING with clauses, WITH and LIMIT', () => {
    const spec = parseSosl("FIND {Acme* AND \"Acme Corp\"} IN NAME FIELDS RETURNING Account(Id, Name WHERE Industry = 'Technology' ORDER BY Name LIMIT 5), Contact WITH SPELL_CORRECTION = false LIMIT 20");
    expect(spec.scope).to.equal('NAME');
    expect(spec.limit).to.equal(20);
    expect(spec.returning).to.deep.equal([
      { object: 'Account', soql: "SELECT Id, Name FROM Account WHERE Industry = 'Technology' ORDER BY Name LIMIT 5" },
      { object: 'Contact', soql: 'SELECT Id FROM Contact' },
    ]);
    expect(spec.term).to.deep.equal({ k: 'and', operands: [{ k: 'word', text: 'Acme*' }, { k: 'word', text: 'Acme Corp' }] });
  });

  it('returns {searchRecords} in RETURNING order with the selected fields', () => {
    const r = search(REP, 'FIND {Acme} IN ALL FIELDS RETURNING Account(Id, Name, Owner.Name), Opportunity(Name ORDER BY Name)');
    const types = recs(r).map((x) => x.attributes.type);
    expect(types[0]).to.equal('Account');
    expect(types).to.include('Opportunity');
    const account = recs(r)[0]!;
    expect(Object.keys(account)).to.deep.equal(['attributes', 'Id', 'Name', 'Owner']);
    expect(account).to.deep.include({ Name: 'Acme Corporation' });
    expect(account.attributes.url).to.equal(`/services/data/v65.0/sobjects/Account/${account.Id as string}`);
    const opps = recs(r).filter((x) => x.attributes.type === 'Opportunity').map((x) => x.Name);
    expect(opps).to.deep.equal(['Acme Corporation - 2027 Renewal', 'Acme Corporation - EMEA Expansion']);
  });

  it('without a field list returns Id only; wildcards, OR and AND NOT', () => {
    const r = search(ADMIN, 'FIND {Glob* OR Initech} RETURNING Account');
    expect(recs(r).map((x) => Object.keys(x))).to.deep.equal([['attributes', 'Id'], ['attributes', 'Id']]);
    expect(recs(search(ADMIN, 'FIND {Acme AND NOT Corporation} RETURNING Account(Name)'))).to.deep.equal([]);
    expect(recs(search(ADMIN, 'FIND {Hoo?i} RETURNING Account(Name)')).map((x) => x.Name)).to.deep.equal(['Hooli Media']);
  });

  it('EMAIL and PHONE scopes search only those fields', () => {
    fx.insert('Contact', { LastName: 'ZZ Scopeman', Email: 'zz.scope@example.org', Phone: '555-0101' }, REP);
    expect(recs(search(REP, 'FIND {zz.scope} IN EMAIL FIELDS RETURNING Contact(LastName)')).map((x) => x.LastName)).to.deep.equal(['ZZ Scopeman']);
    expect(recs(search(REP, 'FIND {Scopeman} IN EMAIL FIELDS RETURNING Contact(LastName)'))).to.deep.equal([]);
    expect(recs(search(REP, 'FIND {Scopeman} IN NAME FIELDS RETURNING Contact(LastName)')).map((x) => x.LastName)).to.deep.equal(['ZZ Scopeman']);
    expect(recs(search(REP, 'FIND {555-0101} IN PHONE FIELDS RETURNING Contact(LastName)')).map((x) => x.LastName)).to.deep.equal(['ZZ Scopeman']);
  });

  it('applies sharing, FLS and object access like SOQL', () => {
    // Opportunities are private: rep2's deal is invisible to the rep.
    expect(recs(search(REP, 'FIND {Initech} RETURNING Opportunity(Name)'))).to.deep.equal([]);
    expect(recs(search(REP2, 'FIND {Initech} RETURNING Opportunity(Name)')).map((x) => x.Name)).to.deep.equal(['Initech - Platform Licences']);
    // A field the auditor cannot read is neither returned nor searched.
    expect(fails(() => search(AUDITOR, 'FIND {Acme} RETURNING Account(Name, Internal_Risk_Rating__c)')).errorCode).to.equal('INVALID_FIELD');
    expect(recs(search(ADMIN, 'FIND {High} RETURNING Account(Name)')).length).to.be.greaterThan(0);
    expect(recs(search(AUDITOR, 'FIND {High} RETURNING Account(Name)'))).to.deep.equal([]);
    const outsider = fails(() => search(OUTSIDER, 'FIND {Acme} RETURNING Account'));
    expect(outsider.errorCode).to.equal('INVALID_TYPE');
    expect(outsider.message).to.contain("sObject type 'Account' is not supported.");
    // Without RETURNING: every searchable object the user can read.
    expect(recs(search(OUTSIDER, 'FIND {Acme}')).every((x) => x.attributes.type === 'User')).to.equal(true);
  });

  it('LIMIT caps the whole result; per-object LIMIT caps each object', () => {
    expect(recs(search(ADMIN, 'FIND {Acme} RETURNING Contact, Opportunity LIMIT 3'))).to.have.length(3);
    expect(recs(search(ADMIN, 'FIND {Acme} RETURNING Contact(Id LIMIT 1), Opportunity(Id LIMIT 1)')).map((x) => x.attributes.type)).to.deep.equal(['Contact', 'Opportunity']);
  });

  it('MALFORMED_SEARCH with the platform\'s position', () => {
    const e = fails(() => search(REP, 'FIND {John|jane_gray@uoa.edu} RETURNING Contact'));
    expect(e.errorCode).to.equal('MALFORMED_SEARCH');
    expect(e.message).to.equal("\nFIND {John|jane_gray@uoa.edu} RETURNING Contact\n         ^\nERROR at Row:1:Column:10\nline 1:10 mismatched character '|' expecting '}'");
    expect(fails(() => search(REP, 'SEARCH {x}')).errorCode).to.equal('MALFORMED_SEARCH');
    expect(fails(() => search(REP, 'FIND {Acme} RETURNING Account(Id WHERE)')).errorCode).to.equal('MALFORMED_SEARCH');
    expect(fails(() => search(REP, 'FIND {Acme} RETURNING Account(Nope__c)')).errorCode).to.equal('INVALID_FIELD');
    expect(fails(() => search(REP, 'FIND {a} RETURNING Account')).errorCode).to.equal('INVALID_SEARCH');
  });

  it('parameterizedSearch', () => {
    const params = new URLSearchParams({ q: 'Acme', sobject: 'Account', 'Account.fields': 'Id,Name', 'Account.limit': '5', in: 'NAME' });
    const r = runParameterizedSearch(fx.local.org, params, { user: fx.user(REP), apiVersion: '65.0' });
    expect(recs(r).map((x) => x.Name)).to.deep.equal(['Acme Corporation']);
  });
});
