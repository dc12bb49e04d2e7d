/**
 * The sObject REST surface over HTTP with unmodified jsforce and raw fetch: describeGlobal,
 * describe, basic info, record CRUD, blob fields, and the error bodies of wire.md §5 — per persona.
 */
import { expect } from 'chai';
import jsforce from 'jsforce';
import { to18 } from '../../../src/ids.ts';
import type { LocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';

const V = '65.0';

interface ApiErrorBody {
  message: string;
  errorCode: string;
  fields?: string[];
}

describe('sObject REST surface', function () {
  this.timeout(60_000);
  let local: LocalOrg;
  const tokens: Record<string, string> = {};
  const personas = ['admin', 'rep', 'rep2', 'manager', 'auditor', 'outsider'] as const;
  type Persona = (typeof personas)[number];

  before(async () => {
    local = await startTestOrg();
    const entries = await Promise.all(personas.map(async (p) => [p, await personaToken(local.url, `${p}@forcegate.local`)] as const));
    for (const [p, t] of entries) tokens[p] = t;
  });
  after(() => local?.close());

  const conn = (p: Persona, version = V) => new jsforce.Connection({ instanceUrl: local.url, accessToken: tokens[p], version });

  /** A raw call (status, headers and body as sent). */
  async function call(p: Persona, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${local.url}${path.startsWith('/services') ? path : `/services/data/v${V}${path}`}`, {
      method,
      headers: { authorization: `Bearer ${tokens[p]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  async function expectError(p: Persona, method: string, path: string, status: number, expected: Partial<ApiErrorBody>, body?: unknown) {
    const res = await call(p, method, path, body);
    expect(res.status, `${method} ${path}: ${res.text}`).to.equal(status);
    expect(res.json).to.be.an('array').with.length(1);
    expect((res.json as ApiErrorBody[])[0]).to.deep.include(expected);
    return (res.json as ApiErrorBody[])[0]!;
  }

  async function create(p: Persona, object: string, record: Record<string, unknown>): Promise<string> {
    const r = await conn(p).sobject(object).create(record);
    expect(r.success, JSON.stringify(r)).to.equal(true);
    return r.id!;
  }

  describe('describeGlobal', () => {
    it('lists only the objects the user can read, with every documented key', async () => {
      const rep = await conn('rep').describeGlobal();
      expect(rep.encoding).to.equal('UTF-8');
      expect(rep.maxBatchSize).to.equal(200);
      const names = rep.sobjects.map((s) => s.name);
      expect(names).to.include.members(['Account', 'Contact', 'Opportunity', 'Case', 'Task', 'Account_Plan__c', 'User']);
      expect(names).to.not.include('EventLogFile');
      const account = rep.sobjects.find((s) => s.name === 'Account')!;
      for (const key of [
        'activateable', 'custom', 'customSetting', 'createable', 'deletable', 'deprecatedAndHidden', 'feedEnabled', 'hasSubtypes', 'isSubtype',
        'keyPrefix', 'label', 'labelPlural', 'layoutable', 'mergeable', 'mruEnabled', 'name', 'queryable', 'replicateable', 'retrieveable',
        'searchable', 'triggerable', 'undeletable', 'updateable', 'urls', 'deepCloneable', 'idEnabled', 'isInterface', 'dataTranslationEnabled',
      ]) {
        expect(account, key).to.have.property(key);
      }
      expect(account).to.include({ keyPrefix: '001', createable: true, updateable: true, deletable: false });
      expect(account.urls).to.deep.equal({
        sobject: `/services/data/v${V}/sobjects/Account`,
        describe: `/services/data/v${V}/sobjects/Account/describe`,
        rowTemplate: `/services/data/v${V}/sobjects/Account/{ID}`,
      });
      const plan = rep.sobjects.find((s) => s.name === 'Account_Plan__c')!;
      expect(plan.custom).to.equal(true);
      expect(plan.urls).to.include.keys('layouts', 'quickActions', 'uiNewRecord', 'defaultValues');

      const auditor = await conn('auditor').describeGlobal();
      const auditorNames = auditor.sobjects.map((s) => s.name);
      expect(auditorNames).to.include('EventLogFile');
      expect(auditor.sobjects.find((s) => s.name === 'Account')).to.include({ createable: false, updateable: false, deletable: false });

      const outsider = (await conn('outsider').describeGlobal()).sobjects.map((s) => s.name);
      expect(outsider).to.not.include.members(['Account', 'Opportunity', 'Case']);
      expect(outsider).to.include('User');
    });

    it('answers 304 to If-Modified-Since when the schema has not changed', async () => {
      const first = await call('rep', 'GET', '/sobjects');
      expect(first.status).to.equal(200);
      const lastModified = first.headers.get('last-modified');
      expect(lastModified).to.be.a('string');
      const again = await call('rep', 'GET', '/sobjects', undefined, { 'If-Modified-Since': lastModified! });
      expect(again.status).to.equal(304);
      expect(again.text).to.equal('');
      const old = await call('rep', 'GET', '/sobjects', undefined, { 'If-Modified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' });
      expect(old.status).to.equal(200);
    });
  });

  describe('describe', () => {
    it('applies field-level security per user', async () => {
      const rep = await conn('rep').describe('Account');
      const field = (d: typeof rep, name: string) => d.fields.find((f) => f.name === name);
      expect(field(rep, 'Internal_Risk_Rating__c')).to.include({ createable: true, updateable: true, restrictedPicklist: true, type: 'picklist' });
      expect(field(rep, 'Internal_Risk_Rating__c')!.picklistValues!.map((p) => p.value)).to.deep.equal(['Low', 'Medium', 'High']);
      expect(field(rep, 'Health_Score__c')).to.include({ createable: false, updateable: false, type: 'double', precision: 3, scale: 0 });
      expect(field(rep, 'Name')).to.include({ createable: true, nameField: true, nillable: false, length: 255, byteLength: 765, soapType: 'xsd:string' });
      expect(field(rep, 'Id')).to.include({ type: 'id', soapType: 'tns:ID', idLookup: true, createable: false, length: 18, byteLength: 18 });
      expect(field(rep, 'OwnerId')).to.include({ type: 'reference', relationshipName: 'Owner', namePointing: true });

      const auditor = await conn('auditor').describe('Account');
      expect(field(auditor, 'Internal_Risk_Rating__c')).to.equal(undefined);
      expect(field(auditor, 'Health_Score__c')).to.include({ createable: false, updateable: false });
      expect(field(auditor, 'Name')).to.include({ createable: false, updateable: false });
    });

    it('has every documented top-level and field key, the Master record type and child relationships', async () => {
      const d = (await conn('rep').describe('Account')) as unknown as Record<string, unknown> & { fields: Record<string, unknown>[] };
      for (const key of [
        'actionOverrides', 'activateable', 'childRelationships', 'compactLayoutable', 'createable', 'custom', 'customSetting', 'deletable',
        'deprecatedAndHidden', 'feedEnabled', 'fields', 'hasSubtypes', 'keyPrefix', 'label', 'labelPlural', 'layoutable', 'listviewable',
        'lookupLayoutable', 'mergeable', 'mruEnabled', 'name', 'namedLayoutInfos', 'networkScopeFieldName', 'queryable', 'recordTypeInfos',
        'replicateable', 'retrieveable', 'searchLayoutable', 'searchable', 'supportedScopes', 'triggerable', 'undeletable', 'updateable', 'urls',
      ]) {
        expect(d, key).to.have.property(key);
      }
      const fieldKeys = [
        'aggregatable', 'aiPredictionField', 'autoNumber', 'byteLength', 'calculated', 'calculatedFormula', 'cascadeDelete', 'caseSensitive',
        'compoundFieldName', 'controllerName', 'createable', 'custom', 'defaultValue', 'defaultValueFormula', 'defaultedOnCreate',
        'dependentPicklist', 'deprecatedAndHidden', 'digits', 'displayLocationInDecimal', 'encrypted', 'externalId', 'extraTypeInfo',
        'filterable', 'filteredLookupInfo', 'formulaTreatNullNumberAsZero', 'groupable', 'highScaleNumber', 'htmlFormatted', 'idLookup',
        'inlineHelpText', 'label', 'length', 'mask', 'maskType', 'name', 'nameField', 'namePointing', 'nillable', 'permissionable',
        'picklistValues', 'polymorphicForeignKey', 'precision', 'queryByDistance', 'referenceTargetField', 'referenceTo', 'relationshipName',
        'relationshipOrder', 'restrictedDelete', 'restrictedPicklist', 'scale', 'searchPrefilterable', 'soapType', 'sortable', 'type', 'unique',
        'updateable', 'writeRequiresMasterRead',
      ];
      for (const f of d.fields) expect(Object.keys(f)).to.include.members(fieldKeys);
      expect(d.recordTypeInfos).to.deep.equal([
        {
          active: true,
          available: true,
          defaultRecordTypeMapping: true,
          developerName: 'Master',
          master: true,
          name: 'Master',
          recordTypeId: '012000000000000AAA',
          urls: { layout: `/services/data/v${V}/sobjects/Account/describe/layouts/012000000000000AAA` },
        },
      ]);
      const children = d.childRelationships as { childSObject: string; field: string; relationshipName: string; cascadeDelete: boolean }[];
      expect(children).to.deep.include({
        cascadeDelete: true,
        childSObject: 'Contact',
        deprecatedAndHidden: false,
        field: 'AccountId',
        junctionIdListNames: [],
        junctionReferenceTo: [],
        relationshipName: 'Contacts',
        restrictedDelete: false,
      });
      expect(children.map((c) => c.relationshipName)).to.include.members(['Opportunities', 'Cases', 'Account_Plans__r']);
      expect(d.urls).to.include.keys('compactLayouts', 'rowTemplate', 'approvalLayouts', 'uiDetailTemplate', 'uiEditTemplate', 'defaultValues', 'describe', 'uiNewRecord', 'quickActions', 'layouts', 'sobject');
    });

    it('unknown or unreadable objects are 404 NOT_FOUND', async () => {
      await expectError('rep', 'GET', '/sobjects/Nope__c/describe', 404, { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' });
      await expectError('outsider', 'GET', '/sobjects/Account/describe', 404, { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' });
      await expectError('rep', 'GET', '/sobjects/EventLogFile/describe', 404, { errorCode: 'NOT_FOUND' });
    });
  });

  describe('records', () => {
    it('create, retrieve, update and destroy with jsforce (single records)', async () => {
      const rep = conn('rep').sobject('Account');
      const created = await rep.create({ Name: 'Globex', Internal_Risk_Rating__c: 'Medium', NumberOfEmployees: 120 });
      expect(created).to.deep.equal({ id: created.id, success: true, errors: [] });
      const got = (await rep.retrieve(created.id!)) as Record<string, unknown>;
      expect(Object.keys(got)[0]).to.equal('attributes');
      expect(got.attributes).to.deep.equal({ type: 'Account', url: `/services/data/v${V}/sobjects/Account/${created.id}` });
      expect(got).to.include({ Id: created.id, Name: 'Globex', Internal_Risk_Rating__c: 'Medium', NumberOfEmployees: 120, Phone: null, IsDeleted: false });
      expect(got.CreatedDate).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
      expect(got.OwnerId).to.equal(userId(local, 'rep@forcegate.local'));

      expect(await rep.update({ Id: created.id!, Phone: '555-0100' })).to.deep.equal({ id: created.id, success: true, errors: [] });
      expect(((await rep.retrieve(created.id!)) as Record<string, unknown>).Phone).to.equal('555-0100');

      const cases = conn('rep').sobject('Case');
      const c = await cases.create({ Subject: 'Printer on fire' });
      expect(await cases.destroy(c.id!)).to.deep.equal({ id: c.id, success: true, errors: [] });
      expect((local.org.db.prepare('SELECT IsDeleted FROM "Case" WHERE Id = ?').get(c.id) as { IsDeleted: number }).IsDeleted).to.equal(1);
    });

    it('status codes and bodies: 201 create, 204 update and delete', async () => {
      const res = await call('rep', 'POST', '/sobjects/Case', { Subject: 'raw' });
      expect(res.status).to.equal(201);
      expect(res.headers.get('content-type')).to.equal('application/json;charset=UTF-8');
      const { id } = res.json as { id: string };
      expect(res.json).to.deep.equal({ id, success: true, errors: [] });
      const patch = await call('rep', 'PATCH', `/sobjects/Case/${id}`, { Subject: 'raw 2' });
      expect(patch.status).to.equal(204);
      expect(patch.text).to.equal('');
      const override = await call('rep', 'POST', `/sobjects/Case/${id}?_HttpMethod=PATCH`, { Subject: 'raw 3' });
      expect(override.status).to.equal(204);
      expect((local.org.db.prepare('SELECT Subject FROM "Case" WHERE Id = ?').get(id) as { Subject: string }).Subject).to.equal('raw 3');
      await expectError('rep', 'POST', `/sobjects/Case/${id}`, 405, { errorCode: 'METHOD_NOT_ALLOWED' }, {});
      const del = await call('rep', 'DELETE', `/sobjects/Case/${id}`);
      expect(del.status).to.equal(204);
      await expectError('rep', 'DELETE', `/sobjects/Case/${id}`, 404, { errorCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] });
      await expectError('rep', 'GET', `/sobjects/Case/${id}`, 404, { errorCode: 'ENTITY_IS_DELETED' });
      await expectError('rep', 'PATCH', `/sobjects/Case/${id}`, 404, { errorCode: 'ENTITY_IS_DELETED' }, { Subject: 'zombie' });
    });

    it('GET ?fields= returns those fields (and Id); hidden or unknown names are 400 INVALID_FIELD; without fields= hidden fields are omitted', async () => {
      const id = await create('rep', 'Account', { Name: 'Initech', Internal_Risk_Rating__c: 'High' });
      const some = await conn('rep').request<Record<string, unknown>>(`/services/data/v${V}/sobjects/Account/${id}?fields=Name,Internal_Risk_Rating__c`);
      expect(some).to.deep.equal({
        attributes: { type: 'Account', url: `/services/data/v${V}/sobjects/Account/${id}` },
        Name: 'Initech',
        Internal_Risk_Rating__c: 'High',
        Id: id,
      });
      const auditorView = await conn('auditor').sobject('Account').retrieve(id);
      expect(auditorView).to.include({ Name: 'Initech' });
      expect(auditorView).to.not.have.property('Internal_Risk_Rating__c');
      expect(auditorView).to.have.property('Health_Score__c');
      const err = await expectError('auditor', 'GET', `/sobjects/Account/${id}?fields=Name,Internal_Risk_Rating__c`, 400, { errorCode: 'INVALID_FIELD' });
      expect(err.message).to.match(/^No such column 'Internal_Risk_Rating__c' on entity 'Account'/);
      await expectError('rep', 'GET', `/sobjects/Account/${id}?fields=Nope__c`, 400, { errorCode: 'INVALID_FIELD' });
    });

    it('Ids in the path: wrong object or checksum is MALFORMED_ID; a non-Id is NOT_FOUND as an external id', async () => {
      const caseId = await create('rep', 'Case', { Subject: 'prefix' });
      await expectError('rep', 'GET', `/sobjects/Account/${caseId}`, 400, {
        errorCode: 'MALFORMED_ID',
        message: `Account ID: id value of incorrect type: ${caseId}`,
        fields: ['Id'],
      });
      await expectError('rep', 'GET', '/sobjects/Account/001900K0001pPuOAAU', 400, { errorCode: 'MALFORMED_ID' });
      await expectError('rep', 'GET', '/sobjects/Account/acme-corp', 404, {
        errorCode: 'NOT_FOUND',
        message: 'Provided external ID field does not exist or is not accessible: acme-corp',
      });
      await expectError('rep', 'GET', '/sobjects/Account/001000000000000AAA', 404, { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' });
      await expectError('rep', 'PATCH', '/sobjects/Account/001000000000000AAA', 404, { errorCode: 'NOT_FOUND' }, { Name: 'x' });
    });

    it("sharing: rep2's opportunity is invisible to the rep (404) and not editable (403); the manager edits it", async () => {
      const opp = await create('rep2', 'Opportunity', { Name: 'Rep2 only', StageName: 'Prospecting', CloseDate: '2026-09-30' });
      await expectError('rep', 'GET', `/sobjects/Opportunity/${opp}`, 404, { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' });
      await expectError('rep', 'PATCH', `/sobjects/Opportunity/${opp}`, 403, { errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY', message: 'insufficient access rights on object id' }, { Name: 'mine' });
      await expectError('rep', 'DELETE', `/sobjects/Opportunity/${opp}`, 403, { errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY' });
      await conn('manager').sobject('Opportunity').update({ Id: opp, StageName: 'Closed Won' });
      expect(await conn('manager').sobject('Opportunity').retrieve(opp)).to.include({ StageName: 'Closed Won', IsWon: true, IsClosed: true });
      // Account OWD Read: rep sees rep2's account, cannot edit it.
      const acc = await create('rep2', 'Account', { Name: 'Rep2 Account' });
      expect(await conn('rep').sobject('Account').retrieve(acc)).to.include({ Name: 'Rep2 Account' });
      await expectError('rep', 'PATCH', `/sobjects/Account/${acc}`, 403, { errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY' }, { Name: 'x' });
    });

    it('write errors as the platform sends them', async () => {
      await expectError('rep', 'POST', '/sobjects/Account', 400, { errorCode: 'INVALID_FIELD', message: 'The Id field should not be specified in the sobject data.' }, {
        Id: '001000000000000AAA',
        Name: 'x',
      });
      await expectError('rep', 'POST', '/sobjects/Account', 400, { errorCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [Name]', fields: ['Name'] }, { Phone: '1' });
      await expectError('rep', 'POST', '/sobjects/Account', 400, { errorCode: 'INVALID_FIELD', message: "No such column 'Bogus__c' on sobject of type Account" }, { Name: 'x', Bogus__c: 1 });
      await expectError('auditor', 'POST', '/sobjects/Case', 403, { errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY', message: 'insufficient access rights on object id' }, { Subject: 'x' });
      await expectError('outsider', 'POST', '/sobjects/Account', 404, { errorCode: 'NOT_FOUND' }, { Name: 'x' });
      await expectError('rep', 'POST', '/sobjects/Account', 400, { errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['Health_Score__c'] }, { Name: 'x', Health_Score__c: 3 });
      await expectError('rep', 'POST', '/sobjects/Contact', 400, { errorCode: 'INVALID_EMAIL_ADDRESS', message: 'Email: invalid email address: not an email' }, { LastName: 'x', Email: 'not an email' });
      await expectError('rep', 'POST', '/sobjects/Account', 400, { errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST' }, { Name: 'x', Internal_Risk_Rating__c: 'Huge' });
      await expectError('rep', 'POST', '/sobjects/Account', 400, { errorCode: 'STRING_TOO_LONG' }, { Name: 'x'.repeat(300) });
      const parser = await expectError('rep', 'POST', '/sobjects/Account', 400, { errorCode: 'JSON_PARSER_ERROR' }, { Name: 'x', NumberOfEmployees: 'many' });
      expect(parser.message).to.match(/^Cannot deserialize instance of int from VALUE_STRING value many/);
      await expectError('rep', 'POST', '/sobjects/Account', 400, { errorCode: 'JSON_PARSER_ERROR' }, '{"Name": ');
      const opp = await create('rep2', 'Opportunity', { Name: 'Hidden', StageName: 'Prospecting', CloseDate: '2026-09-30' });
      await expectError('rep', 'POST', '/sobjects/Task', 400, { errorCode: 'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY', fields: [] }, { Subject: 'x', WhatId: opp });
      await expectError('rep', 'POST', '/sobjects/Task', 400, { errorCode: 'MALFORMED_ID', fields: ['WhatId'] }, { Subject: 'x', WhatId: 'nope' });
    });

    it('PATCH/DELETE on the object URL are 405 with the allowed methods', async () => {
      const msg = { errorCode: 'METHOD_NOT_ALLOWED', message: "HTTP Method 'PATCH' not allowed. Allowed are HEAD,GET,POST" };
      await expectError('rep', 'PATCH', '/sobjects/Account', 405, msg, {});
      await expectError('rep', 'DELETE', '/sobjects/Account', 405, { errorCode: 'METHOD_NOT_ALLOWED', message: "HTTP Method 'DELETE' not allowed. Allowed are HEAD,GET,POST" });
    });

    it('jsforce surfaces record errors with their codes', async () => {
      try {
        await conn('auditor').sobject('Account').create({ Name: 'no' });
        expect.fail('created');
      } catch (err) {
        expect((err as { errorCode?: string }).errorCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
      }
    });
  });

  describe('changes and conditional GET', () => {
    it('updated/deleted list readable changes in a window; If-Modified-Since on a record is 304 when unchanged', async () => {
      const start = new Date(Date.now() - 1000).toISOString();
      const mine = await create('rep', 'Case', { Subject: 'window' });
      const theirs = await create('rep2', 'Case', { Subject: 'not mine' });
      await conn('rep').sobject('Case').destroy(mine);
      const end = new Date(Date.now() + 1000).toISOString();
      const window = `start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`;
      const deleted = (await call('rep', 'GET', `/sobjects/Case/deleted?${window}`)).json as { deletedRecords: { id: string; deletedDate: string }[] };
      expect(deleted.deletedRecords.map((r) => r.id)).to.include(mine);
      expect(deleted.deletedRecords.find((r) => r.id === mine)!.deletedDate).to.match(/\+0000$/);
      const updated = (await call('rep2', 'GET', `/sobjects/Case/updated?${window}`)).json as { ids: string[]; latestDateCovered: string };
      expect(updated.ids).to.include(theirs).and.not.include(mine);
      const repUpdated = (await call('rep', 'GET', `/sobjects/Case/updated?${window}`)).json as { ids: string[] };
      expect(repUpdated.ids).to.not.include(theirs);
      await conn('rep2').sobject('Case').destroy(theirs);
      const repSees = (await call('rep', 'GET', `/sobjects/Case/deleted?start=${encodeURIComponent(start)}&end=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`))
        .json as { deletedRecords: { id: string }[] };
      expect(repSees.deletedRecords.map((r) => r.id)).to.include(mine).and.not.include(theirs);

      const acc = await create('rep', 'Account', { Name: 'Conditional' });
      const first = await call('rep', 'GET', `/sobjects/Account/${acc}`);
      const lastModified = first.headers.get('last-modified')!;
      expect((await call('rep', 'GET', `/sobjects/Account/${acc}`, undefined, { 'If-Modified-Since': lastModified })).status).to.equal(304);
      await expectError('rep', 'GET', '/sobjects/Account/describe/layouts', 404, { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' });
    });
  });

  describe('basic info', () => {
    it('objectDescribe plus the user\'s recent readable records', async () => {
      const mine = await create('manager', 'Opportunity', { Name: 'Recent deal', StageName: 'Prospecting', CloseDate: '2026-10-01' });
      const info = await conn('manager').request<{ objectDescribe: Record<string, unknown>; recentItems: Record<string, unknown>[] }>(`/services/data/v${V}/sobjects/Opportunity`);
      expect(info.objectDescribe).to.include({ name: 'Opportunity', keyPrefix: '006', label: 'Opportunity' });
      expect(info.recentItems[0]).to.deep.equal({
        attributes: { type: 'Opportunity', url: `/services/data/v${V}/sobjects/Opportunity/${mine}` },
        Id: mine,
        Name: 'Recent deal',
      });
      // Records used earlier but no longer readable drop out: transfer it to someone the manager cannot see.
      await conn('admin').sobject('Opportunity').update({ Id: mine, OwnerId: userId(local, 'admin@forcegate.local') });
      const after = await conn('manager').request<{ recentItems: { Id: string }[] }>(`/services/data/v${V}/sobjects/Opportunity`);
      expect(after.recentItems.map((r) => r.Id)).to.not.include(mine);
      await expectError('outsider', 'GET', '/sobjects/Opportunity', 404, { errorCode: 'NOT_FOUND' });
    });
  });

  describe('User and EventLogFile', () => {
    it('v51.0 GET sobjects/User/<own id> (what @salesforce/core reads after login)', async () => {
      const id = userId(local, 'outsider@forcegate.local');
      const user = await conn('outsider', '51.0').request<Record<string, unknown>>(`/services/data/v51.0/sobjects/User/${id}`);
      expect(user).to.include({ Id: id, Username: 'outsider@forcegate.local', IsActive: true });
      expect((user.attributes as { url: string }).url).to.equal(`/services/data/v51.0/sobjects/User/${id}`);
    });

    it('EventLogFile LogFile downloads the CSV for a viewer; others get 404', async () => {
      await call('rep', 'GET', '/sobjects'); // make sure today has events
      local.org.beforeRead('EventLogFile');
      const file = local.org.db.prepare(`SELECT Id FROM EventLogFile WHERE EventType = 'ApiTotalUsage' ORDER BY LogDate DESC`).get() as { Id: string };
      const res = await call('auditor', 'GET', `/sobjects/EventLogFile/${file.Id}/LogFile`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/octetstream');
      expect(res.text.split('\n')[0]).to.match(/^"EVENT_TYPE","TIMESTAMP",/);
      const record = await conn('auditor').sobject('EventLogFile').retrieve(file.Id);
      expect(record.LogFile).to.equal(`/services/data/v${V}/sobjects/EventLogFile/${file.Id}/LogFile`);
      await expectError('rep', 'GET', `/sobjects/EventLogFile/${file.Id}/LogFile`, 404, { errorCode: 'NOT_FOUND' });
      await expectError('auditor', 'GET', `/sobjects/EventLogFile/${to18('0AT000000000000')}/LogFile`, 404, { errorCode: 'NOT_FOUND' });
    });
  });

  describe('audit', () => {
    it('each call is one ApiTotalUsage row with the entity; a failed write leaves only its audit row', async () => {
      const count = () => local.org.usage.count();
      const rows = () => (local.org.db.prepare('SELECT COUNT(*) AS n FROM "Case"').get() as { n: number }).n;
      const [u0, c0] = [count(), rows()];
      await call('rep', 'POST', '/sobjects/Case', { Subject: 'audited' });
      await call('rep', 'POST', '/sobjects/Case', { Subject: 'x'.repeat(300) });
      expect([count() - u0, rows() - c0]).to.deep.equal([2, 1]);
      const last = local.org.db.prepare('SELECT entity_name, status_code, http_method FROM _api_usage ORDER BY seq DESC LIMIT 2').all();
      expect(last).to.deep.equal([
        { entity_name: 'Case', status_code: 400, http_method: 'POST' },
        { entity_name: 'Case', status_code: 201, http_method: 'POST' },
      ]);
    });
  });
});
