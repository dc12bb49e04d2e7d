import { expect } from 'chai';
import { MockTestOrgData, TestContext } from '@salesforce/core/testSetup';
import { stubPrompter } from '@salesforce/sf-plugins-core';
import McpServerActivate from '../../../../../src/commands/mcp/server/activate.js';
import McpServerDeactivate from '../../../../../src/commands/mcp/server/deactivate.js';
import { FakeOrg } from '../../../helpers/fakeOrg.js';
import { stubOutput } from '../../../helpers/ux.js';

describe('mcp server activate / deactivate', () => {
  const $$ = new TestContext();
  const testOrg = new MockTestOrgData();
  let fake: FakeOrg;
  let prompter: ReturnType<typeof stubPrompter>;

  beforeEach(async () => {
    await $$.stubAuths(testOrg);
    fake = new FakeOrg();
    $$.fakeConnectionRequest = fake.handler();
    stubOutput($$.SANDBOX);
    prompter = stubPrompter($$.SANDBOX);
  });

  afterEach(() => $$.restore());

  it('creates the McpServerAccess record of a standard server when it has none (no prompt for read-only tools)', async () => {
    const result = await McpServerActivate.run(['--target-org', testOrg.username, '--name', 'sobject-reads']);
    expect(prompter.confirm.called).to.equal(false);
    expect(result).to.have.length(1);
    expect(result[0]).to.include({ name: 'sobject-reads', active: true, previouslyActive: false, changed: true, created: true });
    const created = fake.seen('POST', '/tooling/sobjects/McpServerAccess');
    expect(created).to.have.length(1);
    expect(created[0].body).to.deep.equal({ DeveloperName: 'platform_sobject_reads', MasterLabel: 'sobject-reads', Active: true });
    expect(fake.access[0]).to.include({ DeveloperName: 'platform_sobject_reads', Active: true });
  });

  it('links a custom server to its McpServerDefinition and PATCHes an existing record', async () => {
    const def = fake.addCustomServer('ForceGate_Read', [{ name: 'account_health_summary', readOnly: true, destructive: false }]);
    fake.access.push({ Id: '0Ma000000000009AAA', DeveloperName: 'platform_sobject_reads', MasterLabel: 'sobject-reads', Active: false, McpServerId: null });
    const result = await McpServerActivate.run(['--target-org', testOrg.username, '--name', 'forcegate_read', '--name', 'platform/sobject-reads']);
    expect(result.map((r) => [r.name, r.created, r.changed])).to.deep.equal([
      ['ForceGate_Read', true, true],
      ['sobject-reads', false, true],
    ]);
    expect(fake.seen('POST', '/McpServerAccess')[0].body).to.include({ DeveloperName: 'ForceGate_Read', McpServerId: def.Id, Active: true });
    expect(fake.seen('PATCH', '/McpServerAccess/0Ma000000000009AAA')[0].body).to.deep.equal({ Active: true });
  });

  it('asks before activating a server with destructive tools and skips it when declined', async () => {
    prompter.confirm.resolves(false);
    const result = await McpServerActivate.run(['--target-org', testOrg.username, '--name', 'sobject-deletes']);
    expect(prompter.confirm.calledOnce).to.equal(true);
    expect(prompter.confirm.firstCall.args[0].message).to.include('deleteSobjectRecord');
    expect(result[0]).to.include({ skipped: true, changed: false, active: false });
    expect(result[0].destructiveTools).to.deep.equal(['deleteSobjectRecord', 'deleteRelatedRecord']);
    expect(fake.seen('POST', '/McpServerAccess')).to.have.length(0);
  });

  it('activates a destructive server after a yes, and without asking with --no-prompt', async () => {
    prompter.confirm.resolves(true);
    const first = await McpServerActivate.run(['--target-org', testOrg.username, '--name', 'sobject-all']);
    expect(first[0]).to.include({ active: true, created: true });
    const second = await McpServerActivate.run(['--target-org', testOrg.username, '--name', 'sobject-mutations', '--no-prompt']);
    expect(prompter.confirm.calledOnce).to.equal(true);
    expect(second[0]).to.include({ active: true, created: true });
  });

  it('activates every custom server with --all-custom, asking only for the destructive one', async () => {
    prompter.confirm.resolves(true);
    fake.addCustomServer('A_Read', [{ name: 'r', readOnly: true }]);
    fake.addCustomServer('B_Write', [{ name: 'w', readOnly: false, destructive: true }]);
    const result = await McpServerActivate.run(['--target-org', testOrg.username, '--all-custom']);
    expect(result.map((r) => r.name)).to.deep.equal(['A_Read', 'B_Write']);
    expect(result.every((r) => r.active)).to.equal(true);
    expect(prompter.confirm.calledOnce).to.equal(true);
  });

  it('reports a server that is already active without writing', async () => {
    fake.access.push({ Id: '0Ma000000000003AAA', DeveloperName: 'platform_sobject_reads', MasterLabel: 'sobject-reads', Active: true, McpServerId: null });
    const result = await McpServerActivate.run(['--target-org', testOrg.username, '--name', 'sobject-reads']);
    expect(result[0]).to.include({ changed: false, active: true });
    expect(fake.requests.filter((r) => r.method !== 'GET')).to.have.length(0);
  });

  it('fails with the known server names for an unknown server', async () => {
    fake.addCustomServer('ForceGate_Read', []);
    try {
      await McpServerActivate.run(['--target-org', testOrg.username, '--name', 'nope']);
      expect.fail('should have thrown');
    } catch (error) {
      const err = error as { name: string; message: string; actions?: string[] };
      expect(err.name).to.equal('UnknownServerError');
      expect(err.message).to.include('"nope"').and.include('ForceGate_Read').and.include('sobject-reads');
      expect(err.actions?.[0]).to.include('sf mcp server list');
    }
  });

  it('requires --name or --all-custom', async () => {
    try {
      await McpServerActivate.run(['--target-org', testOrg.username]);
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.match(/Exactly one of the following must be provided: --all-custom, --name/);
    }
  });

  it('deactivates with a PATCH and leaves a server without a record alone', async () => {
    fake.access.push({ Id: '0Ma000000000004AAA', DeveloperName: 'platform_sobject_all', MasterLabel: 'sobject-all', Active: true, McpServerId: null });
    const result = await McpServerDeactivate.run(['--target-org', testOrg.username, '--name', 'sobject-all', '--name', 'sobject-reads']);
    expect(result.map((r) => [r.name, r.active, r.changed])).to.deep.equal([
      ['sobject-all', false, true],
      ['sobject-reads', false, false],
    ]);
    expect(fake.seen('PATCH', '/McpServerAccess/0Ma000000000004AAA')[0].body).to.deep.equal({ Active: false });
    expect(fake.seen('POST', '/McpServerAccess')).to.have.length(0);
  });

  it('deactivates every custom server with --all-custom', async () => {
    const a = fake.addCustomServer('A', []);
    fake.access.push({ Id: '0Ma000000000005AAA', DeveloperName: 'A', MasterLabel: 'A', Active: true, McpServerId: a.Id });
    const result = await McpServerDeactivate.run(['--target-org', testOrg.username, '--all-custom', '--json']);
    expect(result).to.have.length(1);
    expect(result[0]).to.include({ name: 'A', active: false, changed: true });
  });
});
