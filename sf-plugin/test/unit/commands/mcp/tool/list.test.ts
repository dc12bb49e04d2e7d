import { expect } from 'chai';
import { MockTestOrgData, TestContext } from '@salesforce/core/testSetup';
import McpToolList from '../../../../../src/commands/mcp/tool/list.js';
import { FakeOrg, apiError } from '../../../helpers/fakeOrg.js';
import { stubOutput } from '../../../helpers/ux.js';

describe('mcp tool list', () => {
  const $$ = new TestContext();
  const testOrg = new MockTestOrgData();
  let fake: FakeOrg;
  let ux: ReturnType<typeof stubOutput>;

  beforeEach(async () => {
    await $$.stubAuths(testOrg);
    fake = new FakeOrg();
    $$.fakeConnectionRequest = fake.handler();
    ux = stubOutput($$.SANDBOX);
  });

  afterEach(() => $$.restore());

  it('resolves custom tools to their backing actions, annotations and inputs as the user sees them', async () => {
    const def = fake.addCustomServer('ForceGate_Service', [
      {
        name: 'create_support_case',
        title: 'Create Support Case',
        description: 'Open a case.',
        apiDefinition: { apiIdentifier: 'aa:apex-CreateSupportCase', operation: 'CreateSupportCase' },
        annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: false },
      },
      { name: 'escalate_case', apiIdentifier: 'fa:flow-Escalate_Case', annotations: { readOnlyHint: false, destructiveHint: true } },
      { name: 'open_cases', apiIdentifier: 'nq:OpenCasesByAccount', operation: 'OpenCasesByAccount', readOnly: true, inputSchema: { type: 'object', properties: { accountId: { type: 'string' } }, required: ['accountId'] } },
    ]);
    fake.access.push({ Id: '0Ma000000000001AAA', DeveloperName: 'ForceGate_Service', MasterLabel: 'x', Active: true, McpServerId: def.Id });
    fake.actions['apex/CreateSupportCase'] = {
      name: 'CreateSupportCase',
      description: 'Creates a case',
      inputs: [
        { name: 'accountId', type: 'ID', required: true, description: 'Account', label: 'Account' },
        { name: 'subject', type: 'STRING', required: true, description: null, label: 'Subject' },
        { name: 'priority', type: 'STRING', required: false, description: 'Low, Medium or High', label: 'Priority' },
      ],
    };
    fake.actions['flow/Escalate_Case'] = apiError('INSUFFICIENT_ACCESS', 'You do not have access to the flow Escalate_Case');

    const result = await McpToolList.run(['--target-org', testOrg.username, '--server', 'forcegate_service']);

    expect(result.server).to.include({ name: 'ForceGate_Service', type: 'custom', active: true });
    expect(result.username).to.equal(testOrg.username);
    const [create, escalate, cases] = result.tools;
    expect(create).to.deep.include({
      name: 'create_support_case',
      title: 'Create Support Case',
      description: 'Open a case.',
      backing: { type: 'apex', name: 'CreateSupportCase', identifier: 'aa:apex-CreateSupportCase' },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      destructive: false,
      available: true,
    });
    expect(create.inputs).to.deep.equal([
      { name: 'accountId', type: 'id', required: true, description: 'Account' },
      { name: 'subject', type: 'string', required: true, description: 'Subject' },
      { name: 'priority', type: 'string', required: false, description: 'Low, Medium or High' },
    ]);
    expect(escalate).to.include({ name: 'escalate_case', destructive: true, available: false });
    expect(escalate.backing).to.deep.include({ type: 'flow', name: 'Escalate_Case' });
    expect(escalate.unavailableReason).to.include('do not have access');
    expect(cases.backing).to.deep.include({ type: 'namedQuery', name: 'OpenCasesByAccount' });
    expect(cases.inputs).to.deep.equal([{ name: 'accountId', type: 'string', required: true, description: undefined }]);
    expect(ux.warn.args.flat().join('\n')).to.include('escalate_case');
    expect(ux.table.firstCall.args[0].data[0]).to.include({ name: 'create_support_case', backing: 'apex: CreateSupportCase', inputs: 'accountId*: id, subject*: string, priority: string' });
  });

  it('reads Named Query parameters from the Tooling ApiNamedQuery metadata', async () => {
    fake.addCustomServer('Reads', [
      { name: 'open_cases', apiIdentifier: 'nq:OpenCasesByAccount', operation: 'OpenCasesByAccount', annotations: { readOnly: true } },
      { name: 'gone', apiIdentifier: 'nq:Gone_nquery', annotations: { readOnly: true } },
    ]);
    fake.namedQueries.OpenCasesByAccount = [{ parameterName: 'accountId', description: 'Account Id (001...)' }];
    const result = await McpToolList.run(['--target-org', testOrg.username, '--server', 'Reads']);
    expect(result.tools[0].inputs).to.deep.equal([{ name: 'accountId', type: 'string', required: true, description: 'Account Id (001...)' }]);
    expect(result.tools[0].available).to.equal(true);
    expect(result.tools[1]).to.include({ available: false, unavailableReason: 'Named Query Gone not found' });

    fake.namedQueryMetadataField = false;
    const without = await McpToolList.run(['--target-org', testOrg.username, '--server', 'Reads', '--json']);
    expect(without.tools[0]).to.deep.include({ inputs: [], available: true });
  });

  it('lists the standard tools from the built-in set when the org has no API catalog, and warns for an inactive server', async () => {
    fake.catalog = 'missing';
    const result = await McpToolList.run(['--target-org', testOrg.username, '--server', 'platform/sobject-deletes']);
    expect(result.tools.map((t) => t.name)).to.include.members(['soqlQuery', 'deleteSobjectRecord']);
    expect(result.tools.find((t) => t.name === 'deleteSobjectRecord')).to.include({ destructive: true });
    expect(result.tools.find((t) => t.name === 'soqlQuery')?.inputs[0]).to.include({ name: 'q', required: true });
    expect(result.server.active).to.equal(false);
    expect(ux.warn.args.flat().join('\n')).to.include('is not active');
  });

  it('takes standard tools from the API catalog when it lists them', async () => {
    if (fake.catalog === 'missing') throw new Error('unexpected');
    fake.catalog.push({
      id: '0Mx000000000000STD',
      name: 'platform/sobject-reads',
      label: 'SObject Reads',
      source: 'STANDARD',
      active: false,
      assets: [{ kind: 'MCP_TOOL', name: 'soqlQuery', readOnly: true, destructive: false, idempotent: true, openWorld: false }],
    });
    const result = await McpToolList.run(['--target-org', testOrg.username, '--server', 'sobject-reads']);
    expect(result.tools).to.have.length(1);
    expect(result.tools[0]).to.deep.include({ name: 'soqlQuery', backing: { type: 'standard', name: 'soqlQuery' }, destructive: false });
    expect(result.tools[0].inputs[0]).to.include({ name: 'q' });
  });

  it('fails for an unknown server with an action hint', async () => {
    try {
      await McpToolList.run(['--target-org', testOrg.username, '--server', 'Nope']);
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).name).to.equal('UnknownServerError');
    }
  });
});
