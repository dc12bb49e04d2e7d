/**
 * The DML service against a real in-memory org, as the personas of docs/design.md: object CRUD,
 * field-level security, sharing, lookups, value validation, required and read-only fields, owner
 * changes, the Recycle Bin with cascade delete, allOrNone, and setup writes that change access.
 */
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { deleteRecords, executeDml, insertRecords, recentItemIds, updateRecords, type SaveResult } from '../../../src/dml/index.ts';
import { canRead } from '../../../src/dml/service.ts';
import { applyComponents } from '../../../src/metadata/apply.ts';
import type { UserContext } from '../../../src/security/types.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';

function ok(results: SaveResult[]): string[] {
  for (const r of results) expect(r, JSON.stringify(r)).to.include({ success: true });
  return results.map((r) => r.id!);
}

function failure(result: SaveResult | undefined): { statusCode: string; message: string; fields: string[] } {
  expect(result, 'a result').to.not.equal(undefined);
  expect(result!.success, JSON.stringify(result)).to.equal(false);
  expect(result!.errors).to.have.length.greaterThan(0);
  return result!.errors[0]!;
}

describe('DML service', function () {
  this.timeout(60_000);
  let local: LocalOrg;
  let admin: UserContext;
  let rep: UserContext;
  let rep2: UserContext;
  let manager: UserContext;
  let auditor: UserContext;
  let outsider: UserContext;
  const ctx = (username: string): UserContext => local.org.access.forUser(userId(local, username))!;
  const row = (object: string, id: string) => local.org.db.prepare(`SELECT * FROM "${object}" WHERE Id = ?`).get(id) as Record<string, unknown> | undefined;

  before(async () => {
    local = await startTestOrg();
    refresh();
  });
  after(() => local?.close());

  /** Contexts are rebuilt after setup writes (the service invalidates the access cache). */
  function refresh(): void {
    admin = ctx('admin@forcegate.local');
    rep = ctx('rep@forcegate.local');
    rep2 = ctx('rep2@forcegate.local');
    manager = ctx('manager@forcegate.local');
    auditor = ctx('auditor@forcegate.local');
    outsider = ctx('outsider@forcegate.local');
  }

  const account = (user: UserContext | 'system', name: string, extra: Record<string, unknown> = {}) =>
    ok(insertRecords(local.org, user, 'Account', [{ Name: name, ...extra }]))[0]!;
  const opportunity = (user: UserContext | 'system', extra: Record<string, unknown> = {}) =>
    ok(insertRecords(local.org, user, 'Opportunity', [{ Name: 'Deal', StageName: 'Prospecting', CloseDate: '2026-06-30', ...extra }]))[0]!;

  describe('object CRUD', () => {
    it('the auditor (Read Only) cannot create, update or delete', () => {
      const err = failure(insertRecords(local.org, auditor, 'Account', [{ Name: 'Nope' }])[0]);
      expect(err).to.deep.equal({ statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY', message: 'insufficient access rights on object id', fields: [] });
      const id = account(rep, 'Rep Readable');
      expect(failure(updateRecords(local.org, auditor, 'Account', [{ Id: id, Name: 'x' }])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      expect(failure(deleteRecords(local.org, auditor, 'Account', [id])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
    });

    it('the outsider cannot read Account, so cannot write it either', () => {
      expect(outsider.objectAccess('Account').read).to.equal(false);
      const id = account(rep, 'Outsider target');
      expect(canRead(local.org, outsider, local.org.schema.get('Account')!, id)).to.equal(false);
      expect(failure(insertRecords(local.org, outsider, 'Account', [{ Name: 'x' }])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      expect(failure(updateRecords(local.org, outsider, 'Account', [{ Id: id, Name: 'x' }])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
    });

    it('a sales rep creates accounts and cases but cannot delete accounts (Standard User)', () => {
      const id = account(rep, 'Rep Own');
      ok(insertRecords(local.org, rep, 'Case', [{ Subject: 'Help', AccountId: id }]));
      expect(failure(deleteRecords(local.org, rep, 'Account', [id])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      expect(row('Account', id)!.IsDeleted).to.equal(0);
    });

    it('unknown objects are INVALID_TYPE; read-only objects cannot be written even by the system', () => {
      expect(failure(insertRecords(local.org, admin, 'Nope__c', [{ Name: 'x' }])[0])).to.include({ statusCode: 'INVALID_TYPE' });
      expect(failure(insertRecords(local.org, 'system', 'Organization', [{ Name: 'x' }])[0])).to.deep.include({
        statusCode: 'INVALID_TYPE_FOR_OPERATION',
        message: 'entity type cannot be inserted: Organization',
      });
      const user = userId(local, 'rep@forcegate.local');
      expect(failure(deleteRecords(local.org, admin, 'User', [user])[0]).statusCode).to.equal('INVALID_TYPE_FOR_OPERATION');
    });
  });

  describe('field-level security', () => {
    it('rep reads and writes Internal_Risk_Rating__c (Agent_Service); the auditor cannot even see it', () => {
      expect(rep.fieldAccess('Account', 'Internal_Risk_Rating__c')).to.deep.equal({ read: true, edit: true });
      expect(auditor.fieldAccess('Account', 'Internal_Risk_Rating__c').read).to.equal(false);
      const id = account(rep, 'Risky', { Internal_Risk_Rating__c: 'High' });
      ok(updateRecords(local.org, rep, 'Account', [{ Id: id, Internal_Risk_Rating__c: 'Low' }]));
      expect(row('Account', id)!.Internal_Risk_Rating__c).to.equal('Low');
    });

    it('a readable but read-only field is INVALID_FIELD_FOR_INSERT_UPDATE (Health_Score__c for the rep)', () => {
      expect(rep.fieldAccess('Account', 'Health_Score__c')).to.deep.equal({ read: true, edit: false });
      const err = failure(insertRecords(local.org, rep, 'Account', [{ Name: 'Scored', Health_Score__c: 50 }])[0]);
      expect(err).to.deep.equal({
        statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
        message:
          'Unable to create/update fields: Health_Score__c. Please check the security settings of this field and verify that it is read/write for your profile or permission set.',
        fields: ['Health_Score__c'],
      });
      ok(insertRecords(local.org, admin, 'Account', [{ Name: 'Scored', Health_Score__c: 50 }]));
    });

    it('system fields are read-only for everyone, the system included', () => {
      const err = failure(insertRecords(local.org, 'system', 'Opportunity', [{ Name: 'x', StageName: 'Prospecting', CloseDate: '2026-01-01', IsClosed: true, CreatedDate: '2020-01-01T00:00:00Z' }])[0]);
      expect(err.statusCode).to.equal('INVALID_FIELD_FOR_INSERT_UPDATE');
      expect(err.fields).to.deep.equal(['IsClosed', 'CreatedDate']);
      expect(err.message).to.match(/^Unable to create\/update fields: IsClosed, CreatedDate\. /);
    });

    it('a field that does not exist is INVALID_FIELD "No such column"', () => {
      expect(failure(insertRecords(local.org, rep, 'Account', [{ Name: 'x', Bogus__c: 1 }])[0])).to.deep.equal({
        statusCode: 'INVALID_FIELD',
        message: "No such column 'Bogus__c' on sobject of type Account",
        fields: [],
      });
    });

    it('an Id in an insert is INVALID_FIELD', () => {
      const id = account('system', 'Existing');
      expect(failure(insertRecords(local.org, admin, 'Account', [{ Id: id, Name: 'x' }])[0])).to.include({ statusCode: 'INVALID_FIELD', message: 'cannot specify Id in an insert call' });
    });
  });

  describe('sharing', () => {
    it("rep cannot update or delete rep2's Opportunity (Private); their manager can update it", () => {
      const opp = opportunity(rep2, { Name: 'Rep2 Deal' });
      expect(failure(updateRecords(local.org, rep, 'Opportunity', [{ Id: opp, Name: 'Stolen' }])[0])).to.deep.equal({
        statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
        message: 'insufficient access rights on object id',
        fields: [],
      });
      expect(failure(deleteRecords(local.org, rep, 'Opportunity', [opp])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      ok(updateRecords(local.org, manager, 'Opportunity', [{ Id: opp, StageName: 'Qualification' }]));
      expect(row('Opportunity', opp)!.StageName).to.equal('Qualification');
      expect(row('Opportunity', opp)!.LastModifiedById).to.equal(manager.userId);
    });

    it("Account OWD Read: rep reads rep2's account but cannot edit it", () => {
      const acc = account(rep2, 'Rep2 Account');
      const o = local.org.schema.get('Account')!;
      expect(canRead(local.org, rep, o, acc)).to.equal(true);
      expect(failure(updateRecords(local.org, rep, 'Account', [{ Id: acc, Phone: '555' }])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      ok(updateRecords(local.org, rep2, 'Account', [{ Id: acc, Phone: '555' }]));
      ok(updateRecords(local.org, admin, 'Account', [{ Id: acc, Phone: '556' }]));
    });

    it('deleting needs ownership: a manager deletes a subordinate\'s case, a peer cannot', () => {
      const c = ok(insertRecords(local.org, rep2, 'Case', [{ Subject: 'Rep2 case' }]))[0]!;
      expect(failure(deleteRecords(local.org, rep, 'Case', [c])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      ok(deleteRecords(local.org, manager, 'Case', [c]));
    });
  });

  describe('lookups', () => {
    it('a lookup to a record the user cannot see is INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY', () => {
      const opp = opportunity(rep2);
      const err = failure(insertRecords(local.org, rep, 'Task', [{ Subject: 'Call', WhatId: opp }])[0]);
      expect(err).to.deep.equal({
        statusCode: 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
        message: `insufficient access rights on cross-reference id: ${opp.slice(0, 15)}`,
        fields: [],
      });
      ok(insertRecords(local.org, rep2, 'Task', [{ Subject: 'Call', WhatId: opp }]));
    });

    it("a lookup to a readable record is fine (rep's opportunity on rep2's account)", () => {
      const acc = account(rep2, 'Shared Read');
      const opp = opportunity(rep, { AccountId: acc.slice(0, 15) });
      expect(row('Opportunity', opp)!.AccountId).to.equal(acc); // normalised to 18 characters
    });

    it("a contact needs edit access to its account (ControlledByParent): not under rep2's account", () => {
      const acc = account(rep2, 'Parent');
      expect(failure(insertRecords(local.org, rep, 'Contact', [{ LastName: 'Kid', AccountId: acc }])[0]).statusCode).to.equal(
        'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
      );
      ok(insertRecords(local.org, rep2, 'Contact', [{ LastName: 'Kid', AccountId: acc }]));
    });

    it('malformed, wrong-type, unknown and deleted references', () => {
      const contact = ok(insertRecords(local.org, 'system', 'Contact', [{ LastName: 'Wrong type' }]))[0]!;
      expect(failure(insertRecords(local.org, admin, 'Opportunity', [{ Name: 'x', StageName: 'Prospecting', CloseDate: '2026-01-01', AccountId: 'abc' }])[0])).to.deep.equal({
        statusCode: 'MALFORMED_ID',
        message: 'Account ID: id value of incorrect type: abc',
        fields: ['AccountId'],
      });
      expect(failure(insertRecords(local.org, admin, 'Opportunity', [{ Name: 'x', StageName: 'Prospecting', CloseDate: '2026-01-01', AccountId: contact }])[0])).to.deep.equal({
        statusCode: 'FIELD_INTEGRITY_EXCEPTION',
        message: `Account ID: id value of incorrect type: ${contact}`,
        fields: ['AccountId'],
      });
      expect(failure(insertRecords(local.org, admin, 'Opportunity', [{ Name: 'x', StageName: 'Prospecting', CloseDate: '2026-01-01', AccountId: '001000000000000AAA' }])[0])).to.include({
        statusCode: 'INVALID_CROSS_REFERENCE_KEY',
      });
      const gone = account('system', 'Gone');
      ok(deleteRecords(local.org, 'system', 'Account', [gone]));
      expect(failure(insertRecords(local.org, admin, 'Opportunity', [{ Name: 'x', StageName: 'Prospecting', CloseDate: '2026-01-01', AccountId: gone }])[0])).to.include({
        statusCode: 'ENTITY_IS_DELETED',
      });
    });
  });

  describe('values', () => {
    it('text longer than the field is STRING_TOO_LONG', () => {
      const name = 'x'.repeat(256);
      expect(failure(insertRecords(local.org, admin, 'Account', [{ Name: name }])[0])).to.deep.equal({
        statusCode: 'STRING_TOO_LONG',
        message: `Account Name: data value too large: ${name} (max length=255)`,
        fields: ['Name'],
      });
    });

    it('numbers: range by precision/scale, rounding to scale, wrong type', () => {
      expect(failure(insertRecords(local.org, admin, 'Account', [{ Name: 'n', Health_Score__c: 1000 }])[0])).to.include({ statusCode: 'NUMBER_OUTSIDE_VALID_RANGE' });
      const id = account(admin, 'n', { Health_Score__c: '99.6', AnnualRevenue: 12.4 });
      expect(row('Account', id)).to.include({ Health_Score__c: 100, AnnualRevenue: 12 });
      expect(failure(insertRecords(local.org, admin, 'Account', [{ Name: 'n', NumberOfEmployees: 'many' }])[0])).to.deep.equal({
        statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
        message: 'Employees: value not of required type: many',
        fields: ['NumberOfEmployees'],
      });
      expect(failure(insertRecords(local.org, admin, 'Account', [{ Name: 'n', NumberOfEmployees: 1.5 }])[0]).statusCode).to.equal('INVALID_TYPE_ON_FIELD_IN_RECORD');
    });

    it('dates are YYYY-MM-DD calendar dates', () => {
      const bad = ['2026-02-30', '06/30/2026', '2026-6-1'];
      for (const CloseDate of bad) {
        expect(failure(insertRecords(local.org, admin, 'Opportunity', [{ Name: 'd', StageName: 'Prospecting', CloseDate }])[0]).statusCode, CloseDate).to.equal(
          'INVALID_TYPE_ON_FIELD_IN_RECORD',
        );
      }
      const id = opportunity(admin, { CloseDate: '2028-02-29' });
      expect(row('Opportunity', id)!.CloseDate).to.equal('2028-02-29');
    });

    it('booleans accept true/false (and their strings); emails are validated', () => {
      const c = ok(insertRecords(local.org, admin, 'Contact', [{ LastName: 'B', HasOptedOutOfEmail: 'true', Email: 'b@example.com' }]))[0]!;
      expect(row('Contact', c)!.HasOptedOutOfEmail).to.equal(1);
      expect(failure(insertRecords(local.org, admin, 'Contact', [{ LastName: 'B', HasOptedOutOfEmail: 'yes' }])[0]).statusCode).to.equal('INVALID_TYPE_ON_FIELD_IN_RECORD');
      expect(failure(insertRecords(local.org, admin, 'Contact', [{ LastName: 'B', Email: 'not an email' }])[0])).to.deep.equal({
        statusCode: 'INVALID_EMAIL_ADDRESS',
        message: 'Email: invalid email address: not an email',
        fields: ['Email'],
      });
    });

    it('restricted picklists accept only their values', () => {
      expect(failure(insertRecords(local.org, rep, 'Account', [{ Name: 'p', Internal_Risk_Rating__c: 'Extreme' }])[0])).to.deep.equal({
        statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        message: 'Internal Risk Rating: bad value for restricted picklist field: Extreme',
        fields: ['Internal_Risk_Rating__c'],
      });
      ok(insertRecords(local.org, rep, 'Account', [{ Name: 'p', Internal_Risk_Rating__c: 'Medium' }]));
    });

    it('required fields: every missing one is listed; clearing one on update is refused too', () => {
      expect(failure(insertRecords(local.org, admin, 'Opportunity', [{ Amount: 5 }])[0])).to.deep.equal({
        statusCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [Name, StageName, CloseDate]',
        fields: ['Name', 'StageName', 'CloseDate'],
      });
      const id = account(admin, 'Named');
      expect(failure(updateRecords(local.org, admin, 'Account', [{ Id: id, Name: null }])[0])).to.deep.include({
        statusCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [Name]',
      });
    });
  });

  describe('owners', () => {
    it('an owner can transfer to an active user; a peer cannot take a record', () => {
      const opp = opportunity(rep);
      ok(updateRecords(local.org, rep, 'Opportunity', [{ Id: opp, OwnerId: rep2.userId }]));
      expect(row('Opportunity', opp)!.OwnerId).to.equal(rep2.userId);
      // Now rep2's: rep can no longer see or edit it; the manager (above both) can move it back.
      expect(failure(updateRecords(local.org, rep, 'Opportunity', [{ Id: opp, OwnerId: rep.userId }])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      ok(updateRecords(local.org, manager, 'Opportunity', [{ Id: opp, OwnerId: rep.userId }]));
    });

    it('edit access is not enough to transfer: a contact of rep2 under the rep\'s account', () => {
      const acc = account(rep, 'Rep Parent');
      const contact = ok(insertRecords(local.org, 'system', 'Contact', [{ LastName: 'Owned by rep2', AccountId: acc, OwnerId: rep2.userId }]))[0]!;
      ok(updateRecords(local.org, rep, 'Contact', [{ Id: contact, Phone: '555-0100' }])); // edit via the parent account
      expect(failure(updateRecords(local.org, rep, 'Contact', [{ Id: contact, OwnerId: rep.userId }])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      // Moving it under an account the rep cannot edit is refused as well.
      const other = account(rep2, 'Rep2 Parent');
      expect(failure(updateRecords(local.org, rep, 'Contact', [{ Id: contact, AccountId: other }])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY');
    });

    it('the new owner must be an active user who can read the object', () => {
      const opp = opportunity(admin);
      expect(failure(updateRecords(local.org, admin, 'Opportunity', [{ Id: opp, OwnerId: outsider.userId }])[0])).to.deep.equal({
        statusCode: 'TRANSFER_REQUIRES_READ',
        message: 'The new owner must have read permission',
        fields: ['OwnerId'],
      });
      const acc = account('system', 'Not a user');
      expect(failure(updateRecords(local.org, admin, 'Opportunity', [{ Id: opp, OwnerId: acc }])[0]).statusCode).to.equal('FIELD_INTEGRITY_EXCEPTION');
    });

    it('an inactive owner is INACTIVE_OWNER_OR_USER (deactivating a user is a setup write)', () => {
      const temp = ok(
        insertRecords(local.org, admin, 'User', [
          {
            Username: 'temp@forcegate.local',
            LastName: 'Temp',
            Alias: 'temp',
            Email: 'temp@forcegate.local',
            ProfileId: (local.org.db.prepare("SELECT Id FROM Profile WHERE Name = 'Standard User'").get() as { Id: string }).Id,
            TimeZoneSidKey: 'America/Los_Angeles',
            LocaleSidKey: 'en_US',
            LanguageLocaleKey: 'en_US',
            EmailEncodingKey: 'UTF-8',
          },
        ]),
      )[0]!;
      const opp = opportunity(admin);
      ok(updateRecords(local.org, admin, 'Opportunity', [{ Id: opp, OwnerId: temp }]));
      ok(updateRecords(local.org, admin, 'User', [{ Id: temp, IsActive: false }]));
      expect(local.org.access.forUser(temp)!.isActive).to.equal(false);
      const other = opportunity(admin);
      expect(failure(updateRecords(local.org, admin, 'Opportunity', [{ Id: other, OwnerId: temp }])[0])).to.deep.include({
        statusCode: 'INACTIVE_OWNER_OR_USER',
        message: `operation performed with inactive user [${temp.slice(0, 15)}] as owner of opportunity`,
      });
      expect(failure(insertRecords(local.org, admin, 'User', [{ Username: 'temp@forcegate.local', LastName: 'Dup', Alias: 'd', Email: 'd@x.io', ProfileId: rep.profileId, TimeZoneSidKey: 'GMT', LocaleSidKey: 'en_US', LanguageLocaleKey: 'en_US', EmailEncodingKey: 'UTF-8' }])[0]).statusCode).to.equal('DUPLICATE_VALUE');
    });
  });

  describe('update and delete targets', () => {
    it('missing, malformed and foreign Ids', () => {
      expect(failure(updateRecords(local.org, admin, 'Account', [{ Name: 'no id' }])[0])).to.include({ statusCode: 'MISSING_ARGUMENT' });
      expect(failure(updateRecords(local.org, admin, 'Account', [{ Id: 'xyz', Name: 'x' }])[0])).to.deep.equal({
        statusCode: 'MALFORMED_ID',
        message: 'Account ID: id value of incorrect type: xyz',
        fields: ['Id'],
      });
      const opp = opportunity(admin);
      expect(failure(updateRecords(local.org, admin, 'Account', [{ Id: opp, Name: 'x' }])[0]).statusCode).to.equal('MALFORMED_ID');
      expect(failure(updateRecords(local.org, admin, 'Account', [{ Id: '001000000000000AAA', Name: 'x' }])[0])).to.include({ statusCode: 'INVALID_CROSS_REFERENCE_KEY' });
      expect(failure(deleteRecords(local.org, admin, 'Account', ['001000000000000AAA'])[0])).to.include({ statusCode: 'ENTITY_IS_DELETED' });
      expect(failure(deleteRecords(local.org, admin, 'Account', ['bogus'])[0])).to.include({ statusCode: 'MALFORMED_ID' });
    });

    it('delete moves to the Recycle Bin; a second delete or an update is ENTITY_IS_DELETED', () => {
      const opp = opportunity(rep);
      const [r] = deleteRecords(local.org, rep, 'Opportunity', [opp]);
      expect(r).to.deep.equal({ id: opp, success: true, errors: [] });
      expect(row('Opportunity', opp)!.IsDeleted).to.equal(1);
      expect(failure(deleteRecords(local.org, rep, 'Opportunity', [opp])[0])).to.deep.equal({ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] });
      expect(failure(updateRecords(local.org, rep, 'Opportunity', [{ Id: opp, Name: 'zombie' }])[0]).statusCode).to.equal('ENTITY_IS_DELETED');
    });

    it('deleting an account cascades to its contacts, opportunities and their tasks', () => {
      const acc = account(admin, 'Parent Co');
      const contact = ok(insertRecords(local.org, admin, 'Contact', [{ LastName: 'Child', AccountId: acc }]))[0]!;
      const opp = opportunity(admin, { AccountId: acc });
      const task = ok(insertRecords(local.org, admin, 'Task', [{ Subject: 'Follow up', WhatId: opp }]))[0]!;
      const unrelated = opportunity(admin);
      ok(deleteRecords(local.org, admin, 'Account', [acc]));
      expect([row('Account', acc)!.IsDeleted, row('Contact', contact)!.IsDeleted, row('Opportunity', opp)!.IsDeleted, row('Task', task)!.IsDeleted]).to.deep.equal([1, 1, 1, 1]);
      expect(row('Opportunity', unrelated)!.IsDeleted).to.equal(0);
    });

    it('deleting a master record cascades to its master-detail children', () => {
      applyComponents(
        local.org,
        [
          {
            type: 'CustomObject',
            fullName: 'Plan_Milestone__c',
            path: 'test',
            xml: '<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata"><label>Plan Milestone</label><pluralLabel>Plan Milestones</pluralLabel><nameField><label>Milestone Name</label><type>Text</type></nameField><sharingModel>ControlledByParent</sharingModel></CustomObject>',
          },
          {
            type: 'CustomField',
            fullName: 'Plan_Milestone__c.Plan__c',
            path: 'test',
            xml: '<CustomField xmlns="http://soap.sforce.com/2006/04/metadata"><fullName>Plan__c</fullName><label>Plan</label><type>MasterDetail</type><referenceTo>Account_Plan__c</referenceTo><relationshipName>Milestones</relationshipName></CustomField>',
          },
        ],
        local.org.systemUserId,
      );
      refresh();
      const plan = ok(insertRecords(local.org, admin, 'Account_Plan__c', [{ Name: 'FY27', Status__c: 'Active' }]))[0]!;
      const milestones = ok(insertRecords(local.org, admin, 'Plan_Milestone__c', [{ Name: 'M1', Plan__c: plan }, { Name: 'M2', Plan__c: plan }]));
      expect(failure(insertRecords(local.org, admin, 'Plan_Milestone__c', [{ Name: 'orphan' }])[0]).statusCode).to.equal('REQUIRED_FIELD_MISSING');
      ok(deleteRecords(local.org, admin, 'Account_Plan__c', [plan]));
      for (const m of milestones) expect(row('Plan_Milestone__c', m)!.IsDeleted).to.equal(1);
    });
  });

  describe('allOrNone', () => {
    it('allOrNone: one failure rolls every record back', () => {
      const before = (local.org.db.prepare('SELECT COUNT(*) AS n FROM "Case"').get() as { n: number }).n;
      const results = insertRecords(local.org, rep, 'Case', [{ Subject: 'one' }, { Subject: 'x'.repeat(300) }, { Subject: 'three' }], { allOrNone: true });
      expect(results.map((r) => r.success)).to.deep.equal([false, false, false]);
      expect(results[0]).to.deep.equal({
        id: null,
        success: false,
        errors: [
          {
            statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
            message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
            fields: [],
          },
        ],
      });
      expect(results[1]!.errors[0]!.statusCode).to.equal('STRING_TOO_LONG');
      expect((local.org.db.prepare('SELECT COUNT(*) AS n FROM "Case"').get() as { n: number }).n).to.equal(before);
    });

    it('without allOrNone the valid records are saved', () => {
      const results = insertRecords(local.org, rep, 'Case', [{ Subject: 'one' }, { Subject: 'x'.repeat(300) }]);
      expect(results.map((r) => r.success)).to.deep.equal([true, false]);
      expect(row('Case', results[0]!.id!)).to.include({ Subject: 'one', OwnerId: rep.userId });
    });

    it('allOrNone over mixed operations keeps updates and deletes Ids', () => {
      const acc = account(admin, 'Mixed');
      const results = executeDml(
        local.org,
        admin,
        [
          { op: 'update', objectName: 'Account', record: { Id: acc, Name: 'Mixed 2' } },
          { op: 'delete', id: acc },
          { op: 'insert', objectName: 'Opportunity', record: { Name: 'no stage' } },
        ],
        { allOrNone: true },
      );
      expect(results.map((r) => [r.id, r.errors[0]?.statusCode])).to.deep.equal([
        [acc, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
        [acc, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
        [null, 'REQUIRED_FIELD_MISSING'],
      ]);
      expect(row('Account', acc)).to.include({ Name: 'Mixed', IsDeleted: 0 });
    });
  });

  describe('setup objects and the access cache', () => {
    it("removing rep2's ForceGate_Agent_Service assignment hides Internal_Risk_Rating__c at once", () => {
      const acc = account(rep2, 'Rep2 Risk', { Internal_Risk_Rating__c: 'Low' });
      const psa = local.org.db
        .prepare(
          `SELECT a.Id FROM PermissionSetAssignment a JOIN PermissionSet p ON p.Id = a.PermissionSetId
           WHERE a.AssigneeId = ? AND p.Name = 'ForceGate_Agent_Service' AND a.IsDeleted = 0`,
        )
        .get(rep2.userId) as { Id: string };
      expect(failure(deleteRecords(local.org, rep, 'PermissionSetAssignment', [psa.Id])[0]).statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      ok(deleteRecords(local.org, admin, 'PermissionSetAssignment', [psa.Id]));
      const rep2Now = ctx('rep2@forcegate.local');
      expect(rep2Now.permissionSetNames).to.not.include('ForceGate_Agent_Service');
      expect(failure(updateRecords(local.org, rep2Now, 'Account', [{ Id: acc, Internal_Risk_Rating__c: 'High' }])[0])).to.deep.equal({
        statusCode: 'INVALID_FIELD',
        message: "No such column 'Internal_Risk_Rating__c' on sobject of type Account",
        fields: [],
      });
      // Give it back through the DML service too.
      const ps = local.org.db.prepare(`SELECT Id FROM PermissionSet WHERE Name = 'ForceGate_Agent_Service'`).get() as { Id: string };
      ok(insertRecords(local.org, admin, 'PermissionSetAssignment', [{ AssigneeId: rep2.userId, PermissionSetId: ps.Id }]));
      expect(failure(insertRecords(local.org, admin, 'PermissionSetAssignment', [{ AssigneeId: rep2.userId, PermissionSetId: ps.Id }])[0]).statusCode).to.equal('DUPLICATE_VALUE');
      ok(updateRecords(local.org, ctx('rep2@forcegate.local'), 'Account', [{ Id: acc, Internal_Risk_Rating__c: 'High' }]));
      refresh();
    });
  });

  describe('system mode and bookkeeping', () => {
    it('the system bypasses CRUD, FLS and sharing but not validation', () => {
      const opp = opportunity(rep2);
      ok(updateRecords(local.org, 'system', 'Opportunity', [{ Id: opp, Amount: 10 }]));
      expect(row('Opportunity', opp)!.LastModifiedById).to.equal(local.org.systemUserId);
      expect(failure(updateRecords(local.org, 'system', 'Opportunity', [{ Id: opp, StageName: null }])[0]).statusCode).to.equal('REQUIRED_FIELD_MISSING');
    });

    it("creates and updates land in the user's recent items", () => {
      const a = account(rep, 'Recent 1');
      const b = account(rep, 'Recent 2');
      ok(updateRecords(local.org, rep, 'Account', [{ Id: a, Phone: '1' }]));
      const recent = recentItemIds(local.org.db, rep.userId, 'Account');
      expect(recent.indexOf(a)).to.be.lessThan(recent.indexOf(b));
      expect(recentItemIds(local.org.db, rep2.userId, 'Account')).to.not.include(a);
    });
  });
});
