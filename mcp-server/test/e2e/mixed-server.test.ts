/**
 * A custom server mixing backings, deployed during the test: a standard tool re-served under a new
 * name (`psmcps:`), an Apex REST method (`ar:`), and an Apex action the deploy adds later (the open
 * session is told through tools/list_changed).
 */
import { expect } from 'chai';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { deployComponents } from '../../../local-org/src/metadata/deploy.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

const tool = (identifier: string, operation: string, name: string, extra = ''): string => `
    <tools>
        <apiDefinition>
            <apiIdentifier>${identifier}</apiIdentifier>
            <apiSource>API_CATALOG</apiSource>
            <operation>${operation}</operation>
        </apiDefinition>
        ${extra}
        <toolName>${name}</toolName>
    </tools>`;

function definition(tools: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<McpServerDefinition xmlns="http://soap.sforce.com/2006/04/metadata">
    <description>Test server mixing backings.</description>
    <masterLabel>Test Mixed</masterLabel>${tools}
</McpServerDefinition>`;
}

describe('mcp-server: mixed custom server', function () {
  this.timeout(120_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
    const first = definition(
      tool('psmcps:platform.sobject-reads:soqlQuery', 'soqlQuery', 'query_records', '<descriptionOverride>Run SOQL as yourself.</descriptionOverride><readOnly>true</readOnly>') +
        tool('ar:AccountSnapshotResource', 'getSnapshot', 'account_snapshot', '<readOnly>true</readOnly><idempotent>true</idempotent>'),
    );
    const outcome = deployComponents(h.org.org, [{ type: 'McpServerDefinition', fullName: 'Test_Mixed', xml: first, path: 'mcpServerDefinitions/Test_Mixed.mcpServerDefinition-meta.xml' }], h.org.org.systemUserId);
    expect(outcome.problems.filter((p) => p.problemType === 'Error'), JSON.stringify(outcome.problems)).to.deep.equal([]);
    await h.setActive('custom/Test_Mixed', true);
  });
  after(async () => h?.close());

  it('re-serves a standard tool under the definition\'s name and wording, with its own truthful hints', async () => {
    const c = await h.connect('rep@forcegate.local', 'custom/Test_Mixed');
    const tools = (await c.listTools()).tools;
    const q = tools.find((t) => t.name === 'query_records')!;
    expect(q.description).to.equal('Run SOQL as yourself.');
    expect(q.annotations).to.include({ readOnlyHint: true, destructiveHint: false });
    expect(Object.keys((q.inputSchema as { properties: object }).properties)).to.include('q');
    const r = await c.callTool({ name: 'query_records', arguments: { q: 'SELECT Id, Owner.Username FROM Opportunity' } });
    const owners = new Set((r.structuredContent as { records: { Owner: { Username: string } }[] }).records.map((x) => x.Owner.Username));
    expect([...owners]).to.deep.equal(['rep@forcegate.local']);
  });

  it('serves an Apex REST method with its URL mapping and verb from the class', async () => {
    const c = await h.connect('admin', 'custom/Test_Mixed');
    const snap = (await c.listTools()).tools.find((t) => t.name === 'account_snapshot')!;
    expect(snap.description).to.match(/\/forcegate\/accounts\/\* \(GET\)/);
    expect(Object.keys((snap.inputSchema as { properties: object }).properties)).to.include('path');
    expect(snap.annotations).to.include({ readOnlyHint: true });
  });

  it('a deploy that adds a tool notifies open sessions (tools/list_changed) and the re-activated server lists it', async () => {
    const c = await h.connect('admin', 'custom/Test_Mixed');
    let notified = 0;
    c.setNotificationHandler(ToolListChangedNotificationSchema, () => void notified++);
    await c.listTools();
    await new Promise((r) => setTimeout(r, 700));
    const second = definition(
      tool('psmcps:platform.sobject-reads:soqlQuery', 'soqlQuery', 'query_records', '<descriptionOverride>Run SOQL as yourself.</descriptionOverride><readOnly>true</readOnly>') +
        tool('ar:AccountSnapshotResource', 'getSnapshot', 'account_snapshot', '<readOnly>true</readOnly><idempotent>true</idempotent>') +
        tool('fa:flow-Update_Opportunity_Stage', 'Update_Opportunity_Stage', 'move_stage', '<destructive>true</destructive><idempotent>true</idempotent>'),
    );
    deployComponents(h.org.org, [{ type: 'McpServerDefinition', fullName: 'Test_Mixed', xml: second, path: 'mcpServerDefinitions/Test_Mixed.mcpServerDefinition-meta.xml' }], h.org.org.systemUserId);
    // Changing a custom server's tools deactivates it (platform.md §5.2): open sessions are told at once…
    const deadline = Date.now() + 60_000;
    while (notified === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(notified).to.be.greaterThan(0);
    // …and once the admin re-activates it, the new tool is listed.
    await h.setActive('custom/Test_Mixed', true);
    await new Promise((r) => setTimeout(r, 1100));
    const again = await h.connect('admin', 'custom/Test_Mixed');
    expect((await again.listTools()).tools.map((t) => t.name)).to.include('move_stage');
  });
});
