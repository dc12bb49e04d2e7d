/**
 * The External Client Apps for MCP clients carry the hardened settings (platform.md §9.2 plus
 * refresh-token rotation): PKCE required, no client secret for the web-server and refresh flows,
 * client-credentials / device / code-credential / token-exchange flows off, scopes MCP and
 * RefreshToken only, JWT access tokens for named users, admin-approved users limited to the
 * ForceGate_MCP_Access permission set, IP restrictions enforced, refresh tokens with a finite
 * lifetime. Every security-relevant element is preceded by an XML comment that says why, and no
 * consumer key or secret is checked in.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEFAULT_DIR, PERMISSION_SETS, commentedElements, listFiles, readMetadata, readText, rel, text } from './support.ts';

const APPS: Record<string, string[]> = {
  ForceGate_Claude: ['https://claude.ai/api/mcp/auth_callback'],
  ForceGate_Cursor: ['cursor://anysphere.cursor-mcp/oauth/callback', 'http://localhost:8787/callback'],
  ForceGate_ChatGPT: ['https://chatgpt.com/connector_platform_oauth_redirect'],
  ForceGate_Local_Tools: [
    'http://localhost:6274/oauth/callback',
    'http://localhost:6274/oauth/callback/debug',
    'http://127.0.0.1:33418/callback',
  ],
};

const FILES = {
  app: { dir: 'externalClientApps', suffix: '.eca-meta.xml', root: 'ExternalClientApplication' },
  global: { dir: 'extlClntAppGlobalOauthSets', suffix: '.ecaGlblOauth-meta.xml', root: 'ExtlClntAppGlobalOauthSettings' },
  oauth: { dir: 'extlClntAppOauthSettings', suffix: '.ecaOauth-meta.xml', root: 'ExtlClntAppOauthSettings' },
  policies: { dir: 'extlClntAppPolicies', suffix: '.ecaPlcy-meta.xml', root: 'ExtlClntAppConfigurablePolicies' },
  oauthPolicies: { dir: 'extlClntAppOauthPolicies', suffix: '.ecaOauthPlcy-meta.xml', root: 'ExtlClntAppOauthConfigurablePolicies' },
} as const;

/** Hardened values, element by element. */
const GLOBAL_OAUTH: Record<string, string> = {
  isPkceRequired: 'true',
  isConsumerSecretOptional: 'true',
  isSecretRequiredForRefreshToken: 'false',
  isNamedUserJwtEnabled: 'true',
  isRefreshTokenRotationEnabled: 'true',
  isClientCredentialsFlowEnabled: 'false',
  isCodeCredFlowEnabled: 'false',
  isDeviceFlowEnabled: 'false',
  isTokenExchangeEnabled: 'false',
  isIntrospectAllTokens: 'false',
};
const OAUTH_POLICIES: Record<string, string> = {
  permittedUsersPolicyType: 'AdminApprovedPreAuthorized',
  commaSeparatedPermissionSet: PERMISSION_SETS.mcp,
  ipRelaxationPolicyType: 'Enforce',
  isClientCredentialsFlowEnabled: 'false',
  isGuestCodeCredFlowEnabled: 'false',
  isTokenExchangeFlowEnabled: 'false',
  refreshTokenPolicyType: 'SpecificLifetime',
};
const PLUGIN_POLICIES: Record<string, string> = { isEnabled: 'true', isOauthPluginEnabled: 'true' };

/** Elements that must explain themselves with an XML comment right above them. */
const MUST_BE_COMMENTED: Record<keyof typeof FILES, string[]> = {
  app: ['distributionState', 'isProtected'],
  global: ['callbackUrl', ...Object.keys(GLOBAL_OAUTH)],
  oauth: ['commaSeparatedOauthScopes'],
  policies: ['isEnabled', 'isOauthPluginEnabled'],
  oauthPolicies: [...Object.keys(OAUTH_POLICIES), 'requiredSessionLevel'],
};

function fileFor(kind: keyof typeof FILES, app: string): string {
  return join(DEFAULT_DIR, FILES[kind].dir, `${app}${FILES[kind].suffix}`);
}

