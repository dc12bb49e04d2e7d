/**
 * The OAuth endpoints over plain HTTP, as a browser and a client would use them: every refusal the
 * platform makes (or that RFC 9700 asks for), and the shapes of the successful answers.
 */
import { expect } from 'chai';
import { generateKeyPairSync, createHmac, sign as rsaSign } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { identityOf, type Identity } from '../../../src/identity/index.ts';
import type { LocalOrg } from '../../../src/local-org.ts';
import { deployTestEca } from '../../helpers/eca.ts';
import {
  authorizeWithPkce,
  callbackUrlsOf,
  consumerKeyOf,
  CookieJar,
  exchangeCode,
  loginWithPkce,
  mcpLogin,
  OAuthFlowError,
  passwordOf,
  personaToken,
  pkcePair,
  PLATFORM_CLI,
  refreshTokens,
  tokenRequest,
  type AuthorizeOptions,
} from '../../helpers/oauth.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';

const REP = 'rep@forcegate.local';
const CLI = { clientId: PLATFORM_CLI.clientId, redirectUri: PLATFORM_CLI.redirectUri };

async function flowError(p: Promise<unknown>): Promise<OAuthFlowError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OAuthFlowError) return err;
    throw err;
  }
  throw new Error('expected an OAuth refusal');
}

function as(username: string, extra: Partial<AuthorizeOptions> = {}): AuthorizeOptions {
  return { username, password: passwordOf(username), ...CLI, ...extra };
}

