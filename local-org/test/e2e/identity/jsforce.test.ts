/**
 * jsforce 3.10.16 as a real client of the local org's OAuth: `OAuth2` with `useVerifier` (its
 * 171-character verifier, no code_challenge_method), code exchange, identity, refresh (explicit and
 * on a 401), revocation — and every refused flow as jsforce reports it.
 */
import { expect } from 'chai';
import jsforce from 'jsforce';
import { identityOf } from '../../../src/identity/index.ts';
import type { LocalOrg } from '../../../src/local-org.ts';
import { callbackUrlsOf, consumerKeyOf, followAuthorization, OAuthFlowError, passwordOf, PLATFORM_CLI } from '../../helpers/oauth.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';

const REP = 'rep@forcegate.local';

interface NamedError extends Error {
  errorCode?: string;
}

async function rejection(p: Promise<unknown>): Promise<NamedError> {
  try {
    await p;
  } catch (err) {
    return err as NamedError;
  }
  throw new Error('expected a rejection');
}

describe('identity with jsforce 3.10.16', function () {
  let local: LocalOrg;
  let url: string;
  let tools: { clientId: string; redirectUri: string };

  before(async () => {
    local = await startTestOrg();
    url = local.url;
    tools = { clientId: consumerKeyOf('ForceGate_Local_Tools'), redirectUri: callbackUrlsOf('ForceGate_Local_Tools')[0]! };
  });
  after(() => local.close());

  const cliOAuth = (extra: Record<string, unknown> = {}) =>
    new jsforce.OAuth2({ loginUrl: url, clientId: PLATFORM_CLI.clientId, redirectUri: PLATFORM_CLI.redirectUri, useVerifier: true, ...extra });

  /** jsforce builds the authorize URL; the helper plays the browser; returns the final redirect. */
  async function authorize(oauth2: jsforce.OAuth2, username: string, params: Record<string, string> = {}): Promise<URL> {
    const authUrl = oauth2.getAuthorizationUrl({ scope: 'refresh_token api web openid', state: 'st', ...params });
    return followAuthorization(authUrl, { username, password: passwordOf(username), redirectUri: oauth2.redirectUri! });
  }

  async function code(oauth2: jsforce.OAuth2, username = REP, params: Record<string, string> = {}): Promise<string> {
    const location = await authorize(oauth2, username, params);
    expect(location.searchParams.get('error'), location.searchParams.get('error_description') ?? '').to.equal(null);
    expect(location.searchParams.get('state')).to.equal(params.state ?? 'st');
    return location.searchParams.get('code')!;
  }

  it('web-server flow with PKCE: authorize URL → login → requestToken → identity → refresh → revoke', async () => {
    const oauth2 = cliOAuth();
    const authUrl = new URL(oauth2.getAuthorizationUrl({ scope: 'refresh_token api web' }));
    expect(authUrl.searchParams.get('code_challenge')).to.have.length(43);
    expect(authUrl.searchParams.has('code_challenge_method')).to.equal(false);
    expect((oauth2 as unknown as { codeVerifier: string }).codeVerifier).to.have.length(171);

    const conn = new jsforce.Connection({ oauth2, version: '64.0' });
    const userInfo = await conn.authorize(await code(oauth2));
    expect(userInfo).to.deep.equal({ id: userId(local, REP), organizationId: local.org.orgId, url: `${url}/id/${local.org.orgId}/${userId(local, REP)}` });
    expect(conn.instanceUrl).to.equal(url);
    expect(conn.accessToken).to.match(/^00D5g000004FgAt!/);
    expect(conn.refreshToken).to.match(/^5Aep861/);

    const identity = await conn.identity();
    expect(identity).to.include({ user_id: userId(local, REP), organization_id: local.org.orgId, username: REP });
    expect(await conn.request('/services/data/v64.0/limits')).to.have.property('DailyApiRequests');

    // Explicit refresh (jsforce also sends its code_verifier: ignored).
    const refreshed = await oauth2.refreshToken(conn.refreshToken!);
    expect(refreshed.access_token).to.match(/^00D5g000004FgAt!/).and.not.equal(conn.accessToken);

    // Revoke the access token: the next call gets a 401, jsforce refreshes and replays it.
    const before = conn.accessToken!;
    await oauth2.revokeToken(before);
    let refreshes = 0;
    conn.on('refresh', () => refreshes++);
    expect(await conn.request('/services/data/v64.0/limits')).to.have.property('DailyApiRequests');
    expect(refreshes).to.equal(1);
    expect(conn.accessToken).not.to.equal(before);

    // Revoke the refresh token: its access tokens die, and jsforce's refresh fails.
    await oauth2.revokeToken(conn.refreshToken!);
    const err = await rejection(conn.request('/services/data/v64.0/limits'));
    expect(err.message).to.equal('Unable to refresh session due to: expired access/refresh token');
    const revokeAgain = await rejection(oauth2.revokeToken(conn.refreshToken!));
    expect(revokeAgain.name).to.equal('invalid_token');
  });

  it('a revoked token without a refresh token → 401 INVALID_SESSION_ID from the REST API', async () => {
    const oauth2 = cliOAuth();
    const res = await oauth2.requestToken(await code(oauth2, REP, { scope: 'api' }));
    const conn = new jsforce.Connection({ instanceUrl: res.instance_url, accessToken: res.access_token, version: '64.0' });
    await conn.request('/services/data/v64.0/limits');
    await oauth2.revokeToken(res.access_token);
    const err = await rejection(conn.request('/services/data/v64.0/limits'));
    expect(err.errorCode).to.equal('INVALID_SESSION_ID');
    expect(err.message).to.equal('Session expired or invalid');
  });

  it('PKCE refusals: no challenge, plain, wrong verifier, code replay, code with another client', async () => {
    const noPkce = new jsforce.OAuth2({ loginUrl: url, clientId: 'PlatformCLI', redirectUri: PLATFORM_CLI.redirectUri });
    const missing = await authorize(noPkce, REP);
    expect(missing.searchParams.get('error')).to.equal('invalid_request');
    expect(missing.searchParams.get('state')).to.equal('st');

    const plain = await authorize(cliOAuth(), REP, { code_challenge_method: 'plain' });
    expect(plain.searchParams.get('error')).to.equal('invalid_request');

    const c1 = await code(cliOAuth());
    const wrong = await rejection(cliOAuth().requestToken(c1)); // another OAuth2 = another verifier
    expect([wrong.name, wrong.message]).to.deep.equal(['invalid_grant', 'invalid code verifier']);

    const oauth2 = cliOAuth();
    const c2 = await code(oauth2);
    const first = await oauth2.requestToken(c2);
    const replay = await rejection(oauth2.requestToken(c2));
    expect([replay.name, replay.message]).to.deep.equal(['invalid_grant', 'invalid authorization code']);
    const conn = new jsforce.Connection({ instanceUrl: url, accessToken: first.access_token, version: '64.0' });
    expect((await rejection(conn.request('/services/data/v64.0/limits'))).errorCode).to.equal('INVALID_SESSION_ID');

    const c3 = await code(oauth2);
    const other = new jsforce.OAuth2({ loginUrl: url, clientId: tools.clientId, redirectUri: PLATFORM_CLI.redirectUri });
    (other as unknown as { codeVerifier: string }).codeVerifier = (oauth2 as unknown as { codeVerifier: string }).codeVerifier;
    expect((await rejection(other.requestToken(c3))).name).to.equal('invalid_grant');
  });

  it('client and redirect refusals: unknown client, redirect mismatch and open-redirect attempts', async () => {
    const unknown = new jsforce.OAuth2({ loginUrl: url, clientId: '3MVG9nobody', redirectUri: PLATFORM_CLI.redirectUri, useVerifier: true });
    const e1 = await rejection(authorize(unknown, REP));
    expect(e1).to.be.instanceOf(OAuthFlowError);
    expect(e1).to.include({ error: 'invalid_client_id', via: 'page' });
    for (const redirectUri of ['http://evil.example/OauthRedirect', 'http://localhost:1717/OauthRedirect?to=http://evil.example', 'http://localhost:1717/oauthredirect']) {
      const e2 = await rejection(authorize(cliOAuth({ redirectUri }), REP));
      expect(e2, redirectUri).to.include({ error: 'redirect_uri_mismatch', via: 'page' });
    }
    const token = await rejection(new jsforce.OAuth2({ loginUrl: url, clientId: '3MVG9nobody', redirectUri: 'x' }).requestToken('aPrxcode'));
    expect([token.name, token.message]).to.deep.equal(['invalid_client_id', 'client identifier invalid']);
  });

  it('other grants: password, client_credentials, jwt-bearer, device; dynamic registration', async () => {
    const withSecret = new jsforce.OAuth2({ loginUrl: url, clientId: tools.clientId, clientSecret: 'anything', redirectUri: tools.redirectUri });
    const password = await rejection(withSecret.authenticate(REP, passwordOf(REP)));
    expect([password.name, password.message]).to.deep.equal(['unsupported_grant_type', 'grant type not supported']);
    const plainClient = new jsforce.OAuth2({ loginUrl: url, clientId: tools.clientId });
    const cc = await rejection(plainClient.requestToken({ grant_type: 'client_credentials' }));
    expect([cc.name, cc.message]).to.deep.equal(['invalid_grant', 'client credentials flow is not enabled']);
    for (const grant of ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange']) {
      const e = await rejection(plainClient.requestToken({ grant_type: grant, assertion: 'x', device_code: 'x', subject_token: 'x' }));
      expect(e.name, grant).to.equal('unsupported_grant_type');
    }
    const reg = await fetch(`${url}/services/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"redirect_uris":["http://localhost/cb"]}' });
    expect(reg.status).to.equal(400);
  });

  it('policy refusals: outsider refused by the ECA, deactivated user refused', async () => {
    const mcp = new jsforce.OAuth2({ loginUrl: url, clientId: tools.clientId, redirectUri: tools.redirectUri, useVerifier: true });
    const outsider = await authorize(mcp, 'outsider@forcegate.local', { scope: 'mcp_api refresh_token' });
    expect(outsider.searchParams.get('error')).to.equal('access_denied');
    expect(outsider.searchParams.get('error_description')).to.equal('user is not admin approved to access this app');

    const id = userId(local, 'rep2@forcegate.local');
    local.org.db.prepare('UPDATE "User" SET IsActive = 0 WHERE Id = ?').run(id);
    local.org.access.invalidate();
    try {
      const inactive = await authorize(cliOAuth(), 'rep2@forcegate.local');
      expect(inactive.searchParams.get('error')).to.equal('inactive_user');
    } finally {
      local.org.db.prepare('UPDATE "User" SET IsActive = 1 WHERE Id = ?').run(id);
      local.org.access.invalidate();
    }
  });

  it('ECA tokens: JWT access tokens with mcp_api; rotation, and reuse of a rotated refresh token revokes the family', async () => {
    const oauth2 = new jsforce.OAuth2({ loginUrl: url, clientId: tools.clientId, redirectUri: tools.redirectUri, useVerifier: true });
    const res = await oauth2.requestToken(await code(oauth2, REP, { scope: 'mcp_api refresh_token' }));
    expect(res).to.include({ token_format: 'jwt', scope: 'mcp_api refresh_token' });
    const conn = new jsforce.Connection({ instanceUrl: res.instance_url, accessToken: res.access_token, version: '64.0' });
    expect(await conn.request('/services/data/v64.0/limits')).to.have.property('DailyApiRequests');

    const r2 = await oauth2.refreshToken(res.refresh_token!);
    expect(r2.refresh_token).to.be.a('string').and.not.equal(res.refresh_token);
    const reuse = await rejection(oauth2.refreshToken(res.refresh_token!));
    expect([reuse.name, reuse.message]).to.deep.equal(['invalid_grant', 'expired access/refresh token']);
    expect((await rejection(oauth2.refreshToken(r2.refresh_token!))).name).to.equal('invalid_grant');
    const dead = new jsforce.Connection({ instanceUrl: url, accessToken: r2.access_token, version: '64.0' });
    expect((await rejection(dead.request('/services/data/v64.0/limits'))).errorCode).to.equal('INVALID_SESSION_ID');
  });

  it('forged JWTs (alg none, wrong key) and expired JWTs are rejected with INVALID_SESSION_ID', async () => {
    const oauth2 = new jsforce.OAuth2({ loginUrl: url, clientId: tools.clientId, redirectUri: tools.redirectUri, useVerifier: true });
    const res = await oauth2.requestToken(await code(oauth2, REP, { scope: 'mcp_api' }));
    const [h, p] = res.access_token.split('.') as [string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as object;
    const none = `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${p}.`;
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const wrongKey = `${h}.${p}.${sign('RSA-SHA256', Buffer.from(`${h}.${p}`), key).toString('base64url')}`;
    for (const token of [none, wrongKey]) {
      const conn = new jsforce.Connection({ instanceUrl: url, accessToken: token, version: '64.0' });
      expect((await rejection(conn.request('/services/data/v64.0/limits'))).errorCode).to.equal('INVALID_SESSION_ID');
    }
    const clock = identityOf(local.org)!.clock;
    const realNow = clock.now;
    clock.now = () => Date.now() + 3 * 60 * 60 * 1000;
    try {
      const conn = new jsforce.Connection({ instanceUrl: url, accessToken: res.access_token, version: '64.0' });
      expect((await rejection(conn.request('/services/data/v64.0/limits'))).errorCode).to.equal('INVALID_SESSION_ID');
    } finally {
      clock.now = realNow;
    }
  });

  it('a token without a REST scope: 401 "not valid for use with the REST API", and jsforce does not refresh', async () => {
    const oauth2 = cliOAuth();
    const conn = new jsforce.Connection({ oauth2, version: '64.0' });
    await conn.authorize(await code(oauth2, REP, { scope: 'id openid refresh_token' }));
    let refreshes = 0;
    conn.on('refresh', () => refreshes++);
    const err = await rejection(conn.request('/services/data/v64.0/limits'));
    expect(err.errorCode).to.equal('INVALID_SESSION_ID');
    expect(err.message).to.equal('This session is not valid for use with the REST API');
    expect(refreshes).to.equal(0);
    // The identity service still answers it.
    expect((await conn.identity()).username).to.equal(REP);
  });
});
