import { expect } from 'chai';
import { identityOf, isUserApproved, listClients } from '../../../src/identity/index.ts';
import { scopesFromMetadata, allowsRest, parseScope } from '../../../src/identity/scopes.ts';
import type { LocalOrg } from '../../../src/local-org.ts';
import { deployTestEca } from '../../helpers/eca.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';

describe('identity: OAuth clients from External Client App metadata', () => {
  let local: LocalOrg;
  before(async () => {
    local = await startTestOrg();
  });
  after(() => local.close());

  it('maps metadata scope names to OAuth scopes', () => {
    expect(scopesFromMetadata('MCP, RefreshToken')).to.deep.equal(['mcp_api', 'refresh_token']);
    expect(scopesFromMetadata('Api,Web, Full ,OpenID,OfflineAccess,Basic,SFApiPlatform,EinsteinGPT')).to.deep.equal([
      'api', 'web', 'full', 'openid', 'offline_access', 'id', 'sfap_api', 'einstein_gpt_api',
    ]);
    expect(scopesFromMetadata('mcp')).to.deep.equal(['mcp_api']);
    expect(parseScope('api  refresh_token api')).to.deep.equal(['api', 'refresh_token']);
    expect(allowsRest(['mcp_api'])).to.equal(true);
    expect(allowsRest(['web', 'id', 'refresh_token'])).to.equal(false);
  });

  it('always has the sf CLI app PlatformCLI (opaque tokens, PKCE, no secret, self-authorized)', () => {
    const cli = listClients(local.org).find((c) => c.clientId === 'PlatformCLI')!;
    expect(cli.callbackUrls).to.deep.equal(['http://localhost:1717/OauthRedirect']);
    expect(cli.scopes).to.include.members(['api', 'web', 'refresh_token', 'id', 'openid', 'full', 'offline_access']);
    expect(cli.scopes).not.to.include('mcp_api');
    expect(cli).to.include({ jwtAccessTokens: false, pkceRequired: true, secretOptional: true, permittedUsers: 'AllSelfAuthorized' });
  });

  it('parses a deployed ECA: callbacks, scopes, PKCE, JWT, rotation, permitted users, refresh policy', () => {
    deployTestEca(local, {
      name: 'Unit_Test_App',
      callbackUrls: ['http://localhost:9999/cb', 'https://example.test/cb'],
      scopes: ['MCP', 'RefreshToken', 'OpenID'],
      rotation: true,
      permittedUsers: 'AdminApprovedPreAuthorized',
      permissionSets: ['ForceGate_MCP_Access'],
      refreshPolicy: { type: 'SpecificInactivity', period: 12, unit: 'Hours' },
      jwtTimeoutMinutes: 30,
    });
    const app = listClients(local.org).find((c) => c.name === 'Unit_Test_App')!;
    expect(app.label).to.equal('Unit_Test_App Label');
    expect(app.callbackUrls).to.deep.equal(['http://localhost:9999/cb', 'https://example.test/cb']);
    expect(app.scopes).to.deep.equal(['mcp_api', 'refresh_token', 'openid']);
    expect(app).to.include({ pkceRequired: true, secretOptional: true, jwtAccessTokens: true, refreshTokenRotation: true, permittedUsers: 'AdminApprovedPreAuthorized' });
    expect(app.permissionSets).to.deep.equal(['ForceGate_MCP_Access']);
    expect(app.refreshTokenPolicy).to.deep.equal({ type: 'SpecificInactivity', ms: 12 * 3_600_000 });
    expect(app.accessTokenLifetimeMs).to.equal(30 * 60_000);
    // No key in config/local-org.json: one is generated, kept in the DB and stable.
    expect(app.clientId).to.match(/^3MVG9[A-Za-z0-9.]{80}$/);
    identityOf(local.org)!.clients.invalidate();
    expect(listClients(local.org).find((c) => c.name === 'Unit_Test_App')!.clientId).to.equal(app.clientId);
  });

  it('re-reads clients when the metadata changes (redeploy)', () => {
    deployTestEca(local, { name: 'Unit_Redeploy', callbackUrls: ['http://localhost:1/a'], scopes: ['MCP'] });
    expect(listClients(local.org).find((c) => c.name === 'Unit_Redeploy')!.scopes).to.deep.equal(['mcp_api']);
    deployTestEca(local, { name: 'Unit_Redeploy', callbackUrls: ['http://localhost:1/a'], scopes: ['MCP', 'RefreshToken', 'Api'] });
    expect(listClients(local.org).find((c) => c.name === 'Unit_Redeploy')!.scopes).to.deep.equal(['mcp_api', 'refresh_token', 'api']);
  });

  it('takes consumer keys from config/local-org.json for the project apps', () => {
    deployTestEca(local, { name: 'ForceGate_Cursor_Shadow', callbackUrls: ['http://localhost:2/a'], scopes: ['MCP'], consumerKey: '3MVG9fromSource' });
    expect(listClients(local.org).find((c) => c.name === 'ForceGate_Cursor_Shadow')!.clientId).to.equal('3MVG9fromSource');
    for (const [name, { consumerKey }] of Object.entries(local.org.config.clients)) {
      const c = listClients(local.org).find((x) => x.name === name);
      if (c) expect(c.clientId).to.equal(consumerKey);
    }
  });

  it('approves users by permission set or profile, by name or Id', () => {
    const access = local.org.access;
    const rep = access.forUser(userId(local, 'rep@forcegate.local'))!;
    const outsider = access.forUser(userId(local, 'outsider@forcegate.local'))!;
    const base = listClients(local.org).find((c) => c.name === 'Unit_Test_App')!;
    expect(isUserApproved(base, rep)).to.equal(true);
    expect(isUserApproved(base, outsider)).to.equal(false);
    const psId = (local.org.db.prepare(`SELECT Id FROM PermissionSet WHERE Name = 'ForceGate_MCP_Access'`).get() as { Id: string }).Id;
    expect(isUserApproved({ ...base, permissionSets: [psId.slice(0, 15)] }, rep)).to.equal(true);
    expect(isUserApproved({ ...base, permissionSets: [], profiles: ['Minimum Access - Salesforce'] }, outsider)).to.equal(true);
    expect(isUserApproved({ ...base, permissionSets: [], profiles: [outsider.profileId] }, outsider)).to.equal(true);
    expect(isUserApproved({ ...base, permissionSets: [], profiles: [] }, rep)).to.equal(false);
    expect(isUserApproved({ ...base, permittedUsers: 'AllSelfAuthorized' }, outsider)).to.equal(true);
  });
});
