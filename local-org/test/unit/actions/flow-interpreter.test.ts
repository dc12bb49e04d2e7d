/**
 * The flow interpreter on small inline flows, one element type at a time, run as different users
 * against a real in-memory org: assignments, decisions, loops, Get/Create/Update/Delete Records,
 * formulas, text templates, constants, globals, faults (handled and unhandled, with rollback),
 * input checking, flow versions and the refusal of unsupported flows.
 */
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { ApiError } from '../../../src/http/errors.ts';
import { insertRecords } from '../../../src/dml/index.ts';
import { findFlowAction } from '../../../src/actions/invocable.ts';
import { parseFlow, validateFlow } from '../../../src/actions/flow-model.ts';
import { convertInputs, runInterview } from '../../../src/actions/flow-interpreter.ts';
import { orgDataServices } from '../../../src/actions/data-services.ts';
import { activateFlowVersion, getFlowDefinition, listFlowVersions } from '../../../src/actions/flow-versions.ts';
import { startTestOrg } from '../../helpers/org.ts';
import {
  ADMIN,
  AUDITOR,
  MANAGER,
  REP,
  REP2,
  assignment,
  boolv,
  connector,
  deployFlows,
  flowXml,
  grantFlows,
  numv,
  ref,
  runFlow,
  runOne,
  str,
  userContext,
  variable,
} from './flow-fixture.ts';

const cond = (left: string, op: string, right: string) =>
  `<conditions><leftValueReference>${left}</leftValueReference><operator>${op}</operator><rightValue>${right}</rightValue></conditions>`;
const filter = (field: string, op: string, value: string) => `<filters><field>${field}</field><operator>${op}</operator><value>${value}</value></filters>`;
const fieldValue = (field: string, value: string) => `<inputAssignments><field>${field}</field><value>${value}</value></inputAssignments>`;
const fault = (target: string) => `<faultConnector><targetReference>${target}</targetReference></faultConnector>`;
const el = (type: string, name: string, inner: string) => `<${type}><name>${name}</name><label>${name}</label><locationX>0</locationX><locationY>0</locationY>${inner}</${type}>`;