describe('force-app: External Client Apps for MCP clients', () => {
  it('has exactly the four ForceGate apps', () => {
    const apps = listFiles(join(DEFAULT_DIR, FILES.app.dir)).map((f) => f.split('/').pop()!.replace(FILES.app.suffix, ''));
    expect(apps.sort()).to.deep.equal(Object.keys(APPS).sort());
  });

  for (const [app, callbacks] of Object.entries(APPS)) {
    describe(app, () => {
      it('has all five files, each naming the app', () => {
        for (const kind of Object.keys(FILES) as (keyof typeof FILES)[]) {
          const file = fileFor(kind, app);
          expect(existsSync(file), rel(file)).to.equal(true);
          const body = readMetadata(file, FILES[kind].root);
          if (kind !== 'app') expect(text(body.externalClientApplication), `${rel(file)} externalClientApplication`).to.equal(app);
          expect(text(body.label), `${rel(file)} label`).to.not.equal('');
        }
        const eca = readMetadata(fileFor('app', app), FILES.app.root);
        expect(text(eca.distributionState)).to.equal('Local');
        expect(text(eca.description)).to.match(/PKCE/);
      });

      it('requires PKCE, needs no secret, issues JWTs, rotates refresh tokens and disables other flows', () => {
        const body = readMetadata(fileFor('global', app), FILES.global.root);
        for (const [field, value] of Object.entries(GLOBAL_OAUTH)) {
          expect(text(body[field]), `${app} ${field}`).to.equal(value);
        }
      });

      it('accepts exactly the client callback URLs', () => {
        const body = readMetadata(fileFor('global', app), FILES.global.root);
        const urls = text(body.callbackUrl).split(/\s+/).filter(Boolean);
        expect(urls).to.deep.equal(callbacks);
        for (const url of urls) expect(url, 'https, loopback http or the Cursor app scheme').to.match(/^(https:\/\/|http:\/\/(localhost|127\.0\.0\.1):\d+\/|cursor:\/\/)/);
      });

      it('grants only the MCP and RefreshToken scopes', () => {
        const body = readMetadata(fileFor('oauth', app), FILES.oauth.root);
        const scopes = text(body.commaSeparatedOauthScopes).split(',').map((s) => s.trim()).filter(Boolean);
        expect(scopes.sort()).to.deep.equal(['MCP', 'RefreshToken']);
      });

      it('enables only the OAuth plugin', () => {
        const body = readMetadata(fileFor('policies', app), FILES.policies.root);
        for (const [field, value] of Object.entries(PLUGIN_POLICIES)) expect(text(body[field]), `${app} ${field}`).to.equal(value);
        for (const plugin of ['isSamlPluginEnabled', 'isMobilePluginEnabled', 'isCanvasPluginEnabled', 'isPushPluginEnabled']) {
          expect(text(body[plugin]), `${app} ${plugin}`).to.be.oneOf(['', 'false']);
        }
      });

      it('admits only ForceGate_MCP_Access holders, enforces IP policy and limits refresh-token lifetime', () => {
        const body = readMetadata(fileFor('oauthPolicies', app), FILES.oauthPolicies.root);
        for (const [field, value] of Object.entries(OAUTH_POLICIES)) {
          expect(text(body[field]), `${app} ${field}`).to.equal(value);
        }
        expect(text(body.commaSeparatedProfile), 'no profile-wide admission').to.equal('');
        const period = Number(text(body.refreshTokenValidityPeriod));
        const unit = text(body.refreshTokenValidityUnit);
        const days = unit === 'Days' ? period : unit === 'Hours' ? period / 24 : unit === 'Months' ? period * 31 : NaN;
        expect(days, `${app} refresh-token lifetime in days`).to.be.within(1 / 24, 30);
        expect(text(body.requiredSessionLevel)).to.be.oneOf(['STANDARD', 'HIGH_ASSURANCE']);
      });

      it('explains every security setting with an XML comment', () => {
        for (const kind of Object.keys(FILES) as (keyof typeof FILES)[]) {
          const comments = commentedElements(fileFor(kind, app));
          for (const element of MUST_BE_COMMENTED[kind]) {
            expect(comments.has(element), `${app} ${kind} has <${element}>`).to.equal(true);
            expect(comments.get(element) ?? '', `${app} ${kind} <${element}> is explained`).to.have.length.greaterThan(15);
          }
        }
      });
    });
  }

  it('limits the apps to a permission set that exists and grants nothing but API access', () => {
    const file = join(DEFAULT_DIR, 'permissionsets', `${PERMISSION_SETS.mcp}.permissionset-meta.xml`);
    const body = readMetadata(file, 'PermissionSet');
    expect(Object.keys(body).filter((k) => ['objectPermissions', 'fieldPermissions', 'classAccesses', 'flowAccesses'].includes(k))).to.deep.equal([]);
    expect(readText(file)).to.include('<name>ApiEnabled</name>');
  });

  it('checks in no consumer key or secret anywhere in force-app', () => {
    const leaks = listFiles(join(DEFAULT_DIR))
      .filter((f) => /<(consumerKey|consumerSecret)>|<certificate>/.test(readText(f)))
      .map(rel);
    expect(leaks).to.deep.equal([]);
  });

  it('detects a missing comment (the comment check can fail)', () => {
    const comments = commentedElements(fileFor('global', 'ForceGate_Claude'));
    expect(comments.get('externalClientApplication'), 'the app name needs no explanation and has none').to.equal(undefined);
  });
});
