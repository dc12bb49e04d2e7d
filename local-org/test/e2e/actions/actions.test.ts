/**
 * Invocable actions over HTTP with an unmodified jsforce, as the personas of docs/design.md:
 * listing and describing only what each user may run, running the project's flows as different
 * users with different outcomes, per-item failures (HTTP 400 with the full result array) and
 * rollback, the honest refusal to execute Apex, and one ApiTotalUsage row per request.
 */
import { expect } from 'chai';
import jsforce from 'jsforce';
import type { LocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { registerApexActionRuntime } from '../../../src/actions/invocable.ts';
import { startTestOrg } from '../../helpers/org.ts';
import { deployFlows, flowXml, grantFlows, ref, str, variable } from '../../unit/actions/flow-fixture.ts';

const V = '65.0';
const ADMIN = 'admin@forcegate.local';
const REP = 'rep@forcegate.local';
const REP2 = 'rep2@forcegate.local';
const MANAGER = 'manager@forcegate.local';
const AUDITOR = 'auditor@forcegate.local';

interface ActionResult {
  actionName: string;
  errors: { statusCode: string; message: string; fields: string[] }[] | null;
  isSuccess: boolean;
  outputValues: Record<string, unknown> | null;
  version?: number;
}

interface ApiErrorLike {
  errorCode: string;
  message: string;
  data?: unknown;
}

describe('Invocable actions over REST', function () {
  this.timeout(120_000);
  let local: LocalOrg;
  const tokens: Record<string, string> = {};
  const conn = (username: string) => new jsforce.Connection({ instanceUrl: local.url, accessToken: tokens[username]!, version: V });
  const get = <T>(username: string, path: string) => conn(username).request<T>(`/services/data/v${V}${path}`);
  const post = <T>(username: string, path: string, body: object) => conn(username).requestPost<T>(`/services/data/v${V}${path}`, body);
  const failure = async (p: Promise<unknown>): Promise<ApiErrorLike> => {
    try {
      await p;
    } catch (e) {
      return e as ApiErrorLike;
    }
    throw new Error('expected the request to fail');
  };
  /** The result array of an invocation that answered 400 (jsforce turns it into an error). */
  const failedResults = async (p: Promise<unknown>): Promise<ActionResult[]> => {
    const e = await failure(p);
    if (e.errorCode === 'MULTIPLE_API_ERRORS') return e.data as ActionResult[];
    expect(e.errorCode, e.message).to.equal('ERROR_HTTP_400');
    return JSON.parse(e.message) as ActionResult[];
  };
  const one = <T = Record<string, unknown>>(sql: string, ...params: unknown[]) => local.org.db.prepare(sql).get(...params) as T;
  const auditRows = (since: number) =>
    local.org.db.prepare('SELECT user_name, api_resource, http_method, status_code, entity_name FROM _api_usage WHERE seq > ? ORDER BY seq').all(since) as {
      user_name: string;
      api_resource: string;
      http_method: string;
      status_code: number;
      entity_name: string;
    }[];
  const lastSeq = () => (one<{ s: number | null }>('SELECT MAX(seq) AS s FROM _api_usage').s ?? 0);

  before(async () => {
    local = await startTestOrg();
    for (const u of [ADMIN, REP, REP2, MANAGER, AUDITOR]) tokens[u] = await personaToken(local.url, u);
  });
  after(() => local?.close());

  describe('resources and lists', () => {
    it('serves the actions resource maps', async () => {
      expect(await get(REP, '/actions')).to.deep.equal({ standard: `/services/data/v${V}/actions/standard`, custom: `/services/data/v${V}/actions/custom` });
      expect(await get(REP, '/actions/custom')).to.deep.equal({ apex: `/services/data/v${V}/actions/custom/apex`, flow: `/services/data/v${V}/actions/custom/flow` });
      expect(await get(REP, '/actions/standard')).to.deep.equal({ actions: [] });
    });

    it('lists only the flows and Apex actions each user may run', async () => {
      const names = async (u: string, type: string) => ((await get<{ actions: { name: string; type: string; label: string; url: string }[] }>(u, `/actions/custom/${type}`)).actions).map((a) => a.name);
      const flows = ['Create_Case_Follow_Up_Tasks', 'Escalate_Case', 'Update_Opportunity_Stage'];
      expect(await names(REP, 'flow')).to.deep.equal(flows);
      expect(await names(ADMIN, 'flow')).to.include.members(flows);
      expect(await names(AUDITOR, 'flow')).to.deep.equal([]);
      expect(await names(REP, 'apex')).to.deep.equal(['AccountHealthSummary', 'CreateSupportCase', 'LogCallActivity', 'OpportunitiesClosingInRange']);
      expect(await names(AUDITOR, 'apex')).to.deep.equal(['AccountHealthSummary', 'OpportunitiesClosingInRange']);
      const list = await get<{ actions: Record<string, string>[] }>(REP, '/actions/custom/flow');
      expect(list.actions[1]).to.deep.equal({ label: 'Escalate Case', name: 'Escalate_Case', type: 'FLOW', url: `/services/data/v${V}/actions/custom/flow/Escalate_Case` });
    });

    it('answers 404 Invalid Action Type for types it does not serve', async () => {
      const e = await failure(get(REP, '/actions/custom/quickAction'));
      expect(e.errorCode).to.equal('NOT_FOUND');
      expect(e.message).to.equal('Invalid Action Type: quickAction');
    });
  });

  describe('describe', () => {
    it('describes a flow from its variables', async () => {
      const d = await get<Record<string, unknown> & { inputs: Record<string, unknown>[]; outputs: Record<string, unknown>[] }>(REP, '/actions/custom/flow/Create_Case_Follow_Up_Tasks');
      expect(d).to.include({ name: 'Create_Case_Follow_Up_Tasks', label: 'Create Case Follow-Up Tasks', type: 'FLOW', standard: false, targetEntityName: null });
      expect(d.inputs.map((p) => [p.name, p.type, p.required, p.maxOccurs])).to.deep.equal([
        ['accountId', 'STRING', false, 1],
        ['dueDate', 'DATE', false, 1],
      ]);
      expect(d.inputs[1]!.description).to.equal('Due date of the follow-up tasks, as YYYY-MM-DD; today or later.');
      expect(d.outputs.map((p) => [p.name, p.type])).to.deep.equal([
        ['success', 'BOOLEAN'],
        ['message', 'STRING'],
        ['taskCount', 'DOUBLE'],
        ['Flow__InterviewGuid', 'STRING'],
        ['Flow__InterviewStatus', 'STRING'],
      ]);
    });

    it('describes an Apex action from the class source', async () => {
      const d = await get<Record<string, unknown> & { inputs: Record<string, unknown>[]; outputs: Record<string, unknown>[] }>(REP, '/actions/custom/apex/CreateSupportCase');
      expect(d).to.include({ name: 'CreateSupportCase', label: 'Create Support Case', type: 'APEX', category: 'ForceGate Service', standard: false });
      expect(d.inputs[0]).to.deep.include({ name: 'accountId', label: 'Account Id', type: 'ID', required: true, maxOccurs: 1, sobjectType: null, byteLength: 0, picklistValues: null });
      expect(d.outputs.map((p) => p.name)).to.deep.equal(['caseId', 'caseNumber', 'message']);
      const read = await get<{ outputs: Record<string, unknown>[] }>(AUDITOR, '/actions/custom/apex/OpportunitiesClosingInRange');
      expect(read.outputs.find((p) => p.name === 'opportunityIds')).to.include({ type: 'ID', maxOccurs: 2000 });
    });

    it('does not disclose actions the user may not run', async () => {
      for (const path of ['/actions/custom/apex/CreateSupportCase', '/actions/custom/flow/Escalate_Case', '/actions/custom/flow/No_Such_Flow']) {
        const e = await failure(get(AUDITOR, path));
        expect(e.errorCode, path).to.equal('NOT_FOUND');
      }
    });

    it('answers 304 to If-Modified-Since', async () => {
      const url = `${local.url}/services/data/v${V}/actions/custom/flow/Escalate_Case`;
      const first = await fetch(url, { headers: { Authorization: `Bearer ${tokens[REP]}` } });
      expect(first.status).to.equal(200);
      const lastModified = first.headers.get('last-modified')!;
      const again = await fetch(url, { headers: { Authorization: `Bearer ${tokens[REP]}`, 'If-Modified-Since': lastModified } });
      expect(again.status).to.equal(304);
      const older = await fetch(url, { headers: { Authorization: `Bearer ${tokens[REP]}`, 'If-Modified-Since': 'Thu, 01 Jan 2015 00:00:00 GMT' } });
      expect(older.status).to.equal(200);
    });
  });

  describe('flows', () => {
    const caseBy = (subject: string) => one<Record<string, unknown>>('SELECT * FROM "Case" WHERE Subject = ?', subject);

    it('Escalate_Case: the owner escalates, another rep cannot see the case, the auditor cannot run the flow', async () => {
      const c = caseBy('Trial users cannot be added');
      const [mine] = await post<ActionResult[]>(REP, '/actions/custom/flow/Escalate_Case', { inputs: [{ caseId: c.Id, reason: 'Prospect blocked in trial' }] });
      expect(mine).to.deep.include({ actionName: 'Escalate_Case', isSuccess: true, errors: null, version: 1 });
      expect(mine!.outputValues).to.deep.include({ success: true, caseNumber: c.CaseNumber, Flow__InterviewStatus: 'Finished' });
      expect(caseBy('Trial users cannot be added')).to.include({ Status: 'Escalated', Priority: 'High', Escalation_Reason__c: 'Prospect blocked in trial' });

      const other = caseBy('Audit log export needed for regulator');
      const [theirs] = await post<ActionResult[]>(REP, '/actions/custom/flow/Escalate_Case', { inputs: [{ caseId: other.Id, reason: 'Regulator deadline' }] });
      expect(theirs!.isSuccess).to.equal(true);
      expect(theirs!.outputValues).to.deep.include({ success: false, message: `No Case with Id ${other.Id} is visible to you. Check the Id (Case Ids start with 500).` });
      expect(caseBy('Audit log export needed for regulator')).to.include({ Status: 'Working', Escalation_Reason__c: null });
      // The owner of that case can.
      const [owner] = await post<ActionResult[]>(REP2, '/actions/custom/flow/Escalate_Case', { inputs: [{ caseId: other.Id, reason: 'Regulator deadline' }] });
      expect(owner!.outputValues).to.deep.include({ success: true });

      const e = await failure(post(AUDITOR, '/actions/custom/flow/Escalate_Case', { inputs: [{ caseId: c.Id, reason: 'x' }] }));
      expect(e.errorCode).to.equal('NOT_FOUND');
    });

    it('Update_Opportunity_Stage: the owner moves the stage, another rep gets "not visible"', async () => {
      const opp = one<{ Id: string }>("SELECT Id FROM Opportunity WHERE Name = 'Globex Industries - Support Upgrade'");
      const [rep2] = await post<ActionResult[]>(REP2, '/actions/custom/flow/Update_Opportunity_Stage', { inputs: [{ opportunityId: opp.Id, stageName: 'Closed Won' }] });
      expect(rep2!.outputValues).to.deep.include({ success: false, previousStage: null });
      const [rep] = await post<ActionResult[]>(REP, '/actions/custom/flow/Update_Opportunity_Stage', { inputs: [{ opportunityId: opp.Id, stageName: 'Negotiation/Review' }] });
      expect(rep!.outputValues).to.deep.include({ success: true, previousStage: 'Proposal/Price Quote' });
      expect(one<{ StageName: string }>('SELECT StageName FROM Opportunity WHERE Id = ?', opp.Id).StageName).to.equal('Negotiation/Review');
    });

    it('Create_Case_Follow_Up_Tasks: HTTP 400 with every result when one of several inputs fails', async () => {
      const globex = one<{ Id: string }>("SELECT Id FROM Account WHERE Name = 'Globex Industries'").Id;
      const due = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
      const results = await failedResults(
        post(REP, '/actions/custom/flow/Create_Case_Follow_Up_Tasks', {
          inputs: [
            { accountId: globex, dueDate: due },
            { accountId: globex, dueDate: 'tomorrow' },
            { accountId: globex, dueDate: due, unexpected: true },
          ],
        }),
      );
      expect(results.map((r) => r.isSuccess)).to.deep.equal([true, false, false]);
      expect(results[0]!.outputValues).to.deep.include({ success: true, taskCount: 1 });
      expect(results[1]!.errors![0]).to.deep.include({ statusCode: 'INVALID_INPUT', fields: ['dueDate'] });
      expect(results[1]!.outputValues).to.equal(null);
      expect(results[2]!.errors![0]!.message).to.match(/unexpected is not an input variable/);
      const tasks = local.org.db.prepare('SELECT WhatId FROM Task WHERE ActivityDate = ? AND IsDeleted = 0').all(due) as { WhatId: string }[];
      expect(tasks).to.have.length(1);
      // Another rep sees the account (Read) but none of its cases (Private): nothing to follow up.
      const [rep2] = await post<ActionResult[]>(REP2, '/actions/custom/flow/Create_Case_Follow_Up_Tasks', { inputs: [{ accountId: globex, dueDate: due }] });
      expect(rep2!.outputValues).to.deep.include({ success: true, taskCount: 0, message: 'Account Globex Industries has no open cases visible to you; no follow-up tasks were created.' });
    });

    it('rolls back a failed interview (unhandled fault) while the other items commit', async () => {
      deployFlows(local, {
        Test_Log_And_Touch: flowXml({
          start: 'Log',
          label: 'Log And Touch',
          body: [
            variable('accountId', 'String', { input: true }),
            variable('subject', 'String', { input: true }),
            `<recordCreates><name>Log</name><label>Log</label><locationX>0</locationX><locationY>0</locationY><connector><targetReference>Touch</targetReference></connector>
               <inputAssignments><field>Subject</field><value>${ref('subject')}</value></inputAssignments><inputAssignments><field>WhatId</field><value>${ref('accountId')}</value></inputAssignments><object>Task</object></recordCreates>`,
            `<recordUpdates><name>Touch</name><label>Touch</label><locationX>0</locationX><locationY>0</locationY><filterLogic>and</filterLogic>
               <filters><field>Id</field><operator>EqualTo</operator><value>${ref('accountId')}</value></filters>
               <inputAssignments><field>Description</field><value>${str('Touched')}</value></inputAssignments><object>Account</object></recordUpdates>`,
          ].join('\n'),
        }),
      });
      grantFlows(local, 'Test_Log_And_Touch_Access', ['Test_Log_And_Touch'], [REP]);
      const acme = one<{ Id: string }>("SELECT Id FROM Account WHERE Name = 'Acme Corporation'").Id;
      const initech = one<{ Id: string }>("SELECT Id FROM Account WHERE Name = 'Initech'").Id;
      const subject = `e2e rollback ${Date.now()}`;
      const results = await failedResults(post(REP, '/actions/custom/flow/Test_Log_And_Touch', { inputs: [{ accountId: acme, subject }, { accountId: initech, subject }] }));
      expect(results[0]).to.deep.include({ isSuccess: true });
      expect(results[1]!.isSuccess).to.equal(false);
      expect(results[1]!.errors![0]!.statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      expect(results[1]!.outputValues).to.deep.include({ Flow__InterviewStatus: 'Error' });
      const tasks = local.org.db.prepare('SELECT WhatId FROM Task WHERE Subject = ? AND IsDeleted = 0').all(subject) as { WhatId: string }[];
      expect(tasks.map((t) => t.WhatId)).to.deep.equal([acme]);
      expect(one<{ Description: string | null }>('SELECT Description FROM Account WHERE Id = ?', initech).Description).to.not.equal('Touched');
      // The admin (Modify All Data) may edit Initech: the same input succeeds.
      const [admin] = await post<ActionResult[]>(ADMIN, '/actions/custom/flow/Test_Log_And_Touch', { inputs: [{ accountId: initech, subject }] });
      expect(admin!.isSuccess).to.equal(true);
    });

    it('refuses a body without "inputs"', async () => {
      let e = await failure(post(REP, '/actions/custom/flow/Escalate_Case', { caseId: 'x' }));
      expect(e.errorCode).to.equal('JSON_PARSER_ERROR');
      expect(e.message).to.match(/Missing required key "inputs"/);
      e = await failure(post(REP, '/actions/custom/flow/Escalate_Case', { inputs: { caseId: 'x' } }));
      expect(e.errorCode).to.equal('JSON_PARSER_ERROR');
    });
  });

  describe('Apex actions', () => {
    it('checks inputs, then refuses to pretend when no Apex runtime is present: APEX_EXECUTION_UNSUPPORTED', async () => {
      const runtime = registerApexActionRuntime(undefined);
      try {
        const before = one<{ n: number }>('SELECT COUNT(*) AS n FROM "Case"').n;
        const acme = one<{ Id: string }>("SELECT Id FROM Account WHERE Name = 'Acme Corporation'").Id;
        const results = await failedResults(
          post(REP, '/actions/custom/apex/CreateSupportCase', { inputs: [{ accountId: acme, subject: 'Printer on fire' }, { subject: 'No account' }, { accountId: 'nope', subject: 'x' }] }),
        );
        expect(results[0]).to.deep.include({
          actionName: 'CreateSupportCase',
          isSuccess: false,
          outputValues: null,
          errors: [{ statusCode: 'APEX_EXECUTION_UNSUPPORTED', message: 'The local org cannot execute Apex yet: CreateSupportCase.createCases was not run', fields: [] }],
        });
        expect(results[1]!.errors).to.deep.equal([{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Missing required input parameter: accountId', fields: [] }]);
        expect(results[2]!.errors![0]).to.deep.include({ statusCode: 'INVALID_INPUT', fields: ['accountId'] });
        expect(one<{ n: number }>('SELECT COUNT(*) AS n FROM "Case"').n).to.equal(before);
      } finally {
        registerApexActionRuntime(runtime);
      }
    });

    it('hands only the valid items to a registered Apex runtime, as the calling user, in order', async () => {
      const calls: { user: string; inputs: Record<string, unknown>[] }[] = [];
      const runtime = registerApexActionRuntime({
        invoke: (_org, user, action, inputs) => {
          calls.push({ user: user.username, inputs });
          return inputs.map((i) => ({ actionName: action.component.fullName, errors: null, isSuccess: true, outputValues: { echo: i.subject }, invocationId: null, sortOrder: -1, version: 1 }));
        },
      });
      try {
        const acme = one<{ Id: string }>("SELECT Id FROM Account WHERE Name = 'Acme Corporation'").Id;
        const results = await failedResults(
          post(REP, '/actions/custom/apex/CreateSupportCase', { inputs: [{ accountId: acme, subject: 'one' }, { subject: 'missing account' }, { accountId: acme, subject: 'three' }] }),
        );
        expect(calls).to.deep.equal([{ user: REP, inputs: [{ accountId: acme, subject: 'one' }, { accountId: acme, subject: 'three' }] }]);
        expect(results.map((r) => r.outputValues?.echo ?? r.errors![0]!.statusCode)).to.deep.equal(['one', 'REQUIRED_FIELD_MISSING', 'three']);
      } finally {
        registerApexActionRuntime(runtime);
      }
    });

    it('needs Apex class access to invoke', async () => {
      const e = await failure(post(AUDITOR, '/actions/custom/apex/CreateSupportCase', { inputs: [{}] }));
      expect(e.errorCode).to.equal('NOT_FOUND');
    });
  });

  describe('audit', () => {
    it('writes exactly one ApiTotalUsage row per request, naming the action', async () => {
      const seq = lastSeq();
      const c = one<{ Id: string }>('SELECT Id FROM "Case" WHERE Subject = ?', 'Vehicle GPS positions lag').Id;
      await get(REP, '/actions/custom/flow/Escalate_Case');
      await post(MANAGER, '/actions/custom/flow/Escalate_Case', { inputs: [{ caseId: c, reason: 'a' }, { caseId: c, reason: 'b' }, { caseId: c, reason: 'c' }] });
      await failure(post(REP, '/actions/custom/apex/CreateSupportCase', { inputs: [{}] }));
      await failure(get(AUDITOR, '/actions/custom/flow/Escalate_Case'));
      const rows = auditRows(seq);
      expect(rows.map((r) => [r.user_name, r.http_method, r.status_code, r.entity_name, r.api_resource])).to.deep.equal([
        [REP, 'GET', 200, 'Escalate_Case', '/actions/custom/flow/Escalate_Case'],
        [MANAGER, 'POST', 200, 'Escalate_Case', '/actions/custom/flow/Escalate_Case'],
        [REP, 'POST', 400, 'CreateSupportCase', '/actions/custom/apex/CreateSupportCase'],
        [AUDITOR, 'GET', 404, 'Escalate_Case', '/actions/custom/flow/Escalate_Case'],
      ]);
    });
  });
});