describe('Flow interpreter', function () {
  this.timeout(60_000);
  let local: LocalOrg;
  const id = (object: string, where: string, ...params: unknown[]) =>
    (local.org.db.prepare(`SELECT Id FROM "${object}" WHERE ${where}`).get(...params) as { Id: string } | undefined)?.Id;
  const account = (name: string) => id('Account', 'Name = ?', name)!;
  const row = (object: string, rid: string) => local.org.db.prepare(`SELECT * FROM "${object}" WHERE Id = ?`).get(rid) as Record<string, unknown>;

  before(async () => {
    local = await startTestOrg();
    deployFlows(local, FLOWS);
    grantFlows(local, 'Test_Flow_Access', Object.keys(FLOWS), [REP, REP2, MANAGER]);
  });
  after(() => local?.close());

  describe('assignments', () => {
    it('applies Assign, Add, Subtract, AddItem, AddAtStart, AssignCount, RemoveFirst and RemoveAll', () => {
      const r = runOne(local, REP, 'T_Assign', { n: 4, s: 'hi', d: '2026-01-25' });
      expect(r.isSuccess, JSON.stringify(r)).to.equal(true);
      expect(r.outputValues).to.deep.include({ nOut: 7, sOut: 'hi!', dOut: '2026-02-04', count: 3, listOut: ['a', 'c'] });
      expect(r.outputValues!.Flow__InterviewStatus).to.equal('Finished');
      expect(r.outputValues!.Flow__InterviewGuid).to.match(/^[0-9a-f]{34}-[0-9a-f]{4}$/);
      expect(r).to.include({ actionName: 'T_Assign', invocationId: null, sortOrder: -1, version: 1, outcome: null, errors: null });
    });
  });

  describe('decisions', () => {
    const decide = (input: Record<string, unknown>) => runOne(local, REP, 'T_Decide', input).outputValues!.result;
    it('evaluates custom logic "1 AND (2 OR 3)"', () => {
      expect(decide({ a: true, b: false, c: true, s: '', n: 0 })).to.equal('custom');
      expect(decide({ a: true, b: false, c: false, s: '', n: 0 })).to.equal('blank');
    });
    it('evaluates text, number and blank operators with and/or logic, then the default outcome', () => {
      expect(decide({ a: false, s: 'abcz', n: 0 })).to.equal('text');
      expect(decide({ a: false, s: 'abz', n: 11 })).to.equal('num');
      expect(decide({ a: false, s: 'abz', n: -1 })).to.equal('num');
      expect(decide({ a: false, s: 'q', n: 5 })).to.equal('default');
    });
  });

  describe('loops', () => {
    it('iterates in ascending and descending order, with and without a loop variable', () => {
      const r = runOne(local, REP, 'T_Loop', { nums: [1, 2, 3] });
      expect(r.outputValues).to.deep.include({ total: 6, trail: '1,2,3,', rtrail: '321' });
    });
    it('skips the body for an empty collection', () => {
      expect(runOne(local, REP, 'T_Loop', { nums: [] }).outputValues).to.deep.include({ total: 0, trail: null, rtrail: null });
    });
  });

  describe('Get Records', () => {
    it('queries as the running user: sharing decides what each user gets', () => {
      const rep = runOne(local, REP, 'T_Get', { minAmount: 0, accName: 'Acme Corporation', industries: ['Technology', 'Media'] }).outputValues!;
      const rep2 = runOne(local, REP2, 'T_Get', { minAmount: 0, accName: 'Acme Corporation', industries: ['Technology', 'Media'] }).outputValues!;
      const manager = runOne(local, MANAGER, 'T_Get', { minAmount: 0, accName: 'Acme Corporation', industries: ['Technology'] }).outputValues!;
      expect(rep.caseCount).to.equal(4);
      expect(rep2.caseCount).to.equal(3);
      expect(manager.caseCount).to.equal(8);
      // sortOrder Asc on CaseNumber
      expect(rep.caseNumbers).to.deep.equal([...(rep.caseNumbers as string[])].sort());
      // first record only, sorted by Amount DESC, through outputAssignments
      expect(rep).to.deep.include({ topName: 'Acme Corporation - 2027 Renewal', topAmount: 120000 });
      expect(rep2).to.deep.include({ topName: 'Initech - Platform Licences', topAmount: 64000 });
      // outputReference record variable; Account is Read for everyone
      expect(rep.accIndustry).to.equal('Technology');
      expect(rep2.accIndustry).to.equal('Technology');
      // In filter over a collection input: Acme, Initech (Technology) + Hooli (Media)
      expect(rep.inCount).to.equal(3);
      expect(manager.inCount).to.equal(2);
    });

    it('assigns null when nothing is found', () => {
      const r = runOne(local, REP, 'T_Get', { minAmount: 10_000_000, accName: 'No Such Account', industries: [] }).outputValues!;
      expect(r).to.deep.include({ topName: null, topAmount: null, accIndustry: null, inCount: 0 });
    });
  });

  describe('Create, Update and Delete Records', () => {
    it('creates a record from field assignments and returns its Id', () => {
      const r = runOne(local, REP, 'T_Create', { subject: 'Call back about renewal', accountId: account('Acme Corporation') });
      expect(r.isSuccess, JSON.stringify(r)).to.equal(true);
      const taskId = r.outputValues!.taskId as string;
      expect(taskId).to.match(/^00T/);
      const t = row('Task', taskId);
      expect(t).to.include({ Subject: 'Call back about renewal', WhatId: account('Acme Corporation'), Priority: 'High' });
      expect(t.OwnerId).to.equal(userContext(local, REP).userId);
      expect(t.ActivityDate).to.match(/^\d{4}-\d{2}-\d{2}$/);
    });

    it('creates a collection of records built in a loop (one DML) and sets their Ids', () => {
      const r = runOne(local, REP, 'T_CreateMany', { accountId: account('Acme Corporation'), lastNames: ['Kay', 'Liskov'] });
      expect(r.isSuccess, JSON.stringify(r)).to.equal(true);
      const contacts = r.outputValues!.contacts as { attributes: { type: string }; Id: string; LastName: string }[];
      expect(contacts.map((c) => c.LastName)).to.deep.equal(['Kay', 'Liskov']);
      for (const c of contacts) {
        expect(c.attributes.type).to.equal('Contact');
        expect(row('Contact', c.Id)).to.include({ AccountId: account('Acme Corporation') });
      }
    });

    it('updates records matched by filters, as the user: editable for the owner, refused for another rep', () => {
      const ok = runOne(local, REP, 'T_Update', { accountId: account('Acme Corporation'), text: 'Renewal at risk' });
      expect(ok.isSuccess, JSON.stringify(ok)).to.equal(true);
      expect(row('Account', account('Acme Corporation')).Description).to.equal('Renewal at risk');

      // Account is Read for everyone: rep sees rep2's Initech but may not edit it.
      const refused = runOne(local, REP, 'T_Update', { accountId: account('Initech'), text: 'nope' });
      expect(refused.isSuccess).to.equal(false);
      expect(refused.errors![0]!.statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      expect(refused.errors![0]!.message).to.match(/^An error occurred when executing a flow interview\. This error occurred when the flow tried to update records: INSUFFICIENT_ACCESS_OR_READONLY/);
      expect(refused.outputValues).to.deep.include({ Flow__InterviewStatus: 'Error' });
      expect(row('Account', account('Initech')).Description).to.not.equal('nope');
    });

    it('updates a record variable: only the fields the flow set are written', () => {
      const before = row('Account', account('Globex Industries'));
      const r = runOne(local, REP, 'T_UpdateVar', { accountName: 'Globex Industries', text: 'Set through a record variable' });
      expect(r.isSuccess, JSON.stringify(r)).to.equal(true);
      const after = row('Account', account('Globex Industries'));
      expect(after.Description).to.equal('Set through a record variable');
      expect(after.Name).to.equal(before.Name);
      expect(after.Internal_Risk_Rating__c).to.equal(before.Internal_Risk_Rating__c);
    });

    it('deletes by filter (only what the user sees) and by record variable (refused for a record the user cannot edit)', () => {
      const [task] = insertRecords(local.org, userContext(local, REP), 'Task', [{ Subject: 'Delete me', WhatId: account('Acme Corporation') }]);
      const taskId = task!.id!;
      // rep2 cannot see rep's Task (Private): the filter matches nothing, the flow succeeds.
      expect(runOne(local, REP2, 'T_DeleteByFilter', { taskId }).isSuccess).to.equal(true);
      expect(row('Task', taskId).IsDeleted).to.equal(0);
      // A record variable with that Id: the DML service refuses it.
      const refused = runOne(local, REP2, 'T_DeleteVar', { taskId });
      expect(refused.isSuccess).to.equal(false);
      expect(refused.errors![0]!.statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      expect(row('Task', taskId).IsDeleted).to.equal(0);
      // The owner deletes it.
      expect(runOne(local, REP, 'T_DeleteByFilter', { taskId }).isSuccess).to.equal(true);
      expect(row('Task', taskId).IsDeleted).to.equal(1);
    });
  });

  describe('faults and transactions', () => {
    it('rolls back every change of a failed interview and keeps the other items', () => {
      const subject = `Rollback check ${Date.now()}`;
      const results = runFlow(local, REP, 'T_CreateThenUpdate', [
        { accountId: account('Acme Corporation'), subject },
        { accountId: account('Initech'), subject },
        { accountId: account('Hooli Media'), subject },
      ]);
      expect(results.map((r) => r.isSuccess)).to.deep.equal([true, false, true]);
      const tasks = local.org.db.prepare('SELECT WhatId FROM Task WHERE Subject = ? AND IsDeleted = 0').all(subject) as { WhatId: string }[];
      // The Task of the failed item (created before its update failed) was rolled back.
      expect(tasks.map((t) => t.WhatId).sort()).to.deep.equal([account('Acme Corporation'), account('Hooli Media')].sort());
    });

    it('takes the fault connector with $Flow.FaultMessage and finishes', () => {
      const r = runOne(local, REP, 'T_FaultHandled', { accountId: account('Initech') });
      expect(r.isSuccess).to.equal(true);
      expect(r.outputValues!.message).to.equal(
        'Refused: This error occurred when the flow tried to update records: INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on object id. You can look up ExceptionCode values in the SOAP API Developer Guide.',
      );
    });

    it('stops an endless loop', () => {
      const model = parseFlow('T_Endless', FLOWS.T_Endless!);
      const user = userContext(local, REP);
      const result = runInterview(model, new Map(), { user, schema: local.org.schema, services: orgDataServices(local.org, user, '65.0'), maxSteps: 50 });
      expect(result.status).to.equal('Error');
      expect(result.error!.message).to.match(/more than 50 elements/);
    });
  });

  describe('resources', () => {
    it('evaluates formulas, text templates, constants and global variables', () => {
      const r = runOne(local, REP, 'T_Resources');
      expect(r.isSuccess, JSON.stringify(r)).to.equal(true);
      expect(r.outputValues!.greeting).to.equal('Hello Riley (rep@forcegate.local) from ForceGate Local Org: Welcome!');
      expect(r.outputValues!.isToday).to.equal(true);
    });
  });

  describe('inputs', () => {
    it('refuses unknown inputs and values of the wrong type, before the interview starts', () => {
      const [unknown, badNumber, badDate, good] = runFlow(local, REP, 'T_Assign', [{ nope: 1 }, { n: 'four' }, { d: '01/02/2026' }, { n: '5', s: 'x', d: '2026-01-01' }]);
      expect(unknown!.errors![0]).to.deep.include({ statusCode: 'INVALID_INPUT', fields: ['nope'] });
      expect(badNumber!.errors![0]!.message).to.match(/input parameter n: "four" is not a number/);
      expect(badDate!.errors![0]!.message).to.match(/input parameter d: expected a date as YYYY-MM-DD/);
      expect(unknown!.outputValues).to.equal(null);
      expect(good!.isSuccess).to.equal(true);
      expect(good!.outputValues!.nOut).to.equal(8);
    });

    it('converts typed inputs', () => {
      const model = parseFlow('T_Assign', FLOWS.T_Assign!);
      const values = convertInputs(model, local.org.schema, { n: '2.5', s: 7, d: '2026-02-28' });
      expect(values.get('n')).to.equal(2.5);
      expect(values.get('s')).to.equal('7');
      expect(String(values.get('d'))).to.equal('2026-02-28');
    });
  });

  describe('access', () => {
    it('needs flow access: a user without it is told the flow does not exist', () => {
      expect(() => runOne(local, AUDITOR, 'T_Assign')).to.throw(ApiError, 'The requested resource does not exist');
      // Modify All Data stands in for Manage Flow.
      expect(runOne(local, ADMIN, 'T_Assign', { n: 1, s: 'a', d: '2026-01-01' }).isSuccess).to.equal(true);
    });
  });

  describe('versions', () => {
    const xml = (text: string, status: 'Active' | 'Draft') =>
      flowXml({ status, start: 'Set', body: variable('out', 'String', { output: true }) + assignment('Set', [['out', 'Assign', str(text)]]) });
    const run = () => runOne(local, ADMIN, 'T_Version');

    it('creates a version per changed deploy; status decides the active one; Setup can switch it', () => {
      deployFlows(local, { T_Version: xml('one', 'Active') });
      deployFlows(local, { T_Version: xml('one', 'Active') });
      expect(listFlowVersions(local.org.db, 'T_Version').map((v) => [v.versionNumber, v.status])).to.deep.equal([[1, 'Active']]);
      deployFlows(local, { T_Version: xml('two', 'Draft') });
      expect(run()).to.deep.include({ version: 1 });
      expect(run().outputValues!.out).to.equal('one');
      deployFlows(local, { T_Version: xml('three', 'Active') });
      expect(listFlowVersions(local.org.db, 'T_Version').map((v) => [v.versionNumber, v.status])).to.deep.equal([
        [1, 'Obsolete'],
        [2, 'Draft'],
        [3, 'Active'],
      ]);
      expect(run()).to.deep.include({ version: 3 });
      expect(run().outputValues!.out).to.equal('three');
      activateFlowVersion(local.org.db, 'T_Version', 2, null);
      expect(run().outputValues!.out).to.equal('two');
      expect(getFlowDefinition(local.org.db, 'T_Version')).to.include({ activeVersion: 2, latestVersion: 3, label: 'Test Flow' });
      activateFlowVersion(local.org.db, 'T_Version', null, null);
      expect(() => findFlowAction(local.org, userContext(local, ADMIN), 'T_Version')).to.throw(ApiError);
    });
  });

  describe('unsupported flows', () => {
    it('validateFlow names every element and setting outside the supported subset', () => {
      const { valid, issues } = validateFlow(FLOWS.T_Unsupported!, { schema: local.org.schema });
      expect(valid).to.equal(false);
      const messages = issues.map((i) => i.message);
      expect(messages).to.include('Element Show_Screen (screens) is not supported by the local org\'s flow interpreter.');
      expect(messages).to.include('Element Send_Mail (actionCalls) is not supported by the local org\'s flow interpreter.');
      expect(messages).to.include('Element Check: condition operator WasSet is not supported.');
      expect(messages).to.include('Element Check connects to Nowhere, which doesn\'t exist in the flow.');
      expect(messages).to.include('Formula Bad references missingVar, which doesn\'t exist in the flow.');
      expect(messages.some((m) => /Get_Stuff: object Nope__c does not exist/.test(m))).to.equal(true);
    });

    it('refuses record-triggered and system-mode flows', () => {
      const triggered = flowXml({ body: '', start: undefined }).replace('<status>', '<start><object>Case</object><recordTriggerType>Create</recordTriggerType><triggerType>RecordAfterSave</triggerType></start><runInMode>SystemModeWithoutSharing</runInMode><status>');
      const messages = validateFlow(triggered).issues.map((i) => i.message);
      expect(messages.some((m) => /start element's object is not supported/.test(m))).to.equal(true);
      expect(messages.some((m) => /runInMode SystemModeWithoutSharing is not supported/.test(m))).to.equal(true);
    });

    it('fails every item of an invocation with FLOW_EXECUTION_UNSUPPORTED naming the elements', () => {
      const [r] = runFlow(local, ADMIN, 'T_Unsupported', [{}]);
      expect(r!.isSuccess).to.equal(false);
      expect(r!.errors![0]!.statusCode).to.equal('FLOW_EXECUTION_UNSUPPORTED');
      expect(r!.errors![0]!.message).to.match(/Show_Screen \(screens\)/);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The test flows

const FLOWS: Record<string, string> = {
  T_Assign: flowXml({
    start: 'Ops',
    body: [
      variable('n', 'Number', { input: true, scale: 2 }),
      variable('s', 'String', { input: true }),
      variable('d', 'Date', { input: true }),
      variable('list', 'String', { collection: true }),
      variable('count', 'Number', { output: true, scale: 0 }),
      variable('nOut', 'Number', { output: true, scale: 2 }),
      variable('sOut', 'String', { output: true }),
      variable('dOut', 'Date', { output: true }),
      variable('listOut', 'String', { output: true, collection: true }),
      assignment('Ops', [
        ['nOut', 'Assign', ref('n')],
        ['nOut', 'Add', numv(5)],
        ['nOut', 'Subtract', numv(2)],
        ['sOut', 'Assign', ref('s')],
        ['sOut', 'Add', str('!')],
        ['dOut', 'Assign', ref('d')],
        ['dOut', 'Add', numv(10)],
        ['list', 'AddItem', str('b')],
        ['list', 'AddAtStart', str('a')],
        ['list', 'Add', str('c')],
        ['list', 'AddItem', str('b')],
        ['list', 'RemoveFirst', str('b')],
        ['count', 'AssignCount', ref('list')],
        ['list', 'RemoveAll', str('b')],
        ['listOut', 'Assign', ref('list')],
      ]),
    ].join('\n'),
  }),

  T_Decide: flowXml({
    start: 'Route',
    body: [
      variable('a', 'Boolean', { input: true }),
      variable('b', 'Boolean', { input: true }),
      variable('c', 'Boolean', { input: true }),
      variable('s', 'String', { input: true }),
      variable('n', 'Number', { input: true }),
      variable('result', 'String', { output: true }),
      el(
        'decisions',
        'Route',
        `${connector()}<defaultConnector><targetReference>Set_Default</targetReference></defaultConnector><defaultConnectorLabel>Default</defaultConnectorLabel>
        <rules><name>Custom</name><conditionLogic>1 AND (2 OR 3)</conditionLogic>${cond('a', 'EqualTo', boolv(true))}${cond('b', 'EqualTo', boolv(true))}${cond('c', 'EqualTo', boolv(true))}${connector('Set_Custom')}<label>Custom</label></rules>
        <rules><name>Text</name><conditionLogic>and</conditionLogic>${cond('s', 'StartsWith', str('ab'))}${cond('s', 'Contains', str('c'))}${cond('s', 'EndsWith', str('z'))}${connector('Set_Text')}<label>Text</label></rules>
        <rules><name>Num</name><conditionLogic>or</conditionLogic>${cond('n', 'GreaterThan', numv(10))}${cond('n', 'LessThanOrEqualTo', numv(-1))}${connector('Set_Num')}<label>Num</label></rules>
        <rules><name>Blank</name><conditionLogic>and</conditionLogic>${cond('s', 'IsBlank', boolv(true))}${connector('Set_Blank')}<label>Blank</label></rules>`,
      ),
      assignment('Set_Custom', [['result', 'Assign', str('custom')]]),
      assignment('Set_Text', [['result', 'Assign', str('text')]]),
      assignment('Set_Num', [['result', 'Assign', str('num')]]),
      assignment('Set_Blank', [['result', 'Assign', str('blank')]]),
      assignment('Set_Default', [['result', 'Assign', str('default')]]),
    ].join('\n'),
  }),

  T_Loop: flowXml({
    start: 'L1',
    body: [
      variable('nums', 'Number', { input: true, collection: true }),
      variable('item', 'Number'),
      variable('total', 'Number', { output: true, value: numv(0) }),
      variable('trail', 'String', { output: true }),
      variable('rtrail', 'String', { output: true }),
      el(
        'loops',
        'L1',
        `<assignNextValueToReference>item</assignNextValueToReference><collectionReference>nums</collectionReference><iterationOrder>Asc</iterationOrder>
         <nextValueConnector><targetReference>Sum</targetReference></nextValueConnector><noMoreValuesConnector><targetReference>L2</targetReference></noMoreValuesConnector>`,
      ),
      assignment(
        'Sum',
        [
          ['total', 'Add', ref('item')],
          ['trail', 'Add', ref('item')],
          ['trail', 'Add', str(',')],
        ],
        'L1',
      ),
      el(
        'loops',
        'L2',
        `<collectionReference>nums</collectionReference><iterationOrder>Desc</iterationOrder>
         <nextValueConnector><targetReference>Reverse</targetReference></nextValueConnector>`,
      ),
      assignment('Reverse', [['rtrail', 'Add', ref('L2')]], 'L2'),
    ].join('\n'),
  }),

  T_Get: flowXml({
    start: 'Get_Cases',
    body: [
      variable('minAmount', 'Currency', { input: true }),
      variable('accName', 'String', { input: true }),
      variable('industries', 'String', { input: true, collection: true }),
      variable('caseCount', 'Number', { output: true, value: numv(0) }),
      variable('caseNumbers', 'String', { output: true, collection: true }),
      variable('topName', 'String', { output: true }),
      variable('topAmount', 'Currency', { output: true }),
      variable('accVar', 'SObject', { objectType: 'Account' }),
      variable('accIndustry', 'String', { output: true }),
      variable('inCount', 'Number', { output: true, value: numv(0) }),
      el(
        'recordLookups',
        'Get_Cases',
        `${connector('Each_Case')}<filterLogic>and</filterLogic>${filter('Status', 'NotEqualTo', str('Closed'))}<getFirstRecordOnly>false</getFirstRecordOnly><object>Case</object>
         <queriedFields>Id</queriedFields><queriedFields>CaseNumber</queriedFields><sortField>CaseNumber</sortField><sortOrder>Asc</sortOrder><storeOutputAutomatically>true</storeOutputAutomatically>`,
      ),
      el(
        'loops',
        'Each_Case',
        `<collectionReference>Get_Cases</collectionReference><iterationOrder>Asc</iterationOrder>
         <nextValueConnector><targetReference>Collect</targetReference></nextValueConnector><noMoreValuesConnector><targetReference>Count_Cases</targetReference></noMoreValuesConnector>`,
      ),
      assignment('Collect', [['caseNumbers', 'AddItem', ref('Each_Case.CaseNumber')]], 'Each_Case'),
      assignment('Count_Cases', [['caseCount', 'AssignCount', ref('Get_Cases')]], 'Get_Top'),
      el(
        'recordLookups',
        'Get_Top',
        `<assignNullValuesIfNoRecordsFound>true</assignNullValuesIfNoRecordsFound>${connector('Get_Acc')}<filterLogic>and</filterLogic>${filter('Amount', 'GreaterThanOrEqualTo', ref('minAmount'))}
         <getFirstRecordOnly>true</getFirstRecordOnly><object>Opportunity</object>
         <outputAssignments><assignToReference>topName</assignToReference><field>Name</field></outputAssignments>
         <outputAssignments><assignToReference>topAmount</assignToReference><field>Amount</field></outputAssignments>
         <sortField>Amount</sortField><sortOrder>Desc</sortOrder>`,
      ),
      el(
        'recordLookups',
        'Get_Acc',
        `${connector('Check_Acc')}<filterLogic>and</filterLogic>${filter('Name', 'EqualTo', ref('accName'))}<getFirstRecordOnly>true</getFirstRecordOnly><object>Account</object>
         <outputReference>accVar</outputReference><queriedFields>Id</queriedFields><queriedFields>Industry</queriedFields>`,
      ),
      el(
        'decisions',
        'Check_Acc',
        `<defaultConnector><targetReference>Get_In</targetReference></defaultConnector><rules><name>Found</name><conditionLogic>and</conditionLogic>${cond('accVar', 'IsNull', boolv(false))}${connector('Set_Industry')}<label>Found</label></rules>`,
      ),
      assignment('Set_Industry', [['accIndustry', 'Assign', ref('accVar.Industry')]], 'Get_In'),
      el(
        'recordLookups',
        'Get_In',
        `${connector('Count_In')}<filterLogic>and</filterLogic>${filter('Industry', 'In', ref('industries'))}<getFirstRecordOnly>false</getFirstRecordOnly><object>Account</object>
         <queriedFields>Id</queriedFields><storeOutputAutomatically>true</storeOutputAutomatically>`,
      ),
      assignment('Count_In', [['inCount', 'AssignCount', ref('Get_In')]]),
    ].join('\n'),
  }),

  T_Create: flowXml({
    start: 'Create_Task',
    body: [
      variable('subject', 'String', { input: true }),
      variable('accountId', 'String', { input: true }),
      variable('taskId', 'String', { output: true }),
      `<formulas><name>DueDate</name><dataType>Date</dataType><expression>TODAY() + 7</expression></formulas>`,
      el(
        'recordCreates',
        'Create_Task',
        `<assignRecordIdToReference>taskId</assignRecordIdToReference>${fieldValue('Subject', ref('subject'))}${fieldValue('WhatId', ref('accountId'))}${fieldValue('ActivityDate', ref('DueDate'))}${fieldValue('Priority', str('High'))}<object>Task</object>`,
      ),
    ].join('\n'),
  }),

  T_CreateMany: flowXml({
    start: 'Each_Name',
    body: [
      variable('accountId', 'String', { input: true }),
      variable('lastNames', 'String', { input: true, collection: true }),
      variable('contact', 'SObject', { objectType: 'Contact' }),
      variable('contacts', 'SObject', { objectType: 'Contact', collection: true, output: true }),
      el(
        'loops',
        'Each_Name',
        `<collectionReference>lastNames</collectionReference><iterationOrder>Asc</iterationOrder>
         <nextValueConnector><targetReference>Build</targetReference></nextValueConnector><noMoreValuesConnector><targetReference>Insert_All</targetReference></noMoreValuesConnector>`,
      ),
      assignment(
        'Build',
        [
          ['contact.LastName', 'Assign', ref('Each_Name')],
          ['contact.AccountId', 'Assign', ref('accountId')],
          ['contacts', 'Add', ref('contact')],
        ],
        'Each_Name',
      ),
      el('recordCreates', 'Insert_All', `<inputReference>contacts</inputReference>`),
    ].join('\n'),
  }),

  T_Update: flowXml({
    start: 'Update_Acc',
    body: [
      variable('accountId', 'String', { input: true }),
      variable('text', 'String', { input: true }),
      el('recordUpdates', 'Update_Acc', `<filterLogic>and</filterLogic>${filter('Id', 'EqualTo', ref('accountId'))}${fieldValue('Description', ref('text'))}<object>Account</object>`),
    ].join('\n'),
  }),

  T_UpdateVar: flowXml({
    start: 'Get_Acc',
    body: [
      variable('accountName', 'String', { input: true }),
      variable('text', 'String', { input: true }),
      variable('acc', 'SObject', { objectType: 'Account' }),
      el(
        'recordLookups',
        'Get_Acc',
        `${connector('Change')}<filterLogic>and</filterLogic>${filter('Name', 'EqualTo', ref('accountName'))}<getFirstRecordOnly>true</getFirstRecordOnly><object>Account</object><outputReference>acc</outputReference>
         <queriedFields>Id</queriedFields><queriedFields>Name</queriedFields><queriedFields>Description</queriedFields><queriedFields>Internal_Risk_Rating__c</queriedFields>`,
      ),
      assignment('Change', [['acc.Description', 'Assign', ref('text')]], 'Save'),
      el('recordUpdates', 'Save', `<inputReference>acc</inputReference>`),
    ].join('\n'),
  }),

  T_DeleteByFilter: flowXml({
    start: 'Remove',
    body: [variable('taskId', 'String', { input: true }), el('recordDeletes', 'Remove', `<filterLogic>and</filterLogic>${filter('Id', 'EqualTo', ref('taskId'))}<object>Task</object>`)].join('\n'),
  }),

  T_DeleteVar: flowXml({
    start: 'Build',
    body: [
      variable('taskId', 'String', { input: true }),
      variable('task', 'SObject', { objectType: 'Task' }),
      assignment('Build', [['task.Id', 'Assign', ref('taskId')]], 'Remove'),
      el('recordDeletes', 'Remove', `<inputReference>task</inputReference>`),
    ].join('\n'),
  }),

  T_CreateThenUpdate: flowXml({
    start: 'Log',
    body: [
      variable('accountId', 'String', { input: true }),
      variable('subject', 'String', { input: true }),
      el('recordCreates', 'Log', `${connector('Touch')}${fieldValue('Subject', ref('subject'))}${fieldValue('WhatId', ref('accountId'))}<object>Task</object>`),
      el('recordUpdates', 'Touch', `<filterLogic>and</filterLogic>${filter('Id', 'EqualTo', ref('accountId'))}${fieldValue('Description', str('Touched by a flow'))}<object>Account</object>`),
    ].join('\n'),
  }),

  T_FaultHandled: flowXml({
    start: 'Touch',
    body: [
      variable('accountId', 'String', { input: true }),
      variable('message', 'String', { output: true, value: str('ok') }),
      el('recordUpdates', 'Touch', `${fault('On_Fault')}<filterLogic>and</filterLogic>${filter('Id', 'EqualTo', ref('accountId'))}${fieldValue('Description', str('x'))}<object>Account</object>`),
      `<formulas><name>FaultText</name><dataType>String</dataType><expression>"Refused: " &amp; {!$Flow.FaultMessage}</expression></formulas>`,
      assignment('On_Fault', [['message', 'Assign', ref('FaultText')]]),
    ].join('\n'),
  }),

  T_Endless: flowXml({ start: 'Spin', body: [variable('n', 'Number', { value: numv(0) }), assignment('Spin', [['n', 'Add', numv(1)]], 'Spin')].join('\n') }),

  T_Resources: flowXml({
    start: 'Fill',
    body: [
      variable('greeting', 'String', { output: true }),
      variable('isToday', 'Boolean', { output: true }),
      `<constants><name>Welcome</name><dataType>String</dataType><value><stringValue>Welcome!</stringValue></value></constants>`,
      `<textTemplates><name>GreetingText</name><isViewedAsPlainText>true</isViewedAsPlainText><text>Hello {!$User.FirstName} ({!$User.Username}) from {!$Organization.Name}: {!Welcome}</text></textTemplates>`,
      `<formulas><name>IsTodayFormula</name><dataType>Boolean</dataType><expression>{!$Flow.CurrentDate} = TODAY() &amp;&amp; DATEVALUE({!$Flow.CurrentDateTime}) - TODAY() &lt;= 1</expression></formulas>`,
      assignment('Fill', [
        ['greeting', 'Assign', ref('GreetingText')],
        ['isToday', 'Assign', ref('IsTodayFormula')],
      ]),
    ].join('\n'),
  }),

  T_Unsupported: flowXml({
    start: 'Check',
    body: [
      variable('v', 'String', { input: true }),
      `<formulas><name>Bad</name><dataType>String</dataType><expression>{!missingVar} &amp; "x"</expression></formulas>`,
      el('screens', 'Show_Screen', '<allowBack>true</allowBack>'),
      el('actionCalls', 'Send_Mail', '<actionName>emailSimple</actionName><actionType>emailSimple</actionType>'),
      el('decisions', 'Check', `<defaultConnector><targetReference>Nowhere</targetReference></defaultConnector><rules><name>R</name><conditionLogic>and</conditionLogic>${cond('v', 'WasSet', boolv(true))}<label>R</label></rules>`),
      el('recordLookups', 'Get_Stuff', `<object>Nope__c</object><storeOutputAutomatically>true</storeOutputAutomatically><getFirstRecordOnly>true</getFirstRecordOnly>`),
    ].join('\n'),
  }),
};
