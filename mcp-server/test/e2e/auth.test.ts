/**
 * Authorization as the MCP spec requires: protected-resource metadata naming the org, 401/403
 * challenges, and a bearer token accepted only if it is the org's JWT, unexpired, for an app with
 * mcp_api, and addressed to this server.
 */
import { expect } from 'chai';
import { SignJWT, generateKeyPair } from 'jose';
import { identityOf } from '../../../local-org/src/identity/index.ts';
import { consumerKeyOf, loginWithPkce, mcpToken, OAuthFlowError, passwordOf, personaToken } from '../../../local-org/test/helpers/oauth.ts';
import { deployTestEca } from '../../../local-org/test/helpers/eca.ts';
import { startLocalOrg } from '../../../local-org/src/local-org.ts';
import { repoRoot, startHarness, type Harness } from '../helpers/harness.ts';

const KEY = 'platform/sobject-reads';

async function post(h: Harness, token: string | undefined, key = KEY, body: unknown = initialize()): Promise<Response> {
  return fetch(h.serverUrl(key), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

function initialize(): unknown {
  return { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
}

function challenge(res: Response): Record<string, string> {
  const header = res.headers.get('www-authenticate') ?? '';
  expect(header).to.match(/^Bearer /);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

describe('mcp-server: authorization', function () {
  this.timeout(120_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
    await h.setActive(KEY, true);
  });
  after(async () => h?.close());

  it('serves RFC 9728 metadata per server path, naming the org as authorization server', async () => {
    const res = await fetch(`${h.mcp.url}/.well-known/oauth-protected-resource/platform/mcp/v1/${KEY}`);
    expect(res.status).to.equal(200);
    const prm = (await res.json()) as Record<string, unknown>;
    expect(prm.resource).to.equal(h.serverUrl(KEY));
    expect(prm.authorization_servers).to.deep.equal([h.org.url]);
    expect(prm.scopes_supported).to.include('mcp_api');
    const custom = (await (await fetch(`${h.mcp.url}/.well-known/oauth-protected-resource/platform/mcp/v1/sandbox/custom/Anything`)).json()) as Record<string, unknown>;
    expect(custom.resource).to.equal(h.serverUrl('sandbox/custom/Anything'));
  });

  it('answers 401 with WWW-Authenticate and resource_metadata when no token is sent', async () => {
    const res = await post(h, undefined);
    expect(res.status).to.equal(401);
    const c = challenge(res);
    expect(c.error).to.equal('invalid_token');
    expect(c.resource_metadata).to.equal(`${h.mcp.url}/.well-known/oauth-protected-resource/platform/mcp/v1/${KEY}`);
    expect(c.scope).to.equal('mcp_api');
  });

  it('a token from the PKCE login (ForceGate_Local_Tools, resource = server URL) works end to end', async () => {
    const tokens = await loginWithPkce(h.org.url, {
      username: 'rep@forcegate.local',
      password: passwordOf('rep@forcegate.local'),
      clientId: consumerKeyOf('ForceGate_Local_Tools'),
      redirectUri: 'http://localhost:6274/oauth/callback',
      scope: 'mcp_api refresh_token',
      resource: h.serverUrl(KEY),
    });
    expect(tokens.access_token.split('.')).to.have.length(3);
    const client = await h.connect('sales-rep', KEY, { token: tokens.access_token });
    const me = await client.callTool({ name: 'getUserInfo', arguments: {} });
    expect(me.isError).to.not.equal(true);
    expect((me.structuredContent as { username: string }).username).to.equal('rep@forcegate.local');
  });

  it('refuses an opaque token (sf CLI PlatformCLI) with 401', async () => {
    const res = await post(h, await personaToken(h.org.url, 'admin'));
    expect(res.status).to.equal(401);
    expect(challenge(res).error_description).to.match(/not a JWT/);
  });

  it('refuses a malformed Authorization header and garbage tokens with 401', async () => {
    const res = await fetch(h.serverUrl(KEY), { method: 'POST', headers: { Authorization: 'Basic YWRtaW46YWRtaW4=', 'Content-Type': 'application/json' }, body: '{}' });
    expect(res.status).to.equal(401);
    expect((await post(h, 'a.b.c')).status).to.equal(401);
  });

  it('refuses a tampered JWT (signature no longer matches) with 401', async () => {
    const token = await h.token('sales-rep', KEY);
    const [head, payload, sig] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    claims.user_id = claims.sub = '0055gNfODP10026A3A';
    const forged = `${head}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
    const res = await post(h, forged);
    expect(res.status).to.equal(401);
    expect(challenge(res).error_description).to.match(/signature/);
  });

  it('refuses a JWT signed by a key that is not the org\'s (same claims, own kid) with 401', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ client_id: consumerKeyOf('ForceGate_Local_Tools'), scp: 'mcp_api', user_id: '0055gNfODP10026A3A' })
      .setProtectedHeader({ alg: 'RS256', kid: 'attacker' })
      .setIssuer(h.org.url)
      .setSubject('0055gNfODP10026A3A')
      .setAudience(h.serverUrl(KEY))
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    const res = await post(h, jwt);
    expect(res.status).to.equal(401);
    expect(challenge(res).error_description).to.match(/not signed by a key of this org/);
  });

  it('refuses a token issued by another org with 401', async () => {
    const other = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
    try {
      const foreign = await mcpToken(other.url, 'sales-rep', { resource: h.serverUrl(KEY) });
      expect((await post(h, foreign)).status).to.equal(401);
    } finally {
      await other.close();
    }
  });

  it('refuses an expired token with 401', async () => {
    const identity = identityOf(h.org.org)!;
    const realNow = identity.clock.now;
    identity.clock.now = () => realNow() - 3 * 24 * 3600_000;
    let old: string;
    try {
      old = await mcpToken(h.org.url, 'sales-rep', { resource: h.serverUrl(KEY) });
    } finally {
      identity.clock.now = realNow;
    }
    const res = await post(h, old);
    expect(res.status).to.equal(401);
    expect(challenge(res).error_description).to.match(/expired/);
  });

  it('refuses a token addressed to another resource (audience) with 401', async () => {
    const elsewhere = await mcpToken(h.org.url, 'sales-rep', { resource: 'https://mcp.example.com/platform/mcp/v1/platform/sobject-reads' });
    const res = await post(h, elsewhere);
    expect(res.status).to.equal(401);
    expect(challenge(res).error_description).to.match(/not issued for this server/);
    // A token the org addressed to itself (no resource requested) is not for us either.
    const forOrg = await mcpToken(h.org.url, 'sales-rep');
    expect((await post(h, forOrg)).status).to.equal(401);
  });

  it('answers 403 insufficient_scope to a JWT without mcp_api', async () => {
    deployTestEca(h.org, {
      name: 'Api_Only_Jwt',
      callbackUrls: ['http://localhost:7777/callback'],
      scopes: ['Api', 'RefreshToken'],
      consumerKey: '3MVG9LOCALTESTapionly000000000000000000000000000000000000000000000000000000000',
      namedUserJwt: true,
    });
    const tokens = await loginWithPkce(h.org.url, {
      username: 'rep@forcegate.local',
      password: passwordOf('rep@forcegate.local'),
      clientId: '3MVG9LOCALTESTapionly000000000000000000000000000000000000000000000000000000000',
      redirectUri: 'http://localhost:7777/callback',
      scope: 'api refresh_token',
      resource: h.serverUrl(KEY),
    });
    expect(tokens.access_token.split('.')).to.have.length(3);
    const res = await post(h, tokens.access_token);
    expect(res.status).to.equal(403);
    const c = challenge(res);
    expect(c.error).to.equal('insufficient_scope');
    expect(c.scope).to.equal('mcp_api');
  });

  it('the outsider (no ForceGate_MCP_Access) never gets a token to try', async () => {
    let error: unknown;
    try {
      await mcpToken(h.org.url, 'outsider', { resource: h.serverUrl(KEY) });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(OAuthFlowError);
  });

  it('accepts tokens signed with a rotated key (JWKS re-fetched on an unknown kid), and old ones still', async () => {
    const before = await h.token('admin', KEY);
    // A made-up kid just made the server re-fetch the keys; rotation must still be picked up.
    await new Promise((r) => setTimeout(r, 1100));
    identityOf(h.org.org)!.keys.rotate();
    const after = await mcpToken(h.org.url, 'admin', { resource: h.serverUrl(KEY) });
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).to.not.equal(
      JSON.parse(Buffer.from(before.split('.')[0]!, 'base64url').toString()).kid,
    );
    expect((await post(h, after)).status).to.equal(200);
    expect((await post(h, before)).status).to.equal(200);
  });

  it('binds a session to its user: another user\'s token on the same Mcp-Session-Id is refused', async () => {
    const res = await post(h, await h.token('admin', KEY));
    const sessionId = res.headers.get('mcp-session-id')!;
    expect(sessionId).to.be.a('string');
    const hijack = await fetch(h.serverUrl(KEY), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${await h.token('sales-rep', KEY)}`,
        'Mcp-Session-Id': sessionId,
        'Mcp-Protocol-Version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(hijack.status).to.equal(403);
  });

  it('verifies a token in well under a millisecond once the keys are cached', async () => {
    const { OrgTokenVerifier } = await import('../../src/auth/verifier.ts');
    const resource = h.serverUrl(KEY);
    const tokens = await Promise.all(['admin', 'sales-rep', 'auditor', 'rep2@forcegate.local', 'manager@forcegate.local'].map((p) => h.token(p, KEY)));
    // Full check every time (signature + claims), keys cached: what a token costs the first time it is seen.
    const full = new OrgTokenVerifier({ orgUrl: h.org.url, memoize: false });
    for (const t of tokens) await full.verify(t, resource); // warm: JWKS fetched, each kid imported once
    const rounds = 100;
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) for (const t of tokens) await full.verify(t, resource);
    const firstSignatureCheck = (performance.now() - t0) / (rounds * tokens.length);
    // A token seen in the last minute.
    const v = new OrgTokenVerifier({ orgUrl: h.org.url });
    await v.verify(tokens[0]!, resource);
    const n = 2000;
    const t1 = performance.now();
    for (let i = 0; i < n; i++) await v.verify(tokens[0]!, resource);
    const warm = (performance.now() - t1) / n;
    console.log(`      token verification: signature check ${firstSignatureCheck.toFixed(3)} ms, memoised ${(warm * 1000).toFixed(1)} µs`);
    expect(firstSignatureCheck).to.be.below(1);
    expect(warm).to.be.below(0.1);
  });
});
