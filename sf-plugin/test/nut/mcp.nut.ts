/**
 * `sf mcp` end to end: the built plugin linked into the project's real sf CLI (isolated HOME), a
 * local org started in this process, and the workflow a new user follows on a scratch-like org —
 * deploy (including a failing component), list, activate, deactivate, tool list, logs, client create —
 * every command run with --json and its envelope checked against the org.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { startLocalOrg, type LocalOrg } from '../../../local-org/src/local-org.ts';
import { mcpToken, personaToken } from '../../../local-org/test/helpers/oauth.ts';
import type { ClientCreateResult } from '../../src/commands/mcp/client/create.js';
import type { DeployResult } from '../../src/commands/mcp/deploy.js';
import type { LogsResult } from '../../src/commands/mcp/logs.js';
import type { ServerActivateResult } from '../../src/commands/mcp/server/activate.js';
import type { ServerDeactivateResult } from '../../src/commands/mcp/server/deactivate.js';
import type { ServerListResult } from '../../src/commands/mcp/server/list.js';
import type { ToolListResult } from '../../src/commands/mcp/tool/list.js';
import { parseCsv } from '../../src/shared/eventLogs.js';
import { PLUGIN_DIR, REPO_ROOT, Sf, ensureBuilt, scratchProject, show } from './helpers.js';

const BROKEN_SERVER = `<?xml version="1.0" encoding="UTF-8"?>
<McpServerDefinition xmlns="http://soap.sforce.com/2006/04/metadata">
    <description>A tool backed by an Apex class that does not exist.</description>
    <masterLabel>Broken Server</masterLabel>
    <tools>
        <apiDefinition>
            <apiIdentifier>aa:apex-DoesNotExist</apiIdentifier>
            <apiSource>API_CATALOG</apiSource>
            <operation>DoesNotExist</operation>
        </apiDefinition>
        <destructive>false</destructive>
        <idempotent>true</idempotent>
        <openWorld>false</openWorld>
        <readOnly>true</readOnly>
        <returnDirect>false</returnDirect>
        <toolName>missing_tool</toolName>
        <toolTitle>Missing Tool</toolTitle>
    </tools>
</McpServerDefinition>
`;

/** Tool names of a server as force-app defines them. */
function toolNamesInSource(server: string): string[] {
  const xml = readFileSync(join(REPO_ROOT, 'force-app', 'main', 'default', 'mcpServerDefinitions', `${server}.mcpServerDefinition-meta.xml`), 'utf8');
  return [...xml.matchAll(/<toolName>([^<]+)<\/toolName>/g)].map((m) => m[1]);
}

