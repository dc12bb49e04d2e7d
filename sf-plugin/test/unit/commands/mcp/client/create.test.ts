import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { TestContext } from '@salesforce/core/testSetup';
import McpClientCreate from '../../../../../src/commands/mcp/client/create.js';
import { stubOutput } from '../../../helpers/ux.js';

describe('mcp client create', () => {
  const $$ = new TestContext();
  let projectDir: string;
  let ux: ReturnType<typeof stubOutput>;

  beforeEach(async () => {
    projectDir = await $$.localPathRetriever($$.id);
    rmSync(projectDir, { recursive: true, force: true });
    mkdirSync(join(projectDir, 'force-app', 'main', 'default', 'permissionsets'), { recursive: true });
    writeFileSync(join(projectDir, 'force-app', 'main', 'default', 'permissionsets', 'ForceGate_MCP_Access.permissionset-meta.xml'), '<PermissionSet/>');
    $$.setConfigStubContents('SfProjectJson', { contents: { packageDirectories: [{ path: 'force-app', default: true }], sourceApiVersion: '65.0' } });
    ux = stubOutput($$.SANDBOX);
  });

  afterEach(() => {
    $$.restore();
    rmSync(projectDir, { recursive: true, force: true });
  });

  const base = join('force-app', 'main', 'default');

  it('writes the five hardened ECA files for a preset into the default package', async () => {
    const result = await McpClientCreate.run(['--name', 'Acme_Claude', '--preset', 'claude', '--permission-set', 'ForceGate_MCP_Access']);

    expect(result).to.include({ name: 'Acme_Claude', label: 'Claude MCP Client', preset: 'claude', permissionSet: 'ForceGate_MCP_Access', refreshTokenDays: 30 });
    expect(result.callbackUrls).to.deep.equal(['https://claude.ai/api/mcp/auth_callback']);
    expect(result.scopes).to.deep.equal(['mcp_api', 'refresh_token']);
    expect(result.outputDir).to.equal(join(projectDir, base));
    expect(result.files.map((f) => f.slice(projectDir.length + 1))).to.deep.equal([
      join(base, 'externalClientApps', 'Acme_Claude.eca-meta.xml'),
      join(base, 'extlClntAppGlobalOauthSets', 'Acme_Claude.ecaGlblOauth-meta.xml'),
      join(base, 'extlClntAppOauthSettings', 'Acme_Claude.ecaOauth-meta.xml'),
      join(base, 'extlClntAppPolicies', 'Acme_Claude.ecaPlcy-meta.xml'),
      join(base, 'extlClntAppOauthPolicies', 'Acme_Claude.ecaOauthPlcy-meta.xml'),
    ]);
    const global = readFileSync(result.files[1], 'utf8');
    for (const setting of [
      '<callbackUrl>https://claude.ai/api/mcp/auth_callback</callbackUrl>',
      '<isConsumerSecretOptional>true</isConsumerSecretOptional>',
      '<isPkceRequired>true</isPkceRequired>',
      '<isNamedUserJwtEnabled>true</isNamedUserJwtEnabled>',
      '<isRefreshTokenRotationEnabled>true</isRefreshTokenRotationEnabled>',
      '<isClientCredentialsFlowEnabled>false</isClientCredentialsFlowEnabled>',
      '<isCodeCredFlowEnabled>false</isCodeCredFlowEnabled>',
      '<isDeviceFlowEnabled>false</isDeviceFlowEnabled>',
      '<isTokenExchangeEnabled>false</isTokenExchangeEnabled>',
      '<isIntrospectAllTokens>false</isIntrospectAllTokens>',
      '<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>',
    ]) {
      expect(global).to.include(setting);
    }
    expect(global).not.to.include('consumerKey>').and.not.to.include('consumerSecret>');
    expect(readFileSync(result.files[2], 'utf8')).to.include('<commaSeparatedOauthScopes>MCP, RefreshToken</commaSeparatedOauthScopes>');
    const policy = readFileSync(result.files[4], 'utf8');
    expect(policy).to.include('<permittedUsersPolicyType>AdminApprovedPreAuthorized</permittedUsersPolicyType>');
    expect(policy).to.include('<commaSeparatedPermissionSet>ForceGate_MCP_Access</commaSeparatedPermissionSet>');
    expect(policy).to.include('<ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>');
    expect(policy).to.include('<refreshTokenValidityPeriod>30</refreshTokenValidityPeriod>');
    expect(readFileSync(result.files[3], 'utf8')).to.include('<isOauthPluginEnabled>true</isOauthPluginEnabled>');
    expect(ux.warn.called).to.equal(false);
  });

  it('combines preset and explicit callback URLs and writes into --output-dir', async () => {
    const out = join(projectDir, 'force-app', 'clients');
    const result = await McpClientCreate.run([
      '--name', 'Local_Inspector', '--preset', 'inspector', '--callback-url', 'http://127.0.0.1:9999/cb', '--callback-url', 'myapp://oauth/cb',
      '--permission-set', 'ForceGate_MCP_Access', '--output-dir', out, '--label', 'Inspector & Co', '--contact-email', 'it@acme.example',
    ]);
    expect(result.callbackUrls).to.deep.equal([
      'http://localhost:6274/oauth/callback',
      'http://localhost:6274/oauth/callback/debug',
      'http://127.0.0.1:9999/cb',
      'myapp://oauth/cb',
    ]);
    expect(result.refreshTokenDays).to.equal(1);
    expect(existsSync(join(out, 'externalClientApps', 'Local_Inspector.eca-meta.xml'))).to.equal(true);
    const eca = readFileSync(join(out, 'externalClientApps', 'Local_Inspector.eca-meta.xml'), 'utf8');
    expect(eca).to.include('<label>Inspector &amp; Co</label>').and.include('<contactEmail>it@acme.example</contactEmail>');
  });

  it('warns when the permission set is not in the project', async () => {
    await McpClientCreate.run(['--name', 'X', '--callback-url', 'https://example.com/cb', '--permission-set', 'Other_Perm']);
    expect(ux.warn.args.flat().join('\n')).to.include('Other_Perm');
  });

  const failsWith = async (args: string[], name: string, messagePart?: string): Promise<void> => {
    try {
      await McpClientCreate.run(args);
      expect.fail('should have thrown');
    } catch (error) {
      const err = error as { name: string; message: string; actions?: string[] };
      expect(err.name).to.equal(name);
      if (messagePart) expect(err.message).to.include(messagePart);
      expect(err.actions?.length).to.be.greaterThan(0);
    }
  };

  it('rejects a plain-http callback off loopback, a javascript: URL and a fragment', async () => {
    const ps = ['--permission-set', 'ForceGate_MCP_Access', '--name', 'Bad'];
    await failsWith([...ps, '--callback-url', 'http://evil.example.com/cb'], 'InvalidCallbackUrlError', 'loopback');
    await failsWith([...ps, '--callback-url', 'javascript:alert(1)'], 'InvalidCallbackUrlError');
    await failsWith([...ps, '--callback-url', 'https://ok.example.com/cb#x'], 'InvalidCallbackUrlError', 'fragment');
    expect(existsSync(join(projectDir, base, 'externalClientApps'))).to.equal(false);
  });

  it('rejects bad names, a missing callback URL and an existing app', async () => {
    await failsWith(['--name', '1abc', '--preset', 'claude', '--permission-set', 'P'], 'InvalidNameError');
    await failsWith(['--name', 'a__b', '--preset', 'claude', '--permission-set', 'P'], 'InvalidNameError');
    await failsWith(['--name', 'NoUrl', '--permission-set', 'P'], 'NoCallbackUrlError');
    await failsWith(['--name', 'Ok', '--preset', 'claude', '--permission-set', 'Forge Gate'], 'InvalidPermissionSetError');
    await McpClientCreate.run(['--name', 'Twice', '--preset', 'cursor', '--permission-set', 'ForceGate_MCP_Access']);
    await failsWith(['--name', 'Twice', '--preset', 'cursor', '--permission-set', 'ForceGate_MCP_Access'], 'ExistsError', 'Twice');
  });
});
