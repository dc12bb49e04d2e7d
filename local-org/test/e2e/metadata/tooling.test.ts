/**
 * MCP server activation through the REST Tooling API with jsforce (McpServerAccess create / update /
 * query, admin-only writes), the read-only Tooling views of deployed metadata, and the API Catalog's
 * server list with the activation state.
 */
import { expect } from 'chai';
import jsforce from 'jsforce';
import type { LocalOrg } from '../../../src/local-org.ts';
import { deployComponents } from '../../../src/metadata/deploy.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { startTestOrg } from '../../helpers/org.ts';

const VERSION = '65.0';

interface NamedError extends Error {
  errorCode?: string;
}

async function rejection(p: PromiseLike<unknown>): Promise<NamedError> {
  try {
    await p;
  } catch (err) {
    return err as NamedError;
  }
  throw new Error('expected a rejection');
}

interface Server {
  id: string;
  name: string;
  label: string;
  type: string;
  source: string;
  active: boolean;
  status: string;
  serverUrl: string;
}

interface Asset {
  id: string;
  name: string;
  kind: string;
  active: boolean;
  toolName?: string;
  apiIdentifier?: string;
  annotations?: Record<string, boolean>;
}

describe('Tooling API: MCP server activation and metadata views', function () {
  this.timeout(120_000);
  let local: LocalOrg;
  let admin: jsforce.Connection;
  let rep: jsforce.Connection;

  before(async () => {
    local = await startTestOrg();
    const [adminToken, repToken] = await Promise.all([personaToken(local.url, 'admin@forcegate.local'), personaToken(local.url, 'rep@forcegate.local')]);
    admin = new jsforce.Connection({ instanceUrl: local.url, accessToken: adminToken, version: VERSION });
    rep = new jsforce.Connection({ instanceUrl: local.url, accessToken: repToken, version: VERSION });
  });
  after(async () => local?.close());

  const servers = async (conn = admin): Promise<Server[]> => ((await conn.request(`/services/data/v${VERSION}/api-catalog/mcp-servers`)) as { mcpServers: Server[] }).mcpServers;
  const serverId = (name: string): string => (local.org.db.prepare("SELECT id FROM _metadata WHERE type = 'McpServerDefinition' AND full_name = ?").get(name) as { id: string }).id;

  it('has no active server before an admin activates one', async () => {
    const result = await admin.tooling.query<{ Id: string }>('SELECT Id, DeveloperName, MasterLabel, Active, McpServerId FROM McpServerAccess');
    expect(result.totalSize).to.equal(0);
    const list = await servers();
    expect(list.map((s) => s.name)).to.include.members(['platform_sobject_reads', 'platform_sobject_mutations', 'platform_sobject_deletes', 'platform_sobject_all', 'ForceGate_Read', 'ForceGate_Service']);
    expect(list.every((s) => s.active === false && s.status === 'INACTIVE' && s.type === 'PLATFORM')).to.equal(true);
  });

  it('activates a standard server, lists it as active, and deactivates it (jsforce)', async () => {
    const created = (await admin.tooling.sobject('McpServerAccess').create({ DeveloperName: 'platform_sobject_reads', MasterLabel: 'sobject-reads', Active: true })) as { id: string; success: boolean };
    expect(created.success).to.equal(true);
    expect(created.id).to.match(/^0Ms[A-Za-z0-9]{15}$/);

    const q = await admin.tooling.query<{ Id: string; DeveloperName: string; Active: boolean; McpServerId: string | null }>(
      "SELECT Id, DeveloperName, MasterLabel, Active, McpServerId FROM McpServerAccess WHERE DeveloperName = 'platform_sobject_reads'",
    );
    expect(q.records).to.have.length(1);
    expect(q.records[0]).to.include({ Id: created.id, DeveloperName: 'platform_sobject_reads', Active: true, McpServerId: null });

    const reads = (await servers()).find((s) => s.name === 'platform_sobject_reads')!;
    expect(reads).to.include({ active: true, status: 'ACTIVE', source: 'STANDARD' });
    expect(reads.serverUrl).to.equal('http://127.0.0.1:6102/platform/mcp/v1/platform/sobject-reads');
    const byId = (await admin.request(`/services/data/v${VERSION}/api-catalog/mcp-servers/${reads.id}`)) as Server;
    expect(byId).to.include({ id: reads.id, active: true });
    const assets = ((await admin.request(`/services/data/v${VERSION}/api-catalog/mcp-servers/${reads.id}/assets`)) as { assets: Asset[] }).assets;
    expect(assets.map((a) => a.name)).to.have.members(['getObjectSchema', 'soqlQuery', 'find', 'getUserInfo', 'listRecentSobjectRecords', 'getRelatedRecords']);
    expect(assets.every((a) => a.kind === 'MCP_TOOL' && a.annotations?.readOnly === true)).to.equal(true);

    const active = ((await admin.request(`/services/data/v${VERSION}/api-catalog/mcp-servers?status=ACTIVE`)) as { mcpServers: Server[] }).mcpServers;
    expect(active.map((s) => s.name)).to.deep.equal(['platform_sobject_reads']);

    const updated = (await admin.tooling.sobject('McpServerAccess').update({ Id: created.id, Active: false })) as { success: boolean };
    expect(updated.success).to.equal(true);
    const record = (await admin.tooling.sobject('McpServerAccess').retrieve(created.id)) as Record<string, unknown>;
    expect(record.Active).to.equal(false);
    expect((record.attributes as { url: string }).url).to.equal(`/services/data/v${VERSION}/tooling/sobjects/McpServerAccess/${created.id}`);
    expect((await servers()).find((s) => s.name === 'platform_sobject_reads')!.active).to.equal(false);
  });

  it('needs McpServerId of a deployed McpServerDefinition for a custom server', async () => {
    const err = await rejection(admin.tooling.sobject('McpServerAccess').create({ DeveloperName: 'ForceGate_Read', MasterLabel: 'ForceGate Read', Active: true }));
    expect(err.errorCode).to.equal('FIELD_INTEGRITY_EXCEPTION');
    expect(err.message).to.equal('McpServerId is required for custom server access records');

    const bogus = await rejection(admin.tooling.sobject('McpServerAccess').create({ DeveloperName: 'ForceGate_Read', MasterLabel: 'x', Active: true, McpServerId: '01p000000000000AAA' }));
    expect(bogus.errorCode).to.equal('INVALID_CROSS_REFERENCE_KEY');

    const created = (await admin.tooling.sobject('McpServerAccess').create({ DeveloperName: 'ForceGate_Read', MasterLabel: 'ForceGate Read', Active: true, McpServerId: serverId('ForceGate_Read') })) as { id: string };
    const read = (await servers()).find((s) => s.name === 'ForceGate_Read')!;
    expect(read).to.include({ id: serverId('ForceGate_Read'), active: true, source: 'CUSTOM', serverUrl: 'http://127.0.0.1:6102/platform/mcp/v1/custom/ForceGate_Read' });
    const assets = ((await admin.request(`/services/data/v${VERSION}/api-catalog/mcp-servers/${read.id}/assets`)) as { assets: Asset[] }).assets;
    expect(assets.find((a) => a.toolName === 'account_health_summary')).to.deep.include({ kind: 'MCP_TOOL', apiIdentifier: 'aa:apex-AccountHealthSummary' });
    const nq = assets.find((a) => a.apiIdentifier === 'nq:OpenCasesByAccount') as Asset & { parameters?: { name: string }[] };
    expect(nq.parameters!.map((p) => p.name)).to.deep.equal(['accountId']);

    const dup = await rejection(admin.tooling.sobject('McpServerAccess').create({ DeveloperName: 'ForceGate_Read', MasterLabel: 'again', McpServerId: serverId('ForceGate_Read') }));
    expect(dup.errorCode).to.equal('DUPLICATE_VALUE');
    await admin.tooling.sobject('McpServerAccess').update({ Id: created.id, Active: true });
  });

  it('deactivates a custom server when a deploy changes its tools', () => {
    const def = local.org.db.prepare("SELECT xml FROM _metadata WHERE type = 'McpServerDefinition' AND full_name = 'ForceGate_Read'").get() as { xml: string };
    const active = () => (local.org.db.prepare('SELECT Active FROM McpServerAccess WHERE McpServerId = ?').get(serverId('ForceGate_Read')) as { Active: number }).Active;
    expect(active()).to.equal(1);
    // Same tools (only the description changes): stays active.
    deployComponents(local.org, [{ type: 'McpServerDefinition', fullName: 'ForceGate_Read', path: 'x', xml: def.xml.replace(/<description>[^<]*/, '<description>Another description') }], local.org.systemUserId);
    expect(active()).to.equal(1);
    const fewerTools = def.xml.replace(/<tools>[\s\S]*?<\/tools>\s*/, '');
    const outcome = deployComponents(local.org, [{ type: 'McpServerDefinition', fullName: 'ForceGate_Read', path: 'x', xml: fewerTools }], local.org.systemUserId);
    expect(outcome.problems).to.deep.equal([]);
    expect(active()).to.equal(0);
  });

  it('refuses activation by a user without Customize Application, but lets them read the state', async () => {
    const err = await rejection(rep.tooling.sobject('McpServerAccess').create({ DeveloperName: 'platform_sobject_all', MasterLabel: 'sobject-all', Active: true }));
    expect(err.errorCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
    const id = (local.org.db.prepare("SELECT Id FROM McpServerAccess WHERE DeveloperName = 'platform_sobject_reads'").get() as { Id: string }).Id;
    const patch = await rejection(rep.tooling.sobject('McpServerAccess').update({ Id: id, Active: true }));
    expect(patch.errorCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
    const q = await rep.tooling.query<{ DeveloperName: string }>('SELECT DeveloperName, Active FROM McpServerAccess');
    expect(q.records.map((r) => r.DeveloperName)).to.have.members(['platform_sobject_reads', 'ForceGate_Read']);
    expect((await servers(rep)).length).to.be.greaterThan(4);
    // The metadata views need View Setup and Configuration (which the rep has through ForceGate_Agent_Read).
    expect((await rep.tooling.query('SELECT Id FROM ApexClass')).totalSize).to.be.greaterThan(0);
    const outsider = new jsforce.Connection({ instanceUrl: local.url, accessToken: await personaToken(local.url, 'outsider@forcegate.local'), version: VERSION });
    const classes = await rejection(outsider.tooling.query('SELECT Id FROM ApexClass'));
    expect(classes.errorCode).to.equal('INVALID_TYPE');
    expect((await outsider.tooling.query('SELECT Id FROM McpServerAccess')).totalSize).to.equal(2);
  });

  it('serves the deployed metadata as Tooling objects', async () => {
    const classes = await admin.tooling.query<{ Name: string; ApiVersion: number; Status: string; LengthWithoutComments: number }>(
      "SELECT Id, Name, ApiVersion, Status, LengthWithoutComments, LastModifiedDate FROM ApexClass WHERE Name = 'AccountHealthSummary'",
    );
    expect(classes.records[0]).to.include({ Name: 'AccountHealthSummary', Status: 'Active' });
    expect(classes.records[0]!.LengthWithoutComments).to.be.greaterThan(100);
    const flows = await admin.tooling.query<{ ApiName: string; IsActive: boolean; ProcessType: string }>('SELECT ApiName, Label, IsActive, ProcessType, ActiveVersionId, LatestVersionId FROM FlowDefinitionView');
    expect(flows.records.map((f) => f.ApiName)).to.include('Escalate_Case');
    const nqs = await admin.tooling.query<{ Name: string; MasterLabel: string }>('SELECT Id, Name, MasterLabel, Description FROM ApiNamedQuery');
    expect(nqs.records.map((n) => n.Name)).to.include('OpenCasesByAccount');
    const defs = await admin.tooling.query<{ DeveloperName: string }>('SELECT Id, DeveloperName, MasterLabel FROM McpServerDefinition');
    expect(defs.records.map((d) => d.DeveloperName)).to.have.members(['ForceGate_Read', 'ForceGate_Service']);

    const global = (await admin.request(`/services/data/v${VERSION}/tooling/sobjects`)) as { sobjects: { name: string; urls: { describe: string } }[] };
    const access = global.sobjects.find((s) => s.name === 'McpServerAccess')!;
    expect(access.urls.describe).to.equal(`/services/data/v${VERSION}/tooling/sobjects/McpServerAccess/describe`);
    const describe = (await admin.tooling.sobject('McpServerAccess').describe()) as { fields: { name: string }[] };
    expect(describe.fields.map((f) => f.name)).to.include.members(['Id', 'DeveloperName', 'MasterLabel', 'Active', 'McpServerId', 'Language', 'CreatedDate', 'LastModifiedDate']);
    // Not a Tooling object here: the sf CLI reads this 404 as "no source tracking".
    const sourceMember = await rejection(admin.tooling.sobject('SourceMember').describe());
    expect(sourceMember.message).to.contain('The requested resource does not exist');
    // And the data API does not serve Tooling objects.
    const dataApi = await rejection(admin.query('SELECT Id FROM McpServerAccess'));
    expect(dataApi.errorCode).to.equal('INVALID_TYPE');
  });

  it('answers the SOAP Metadata API calls jsforce makes (read, list, describe)', async () => {
    // jsforce 3.10's MetadataType union predates McpServerDefinition.
    const server = (await admin.metadata.read('McpServerDefinition' as 'ApexClass', 'ForceGate_Service')) as unknown as Record<string, unknown>;
    expect(server.fullName).to.equal('ForceGate_Service');
    expect(server.masterLabel).to.be.a('string');
    const tools = Array.isArray(server.tools) ? server.tools : [server.tools];
    expect(tools.length).to.be.greaterThan(0);
    const [cls] = (await admin.metadata.read('ApexClass', ['AccountHealthSummary'])) as unknown as Record<string, unknown>[];
    expect(Buffer.from(String(cls!.content), 'base64').toString('utf8')).to.contain('class AccountHealthSummary');
    const listed = await admin.metadata.list([{ type: 'ApiNamedQuery' }]);
    expect(listed.map((f) => f.fullName)).to.include('OpenCasesByAccount');
    expect(listed[0]).to.include({ type: 'ApiNamedQuery', manageableState: 'unmanaged' });
    const described = await admin.metadata.describe();
    expect(described.metadataObjects.map((o) => o.xmlName)).to.include.members(['ApexClass', 'McpServerDefinition', 'ExtlClntAppOauthConfigurablePolicies']);
    const err = await rejection(rep.metadata.describe());
    expect(err.errorCode).to.equal('sf:INSUFFICIENT_ACCESS');
  });

  it('records Tooling calls in ApiTotalUsage', () => {
    const rows = local.org.db.prepare("SELECT api_resource, http_method, status_code, entity_name FROM _api_usage WHERE api_resource LIKE '/tooling/sobjects/McpServerAccess%'").all() as { http_method: string; status_code: number; entity_name: string }[];
    expect(rows.some((r) => r.http_method === 'POST' && r.status_code === 201 && r.entity_name === 'McpServerAccess')).to.equal(true);
    expect(rows.some((r) => r.http_method === 'PATCH' && r.status_code === 204)).to.equal(true);
    expect(rows.some((r) => r.http_method === 'POST' && r.status_code === 403)).to.equal(true);
  });
});
