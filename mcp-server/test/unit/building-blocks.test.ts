/**
 * Pure pieces: server paths, tool names, describe → zod schemas, error parsing, claim extraction.
 */
import { expect } from 'chai';
import { parseServerPath } from '../../src/servers/paths.ts';
import { toolName } from '../../src/tools/types.ts';
import { inputObject, outputObject } from '../../src/tools/custom/schema.ts';
import { parseErrorBody, describeError, OrgApiError, OrgUnavailableError } from '../../src/org/errors.ts';
import { callerFromClaims } from '../../src/auth/verifier.ts';
import { parseTarget } from '../../src/servers/catalog.ts';
import { soqlString } from '../../src/org/client.ts';

describe('mcp-server units', () => {
  it('parses server paths, including the sandbox form', () => {
    expect(parseServerPath('platform/sobject-reads')).to.include({ kind: 'platform', name: 'sobject-reads', key: 'platform/sobject-reads', sandbox: false });
    expect(parseServerPath('sandbox/custom/ForceGate_Read')).to.include({ kind: 'custom', name: 'ForceGate_Read', key: 'custom/ForceGate_Read', sandbox: true });
    for (const bad of ['', 'platform', 'custom/a/b', 'other/x', 'custom/../x', 'platform/%2e%2e', 'sandbox/sandbox/custom/x']) expect(parseServerPath(bad), bad).to.equal(undefined);
  });

  it('makes valid MCP tool names', () => {
    expect(toolName('Create Case (v2)!')).to.equal('Create_Case_v2');
    expect(toolName('x'.repeat(100))).to.have.length(64);
    expect(toolName('***')).to.equal('tool');
  });

  it('builds input and output schemas from an action describe', () => {
    const input = inputObject([
      { name: 'accountId', type: 'ID', required: true, label: 'Account Id', description: 'The account' },
      { name: 'priority', type: 'PICKLIST', required: false, picklistValues: [{ value: 'Low' }, { value: 'High' }, { value: 'Old', active: false }] },
      { name: 'when', type: 'DATE', required: true },
      { name: 'count', type: 'INTEGER' },
      { name: 'ids', type: 'STRING', maxOccurs: 200 },
    ]);
    expect(input.safeParse({ accountId: '001000000000001AAA', when: '2026-01-31' }).success).to.equal(true);
    expect(input.safeParse({ accountId: 'nope', when: '2026-01-31' }).success).to.equal(false);
    expect(input.safeParse({ accountId: '001000000000001AAA', when: '31/01/2026' }).success).to.equal(false);
    expect(input.safeParse({ accountId: '001000000000001AAA', when: '2026-01-31', priority: 'Old' }).success).to.equal(false);
    expect(input.safeParse({ accountId: '001000000000001AAA', when: '2026-01-31', count: 1.5 }).success).to.equal(false);
    expect(input.safeParse({ accountId: '001000000000001AAA', when: '2026-01-31', extra: 1 }).success).to.equal(false);
    expect(input.shape.accountId!.description).to.equal('Account Id: The account');
    const output = outputObject([{ name: 'caseId', type: 'ID' }]);
    expect(output.safeParse({ caseId: null, Flow__InterviewStatus: 'Finished' }).success).to.equal(true);
  });

  it('parses every error body shape the org sends', () => {
    expect(parseErrorBody(400, [{ message: 'bad', errorCode: 'INVALID_FIELD', fields: ['X'] }], '')).to.deep.equal([{ errorCode: 'INVALID_FIELD', message: 'bad', fields: ['X'] }]);
    expect(parseErrorBody(400, [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'm' }], '')[0]!.errorCode).to.equal('REQUIRED_FIELD_MISSING');
    expect(parseErrorBody(400, { error: 'invalid_grant', error_description: 'expired' }, '')[0]).to.include({ errorCode: 'invalid_grant' });
    expect(parseErrorBody(502, undefined, '<html>Bad gateway</html>')[0]).to.include({ errorCode: 'ERROR_HTTP_502' });
    expect(describeError(new OrgApiError(400, [{ errorCode: 'X', message: 'y' }])).text).to.equal('X: y');
    expect(describeError(new OrgUnavailableError('slow', 'timeout')).text).to.equal('ORG_TIMEOUT: slow');
  });

  it('reads the caller from Salesforce-style claims', () => {
    const c = callerFromClaims({ sub: 'https://x/id/00D000000000001AAA/005000000000001AAA', client_id: 'k', scp: 'refresh_token mcp_api', exp: 1, username: 'u@x' });
    expect(c).to.include({ userId: '005000000000001AAA', orgId: '00D000000000001AAA', clientId: 'k', username: 'u@x' });
    expect(c.scopes).to.deep.equal(['refresh_token', 'mcp_api']);
    expect(callerFromClaims({ sub: 'uid:005000000000001', cid: 'k', scope: ['mcp_api'], exp: 1 }).userId).to.equal('005000000000001');
    expect(() => callerFromClaims({ sub: 'someone', client_id: 'k', exp: 1 })).to.throw(/no Salesforce user/);
    expect(() => callerFromClaims({ sub: '005000000000001AAA', exp: 1 })).to.throw(/client app/);
  });

  it('maps apiIdentifier prefixes to backings', () => {
    expect(parseTarget({ apiIdentifier: 'aa:apex-CreateSupportCase', operation: 'CreateSupportCase' })).to.deep.equal({ kind: 'apex', name: 'CreateSupportCase' });
    expect(parseTarget({ apiIdentifier: 'fa:flow-Escalate_Case' })).to.deep.equal({ kind: 'flow', name: 'Escalate_Case' });
    expect(parseTarget({ apiIdentifier: 'nq:OpenCasesByAccount_nquery' })).to.deep.equal({ kind: 'named-query', name: 'OpenCasesByAccount' });
    expect(parseTarget({ apiIdentifier: 'ar:AccountSnapshotResource', operation: 'getSnapshot' })).to.deep.equal({ kind: 'apex-rest', className: 'AccountSnapshotResource', operation: 'getSnapshot' });
    expect(parseTarget({ apiIdentifier: 'psmcps:platform.sobject-reads:soqlQuery' })).to.deep.equal({ kind: 'standard', operation: 'soqlQuery' });
    expect(parseTarget({ apiIdentifier: 'ct:something' })).to.equal(undefined);
  });

  it('quotes SOQL string literals', () => {
    expect(soqlString("O'Brien\\x")).to.equal("'O\\'Brien\\\\x'");
  });
});