describe('sf mcp against a local org (real sf CLI, linked plugin)', function () {
  this.timeout(600_000);
  const sf = new Sf();
  let local: LocalOrg;
  let dataDir: string;
  let project: string;
  let adminToken: string;

  before(async () => {
    ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'sf-mcp-nut-org-'));
    project = scratchProject();
    local = await startLocalOrg({ port: 0, dataDir, projectDir: REPO_ROOT });

    const link = await sf.run(['plugins', 'link', PLUGIN_DIR, '--no-install']);
    expect(link.code, show(link)).to.equal(0);

    const tokens = {
      lo: (adminToken = await personaToken(local.url, 'admin@forcegate.local')),
      rep: await personaToken(local.url, 'rep@forcegate.local'),
      auditor: await personaToken(local.url, 'auditor@forcegate.local'),
    };
    const login = (alias: string, token: string): ReturnType<typeof sf.run> =>
      sf.run(['org', 'login', 'access-token', '--instance-url', local.url, '--no-prompt', '--alias', alias, '--json'], { env: { SF_ACCESS_TOKEN: token } });
    // The first login creates the isolated HOME's keychain key; logins racing on an empty HOME each
    // create one, and the auth files encrypted with the losing keys then fail to decrypt
    // (AuthDecryptError). After that, sf locks its alias file, so the others can run side by side.
    const [first, ...rest] = Object.entries(tokens);
    const logins = [await login(...first!), ...(await Promise.all(rest.map(([alias, token]) => login(alias, token))))];
    for (const l of logins) expect(l.code, show(l)).to.equal(0);
  });

  after(async () => {
    if (sf.timings.length > 0) {
      const lines = sf.timings.map((t) => `      ${(t.ms / 1000).toFixed(1).padStart(5)} s  sf ${t.args}`);
      console.log(`    sf commands (${sf.timings.length}):\n${lines.join('\n')}`);
    }
    sf.dispose();
    await local?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
  });

  /** Catalog view of the org, read directly (to cross-check what the plugin reports). */
  type CatalogEntry = { name: string; apiName: string; source: string; active: boolean; serverUrl: string };
  async function catalog(): Promise<CatalogEntry[]> {
    const res = await fetch(`${local.url}/services/data/v65.0/api-catalog/mcp-servers`, { headers: { Authorization: `Bearer ${adminToken}` } });
    return ((await res.json()) as { servers: CatalogEntry[] }).servers;
  }

  it('mcp deploy: deploys the project and lists its MCP servers and tools', async () => {
    const r = await sf.run<DeployResult>(['mcp', 'deploy', '--target-org', 'lo', '--json'], { cwd: project });
    expect(r.code, show(r)).to.equal(0);
    const result = r.json!.result;
    expect(result).to.include({ success: true, status: 'Succeeded', dryRun: false });
    expect(result.failures).to.deep.equal([]);
    expect(result.numberComponentsDeployed).to.equal(result.numberComponentsTotal).and.to.be.greaterThan(10);
    expect(result.files.map((f) => f.type)).to.include.members(['ApexClass', 'McpServerDefinition', 'ExternalClientApplication', 'PermissionSet']);
    const servers = Object.fromEntries(result.mcpServers.map((s) => [s.name, s]));
    expect(Object.keys(servers)).to.include.members(['ForceGate_Read', 'ForceGate_Service']);
    expect(servers.ForceGate_Read.tools.map((t) => t.name)).to.deep.equal(toolNamesInSource('ForceGate_Read'));
    expect(servers.ForceGate_Read.tools.every((t) => t.readOnly)).to.equal(true);
    expect(servers.ForceGate_Service).to.include({ inOrg: true, active: false, url: 'http://127.0.0.1:6102/platform/mcp/v1/custom/ForceGate_Service' });
    expect(result.activeServers).to.deep.equal([]);
  });

  it('mcp deploy: a failing component is listed with its problem and the command exits 1', async () => {
    const dir = join(project, 'broken', 'mcpServerDefinitions');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Broken_Server.mcpServerDefinition-meta.xml'), BROKEN_SERVER);
    const r = await sf.run<DeployResult>(['mcp', 'deploy', '--source-dir', 'broken', '--target-org', 'lo', '--json'], { cwd: project });
    expect(r.code, show(r)).to.equal(1);
    expect(r.json!.status).to.equal(1);
    const result = r.json!.result;
    expect(result).to.include({ success: false, status: 'Failed' });
    expect(result.failures).to.have.length(1);
    expect(result.failures[0]).to.include({ type: 'McpServerDefinition', fullName: 'Broken_Server', state: 'Failed', problemType: 'Error' });
    expect(result.failures[0].problem).to.match(/DoesNotExist/);
    expect(result.failures[0].filePath).to.equal(join('broken', 'mcpServerDefinitions', 'Broken_Server.mcpServerDefinition-meta.xml'));
    rmSync(join(project, 'broken'), { recursive: true, force: true });
  });

  it('mcp deploy --dry-run validates without saving', async () => {
    const r = await sf.run<DeployResult>(['mcp', 'deploy', '--source-dir', 'force-app/main/default/mcpServerDefinitions', '--dry-run', '--target-org', 'lo', '--json'], { cwd: project });
    expect(r.code, show(r)).to.equal(0);
    expect(r.json!.result).to.include({ success: true, dryRun: true });
    expect(r.json!.result.mcpServers.map((s) => s.name)).to.deep.equal(['ForceGate_Read', 'ForceGate_Service']);
  });

  it('mcp server list: standard and custom servers, inactive, with the org\'s endpoint URLs', async () => {
    const r = await sf.run<ServerListResult>(['mcp', 'server', 'list', '--target-org', 'lo', '--json']);
    expect(r.code, show(r)).to.equal(0);
    const list = r.json!.result;
    expect(list.map((s) => s.name)).to.deep.equal(['sobject-reads', 'sobject-mutations', 'sobject-deletes', 'sobject-all', 'ForceGate_Read', 'ForceGate_Service']);
    expect(list.every((s) => !s.active)).to.equal(true);
    expect(list.find((s) => s.name === 'sobject-all')).to.include({ toolCount: 11, destructiveToolCount: 4 });
    expect(list.find((s) => s.name === 'ForceGate_Read')).to.include({ toolCount: toolNamesInSource('ForceGate_Read').length, destructiveToolCount: 0 });
    const urls = Object.fromEntries((await catalog()).map((c) => [c.source === 'STANDARD' ? c.apiName : c.name, c.serverUrl] as const));
    for (const s of list) expect(s.url, s.name).to.equal(urls[s.name]);
  });

  it('mcp server activate: creates the access records (no prompt with --no-prompt)', async () => {
    const r = await sf.run<ServerActivateResult>(['mcp', 'server', 'activate', '--name', 'sobject-reads', '--name', 'ForceGate_Service', '--no-prompt', '--target-org', 'lo', '--json']);
    expect(r.code, show(r)).to.equal(0);
    expect(r.json!.result.map((x) => [x.name, x.active, x.created, x.changed])).to.deep.equal([
      ['sobject-reads', true, true, true],
      ['ForceGate_Service', true, true, true],
    ]);
    expect(r.json!.result[1].destructiveTools.length).to.be.greaterThan(0);
    const active = (await catalog()).filter((c) => c.active).map((c) => c.name);
    expect(active).to.have.members(['platform_sobject_reads', 'ForceGate_Service']);
  });

  it('mcp server activate --all-custom activates the remaining custom server', async () => {
    const r = await sf.run<ServerActivateResult>(['mcp', 'server', 'activate', '--all-custom', '--no-prompt', '--target-org', 'lo', '--json']);
    expect(r.code, show(r)).to.equal(0);
    expect(r.json!.result.map((x) => [x.name, x.active, x.changed])).to.deep.equal([
      ['ForceGate_Read', true, true],
      ['ForceGate_Service', true, false],
    ]);
  });

  it('mcp server activate: an unknown server fails with the known names and a hint', async () => {
    const r = await sf.run(['mcp', 'server', 'activate', '--name', 'No_Such_Server', '--no-prompt', '--target-org', 'lo', '--json']);
    expect(r.code).to.equal(1);
    expect(r.json).to.include({ name: 'UnknownServerError', status: 1 });
    expect(r.json!.message).to.include('No_Such_Server').and.include('ForceGate_Read');
    expect(r.json!.actions?.join('\n')).to.include('sf mcp server list');
  });

  it('mcp server deactivate: flips the record and the list shows it', async () => {
    const r = await sf.run<ServerDeactivateResult>(['mcp', 'server', 'deactivate', '--name', 'ForceGate_Service', '--target-org', 'lo', '--json']);
    expect(r.code, show(r)).to.equal(0);
    expect(r.json!.result[0]).to.include({ name: 'ForceGate_Service', active: false, previouslyActive: true, changed: true });
    const list = await sf.run<ServerListResult>(['mcp', 'server', 'list', '--target-org', 'lo', '--json']);
    expect(list.json!.result.filter((s) => s.active).map((s) => s.name)).to.deep.equal(['sobject-reads', 'ForceGate_Read']);
  });

  it('mcp tool list: the custom tools with their backing actions and inputs, as the sales rep gets them', async () => {
    const r = await sf.run<ToolListResult>(['mcp', 'tool', 'list', '--server', 'ForceGate_Read', '--target-org', 'rep', '--json']);
    expect(r.code, show(r)).to.equal(0);
    const { server, username, tools } = r.json!.result;
    expect(server).to.include({ name: 'ForceGate_Read', type: 'custom', active: true });
    expect(username).to.equal('rep@forcegate.local');
    expect(tools.map((t) => t.name)).to.deep.equal(toolNamesInSource('ForceGate_Read'));
    expect(tools.every((t) => t.available && t.annotations.readOnlyHint === true && !t.destructive)).to.equal(true);
    const health = tools.find((t) => t.name === 'account_health_summary')!;
    expect(health.backing).to.deep.include({ type: 'apex', name: 'AccountHealthSummary' });
    expect(health.inputs.map((i) => i.name)).to.include('accountId');
    expect(tools.filter((t) => t.backing.type === 'namedQuery').length).to.be.greaterThan(0);
  });

  it('mcp tool list: the auditor cannot run the service actions (no Apex class / flow access)', async () => {
    const r = await sf.run<ToolListResult>(['mcp', 'tool', 'list', '--server', 'ForceGate_Service', '--target-org', 'auditor', '--json']);
    expect(r.code, show(r)).to.equal(0);
    const create = r.json!.result.tools.find((t) => t.name === 'create_support_case')!;
    expect(create).to.include({ available: false });
    expect(r.json!.warnings?.join('\n')).to.include('create_support_case');
  });

  it('mcp logs: the CSV rows match the MCP calls this test made', async () => {
    const token = await mcpToken(local.url, 'rep@forcegate.local');
    const calls = [
      { q: 'SELECT Id FROM Account LIMIT 1', entity: 'Account', status: '200' },
      { q: 'SELECT Id, Subject FROM Case LIMIT 2', entity: 'Case', status: '200' },
      { q: 'SELECT Id FROM No_Such_Object__c', entity: 'No_Such_Object__c', status: '400' },
    ];
    for (const c of calls) {
      const res = await fetch(`${local.url}/services/data/v65.0/query?q=${encodeURIComponent(c.q)}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(String(res.status)).to.equal(c.status);
    }
    const out = join(project, 'audit');
    const r = await sf.run<LogsResult>(['mcp', 'logs', '--start-date', 'today', '--end-date', 'today', '--output-dir', out, '--report', '--target-org', 'auditor', '--json']);
    expect(r.code, show(r)).to.equal(0);
    const result = r.json!.result;
    expect(result).to.include({ logFiles: 1, rows: 3, errors: 1 });
    expect(result.byUser).to.deep.equal([{ user: 'rep@forcegate.local', calls: 3, errors: 1 }]);
    expect(result.byStatus).to.deep.equal([{ status: '400', calls: 1 }]);
    expect(result.rowsRead).to.be.greaterThan(3); // the sf CLI's own calls are in the file too, as SALESFORCE
    expect(relative(out, result.outputFile)).to.match(/^ApiTotalUsage-SALESFORCE_HOSTED_MCP-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);

    expect(readFileSync(result.reportFile!, 'utf8').match(/<svg\b[^>]*role="img"/g)).to.have.length(3);

    const [header, ...rows] = parseCsv(readFileSync(result.outputFile, 'utf8'));
    const col = (name: string): number => header.indexOf(name);
    expect(rows.map((row) => [row[col('USER_NAME')], row[col('ENTITY_NAME')], row[col('STATUS_CODE')], row[col('HTTP_METHOD')], row[col('API_CLIENT_CATEGORY')]])).to.deep.equal(
      calls.map((c) => ['rep@forcegate.local', c.entity, c.status, 'GET', 'SALESFORCE_HOSTED_MCP']),
    );
  });

  it('mcp logs: a user without View Event Log Files gets the permission hint', async () => {
    const r = await sf.run(['mcp', 'logs', '--start-date', 'today', '--output-dir', join(project, 'audit'), '--target-org', 'rep', '--json']);
    expect(r.code).to.equal(1);
    expect(r.json).to.include({ name: 'NoEventLogAccessError' });
    expect(r.json!.actions?.join('\n')).to.include('View Event Log Files');
  });

  it('mcp logs: an empty date range is refused', async () => {
    const r = await sf.run(['mcp', 'logs', '--start-date', '2026-05-03', '--end-date', '2026-05-01', '--target-org', 'lo', '--json']);
    expect(r.code).to.equal(1);
    expect(r.json).to.include({ name: 'EmptyDateRangeError' });
  });

  it('mcp client create: writes a hardened ECA that converts and deploys', async () => {
    const r = await sf.run<ClientCreateResult>(['mcp', 'client', 'create', '--name', 'Nut_Claude', '--preset', 'claude', '--permission-set', 'ForceGate_MCP_Access', '--json'], { cwd: project });
    expect(r.code, show(r)).to.equal(0);
    const created = r.json!.result;
    expect(created.files).to.have.length(5);
    expect(created.outputDir).to.equal(join(project, 'force-app', 'main', 'default'));

    const sourceDirs = created.files.flatMap((f) => ['--source-dir', relative(project, f)]);
    const mdapi = join(project, 'mdapi-out');
    const convert = await sf.run(['project', 'convert', 'source', ...sourceDirs, '--output-dir', mdapi, '--json'], { cwd: project });
    expect(convert.code, show(convert)).to.equal(0);
    const pkg = readFileSync(join(mdapi, 'package.xml'), 'utf8');
    for (const type of ['ExternalClientApplication', 'ExtlClntAppGlobalOauthSettings', 'ExtlClntAppOauthSettings', 'ExtlClntAppConfigurablePolicies', 'ExtlClntAppOauthConfigurablePolicies']) {
      expect(pkg).to.include(`<name>${type}</name>`);
    }

    const deploy = await sf.run<DeployResult>(['mcp', 'deploy', ...sourceDirs, '--target-org', 'lo', '--json'], { cwd: project });
    expect(deploy.code, show(deploy)).to.equal(0);
    expect(deploy.json!.result.success).to.equal(true);
    expect(deploy.json!.result.files.filter((f) => f.state === 'Created').map((f) => f.type)).to.have.members([
      'ExternalClientApplication',
      'ExtlClntAppGlobalOauthSettings',
      'ExtlClntAppOauthSettings',
      'ExtlClntAppConfigurablePolicies',
      'ExtlClntAppOauthConfigurablePolicies',
    ]);
  });
});
