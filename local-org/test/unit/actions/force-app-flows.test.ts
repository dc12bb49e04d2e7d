/**
 * The project's own flows (force-app/main/default/flows) validate and run in the local org, each as
 * different users with the outcomes sharing and permissions dictate.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { ApiError } from '../../../src/http/errors.ts';
import { validateFlow } from '../../../src/actions/flow-model.ts';
import { repoRoot, startTestOrg } from '../../helpers/org.ts';
import { ADMIN, AUDITOR, MANAGER, REP, REP2, runFlow, runOne, userContext } from './flow-fixture.ts';

const FLOW_DIR = join(repoRoot, 'force-app', 'main', 'default', 'flows');

describe('force-app flows', function () {
  this.timeout(60_000);
  let local: LocalOrg;
  const one = <T = Record<string, unknown>>(sql: string, ...params: unknown[]) => local.org.db.prepare(sql).get(...params) as T;
  const caseBy = (subject: string) => one<Record<string, unknown>>('SELECT * FROM "Case" WHERE Subject = ?', subject);
  const oppBy = (name: string) => one<Record<string, unknown>>('SELECT * FROM Opportunity WHERE Name = ?', name);
  const accountId = (name: string) => one<{ Id: string }>('SELECT Id FROM Account WHERE Name = ?', name).Id;

  before(async () => {
    local = await startTestOrg();
  });
  after(() => local?.close());

  it('every flow in force-app passes validateFlow against the org schema', () => {
    const files = readdirSync(FLOW_DIR).filter((f) => f.endsWith('.flow-meta.xml'));
    expect(files.length).to.be.greaterThan(0);
    for (const f of files) {
      const { valid, issues } = validateFlow(readFileSync(join(FLOW_DIR, f), 'utf8'), { apiName: f.replace('.flow-meta.xml', ''), schema: local.org.schema });
      expect(valid, `${f}: ${JSON.stringify(issues)}`).to.equal(true);
    }
  });

  describe('Escalate_Case', () => {
    it('escalates the rep\'s own open case', () => {
      const c = caseBy('SSO login fails for new hires');
      const r = runOne(local, REP, 'Escalate_Case', { caseId: c.Id, reason: '  Customer cannot onboard anyone  ' });
      expect(r.isSuccess, JSON.stringify(r)).to.equal(true);
      expect(r.outputValues).to.deep.include({ success: true, caseNumber: c.CaseNumber, message: `Case ${c.CaseNumber} escalated: priority High, status Escalated. Previous status: New.` });
      expect(caseBy('SSO login fails for new hires')).to.include({ Status: 'Escalated', Priority: 'High', Escalation_Reason__c: 'Customer cannot onboard anyone', IsEscalated: 1 });
    });

    it('does not find a case of another rep (sharing), and changes nothing', () => {
      const c = caseBy('Password reset emails delayed');
      const r = runOne(local, REP, 'Escalate_Case', { caseId: c.Id, reason: 'Urgent' });
      expect(r.isSuccess).to.equal(true);
      expect(r.outputValues).to.deep.include({ success: false, caseNumber: null, message: `No Case with Id ${c.Id} is visible to you. Check the Id (Case Ids start with 500).` });
      expect(caseBy('Password reset emails delayed')).to.include({ Status: 'New', Escalation_Reason__c: null });
      // rep2 owns it and may escalate it.
      expect(runOne(local, REP2, 'Escalate_Case', { caseId: c.Id, reason: 'Urgent' }).outputValues).to.deep.include({ success: true });
    });

    it('lets the manager escalate a subordinate\'s case (role hierarchy)', () => {
      const c = caseBy('Trial users cannot be added');
      expect(runOne(local, MANAGER, 'Escalate_Case', { caseId: c.Id, reason: 'Big prospect' }).outputValues).to.deep.include({ success: true });
    });

    it('refuses closed cases and blank or over-long reasons', () => {
      const closed = caseBy('Invoice shows wrong tax rate');
      expect(runOne(local, REP, 'Escalate_Case', { caseId: closed.Id, reason: 'x' }).outputValues!.message).to.match(/is closed and cannot be escalated/);
      const open = caseBy('Weekly report runs slowly');
      const [blank, long] = runFlow(local, REP, 'Escalate_Case', [
        { caseId: open.Id, reason: '   ' },
        { caseId: open.Id, reason: 'x'.repeat(256) },
      ]);
      for (const r of [blank!, long!]) expect(r.outputValues).to.deep.include({ success: false, message: 'reason is required and must be at most 255 characters: say in one sentence why the case needs escalation.' });
      expect(caseBy('Weekly report runs slowly')).to.include({ Status: 'Working' });
    });

    it('is not available to a user without the flow access (auditor)', () => {
      expect(() => runOne(local, AUDITOR, 'Escalate_Case', { caseId: caseBy('Weekly report runs slowly').Id, reason: 'x' })).to.throw(ApiError, 'The requested resource does not exist');
    });
  });

  describe('Update_Opportunity_Stage', () => {
    it('moves the rep\'s own opportunity and reports the previous stage', () => {
      const o = oppBy('Hooli Media - Pilot');
      const r = runOne(local, REP, 'Update_Opportunity_Stage', { opportunityId: o.Id, stageName: 'Qualification' });
      expect(r.outputValues).to.deep.include({ success: true, previousStage: 'Prospecting', message: 'Opportunity Hooli Media - Pilot moved from Prospecting to Qualification.' });
      expect(oppBy('Hooli Media - Pilot')).to.include({ StageName: 'Qualification' });
      // Same stage again: nothing changes, still a success.
      expect(runOne(local, REP, 'Update_Opportunity_Stage', { opportunityId: o.Id, stageName: 'Qualification' }).outputValues!.message).to.match(/already at stage Qualification; nothing changed/);
    });

    it('does not find another rep\'s opportunity', () => {
      const o = oppBy('Hooli Media - Pilot');
      const r = runOne(local, REP2, 'Update_Opportunity_Stage', { opportunityId: o.Id, stageName: 'Closed Won' });
      expect(r.outputValues).to.deep.include({ success: false, previousStage: null });
      expect(oppBy('Hooli Media - Pilot')).to.include({ StageName: 'Qualification' });
    });

    it('refuses closed opportunities and unknown stages', () => {
      const lost = oppBy('Globex Industries - Analytics Add-on');
      expect(runOne(local, REP, 'Update_Opportunity_Stage', { opportunityId: lost.Id, stageName: 'Prospecting' }).outputValues!.message).to.equal(
        'Opportunity Globex Industries - Analytics Add-on is already Closed Lost; closed opportunities cannot change stage.',
      );
      const o = oppBy('Acme Corporation - EMEA Expansion');
      expect(runOne(local, REP, 'Update_Opportunity_Stage', { opportunityId: o.Id, stageName: 'closed won' }).outputValues!.message).to.match(/^Stage 'closed won' is not a valid stage/);
      expect(oppBy('Acme Corporation - EMEA Expansion')).to.include({ StageName: 'Qualification' });
    });
  });

  describe('Create_Case_Follow_Up_Tasks', () => {
    const tomorrow = () => new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);

    it('creates one task per open case the rep can see, owned by the rep', () => {
      const acme = accountId('Acme Corporation');
      const due = tomorrow();
      const r = runOne(local, REP, 'Create_Case_Follow_Up_Tasks', { accountId: acme, dueDate: due });
      expect(r.isSuccess, JSON.stringify(r)).to.equal(true);
      const openCases = local.org.db.prepare('SELECT Id FROM "Case" WHERE AccountId = ? AND IsClosed = 0').all(acme) as { Id: string }[];
      expect(r.outputValues).to.deep.include({ success: true, taskCount: openCases.length });
      const tasks = local.org.db.prepare('SELECT * FROM Task WHERE ActivityDate = ? AND Subject LIKE ?').all(due, 'Follow up on case %') as Record<string, unknown>[];
      expect(tasks.map((t) => t.WhatId).sort()).to.deep.equal(openCases.map((c) => c.Id).sort());
      for (const t of tasks) expect(t.OwnerId).to.equal(userContext(local, REP).userId);
    });

    it('finds no visible open case on the same account for another rep', () => {
      const r = runOne(local, REP2, 'Create_Case_Follow_Up_Tasks', { accountId: accountId('Acme Corporation'), dueDate: tomorrow() });
      expect(r.outputValues).to.deep.include({ success: true, taskCount: 0, message: 'Account Acme Corporation has no open cases visible to you; no follow-up tasks were created.' });
    });

    it('refuses a past due date, and an input that is not a date fails its item only', () => {
      const results = runFlow(local, ADMIN, 'Create_Case_Follow_Up_Tasks', [
        { accountId: accountId('Stark Logistics'), dueDate: '2001-01-01' },
        { accountId: accountId('Stark Logistics'), dueDate: 'next week' },
      ]);
      expect(results[0]!.outputValues).to.deep.include({ success: false, taskCount: 0 });
      expect(results[1]!.isSuccess).to.equal(false);
      expect(results[1]!.errors![0]).to.deep.include({ statusCode: 'INVALID_INPUT', fields: ['dueDate'] });
    });
  });
});