describe('identity over HTTP: authorize, login, consent, token', function () {
  let local: LocalOrg;
  let url: string;
  let id: Identity;
  let tools: { clientId: string; redirectUri: string };

  before(async () => {
    local = await startTestOrg();
    url = local.url;
    id = identityOf(local.org)!;
    tools = { clientId: consumerKeyOf('ForceGate_Local_Tools'), redirectUri: callbackUrlsOf('ForceGate_Local_Tools')[0]! };
  });
  after(() => local.close());

  const rest = (token: string) => fetch(`${url}/services/data/v64.0/limits`, { headers: { Authorization: `Bearer ${token}` } });
  const authorizeUrl = (params: Record<string, string>) => `${url}/services/oauth2/authorize?${new URLSearchParams(params)}`;
  const { challenge } = pkcePair();
  const base = { response_type: 'code', client_id: 'PlatformCLI', redirect_uri: PLATFORM_CLI.redirectUri, code_challenge: challenge, state: 's1' };

  describe('authorize: problems shown on an error page, never redirected', () => {
    async function page(params: Record<string, string>): Promise<{ status: number; error: string; description: string; location: string | null }> {
      const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
      const html = await res.text();
      return {
        status: res.status,
        location: res.headers.get('location'),
        error: /data-error="([^"]*)"/.exec(html)?.[1] ?? '',
        description: /data-error-description="([^"]*)"/.exec(html)?.[1] ?? '',
      };
    }

    it('unknown client_id → invalid_client_id "client identifier invalid"', async () => {
      const p = await page({ ...base, client_id: '3MVG9unknown' });
      expect(p).to.deep.include({ status: 400, error: 'invalid_client_id', description: 'client identifier invalid', location: null });
      expect((await page({ ...base, client_id: '' })).error).to.equal('invalid_client_id');
    });

    it('redirect_uri not registered → redirect_uri_mismatch, including open-redirect tricks', async () => {
      for (const redirect of [
        'http://evil.example/cb',
        'http://localhost:1717/OauthRedirect/',
        'http://localhost:1717/OauthRedirect?next=http://evil.example',
        'http://localhost:1717/OauthRedirect#x',
        'http://localhost:1717/OauthRedirect/../evil',
        'http://LOCALHOST:1717/OauthRedirect',
        'http://localhost:1717@evil.example/OauthRedirect',
        'http://localhost:1718/OauthRedirect',
        'https://localhost:1717/OauthRedirect',
        '//evil.example/OauthRedirect',
        'javascript:alert(1)',
      ]) {
        const p = await page({ ...base, redirect_uri: redirect });
        expect(p, redirect).to.deep.include({ status: 400, error: 'redirect_uri_mismatch', description: 'redirect_uri must match configuration', location: null });
      }
      // An ECA's callback does not open another app's door.
      expect((await page({ ...base, redirect_uri: 'https://claude.ai/api/mcp/auth_callback' })).error).to.equal('redirect_uri_mismatch');
      expect((await page({ ...base, redirect_uri: '' })).error).to.equal('redirect_uri_missing');
    });

    it('repeated parameters → invalid_request page', async () => {
      const res = await fetch(`${authorizeUrl(base)}&redirect_uri=${encodeURIComponent('http://evil.example/cb')}`, { redirect: 'manual' });
      expect(res.status).to.equal(400);
      expect(res.headers.get('location')).to.equal(null);
      expect(await res.text()).to.contain('data-error="invalid_request"');
    });
  });

  describe('authorize: problems redirected to the client with state', () => {
    async function redirected(params: Record<string, string>): Promise<URLSearchParams> {
      const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
      expect(res.status).to.equal(302);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).to.equal(params.redirect_uri);
      return location.searchParams;
    }

    it('response_type other than code → unsupported_response_type', async () => {
      for (const rt of ['token', 'id_token', 'code id_token']) {
        const q = await redirected({ ...base, response_type: rt });
        expect(q.get('error')).to.equal('unsupported_response_type');
        expect(q.get('state')).to.equal('s1');
      }
    });

    it('PKCE: missing challenge, plain, unknown method and malformed challenge → invalid_request', async () => {
      const { code_challenge: _omit, ...noChallenge } = base;
      expect((await redirected(noChallenge)).get('error')).to.equal('invalid_request');
      const plain = await redirected({ ...base, code_challenge_method: 'plain' });
      expect(plain.get('error')).to.equal('invalid_request');
      expect(plain.get('error_description')).to.match(/plain/);
      expect((await redirected({ ...base, code_challenge_method: 'S512' })).get('error')).to.equal('invalid_request');
      expect((await redirected({ ...base, code_challenge: 'short' })).get('error')).to.equal('invalid_request');
      // The ECAs require PKCE too.
      const { code_challenge: _c, ...eca } = { ...base, client_id: tools.clientId, redirect_uri: tools.redirectUri };
      expect((await redirected(eca)).get('error')).to.equal('invalid_request');
    });

    it('scope outside the app → invalid_scope; bad resource → invalid_target; prompt=none → login_required', async () => {
      expect((await redirected({ ...base, scope: 'api mcp_api' })).get('error')).to.equal('invalid_scope');
      expect((await redirected({ ...base, client_id: tools.clientId, redirect_uri: tools.redirectUri, scope: 'mcp_api api' })).get('error')).to.equal('invalid_scope');
      expect((await redirected({ ...base, resource: 'not a uri' })).get('error')).to.equal('invalid_target');
      expect((await redirected({ ...base, resource: 'https://mcp.example/mcp#frag' })).get('error')).to.equal('invalid_target');
      expect((await redirected({ ...base, prompt: 'none' })).get('error')).to.equal('login_required');
    });

    it('Deny on the consent page → access_denied "end-user denied authorization"', async () => {
      const err = await flowError(authorizeWithPkce(url, as(REP, { decision: 'deny', state: 'deny-state' })));
      expect(err).to.include({ error: 'access_denied', description: 'end-user denied authorization', via: 'redirect' });
    });

    it('a user outside the ECA permitted users → access_denied "user is not admin approved to access this app"', async () => {
      for (const app of ['ForceGate_Claude', 'ForceGate_Cursor', 'ForceGate_ChatGPT', 'ForceGate_Local_Tools']) {
        const err = await flowError(
          authorizeWithPkce(url, as('outsider@forcegate.local', { clientId: consumerKeyOf(app), redirectUri: callbackUrlsOf(app)[0]! })),
        );
        expect(err, app).to.include({ error: 'access_denied', description: 'user is not admin approved to access this app', via: 'redirect' });
      }
      // The same user may use the self-authorized sf CLI app.
      expect((await loginWithPkce(url, as('outsider@forcegate.local', { scope: 'api' }))).access_token).to.match(/^00D5g000004FgAt!/);
    });

    it('a deactivated user → inactive_user; their tokens stop working', async () => {
      const manager = 'manager@forcegate.local';
      const token = await personaToken(url, manager);
      expect((await rest(token)).status).to.equal(200);
      const managerId = userId(local, manager);
      local.org.db.prepare('UPDATE "User" SET IsActive = 0 WHERE Id = ?').run(managerId);
      local.org.access.invalidate();
      try {
        const err = await flowError(authorizeWithPkce(url, as(manager)));
        expect(err).to.include({ error: 'inactive_user', via: 'redirect' });
        expect((await rest(token)).status).to.equal(401);
      } finally {
        local.org.db.prepare('UPDATE "User" SET IsActive = 1 WHERE Id = ?').run(managerId);
        local.org.access.invalidate();
      }
    });
  });

  describe('login and consent pages', () => {
    it('serve an accessible login form with security headers', async () => {
      const res = await fetch(authorizeUrl(base), { redirect: 'manual' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).to.contain("default-src 'none'").and.contain("frame-ancestors 'none'").and.contain("form-action 'self' http://localhost:1717");
      const cookies = res.headers.getSetCookie();
      expect(cookies.join('\n')).to.match(/fg_browser=[^;]+; Path=\/services\/oauth2\/authorize; HttpOnly; SameSite=Lax/);
      const html = await res.text();
      expect(html).to.match(/<label for="username">/).and.match(/name="username"/).and.match(/<label for="password">/).and.match(/name="pw"/);
      expect(html).to.match(/autofocus/).and.match(/role="alert"/).and.contain('ForceGate Local Org');
      expect(html).not.to.match(/<script/i);
    });

    it('wrong password → the login page again with the platform message; LastLoginDate recorded on success', async () => {
      const err = await flowError(authorizeWithPkce(url, { ...as(REP), password: 'wrong' }));
      expect(err).to.include({ error: 'login_failed', via: 'login' });
      expect(err.description).to.equal("Please check your username and password. If you still can't log in, contact your Salesforce administrator.");
      const unknown = await flowError(authorizeWithPkce(url, { ...as(REP), username: 'nobody@forcegate.local' }));
      expect(unknown.description).to.equal(err.description);
      const before = Date.now() - 1000;
      await authorizeWithPkce(url, as('rep2@forcegate.local'));
      const row = local.org.db.prepare('SELECT LastLoginDate FROM "User" WHERE Username = ?').get('rep2@forcegate.local') as { LastLoginDate: string };
      expect(Date.parse(row.LastLoginDate)).to.be.greaterThan(before);
    });

    it('refuse forms without the browser cookie, from another browser, or with a wrong CSRF token', async () => {
      const res = await fetch(authorizeUrl(base), { redirect: 'manual' });
      const html = await res.text();
      const requestId = /name="request_id" value="([^"]+)"/.exec(html)![1]!;
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1]!;
      const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
      const post = (headers: Record<string, string>, body: Record<string, string>) =>
        fetch(`${url}/services/oauth2/authorize/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams({ request_id: requestId, username: REP, pw: passwordOf(REP), ...body }),
        });
      const noCookie = await post({}, { csrf_token: csrf });
      expect(noCookie.status).to.equal(400);
      expect(await noCookie.text()).to.contain('data-error="invalid_request"');
      const otherBrowser = await fetch(authorizeUrl(base), { redirect: 'manual' });
      const otherCookie = otherBrowser.headers.getSetCookie()[0]!.split(';')[0]!;
      expect((await post({ cookie: otherCookie }, { csrf_token: csrf })).status).to.equal(400);
      const forged = `${cookie.split('.')[0]}.AAAA`;
      expect((await post({ cookie: forged }, { csrf_token: csrf })).status).to.equal(400);
      expect((await post({ cookie }, { csrf_token: 'wrong' })).status).to.equal(403);
      // The consent step does not accept the login step's token either.
      const consent = await fetch(`${url}/services/oauth2/authorize/consent`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ request_id: requestId, csrf_token: csrf, decision: 'allow' }),
      });
      expect(consent.status).to.equal(403);
      // The right cookie and token still work.
      const ok = await post({ cookie }, { csrf_token: csrf });
      expect(ok.status).to.equal(200);
      expect(await ok.text()).to.contain('data-step="consent"');
    });

    it('keeps a login session: a second authorization skips the password unless prompt=login', async () => {
      const jar = new CookieJar();
      await authorizeWithPkce(url, as(REP, { jar }));
      const again = await fetch(authorizeUrl(base), { redirect: 'manual', headers: { cookie: jar.header() } });
      expect(await again.text()).to.contain('data-step="consent"');
      const forced = await fetch(authorizeUrl({ ...base, prompt: 'login' }), { redirect: 'manual', headers: { cookie: jar.header() } });
      expect(await forced.text()).to.contain('data-step="login"');
      // prompt=none with a session: the local org always asks for consent.
      const silent = await fetch(authorizeUrl({ ...base, prompt: 'none' }), { redirect: 'manual', headers: { cookie: jar.header() } });
      expect(new URL(silent.headers.get('location')!).searchParams.get('error')).to.equal('consent_required');
    });
  });

  describe('token endpoint', () => {
    it('issues opaque tokens to PlatformCLI with the platform fields (no expires_in) and a valid signature', async () => {
      const t = await loginWithPkce(url, as(REP, { scope: 'refresh_token api web openid' }));
      expect(t.access_token).to.match(/^00D5g000004FgAt![A-Za-z0-9.]+$/);
      expect(t.refresh_token).to.match(/^5Aep861[A-Za-z0-9.]+$/);
      expect(t).to.include({ token_type: 'Bearer', instance_url: url, scope: 'refresh_token api web openid' });
      expect(t.id).to.equal(`${url}/id/${local.org.orgId}/${userId(local, REP)}`);
      expect(t.issued_at).to.match(/^\d{13}$/);
      expect(t).not.to.have.any.keys('expires_in', 'token_format');
      const { value } = local.org.db.prepare(`SELECT value FROM _meta WHERE key = 'oauth_hmac_secret'`).get() as { value: string };
      const secret = Buffer.from(value, 'hex');
      expect(t.signature).to.equal(createHmac('sha256', secret).update(t.id + t.issued_at).digest('base64'));
      const idToken = decodeJwt(t.id_token!);
      expect(idToken).to.include({ iss: url, aud: 'PlatformCLI', sub: t.id, preferred_username: REP });
      expect((await rest(t.access_token)).status).to.equal(200);
      // Without openid: no id_token; without refresh_token: no refresh token.
      const bare = await loginWithPkce(url, as(REP, { scope: 'api' }));
      expect(bare).not.to.have.any.keys('id_token', 'refresh_token');
      // Tokens are stored as hashes only.
      const stored = local.org.db.prepare('SELECT hash FROM _oauth_tokens').all() as { hash: string }[];
      expect(stored.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).to.equal(true);
      expect(JSON.stringify(local.org.db.prepare('SELECT * FROM _oauth_tokens').all())).not.to.contain(t.access_token);
    });

    it('issues JWT access tokens to the ECAs (token_format jwt), with the RFC 8707 resource as aud', async () => {
      const t = await mcpLogin(url, REP, { resource: 'http://127.0.0.1:3000/mcp' });
      expect(t.token_format).to.equal('jwt');
      expect(t.scope).to.equal('mcp_api refresh_token');
      const header = decodeProtectedHeader(t.access_token);
      expect(header.alg).to.equal('RS256');
      expect(id.keys.jwks().keys.map((k) => k.kid)).to.include(header.kid);
      const claims = decodeJwt(t.access_token);
      expect(claims).to.include({ iss: url, sub: userId(local, REP), aud: 'http://127.0.0.1:3000/mcp', client_id: tools.clientId, scp: 'mcp_api refresh_token', username: REP, organization_id: local.org.orgId });
      expect(claims.exp! - claims.iat!).to.equal(2 * 60 * 60);
      expect(claims.jti).to.be.a('string');
      const noResource = decodeJwt((await mcpLogin(url, REP)).access_token);
      expect(noResource.aud).to.equal(url);
    });

    it('refuses a wrong verifier, a missing verifier, another client, another redirect_uri, another resource', async () => {
      const wrong = await authorizeWithPkce(url, as(REP));
      expect(await flowError(exchangeCode(url, { ...CLI, code: wrong.code, verifier: pkcePair().verifier }))).to.include({ error: 'invalid_grant', description: 'invalid code verifier', status: 400 });
      // A failed exchange burns the code.
      expect(await flowError(exchangeCode(url, { ...CLI, code: wrong.code, verifier: wrong.verifier }))).to.include({ error: 'invalid_grant' });

      const missing = await authorizeWithPkce(url, as(REP));
      expect(await flowError(exchangeCode(url, { ...CLI, code: missing.code }))).to.include({ error: 'invalid_grant' });

      const stolen = await authorizeWithPkce(url, as(REP));
      expect(await flowError(exchangeCode(url, { ...tools, code: stolen.code, verifier: stolen.verifier }))).to.include({ error: 'invalid_grant' });

      const redirect = await authorizeWithPkce(url, as(REP));
      expect(await flowError(exchangeCode(url, { ...CLI, redirectUri: 'http://localhost:1717/Other', code: redirect.code, verifier: redirect.verifier }))).to.include({ error: 'invalid_grant' });

      const resource = await authorizeWithPkce(url, { ...as(REP), ...tools, resource: 'http://127.0.0.1:3000/mcp' });
      expect(await flowError(exchangeCode(url, { ...tools, code: resource.code, verifier: resource.verifier, resource: 'http://evil.example/mcp' }))).to.include({ error: 'invalid_target' });

      expect(await flowError(exchangeCode(url, { ...CLI, code: 'aPrxnotacode', verifier: 'x' }))).to.include({ error: 'invalid_grant', description: 'invalid authorization code' });
    });

    it('a replayed code fails and revokes the tokens issued from it', async () => {
      const a = await authorizeWithPkce(url, as(REP, { scope: 'api refresh_token' }));
      const first = await exchangeCode(url, { ...CLI, code: a.code, verifier: a.verifier });
      expect((await rest(first.access_token)).status).to.equal(200);
      expect(await flowError(exchangeCode(url, { ...CLI, code: a.code, verifier: a.verifier }))).to.include({ error: 'invalid_grant', description: 'invalid authorization code' });
      const res = await rest(first.access_token);
      expect(res.status).to.equal(401);
      expect(await res.json()).to.deep.equal([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
      expect(await flowError(refreshTokens(url, { ...CLI, refreshToken: first.refresh_token! }))).to.include({ error: 'invalid_grant', description: 'expired access/refresh token' });
    });

    it('codes expire after 15 minutes', async () => {
      const a = await authorizeWithPkce(url, as(REP));
      const realNow = id.clock.now;
      id.clock.now = () => Date.now() + 15 * 60 * 1000 + 1000;
      try {
        expect(await flowError(exchangeCode(url, { ...CLI, code: a.code, verifier: a.verifier }))).to.include({ error: 'invalid_grant', description: 'expired authorization code' });
      } finally {
        id.clock.now = realNow;
      }
    });

    it('client authentication: unknown client → invalid_client_id; any secret for a public client → invalid_client', async () => {
      const a = await authorizeWithPkce(url, as(REP));
      expect(await flowError(exchangeCode(url, { ...CLI, clientId: 'nope', code: a.code, verifier: a.verifier }))).to.include({ error: 'invalid_client_id', description: 'client identifier invalid' });
      const b = await authorizeWithPkce(url, { ...as(REP), ...tools });
      expect(await flowError(exchangeCode(url, { ...tools, code: b.code, verifier: b.verifier, clientSecret: 'guess' }))).to.include({ error: 'invalid_client', description: 'invalid client credentials' });
      const res = await fetch(`${url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${tools.clientId}:guess`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }),
      });
      expect(res.status).to.equal(400);
      expect(await res.json()).to.deep.equal({ error: 'invalid_client', error_description: 'invalid client credentials' });
    });

    it('refuses every other grant type', async () => {
      const cases: [Record<string, string>, string, string][] = [
        [{ grant_type: 'password', client_id: 'PlatformCLI', username: REP, password: passwordOf(REP) }, 'unsupported_grant_type', 'grant type not supported'],
        [{ grant_type: 'client_credentials', client_id: tools.clientId }, 'invalid_grant', 'client credentials flow is not enabled'],
        [{ grant_type: 'client_credentials', client_id: 'nope' }, 'invalid_client_id', 'client identifier invalid'],
        [{ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'e30.e30.x' }, 'unsupported_grant_type', 'grant type not supported'],
        [{ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'x', client_id: tools.clientId }, 'unsupported_grant_type', 'grant type not supported'],
        [{ grant_type: 'device', code: 'x', client_id: tools.clientId }, 'unsupported_grant_type', 'grant type not supported'],
        [{ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: 'x', client_id: tools.clientId }, 'unsupported_grant_type', 'grant type not supported'],
        [{ client_id: 'PlatformCLI' }, 'unsupported_grant_type', 'grant type not supported'],
      ];
      for (const [body, error, description] of cases) {
        const err = await flowError(tokenRequest(url, new URLSearchParams(body)));
        expect(err, body.grant_type).to.include({ error, description, status: 400 });
      }
    });

    it('refresh_token grant: ignores a stray code_verifier; keeps the refresh token when the app does not rotate', async () => {
      const t = await loginWithPkce(url, as(REP, { scope: 'refresh_token api' }));
      const refreshed = await tokenRequest(url, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: 'PlatformCLI', code_verifier: pkcePair().verifier }));
      expect(refreshed).not.to.have.property('refresh_token');
      expect(refreshed.access_token).not.to.equal(t.access_token);
      expect((await rest(refreshed.access_token)).status).to.equal(200);
      expect((await refreshTokens(url, { ...CLI, refreshToken: t.refresh_token! })).access_token).to.be.a('string');
      // Another client cannot use it.
      expect(await flowError(refreshTokens(url, { ...tools, refreshToken: t.refresh_token! }))).to.include({ error: 'invalid_grant' });
    });

    it('rotation: a rotated-out refresh token reused → invalid_grant and the whole family is revoked', async () => {
      const first = await mcpLogin(url, REP);
      const second = await refreshTokens(url, { ...tools, refreshToken: first.refresh_token! });
      expect(second.refresh_token).to.be.a('string').and.not.equal(first.refresh_token);
      expect((await rest(second.access_token)).status).to.equal(200);
      // The old refresh token comes back (stolen): refused, and every token of the family dies.
      expect(await flowError(refreshTokens(url, { ...tools, refreshToken: first.refresh_token! }))).to.include({ error: 'invalid_grant', description: 'expired access/refresh token' });
      expect((await rest(second.access_token)).status).to.equal(401);
      expect((await rest(first.access_token)).status).to.equal(401);
      expect(await flowError(refreshTokens(url, { ...tools, refreshToken: second.refresh_token! }))).to.include({ error: 'invalid_grant' });
    });

    it('refresh is refused once the user is no longer approved for the app', async () => {
      const t = await mcpLogin(url, 'auditor@forcegate.local');
      const auditorId = userId(local, 'auditor@forcegate.local');
      const psId = (local.org.db.prepare(`SELECT Id FROM PermissionSet WHERE Name = 'ForceGate_MCP_Access'`).get() as { Id: string }).Id;
      local.org.db.prepare('UPDATE PermissionSetAssignment SET IsDeleted = 1 WHERE AssigneeId = ? AND PermissionSetId = ?').run(auditorId, psId);
      local.org.access.invalidate();
      try {
        expect(await flowError(refreshTokens(url, { ...tools, refreshToken: t.refresh_token! }))).to.include({ error: 'invalid_app_access' });
        expect((await rest(t.access_token)).status).to.equal(401);
      } finally {
        local.org.db.prepare('UPDATE PermissionSetAssignment SET IsDeleted = 0 WHERE AssigneeId = ? AND PermissionSetId = ?').run(auditorId, psId);
        local.org.access.invalidate();
      }
    });
  });

  describe('bearer tokens on the REST API', () => {
    it('mcp_api JWTs and api tokens are accepted; a token with neither → 401 "not valid for use with the REST API"', async () => {
      expect((await rest((await mcpLogin(url, REP)).access_token)).status).to.equal(200);
      expect((await rest(await personaToken(url, REP))).status).to.equal(200);
      const idOnly = await personaToken(url, REP, { scope: 'id openid' });
      const res = await rest(idOnly);
      expect(res.status).to.equal(401);
      expect(await res.json()).to.deep.equal([{ message: 'This session is not valid for use with the REST API', errorCode: 'INVALID_SESSION_ID' }]);
      expect((await fetch(`${url}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${idOnly}` } })).status).to.equal(200);
    });

    it('refuses forged JWTs: alg none, HS256 with the public key, another key, tampered claims, an unissued jti, expiry', async () => {
      const good = (await mcpLogin(url, REP)).access_token;
      expect((await rest(good)).status).to.equal(200);
      const [h, p] = good.split('.') as [string, string, string];
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

      const none = `${enc({ ...header, alg: 'none' })}.${p}.`;
      const jwk = id.keys.jwks().keys[0]!;
      const { createPublicKey } = await import('node:crypto');
      const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
      const hsInput = `${enc({ ...header, alg: 'HS256' })}.${p}`;
      const hs = `${hsInput}.${createHmac('sha256', pem).update(hsInput).digest('base64url')}`;
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const otherInput = `${h}.${p}`;
      const otherKey = `${otherInput}.${rsaSign('RSA-SHA256', Buffer.from(otherInput), other).toString('base64url')}`;
      const tampered = `${h}.${enc({ ...claims, sub: userId(local, 'admin@forcegate.local'), user_id: userId(local, 'admin@forcegate.local') })}.${good.split('.')[2]}`;
      const unissued = id.tokens.signJwt({ ...claims, jti: 'never-issued' });
      for (const [name, forged] of Object.entries({ none, hs, otherKey, tampered, unissued })) {
        const res = await rest(forged);
        expect(res.status, name).to.equal(401);
        expect(((await res.json()) as { errorCode: string }[])[0]!.errorCode, name).to.equal('INVALID_SESSION_ID');
      }
      const realNow = id.clock.now;
      id.clock.now = () => Date.now() + 2 * 60 * 60 * 1000 + 60_000;
      try {
        expect((await rest(good)).status).to.equal(401);
      } finally {
        id.clock.now = realNow;
      }
      expect((await rest(good)).status).to.equal(200);
    });
  });

  describe('revoke and introspect', () => {
    const revoke = (token: string, method: 'POST' | 'GET' = 'POST') =>
      method === 'POST'
        ? fetch(`${url}/services/oauth2/revoke`, { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) })
        : fetch(`${url}/services/oauth2/revoke?${new URLSearchParams({ token })}`);

    it('revokes an access token (200, empty); again → 400 form-encoded invalid_token', async () => {
      const token = await personaToken(url, REP);
      const res = await revoke(token);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.equal('');
      expect((await rest(token)).status).to.equal(401);
      const again = await revoke(token);
      expect(again.status).to.equal(400);
      expect(again.headers.get('content-type')).to.match(/^application\/x-www-form-urlencoded/);
      expect(Object.fromEntries(new URLSearchParams(await again.text()))).to.deep.equal({ error: 'invalid_token', error_description: 'Token was invalid' });
      expect((await revoke('garbage', 'GET')).status).to.equal(400);
    });

    it('revoking a refresh token (also via GET) revokes its access tokens; an id_token → unsupported_token_type', async () => {
      const t = await loginWithPkce(url, as(REP, { scope: 'api refresh_token openid' }));
      const r2 = await refreshTokens(url, { ...CLI, refreshToken: t.refresh_token! });
      expect((await revoke(t.refresh_token!, 'GET')).status).to.equal(200);
      expect((await rest(t.access_token)).status).to.equal(401);
      expect((await rest(r2.access_token)).status).to.equal(401);
      expect(await flowError(refreshTokens(url, { ...CLI, refreshToken: t.refresh_token! }))).to.include({ error: 'invalid_grant' });
      const res = await revoke(t.id_token!);
      expect(res.status).to.equal(400);
      expect(new URLSearchParams(await res.text()).get('error')).to.equal('unsupported_token_type');
    });

    it('introspects an app\'s own tokens; other apps\' tokens are inactive to it; unknown clients are refused', async () => {
      const introspect = (token: string, clientId: string, secret?: string) =>
        fetch(`${url}/services/oauth2/introspect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token, client_id: clientId, token_type_hint: 'access_token', ...(secret ? { client_secret: secret } : {}) }),
        });
      const mcp = await mcpLogin(url, REP);
      const res = await introspect(mcp.access_token, tools.clientId);
      expect(res.status).to.equal(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ active: true, scope: 'mcp_api refresh_token', client_id: tools.clientId, username: REP, sub: mcp.id, token_type: 'access_token' });
      expect(body.exp).to.be.a('number');
      expect(body.iat).to.equal(body.nbf);
      expect(await (await introspect(mcp.refresh_token!, tools.clientId)).json()).to.include({ active: true, token_type: 'refresh_token' });
      expect(await (await introspect(mcp.access_token, 'PlatformCLI')).json()).to.deep.equal({ active: false });
      const cli = await personaToken(url, REP);
      expect(await (await introspect(cli, 'PlatformCLI')).json()).to.include({ active: true, scope: 'api' });
      expect(await (await introspect('garbage', 'PlatformCLI')).json()).to.deep.equal({ active: false });
      expect((await introspect(cli, 'nope')).status).to.equal(401);
      expect((await introspect(cli, 'PlatformCLI', 'secret')).status).to.equal(401);
      // An app allowed to introspect every token in the org.
      deployTestEca(local, { name: 'Introspector', callbackUrls: ['http://localhost:1/cb'], scopes: ['Api'], introspectAll: true });
      const introspector = id.clients.byName('Introspector')!.clientId;
      expect(await (await introspect(mcp.access_token, introspector)).json()).to.include({ active: true, client_id: tools.clientId });
    });
  });

  describe('app policies and lockout', () => {
    it('a disabled app is blocked everywhere (and its tokens stop working); OAuth plugin off → invalid_client_id', async () => {
      deployTestEca(local, { name: 'Switchable', callbackUrls: ['http://localhost:4444/cb'], scopes: ['Api', 'RefreshToken'] });
      const app = { clientId: id.clients.byName('Switchable')!.clientId, redirectUri: 'http://localhost:4444/cb' };
      const t = await loginWithPkce(url, { ...as(REP), ...app });
      expect((await rest(t.access_token)).status).to.equal(200);
      deployTestEca(local, { name: 'Switchable', callbackUrls: ['http://localhost:4444/cb'], scopes: ['Api', 'RefreshToken'], enabled: false });
      expect((await rest(t.access_token)).status).to.equal(401);
      expect(await flowError(authorizeWithPkce(url, { ...as(REP), ...app }))).to.include({ error: 'OAUTH_APP_BLOCKED', via: 'page' });
      expect(await flowError(refreshTokens(url, { ...app, refreshToken: t.refresh_token! }))).to.include({ error: 'OAUTH_APP_BLOCKED' });
      deployTestEca(local, { name: 'Switchable', callbackUrls: ['http://localhost:4444/cb'], scopes: ['Api', 'RefreshToken'], oauthEnabled: false });
      expect(await flowError(authorizeWithPkce(url, { ...as(REP), ...app }))).to.include({ error: 'invalid_client_id', via: 'page' });
    });

    it('refresh-token policies: SpecificLifetime expires the family\'s refresh tokens, Zero issues none', async () => {
      deployTestEca(local, { name: 'ShortLived', callbackUrls: ['http://localhost:4445/cb'], scopes: ['Api', 'RefreshToken'], refreshPolicy: { type: 'SpecificLifetime', period: 1, unit: 'Hours' } });
      const short = { clientId: id.clients.byName('ShortLived')!.clientId, redirectUri: 'http://localhost:4445/cb' };
      const t = await loginWithPkce(url, { ...as(REP), ...short });
      expect((await refreshTokens(url, { ...short, refreshToken: t.refresh_token! })).access_token).to.be.a('string');
      const realNow = id.clock.now;
      id.clock.now = () => Date.now() + 61 * 60 * 1000;
      try {
        expect(await flowError(refreshTokens(url, { ...short, refreshToken: t.refresh_token! }))).to.include({ error: 'invalid_grant', description: 'expired access/refresh token' });
      } finally {
        id.clock.now = realNow;
      }
      deployTestEca(local, { name: 'NoRefresh', callbackUrls: ['http://localhost:4446/cb'], scopes: ['Api', 'RefreshToken'], refreshPolicy: { type: 'Zero' } });
      const zero = await loginWithPkce(url, { ...as(REP), clientId: id.clients.byName('NoRefresh')!.clientId, redirectUri: 'http://localhost:4446/cb' });
      expect(zero).not.to.have.property('refresh_token');
    });

    it('revokes a JWT access token by its jti; puts the nonce in the id_token', async () => {
      const jwt = (await mcpLogin(url, REP)).access_token;
      expect((await rest(jwt)).status).to.equal(200);
      const res = await fetch(`${url}/services/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: jwt }) });
      expect(res.status).to.equal(200);
      expect((await rest(jwt)).status).to.equal(401);
      const jti = decodeJwt(jwt).jti;
      expect((local.org.db.prepare('SELECT status FROM _oauth_tokens WHERE jti = ?').get(jti) as { status: string }).status).to.equal('revoked');
      const t = await loginWithPkce(url, as(REP, { scope: 'api openid', nonce: 'n-0S6_WzA2Mj' }));
      expect(decodeJwt(t.id_token!)).to.include({ nonce: 'n-0S6_WzA2Mj', aud: 'PlatformCLI' });
    });

    it('locks a username for 15 minutes after 10 failed logins (known or unknown usernames alike)', async () => {
      const victim = 'rep2@forcegate.local';
      const jar = new CookieJar();
      for (let i = 0; i < 10; i++) {
        const err = await flowError(authorizeWithPkce(url, { ...as(victim), password: `wrong-${i}`, jar }));
        expect(err.error).to.equal('login_failed');
      }
      const locked = await flowError(authorizeWithPkce(url, as(victim)));
      expect(locked.description).to.match(/locked/);
      const ghost = 'ghost@forcegate.local';
      for (let i = 0; i < 10; i++) await flowError(authorizeWithPkce(url, { ...as(REP), username: ghost, password: 'x' }));
      expect((await flowError(authorizeWithPkce(url, { ...as(REP), username: ghost, password: 'x' }))).description).to.equal(locked.description);
      const realNow = id.clock.now;
      id.clock.now = () => Date.now() + 16 * 60 * 1000;
      try {
        expect((await authorizeWithPkce(url, as(victim))).code).to.be.a('string');
      } finally {
        id.clock.now = realNow;
      }
    });
  });

  describe('identity service and discovery', () => {
    it('userinfo (Bearer or ?oauth_token=) with the platform shape and literal {version}', async () => {
      const token = await personaToken(url, REP);
      const repId = userId(local, REP);
      const res = await fetch(`${url}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as Record<string, unknown> & { urls: Record<string, string> };
      expect(body).to.include({ sub: `${url}/id/${local.org.orgId}/${repId}`, user_id: repId, organization_id: local.org.orgId, preferred_username: REP, active: true, user_type: 'STANDARD' });
      expect(body.urls.rest).to.equal(`${url}/services/data/v{version}/`);
      expect(body.urls.sobjects).to.equal(`${url}/services/data/v{version}/sobjects/`);
      const q = (await (await fetch(`${url}/services/oauth2/userinfo?oauth_token=${encodeURIComponent(token)}&version=64.0`)).json()) as { urls: Record<string, string> };
      expect(q.urls.rest).to.equal(`${url}/services/data/v64.0/`);
      const missing = await fetch(`${url}/services/oauth2/userinfo`);
      expect([missing.status, await missing.text()]).to.deep.equal([403, 'Missing_OAuth_Token']);
      const bad = await fetch(`${url}/services/oauth2/userinfo`, { headers: { authorization: 'Bearer 00D5g000004FgAt!nope' } });
      expect([bad.status, await bad.text()]).to.deep.equal([403, 'Bad_OAuth_Token']);
    });

    it('identity URL: only the token\'s own user', async () => {
      const token = await personaToken(url, REP);
      const repId = userId(local, REP);
      const res = await fetch(`${url}/id/${local.org.orgId}/${repId}?format=json&oauth_token=${encodeURIComponent(token)}`);
      expect(res.status).to.equal(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ id: `${url}/id/${local.org.orgId}/${repId}`, user_id: repId, organization_id: local.org.orgId, username: REP, display_name: 'Riley Rep', first_name: 'Riley', last_name: 'Rep', active: true });
      for (const key of ['asserted_user', 'nick_name', 'email', 'timezone', 'photos', 'urls', 'user_type', 'language', 'locale', 'utcOffset', 'last_modified_date']) expect(body).to.have.property(key);
      const short = await fetch(`${url}/id/${local.org.orgId.slice(0, 15)}/${repId.slice(0, 15)}`, { headers: { authorization: `Bearer ${token}` } });
      expect(short.status).to.equal(200);
      const other = await fetch(`${url}/id/${local.org.orgId}/${userId(local, 'admin@forcegate.local')}`, { headers: { authorization: `Bearer ${token}` } });
      expect(other.status).to.equal(403);
      const otherOrg = await fetch(`${url}/id/00D000000000001AAA/${repId}`, { headers: { authorization: `Bearer ${token}` } });
      expect(otherOrg.status).to.equal(404);
    });

    it('discovery documents, JWKS and refused dynamic registration', async () => {
      const oidc = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(oidc).to.include({ issuer: url, authorization_endpoint: `${url}/services/oauth2/authorize`, token_endpoint: `${url}/services/oauth2/token`, jwks_uri: `${url}/id/keys`, userinfo_endpoint: `${url}/services/oauth2/userinfo`, revocation_endpoint: `${url}/services/oauth2/revoke`, introspection_endpoint: `${url}/services/oauth2/introspect` });
      expect(oidc.code_challenge_methods_supported).to.deep.equal(['S256']);
      expect(oidc.grant_types_supported).to.deep.equal(['authorization_code', 'refresh_token']);
      expect(oidc.scopes_supported).to.include.members(['mcp_api', 'api', 'refresh_token', 'openid']);
      const as8414 = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      expect(as8414).to.include({ issuer: url, token_endpoint: `${url}/services/oauth2/token` });
      expect(as8414.code_challenge_methods_supported).to.deep.equal(['S256']);
      expect(as8414).not.to.have.property('registration_endpoint');
      const jwks = (await (await fetch(`${url}/id/keys`)).json()) as { keys: { kid: string; kty: string }[] };
      expect(jwks.keys[0]).to.include({ kty: 'RSA' });
      const reg = await fetch(`${url}/services/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://localhost:9/cb'], client_name: 'x' }) });
      expect(reg.status).to.equal(400);
      expect(await reg.json()).to.deep.equal({ error: 'invalid_request', error_description: 'dynamic client registration is not supported' });
      const pre = await fetch(`${url}/services/oauth2/token`, { method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST' } });
      expect(pre.status).to.equal(204);
      expect(pre.headers.get('access-control-allow-origin')).to.equal('*');
    });
  });
});
