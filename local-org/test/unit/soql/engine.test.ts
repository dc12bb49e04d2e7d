/**
 * The SOQL engine against a real in-memory org: per-user CRUD, FLS and sharing, result shapes,
 * operators, date literals, aggregates, paging cursors and bind variables.
 */
import { expect } from 'chai';
import { QueryError } from '../../../src/soql/errors.ts';
import { queryMore, runQuery, type QueryOptions, type QueryResult } from '../../../src/soql/engine.ts';
import type { UserContext } from '../../../src/security/types.ts';
import { ADMIN, AUDITOR, MANAGER, OUTSIDER, REP, REP2, startFixture, type Fixture } from './fixture.ts';

type Rec = Record<string, unknown> & { attributes: { type: string; url?: string } };

describe('SOQL engine (in-memory org)', function () {
  this.timeout(60_000);
  let fx: Fixture;
  const V = '65.0';

  const run = (user: UserContext | 'system', soql: string, extra: Partial<QueryOptions> = {}): QueryResult =>
    runQuery(fx.local.org, soql, { user, apiVersion: V, ...extra });
  const as = (username: string, soql: string, extra: Partial<QueryOptions> = {}) => run(fx.user(username), soql, extra);
  const records = (r: QueryResult) => r.records as Rec[];
  const names = (r: QueryResult) => records(r).map((x) => x.Name as string);
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

  describe('personas see what the platform would show them', () => {
    const SAMPLE_OPPS = "SELECT Id FROM Opportunity WHERE NOT Name LIKE 'ZZ%'";

    it('Opportunity (Private): admin all, manager the reps below, rep own, auditor none', () => {
      expect(as(ADMIN, SAMPLE_OPPS).totalSize).to.equal(10);
      expect(as(MANAGER, SAMPLE_OPPS).totalSize).to.equal(9);
      expect(as(REP, SAMPLE_OPPS).totalSize).to.equal(5);
      expect(as(REP2, SAMPLE_OPPS).totalSize).to.equal(3);
      expect(as(AUDITOR, SAMPLE_OPPS).totalSize).to.equal(0);
      const repOwners = new Set(records(as(REP, 'SELECT Owner.Username FROM Opportunity')).map((r) => (r.Owner as Rec).Username));
      expect([...repOwners]).to.deep.equal([REP]);
    });

    it('Account (OWD Read): every user with object access sees every account', () => {
      for (const u of [ADMIN, REP, AUDITOR]) expect(as(u, "SELECT Id FROM Account WHERE NOT Name LIKE 'ZZ%'").totalSize, u).to.equal(8);
    });

    it('outsider: Account is not a supported type (INVALID_TYPE)', () => {
      const e = fails(() => as(OUTSIDER, 'SELECT Id, Name FROM Account'));
      expect(e.status).to.equal(400);
      expect(e.errorCode).to.equal('INVALID_TYPE');
      expect(e.message).to.equal(
        "\nSELECT Id, Name FROM Account\n                     ^\nERROR at Row:1:Column:22\nsObject type 'Account' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.",
      );
    });

    it('Internal_Risk_Rating__c: readable for the rep (Agent_Service), "No such column" for the auditor', () => {
      const rep = as(REP, "SELECT Name, Internal_Risk_Rating__c FROM Account WHERE Name = 'Acme Corporation'");
      expect(records(rep)[0]).to.include({ Name: 'Acme Corporation', Internal_Risk_Rating__c: 'Low' });
      const e = fails(() => as(AUDITOR, 'SELECT Name, Internal_Risk_Rating__c FROM Account'));
      expect(e.errorCode).to.equal('INVALID_FIELD');
      expect(e.message).to.equal(
        "\nSELECT Name, Internal_Risk_Rating__c FROM Account\n             ^\nERROR at Row:1:Column:14\nNo such column 'Internal_Risk_Rating__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
      );
      // Exactly the answer for a field that does not exist at all.
      const missing = fails(() => as(AUDITOR, 'SELECT Name, Internal_Risk_Ratin__c FROM Account'));
      expect(missing.message.replaceAll('Internal_Risk_Ratin__c', 'X')).to.equal(e.message.replaceAll('Internal_Risk_Rating__c', 'X'));
      // Hidden in WHERE, ORDER BY, GROUP BY and through a relationship too.
      for (const q of [
        "SELECT Id FROM Account WHERE Internal_Risk_Rating__c = 'High'",
        'SELECT Id FROM Account ORDER BY Internal_Risk_Rating__c',
        'SELECT Internal_Risk_Rating__c, COUNT(Id) FROM Account GROUP BY Internal_Risk_Rating__c',
        'SELECT Account.Internal_Risk_Rating__c FROM Contact',
      ]) {
        expect(fails(() => as(AUDITOR, q)).errorCode, q).to.equal('INVALID_FIELD');
      }
      const fieldsAll = records(as(AUDITOR, 'SELECT FIELDS(ALL) FROM Account LIMIT 1'))[0]!;
      expect(fieldsAll).to.have.property('Health_Score__c');
      expect(fieldsAll).not.to.have.property('Internal_Risk_Rating__c');
    });

    it('child subqueries are filtered by the child object\'s sharing; an empty child list is null', () => {
      const r = as(REP, "SELECT Name, (SELECT Subject FROM Cases ORDER BY Subject) FROM Account WHERE Name IN ('Acme Corporation', 'Initech') ORDER BY Name");
      const [acme, initech] = records(r);
      expect((acme!.Cases as QueryResult).totalSize).to.be.greaterThan(0);
      expect(initech!.Cases).to.equal(null); // rep2's cases
      const admin = records(as(ADMIN, "SELECT Name, (SELECT Subject FROM Cases) FROM Account WHERE Name = 'Initech'"))[0]!;
      expect((admin.Cases as QueryResult).totalSize).to.equal(2);
    });

    it('a parent record the user cannot see renders as null', () => {
      const parent = fx.insert('Case', { Subject: 'ZZ parent (rep2)', Status: 'New' }, REP2);
      fx.insert('Case', { Subject: 'ZZ child (rep)', Status: 'New', ParentId: parent }, REP);
      const rep = records(as(REP, "SELECT Subject, ParentId, Parent.Subject FROM Case WHERE Subject = 'ZZ child (rep)'"))[0]!;
      expect(rep.ParentId).to.equal(parent);
      expect(rep.Parent).to.equal(null);
      const admin = records(as(ADMIN, "SELECT Subject, Parent.Subject FROM Case WHERE Subject = 'ZZ child (rep)'"))[0]!;
      expect(admin.Parent).to.deep.equal({ attributes: { type: 'Case', url: `/services/data/v65.0/sobjects/Case/${parent}` }, Subject: 'ZZ parent (rep2)' });
    });

    it('the sf CLI probes: Organization for everyone, ScratchOrgInfo is INVALID_TYPE, COUNT() FROM User', () => {
      for (const u of [ADMIN, REP, AUDITOR, OUTSIDER]) {
        const org = as(u, 'SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization');
        expect(org.totalSize).to.equal(1);
        expect(records(org)[0]).to.deep.include({ Name: 'ForceGate Local Org', IsSandbox: false, TrialExpirationDate: null, NamespacePrefix: null });
        expect(fails(() => as(u, 'SELECT Id FROM ScratchOrgInfo limit 1')).errorCode).to.equal('INVALID_TYPE');
        const count = as(u, 'SELECT COUNT() FROM User');
        expect(count).to.deep.equal({ totalSize: count.totalSize, done: true, records: [] });
        expect(count.totalSize).to.be.greaterThan(5);
      }
    });

    it('system mode ignores sharing; WITH USER_MODE brings it back; SECURITY_ENFORCED refuses hidden fields', () => {
      const rep = fx.user(REP);
      expect(run(rep, 'SELECT Id FROM Opportunity', { mode: 'system' }).totalSize).to.be.at.least(10);
      expect(run(rep, 'SELECT Id FROM Opportunity WITH USER_MODE', { mode: 'system' }).totalSize).to.equal(as(REP, 'SELECT Id FROM Opportunity').totalSize);
      expect(run(rep, 'SELECT Id FROM Opportunity', { mode: 'system', withSharing: true }).totalSize).to.equal(as(REP, 'SELECT Id FROM Opportunity').totalSize);
      // REST is always user mode: WITH SYSTEM_MODE does not lift sharing.
      expect(as(REP, 'SELECT Id FROM Opportunity WITH SYSTEM_MODE').totalSize).to.equal(as(REP, 'SELECT Id FROM Opportunity').totalSize);
      const auditor = fx.user(AUDITOR);
      const e = fails(() => run(auditor, 'SELECT Name, Internal_Risk_Rating__c FROM Account WITH SECURITY_ENFORCED', { mode: 'system' }));
      expect(e.errorCode).to.equal('INSUFFICIENT_ACCESS');
      expect(run(auditor, 'SELECT Name, Health_Score__c FROM Account WITH SECURITY_ENFORCED', { mode: 'system' }).totalSize).to.be.at.least(8);
      expect(fails(() => as(AUDITOR, 'SELECT Internal_Risk_Rating__c FROM Account WITH SECURITY_ENFORCED')).errorCode).to.equal('INVALID_FIELD');
      expect(run('system', 'SELECT Internal_Risk_Rating__c FROM Account').totalSize).to.be.at.least(8);
    });
  });

  describe('result shape', () => {
    it('attributes first, fields in selected order, API casing from case-insensitive names', () => {
      const r = as(REP, "select name, ID, owner.NAME, account.industry from ACCOUNT where NAME = 'acme corporation'");
      const rec = records(r)[0]!;
      expect(Object.keys(rec)).to.deep.equal(['attributes', 'Name', 'Id', 'Owner', 'Industry']);
      expect(rec.attributes).to.deep.equal({ type: 'Account', url: `/services/data/v65.0/sobjects/Account/${rec.Id as string}` });
      expect(rec.Owner).to.deep.equal({ attributes: { type: 'User', url: `/services/data/v65.0/sobjects/User/${fx.id(REP)}` }, Name: 'Riley Rep' });
      // `Account.Industry` on Account qualifies the object's own field; with Industry it is a duplicate.
      expect(rec.Industry).to.equal('Technology');
      expect(fails(() => as(REP, 'SELECT Industry, Account.Industry FROM Account')).message).to.match(/duplicate field selected: Industry$/);
    });

    it('nested parents, values converted (booleans, numbers, datetimes +0000, dates)', () => {
      const r = as(ADMIN, "SELECT Name, Amount, IsClosed, CloseDate, CreatedDate, Account.Owner.Name, Account.Name FROM Opportunity WHERE Name = 'Wayne Financial - Security Suite'");
      const rec = records(r)[0]!;
      expect(rec.Amount).to.equal(300000);
      expect(rec.IsClosed).to.equal(true);
      expect(rec.CloseDate).to.equal('2026-10-30');
      expect(rec.CreatedDate).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
      const account = rec.Account as Rec;
      expect(Object.keys(account)).to.deep.equal(['attributes', 'Owner', 'Name']);
      expect((account.Owner as Rec).Name).to.equal('Ada Admin');
    });

    it('an empty lookup is null', () => {
      fx.insert('Contact', { LastName: 'ZZ Orphan' }, REP);
      const rec = records(as(REP, "SELECT LastName, Account.Name FROM Contact WHERE LastName = 'ZZ Orphan'"))[0]!;
      expect(rec.Account).to.equal(null);
    });

    it('child subqueries: {totalSize, done, records} with WHERE, ORDER BY and a per-parent LIMIT', () => {
      const r = as(ADMIN, "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != 'nobody' ORDER BY LastName DESC LIMIT 1) FROM Account WHERE Name IN ('Acme Corporation', 'Stark Logistics') ORDER BY Name");
      const [acme, stark] = records(r);
      expect(acme!.Contacts).to.deep.include({ totalSize: 1, done: true });
      expect(((acme!.Contacts as QueryResult).records[0] as Rec).LastName).to.equal('Lovelace');
      expect(((stark!.Contacts as QueryResult).records[0] as Rec).LastName).to.equal('Potts');
      expect(((stark!.Contacts as QueryResult).records[0] as Rec).attributes.type).to.equal('Contact');
    });

    it('polymorphic What: nested record typed by the actual object, Type and Name', () => {
      const opp = records(as(REP, "SELECT Id FROM Opportunity WHERE Name = 'Hooli Media - Pilot'"))[0]!.Id as string;
      const caseId = records(as(REP, 'SELECT Id, CaseNumber FROM Case LIMIT 1'))[0]!;
      fx.insert('Task', { Subject: 'ZZ call about the pilot', WhatId: opp, Status: 'Not Started', Priority: 'Normal' }, REP);
      fx.insert('Task', { Subject: 'ZZ case task', WhatId: caseId.Id, Status: 'Not Started', Priority: 'Normal' }, REP);
      const r = as(REP, "SELECT Subject, What.Name, What.Type FROM Task WHERE Subject LIKE 'ZZ%' ORDER BY Subject");
      const [call, onCase] = records(r);
      expect(call!.What).to.deep.equal({ attributes: { type: 'Opportunity', url: `/services/data/v65.0/sobjects/Opportunity/${opp}` }, Name: 'Hooli Media - Pilot', Type: 'Opportunity' });
      expect((onCase!.What as Rec).Name).to.equal(caseId.CaseNumber);
      expect(fails(() => as(REP, 'SELECT What.Industry FROM Task')).message).to.contain("No such column 'Industry' on entity 'Name'");
    });

    it('EventLogFile.LogFile renders as the blob URL', () => {
      const id = fx.insert('EventLogFile', { EventType: 'Login', LogDate: '2026-01-01T00:00:00.000Z', Interval: 'Daily', LogFileLength: 10 });
      const rec = records(as(AUDITOR, "SELECT Id, LogFile FROM EventLogFile WHERE EventType = 'Login'"))[0]!;
      expect(rec.LogFile).to.equal(`/services/data/v65.0/sobjects/EventLogFile/${id}/LogFile`);
      expect(fails(() => as(REP, 'SELECT Id FROM EventLogFile')).errorCode).to.equal('INVALID_TYPE');
    });
  });

  describe('filters', () => {
    it('LIKE is case-insensitive with % and _, and \\_ / \\% escape them', () => {
      expect(names(as(REP, "SELECT Name FROM Account WHERE Name LIKE 'acme%'"))).to.deep.equal(['Acme Corporation']);
      expect(names(as(REP, "SELECT Name FROM Account WHERE Name LIKE '_nitech'"))).to.deep.equal(['Initech']);
      fx.insert('Account', { Name: 'ZZ under_score' }, REP);
      fx.insert('Account', { Name: 'ZZ underXscore' }, REP);
      expect(names(as(REP, "SELECT Name FROM Account WHERE Name LIKE 'ZZ under\\_score'"))).to.deep.equal(['ZZ under_score']);
      expect(names(as(REP, "SELECT Name FROM Account WHERE Name LIKE 'ZZ under_score' ORDER BY Name"))).to.deep.equal(['ZZ under_score', 'ZZ underXscore']);
    });

    it('= / != / IN / NOT IN with SOQL null semantics (!= and NOT IN match nulls)', () => {
      const all = as(ADMIN, "SELECT Id FROM Opportunity WHERE NOT Name LIKE 'ZZ%'").totalSize;
      const nullAmount = as(ADMIN, "SELECT Name FROM Opportunity WHERE Amount = null AND NOT Name LIKE 'ZZ%'");
      expect(names(nullAmount)).to.deep.equal(['Soylent Foods - First Deal']);
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE Amount != 300000 AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(all - 1);
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE Amount != null AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(all - 1);
      expect(as(ADMIN, "SELECT Id FROM Account WHERE Industry IN ('technology', 'Banking')").totalSize).to.equal(3);
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE Amount NOT IN (300000, 120000) AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(all - 2);
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE Amount IN (300000, null) AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(2);
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE NOT Amount = 300000 AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(all - 1);
    });

    it('AND / OR / NOT with parentheses; mixing AND and OR without them is malformed', () => {
      const r = as(ADMIN, "SELECT Name FROM Account WHERE (Industry = 'Technology' OR Industry = 'Banking') AND NOT (Name = 'Initech') ORDER BY Name");
      expect(names(r)).to.deep.equal(['Acme Corporation', 'Wayne Financial']);
      const e = fails(() => as(ADMIN, "SELECT Name FROM Account WHERE Industry = 'Technology' AND Name = 'x' OR Name = 'y'"));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.match(/unexpected token: 'OR'$/);
    });

    it('booleans, numbers, comparisons', () => {
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE IsClosed = true AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(2);
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE IsWon = TRUE AND Amount >= 300000").totalSize).to.equal(1);
      expect(as(ADMIN, 'SELECT Id FROM Account WHERE Health_Score__c > 70 AND Health_Score__c <= 90').totalSize).to.equal(3);
    });

    it('Id comparisons accept 15-character Ids', () => {
      const acme = records(as(REP, "SELECT Id FROM Account WHERE Name = 'Acme Corporation'"))[0]!.Id as string;
      expect(as(REP, `SELECT Id FROM Account WHERE Id = '${acme.slice(0, 15)}'`).totalSize).to.equal(1);
      expect(as(REP, `SELECT Id FROM Contact WHERE AccountId IN ('${acme.slice(0, 15)}')`).totalSize).to.equal(2);
      const e = fails(() => as(REP, "SELECT Id FROM Account WHERE Id = 'nope'"));
      expect(e.errorCode).to.equal('INVALID_QUERY_FILTER_OPERATOR');
      expect(e.message).to.match(/invalid ID field: nope$/);
    });

    it('semi-joins and anti-joins, with the inner object\'s sharing', () => {
      const withCases = names(as(ADMIN, "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Case WHERE Status != 'Closed') ORDER BY Name"));
      expect(withCases.length).to.be.greaterThan(3);
      // rep sees only their own cases, so the semi-join only finds their accounts.
      const rep = names(as(REP, 'SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Case) ORDER BY Name'));
      expect(rep).to.deep.equal(['Acme Corporation', 'Globex Industries', 'Hooli Media']);
      const without = as(REP, "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Case) AND NOT Name LIKE 'ZZ%'").totalSize;
      expect(without).to.equal(8 - 3);
      expect(fails(() => as(OUTSIDER, 'SELECT Id FROM User WHERE Id IN (SELECT OwnerId FROM Account)')).errorCode).to.equal('INVALID_TYPE');
    });

    it('INCLUDES / EXCLUDES on multi-select picklists', () => {
      const { org } = fx.local;
      org.schema.putField('Account', {
        name: 'Regions__c', label: 'Regions', type: 'multipicklist', nillable: true, createable: true, updateable: true,
        defaultedOnCreate: false, custom: true, permissionable: false,
      });
      org.db.exec('ALTER TABLE "Account" ADD COLUMN "Regions__c" TEXT COLLATE NOCASE');
      fx.insert('Account', { Name: 'ZZ Regions 1', Regions__c: 'EMEA;APAC' }, REP);
      fx.insert('Account', { Name: 'ZZ Regions 2', Regions__c: 'AMER' }, REP);
      fx.insert('Account', { Name: 'ZZ Regions 3' }, REP);
      const q = (w: string) => names(as(REP, `SELECT Name FROM Account WHERE Name LIKE 'ZZ Regions%' AND ${w} ORDER BY Name`));
      expect(q("Regions__c INCLUDES ('emea')")).to.deep.equal(['ZZ Regions 1']);
      expect(q("Regions__c INCLUDES ('APAC;EMEA', 'AMER')")).to.deep.equal(['ZZ Regions 1', 'ZZ Regions 2']);
      expect(q("Regions__c INCLUDES ('APAC;AMER')")).to.deep.equal([]);
      expect(q("Regions__c EXCLUDES ('EMEA')")).to.deep.equal(['ZZ Regions 2', 'ZZ Regions 3']);
      expect(fails(() => as(REP, "SELECT Id FROM Account WHERE Name INCLUDES ('x')")).errorCode).to.equal('MALFORMED_QUERY');
    });

    it('date literals and date/datetime values (UTC)', () => {
      const now = new Date('2026-12-01T12:00:00Z');
      const count = (w: string) => as(ADMIN, `SELECT Id FROM Opportunity WHERE ${w} AND NOT Name LIKE 'ZZ%'`, { now }).totalSize;
      expect(count('CloseDate = THIS_MONTH')).to.equal(5);
      expect(count('CloseDate = NEXT_N_DAYS:14')).to.equal(2);
      expect(count('CloseDate = LAST_N_DAYS:40')).to.equal(2);
      expect(count('CloseDate = THIS_QUARTER')).to.equal(7);
      expect(count('CloseDate = NEXT_QUARTER')).to.equal(3);
      expect(count('CloseDate = THIS_YEAR')).to.equal(7);
      expect(count('CloseDate = NEXT_YEAR')).to.equal(3);
      expect(count('CloseDate IN (LAST_MONTH, NEXT_N_MONTHS:1)')).to.equal(1 + 1);
      expect(count('CloseDate > THIS_MONTH')).to.equal(3);
      expect(count('CloseDate < 2026-11-01')).to.equal(1);
      expect(count('CloseDate >= 2026-12-20')).to.equal(5);
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE CreatedDate = TODAY AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(10);
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE CreatedDate > 2020-01-01T00:00:00Z AND CreatedDate < 2999-01-01T00:00:00.000+0000 AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(10);
      const e = fails(() => as(ADMIN, "SELECT Id FROM Opportunity WHERE CloseDate = '2026-12-15'"));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.match(/value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed in quotes$/);
      expect(fails(() => as(ADMIN, 'SELECT Id FROM Account WHERE Name = 5')).message).to.match(/must be of type string and should be enclosed in quotes$/);
    });
  });

  describe('ORDER BY, LIMIT, OFFSET, COUNT', () => {
    it('ASC puts nulls first and DESC last by default; NULLS FIRST/LAST override', () => {
      const q = (o: string) => records(as(ADMIN, `SELECT Amount FROM Opportunity WHERE NOT Name LIKE 'ZZ%' ORDER BY ${o}`)).map((r) => r.Amount);
      expect(q('Amount')[0]).to.equal(null);
      expect(q('Amount DESC').at(-1)).to.equal(null);
      expect(q('Amount DESC')[0]).to.equal(300000);
      expect(q('Amount ASC NULLS LAST').at(-1)).to.equal(null);
      expect(q('Amount DESC NULLS FIRST')[0]).to.equal(null);
    });

    it('LIMIT and OFFSET; OFFSET above 2000 is NUMBER_OUTSIDE_VALID_RANGE', () => {
      const all = names(as(ADMIN, "SELECT Name FROM Account WHERE NOT Name LIKE 'ZZ%' ORDER BY Name"));
      expect(names(as(ADMIN, "SELECT Name FROM Account WHERE NOT Name LIKE 'ZZ%' ORDER BY Name LIMIT 3 OFFSET 2"))).to.deep.equal(all.slice(2, 5));
      expect(as(ADMIN, "SELECT Name FROM Account WHERE NOT Name LIKE 'ZZ%' ORDER BY Name LIMIT 3 OFFSET 2").totalSize).to.equal(3);
      const e = fails(() => as(ADMIN, 'SELECT Name FROM Account OFFSET 2001'));
      expect(e.errorCode).to.equal('NUMBER_OUTSIDE_VALID_RANGE');
    });

    it('COUNT() honours sharing and LIMIT', () => {
      expect(as(REP, "SELECT COUNT() FROM Opportunity WHERE NOT Name LIKE 'ZZ%'")).to.deep.equal({ totalSize: 5, done: true, records: [] });
      expect(as(ADMIN, 'SELECT COUNT() FROM Opportunity LIMIT 2').totalSize).to.equal(2);
    });
  });

  describe('aggregates', () => {
    it('COUNT(field), SUM, AVG, MIN, MAX, COUNT_DISTINCT with aliases and exprN names', () => {
      const r = as(ADMIN, "SELECT COUNT(Id) n, SUM(Amount), AVG(Amount) avgAmount, MIN(CloseDate), MAX(Amount), COUNT_DISTINCT(AccountId) FROM Opportunity WHERE NOT Name LIKE 'ZZ%'");
      expect(r.totalSize).to.equal(1);
      expect(records(r)[0]).to.deep.equal({
        attributes: { type: 'AggregateResult' },
        n: 10,
        expr0: 911000,
        avgAmount: 911000 / 9,
        expr1: '2026-10-30',
        expr2: 300000,
        expr3: 8,
      });
    });

    it('GROUP BY with HAVING and ORDER BY an aggregate; sharing applies', () => {
      const r = as(ADMIN, "SELECT Account.Name, COUNT(Id) c FROM Opportunity WHERE NOT Name LIKE 'ZZ%' GROUP BY Account.Name HAVING COUNT(Id) > 1 ORDER BY COUNT(Id) DESC, Account.Name");
      expect(records(r)).to.deep.equal([
        { attributes: { type: 'AggregateResult' }, Name: 'Acme Corporation', c: 2 },
        { attributes: { type: 'AggregateResult' }, Name: 'Globex Industries', c: 2 },
      ]);
      const rep = as(REP, "SELECT StageName, COUNT(Id) FROM Opportunity WHERE NOT Name LIKE 'ZZ%' GROUP BY StageName");
      expect(records(rep).reduce((s, x) => s + (x.expr0 as number), 0)).to.equal(5);
    });

    it('date functions in GROUP BY', () => {
      const r = as(ADMIN, "SELECT CALENDAR_YEAR(CloseDate) y, CALENDAR_MONTH(CloseDate), COUNT(Id) FROM Opportunity WHERE NOT Name LIKE 'ZZ%' GROUP BY CALENDAR_YEAR(CloseDate), CALENDAR_MONTH(CloseDate) ORDER BY CALENDAR_YEAR(CloseDate), CALENDAR_MONTH(CloseDate)");
      expect(records(r)[0]).to.deep.equal({ attributes: { type: 'AggregateResult' }, y: 2026, expr0: 10, expr1: 1 });
      expect(as(ADMIN, "SELECT Id FROM Opportunity WHERE CALENDAR_YEAR(CloseDate) = 2027 AND NOT Name LIKE 'ZZ%'").totalSize).to.equal(3);
    });

    it('ungrouped fields and non-numeric SUM are refused', () => {
      expect(fails(() => as(ADMIN, 'SELECT Name, COUNT(Id) FROM Account')).message).to.match(/Field must be grouped or aggregated: Name$/);
      const e = fails(() => as(ADMIN, 'SELECT SUM(Name) FROM Account'));
      expect(e.errorCode).to.equal('INVALID_FIELD');
      expect(e.message).to.match(/field Name does not support aggregate operator SUM$/);
    });
  });

  describe('FIELDS(), TYPEOF, FOR VIEW', () => {
    it('FIELDS(ALL|CUSTOM) need LIMIT ≤ 200; FIELDS(STANDARD) does not', () => {
      const e = fails(() => as(REP, 'SELECT FIELDS(ALL) FROM Account'));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.match(/The SOQL FIELDS function must have a LIMIT of at most 200$/);
      expect(fails(() => as(REP, 'SELECT FIELDS(CUSTOM) FROM Account LIMIT 201')).errorCode).to.equal('MALFORMED_QUERY');
      const std = records(as(REP, "SELECT FIELDS(STANDARD) FROM Account WHERE Name = 'Initech'"))[0]!;
      expect(std).to.include({ Name: 'Initech', Industry: 'Technology' });
      expect(std).not.to.have.property('Health_Score__c');
      const custom = records(as(REP, "SELECT FIELDS(CUSTOM) FROM Account WHERE Name = 'Initech' LIMIT 1"))[0]!;
      expect(Object.keys(custom)).to.include.members(['attributes', 'Health_Score__c', 'Internal_Risk_Rating__c']);
      expect(custom).not.to.have.property('Name');
    });

    it('TYPEOF is refused with MALFORMED_QUERY; FOR VIEW / FOR UPDATE are accepted', () => {
      const e = fails(() => as(REP, 'SELECT TYPEOF What WHEN Account THEN Name END FROM Task'));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.contain('TYPEOF is not supported');
      expect(as(REP, "SELECT Id FROM Account WHERE Name = 'Initech' FOR VIEW").totalSize).to.equal(1);
      expect(as(REP, "SELECT Id FROM Account WHERE Name = 'Initech' FOR UPDATE").totalSize).to.equal(1);
    });
  });

  describe('errors', () => {
    it('MALFORMED_QUERY with the platform\'s position', () => {
      const e = fails(() => as(REP, 'SELECT Id, From Account'));
      expect(e.errorCode).to.equal('MALFORMED_QUERY');
      expect(e.message).to.equal("\nSELECT Id, From Account\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'From'");
      expect(fails(() => as(REP, 'invalid')).message).to.equal("unexpected token: 'invalid'");
      expect(fails(() => as(REP, 'SELECT Id FROM')).message).to.match(/unexpected token: '<EOF>'$/);
    });

    it('rows and columns of multi-line queries', () => {
      const e = fails(() => as(REP, 'SELECT Id\nFROM Account\nWHERE Nope__c = 1'));
      expect(e.message).to.match(/^\nWHERE Nope__c = 1\n {6}\^\nERROR at Row:3:Column:7\nNo such column 'Nope__c' on entity 'Account'/);
    });

    it('unknown relationships and child relationships', () => {
      const e = fails(() => as(REP, 'SELECT Foo__r.Name FROM Account'));
      expect(e.errorCode).to.equal('INVALID_FIELD');
      expect(e.message).to.match(/Didn't understand relationship 'Foo__r' in field path\. If you are attempting to use a custom relationship/);
      const c = fails(() => as(REP, 'SELECT Id, (SELECT Id FROM Widgets) FROM Account'));
      expect(c.errorCode).to.equal('INVALID_TYPE');
      expect(c.message).to.match(/Didn't understand relationship 'Widgets' in FROM part of query call/);
      expect(fails(() => as(REP, 'SELECT Id, Name, Name FROM Account')).message).to.match(/duplicate field selected: Name$/);
    });
  });

  describe('bind variables', () => {
    it('are parameters: values, lists (Set, 15-char Ids), and an injection attempt stays a value', () => {
      const ids = records(as(REP, "SELECT Id FROM Account WHERE Name IN ('Initech', 'Hooli Media')")).map((r) => (r.Id as string).slice(0, 15));
      const bound = (soql: string, binds: Record<string, unknown>) => run(fx.user(REP), soql, { binds, mode: 'user' });
      expect(bound('SELECT Name FROM Account WHERE Id IN :ids ORDER BY Name', { ids: new Set(ids) }).records.map((r) => r.Name)).to.deep.equal(['Hooli Media', 'Initech']);
      expect(bound('SELECT Name FROM Account WHERE Name = :n', { n: 'initech' }).totalSize).to.equal(1);
      expect(bound('SELECT Name FROM Account WHERE Name = :n', { n: "x' OR Name != 'y" }).totalSize).to.equal(0);
      expect(bound('SELECT Name FROM Account WHERE Name = :n', { n: "x') OR (1=1" }).totalSize).to.equal(0);
      expect(bound('SELECT Id FROM Opportunity WHERE CloseDate > :d AND Amount >= :min', { d: new Date('2027-01-01T00:00:00Z'), min: 50000 }).totalSize).to.equal(1);
      expect(run('system', 'SELECT Id FROM Opportunity WHERE CloseDate > :d AND Amount >= :min', { binds: { d: new Date('2027-01-01T00:00:00Z'), min: 50000 } }).totalSize).to.equal(2);
      expect(fails(() => bound('SELECT Id FROM Account WHERE Name = :missing', {})).message).to.equal('Variable does not exist: missing');
      // LIMIT :n and OFFSET :n, also in a child subquery.
      const page = bound("SELECT Name FROM Account WHERE NOT Name LIKE 'ZZ%' ORDER BY Name LIMIT :n OFFSET :o", { n: 2, o: 1 });
      expect(page.records.map((r) => r.Name)).to.deep.equal(['Globex Industries', 'Hooli Media']);
      const child = bound("SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName LIMIT :k) FROM Account WHERE Name = 'Acme Corporation'", { k: 1 });
      expect((child.records[0]!.Contacts as QueryResult).records.map((r) => r.LastName)).to.deep.equal(['Hopper']);
      expect(fails(() => bound('SELECT Name FROM Account OFFSET :o', { o: 2001 })).errorCode).to.equal('NUMBER_OUTSIDE_VALID_RANGE');
      // Over REST there are no binds: the colon is a syntax error.
      expect(fails(() => as(REP, 'SELECT Id FROM Account WHERE Name = :n')).errorCode).to.equal('MALFORMED_QUERY');
    });
  });

  describe('Recycle Bin and paging', () => {
    it('deleted records are excluded unless includeDeleted (queryAll)', () => {
      const id = fx.insert('Account', { Name: 'ZZ Deleted' }, REP);
      fx.local.org.store.softDelete(fx.local.org.schema.get('Account')!, id, fx.id(REP));
      expect(as(REP, "SELECT Id FROM Account WHERE Name = 'ZZ Deleted'").totalSize).to.equal(0);
      const all = as(REP, "SELECT Id, IsDeleted FROM Account WHERE Name = 'ZZ Deleted'", { includeDeleted: true });
      expect(records(all)[0]).to.include({ Id: id, IsDeleted: true });
    });

    it('pages through a cursor tied to the user; child subqueries on every page', () => {
      const soql = "SELECT Name, (SELECT LastName FROM Contacts) FROM Account WHERE NOT Name LIKE 'ZZ%' ORDER BY Name";
      const first = as(ADMIN, soql, { batchSize: 3 });
      expect(first).to.include({ totalSize: 8, done: false });
      expect(first.records).to.have.length(3);
      expect(first.nextRecordsUrl).to.match(/^\/services\/data\/v65\.0\/query\/01g[A-Za-z0-9]{15}-3$/);
      const locator = first.nextRecordsUrl!.split('/').pop()!;
      const e = fails(() => queryMore(fx.local.org, locator, { user: fx.user(REP), apiVersion: V }));
      expect(e.errorCode).to.equal('INVALID_QUERY_LOCATOR');
      expect(fails(() => queryMore(fx.local.org, '01g000000000000AAA-3', { user: fx.user(ADMIN), apiVersion: V })).errorCode).to.equal('INVALID_QUERY_LOCATOR');
      const seen = [...first.records];
      let page = first;
      while (!page.done) {
        page = queryMore(fx.local.org, page.nextRecordsUrl!.split('/').pop()!, { user: fx.user(ADMIN), apiVersion: V });
        expect(page.totalSize).to.equal(8);
        seen.push(...page.records);
      }
      expect(page.nextRecordsUrl).to.equal(undefined);
      expect(seen.map((r) => r.Name)).to.deep.equal(names(as(ADMIN, soql)));
      const stark = seen.find((r) => r.Name === 'Stark Logistics')!;
      expect((stark.Contacts as QueryResult).totalSize).to.equal(2);
    });
  });
});
