import { expect } from 'chai';
import { MockTestOrgData, TestContext } from '@salesforce/core/testSetup';
import McpServerList from '../../../../../src/commands/mcp/server/list.js';
import { FakeOrg, apiError } from '../../../helpers/fakeOrg.js';
import { stubOutput } from '../../../helpers/ux.js';

describe('mcp server list', () => {
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

  it('lists the four standard servers and the custom ones with state, tool counts and production URLs', async () => {
    fake.access.push({ Id: '0Ma000000000001AAA', DeveloperName: 'platform_sobject_reads', MasterLabel: 'sobject-reads', Active: true, McpServerId: null });
    const def = fake.addCustomServer('ForceGate_Service', [
      { name: 'create_support_case', readOnly: false, destructive: false, apiIdentifier: 'aa:apex-CreateSupportCase' },
      { name: 'escalate_case', readOnly: false, destructive: true, apiIdentifier: 'fa:flow-Escalate_Case' },
    ]);
    fake.access.push({ Id: '0Ma000000000002AAA', DeveloperName: 'ForceGate_Service', MasterLabel: 'ForceGate Service', Active: false, McpServerId: def.Id });

    const result = await McpServerList.run(['--target-org', testOrg.username]);

    expect(result.map((s) => s.name)).to.deep.equal(['sobject-reads', 'sobject-mutations', 'sobject-deletes', 'sobject-all', 'ForceGate_Service']);
    const reads = result[0];
    expect(reads).to.include({ type: 'standard', active: true, toolCount: 6, destructiveToolCount: 0, accessId: '0Ma000000000001AAA' });
    expect(reads.url).to.equal('https://api.salesforce.com/platform/mcp/v1/platform/sobject-reads');
    expect(result[3]).to.include({ name: 'sobject-all', active: false, toolCount: 11, destructiveToolCount: 4 });
    const custom = result[4];
    expect(custom).to.include({ type: 'custom', active: false, toolCount: 2, destructiveToolCount: 1, definitionId: def.Id });
    expect(custom.url).to.equal('https://api.salesforce.com/platform/mcp/v1/custom/ForceGate_Service');
    expect(ux.table.callCount).to.equal(1);
    expect(ux.table.firstCall.args[0].data).to.have.length(5);
  });

  it('uses the sandbox URL form for scratch orgs and the local MCP server for a loopback org', async () => {
    fake.organization = { IsSandbox: false, TrialExpirationDate: '2026-06-01' };
    const result = await McpServerList.run(['--target-org', testOrg.username, '--mcp-base-url', 'http://127.0.0.1:6102']);
    expect(result[0].url).to.equal('http://127.0.0.1:6102/platform/mcp/v1/sandbox/platform/sobject-reads');
  });

  it('uses the sandbox URL form for sandboxes', async () => {
    fake.organization = { IsSandbox: true, TrialExpirationDate: null };
    fake.addCustomServer('Acme', []);
    const result = await McpServerList.run(['--target-org', testOrg.username]);
    expect(result[4].url).to.equal('https://api.salesforce.com/platform/mcp/v1/sandbox/custom/Acme');
  });

  it('falls back to the built-in standard tool sets when the org has no API catalog', async () => {
    fake.catalog = 'missing';
    const result = await McpServerList.run(['--target-org', testOrg.username, '--json']);
    expect(result.find((s) => s.name === 'sobject-deletes')).to.include({ toolCount: 8, destructiveToolCount: 2 });
  });

  it('explains when the org has no MCP metadata', async () => {
    fake.mcpError = apiError('INVALID_TYPE', "sObject type 'McpServerAccess' is not supported.");
    try {
      await McpServerList.run(['--target-org', testOrg.username]);
      expect.fail('should have thrown');
    } catch (error) {
      const err = error as { name: string; message: string; actions?: string[] };
      expect(err.name).to.equal('NoMcpSupportError');
      expect(err.message).to.include('has no Hosted MCP servers');
      expect(err.actions?.join('\n')).to.include('--api-version');
    }
  });
});
