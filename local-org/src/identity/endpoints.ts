/**
 * Revocation, introspection, userinfo, the identity URL, JWKS, discovery documents and the
 * (refused) dynamic client registration endpoint.
 */
import type { Reply, RequestContext, Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import type { ClientRegistry, OAuthClient } from './clients.ts';
import { clientCredentials, CORS, NO_STORE, preflight, safeEqual } from './http-util.ts';
import type { KeyStore } from './keys.ts';
import { allowsIdentity, SUPPORTED_SCOPES } from './scopes.ts';
import type { ActiveToken, TokenService } from './tokens.ts';
import { identityDate, userById, utcOffsetMs, type UserRecord } from './users.ts';
import { isValidId, sameId } from '../ids.ts';

const FORM_TYPE = 'application/x-www-form-urlencoded;charset=UTF-8';
const TEXT_TYPE = 'text/plain;charset=UTF-8';

export function registerEndpoints(
  router: Router,
  org: OrgContext,
  clients: ClientRegistry,
  keys: KeyStore,
  tokens: TokenService,
  secrets: (client: OAuthClient) => string | undefined,
): void {
  const pub = { auth: 'public' as const };

  // ---- revoke (RFC 7009; the platform also takes GET ?token=) --------------------------------
  const revoke = async (ctx: RequestContext): Promise<Reply> => {
    const token = ctx.method === 'POST' ? (await ctx.form()).get('token') : ctx.query.get('token');
    const outcome = await tokens.revoke(token ?? '');
    if (outcome === 'revoked') return { status: 200, body: '', contentType: TEXT_TYPE, headers: { ...NO_STORE, ...CORS } };
    // jsforce parses revoke errors as form-urlencoded.
    const [error, description] = outcome === 'unsupported' ? ['unsupported_token_type', 'Token type not supported'] : ['invalid_token', 'Token was invalid'];
    return { status: 400, body: new URLSearchParams({ error, error_description: description }).toString(), contentType: FORM_TYPE, headers: { ...NO_STORE, ...CORS } };
  };
  router.add(['POST', 'GET'], '/services/oauth2/revoke', revoke, pub);
  router.add('OPTIONS', '/services/oauth2/revoke', () => preflight('POST, GET, OPTIONS'), pub);

  // ---- introspect (RFC 7662) -----------------------------------------------------------------
  router.add(
    'POST',
    '/services/oauth2/introspect',
    async (ctx) => {
      const form = await ctx.form();
      const creds = clientCredentials(ctx, form);
      const client = clients.byClientId(creds.clientId);
      const expected = client ? secrets(client) : undefined;
      const authenticated =
        client !== undefined &&
        client.enabled &&
        client.oauthEnabled &&
        !creds.conflict &&
        (creds.secret !== undefined ? expected !== undefined && safeEqual(creds.secret, expected) : client.secretOptional);
      if (!authenticated) {
        return { status: 401, json: { error: 'invalid_client', error_description: 'invalid client credentials' }, headers: { ...NO_STORE, ...CORS, 'WWW-Authenticate': 'Basic realm="introspect"' } };
      }
      const token = form.get('token');
      const json = token ? await tokens.introspect(token, client) : { active: false };
      return { status: 200, json, headers: { ...NO_STORE, ...CORS } };
    },
    pub,
  );
  router.add('OPTIONS', '/services/oauth2/introspect', () => preflight('POST, OPTIONS'), pub);

  // ---- identity service ----------------------------------------------------------------------
  /**
   * The token behind an identity request: `Authorization: Bearer|OAuth`, `?oauth_token=`, or a POSTed
   * `access_token`. Refusals are the identity service's plain-text 403s (`Missing_OAuth_Token`,
   * `Bad_OAuth_Token`), as reported from real orgs (status and texts UNCONFIRMED in our references).
   */
  async function identityToken(ctx: RequestContext): Promise<ActiveToken | Reply> {
    let token = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1] ?? ctx.query.get('oauth_token') ?? undefined;
    if (!token && ctx.method === 'POST') token = (await ctx.form()).get('access_token') ?? undefined;
    if (!token) return plain(403, 'Missing_OAuth_Token');
    const t = await tokens.lookup(token, 'access');
    if (!t) return plain(403, 'Bad_OAuth_Token');
    if (!allowsIdentity(t.scopes)) return plain(403, 'Insufficient_Scope'); // text UNCONFIRMED
    return t;
  }

  const userinfo = async (ctx: RequestContext): Promise<Reply> => {
    const t = await identityToken(ctx);
    if (!('row' in t)) return t;
    const u = userById(org, t.user.userId)!;
    return { status: 200, json: userinfoDoc(org, u, ctx.query.get('version')), headers: { ...NO_STORE, ...CORS } };
  };
  router.add(['GET', 'POST'], '/services/oauth2/userinfo', userinfo, pub);
  router.add('OPTIONS', '/services/oauth2/userinfo', () => preflight('GET, POST, OPTIONS'), pub);

  const identity = async (ctx: RequestContext): Promise<Reply> => {
    const { orgId, userId } = ctx.params as { orgId: string; userId: string };
    if (!isValidId(orgId) || !isValidId(userId) || !sameId(orgId, org.orgId) || !userId.startsWith('005')) return plain(404, 'Bad_Id');
    const t = await identityToken(ctx);
    if (!('row' in t)) return t;
    // Only the token's own user (UNCONFIRMED whether the platform answers others in the org).
    if (!sameId(userId, t.user.userId)) return plain(403, 'Bad_Id');
    const u = userById(org, t.user.userId)!;
    return { status: 200, json: identityDoc(org, u, ctx.query.get('version')), headers: { ...NO_STORE, ...CORS } };
  };
  router.add(['GET', 'POST'], '/id/:orgId/:userId', identity, pub);

  // ---- keys and discovery --------------------------------------------------------------------
  router.add('GET', '/id/keys', () => ({ status: 200, json: keys.jwks(), headers: { ...CORS, 'Cache-Control': 'public, max-age=60' } }), pub);

  const discovery = (registration: boolean) => () => ({
    status: 200,
    json: discoveryDoc(org.baseUrl, registration),
    headers: { ...CORS, 'Cache-Control': 'public, max-age=60' },
  });
  router.add('GET', '/.well-known/openid-configuration', discovery(true), pub);
  // login.salesforce.com answers 404 here; the MCP authorization spec probes RFC 8414 first, and
  // api.salesforce.com serves one, so the local org does too (without a registration endpoint).
  router.add('GET', '/.well-known/oauth-authorization-server', discovery(false), pub);
  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/id/keys']) {
    router.add('OPTIONS', path, () => preflight('GET, OPTIONS'), pub);
  }

  // ---- dynamic client registration: refused --------------------------------------------------
  // Salesforce "won't dynamically register a client" for MCP: apps are configured ahead of time
  // (External Client Apps). The exact platform answer is UNCONFIRMED; RFC 7591 clients read a 400
  // `{error, error_description}` as a refusal.
  router.add(
    'POST',
    '/services/oauth2/register',
    () => ({ status: 400, json: { error: 'invalid_request', error_description: 'dynamic client registration is not supported' }, headers: { ...NO_STORE, ...CORS } }),
    pub,
  );
  router.add('OPTIONS', '/services/oauth2/register', () => preflight('POST, OPTIONS'), pub);
}

function plain(status: number, text: string): Reply {
  return { status, body: text, contentType: TEXT_TYPE, headers: { ...NO_STORE, ...CORS } };
}

/** The `urls` map of userinfo and the identity URL; `{version}` stays literal unless `?version=` is given. */
function urls(org: OrgContext, userId: string, version: string | null): Record<string, string> {
  const v = version && /^\d{2}\.\d$/.test(version) ? version : '{version}';
  const b = org.baseUrl;
  const o = org.orgId;
  return {
    enterprise: `${b}/services/Soap/c/${v}/${o}`,
    metadata: `${b}/services/Soap/m/${v}/${o}`,
    partner: `${b}/services/Soap/u/${v}/${o}`,
    rest: `${b}/services/data/v${v}/`,
    sobjects: `${b}/services/data/v${v}/sobjects/`,
    search: `${b}/services/data/v${v}/search/`,
    query: `${b}/services/data/v${v}/query/`,
    recent: `${b}/services/data/v${v}/recent/`,
    tooling_soap: `${b}/services/Soap/T/${v}/${o}`,
    tooling_rest: `${b}/services/data/v${v}/tooling/`,
    profile: `${b}/${userId}`,
    feeds: `${b}/services/data/v${v}/chatter/feeds`,
    groups: `${b}/services/data/v${v}/chatter/groups`,
    users: `${b}/services/data/v${v}/chatter/users`,
    feed_items: `${b}/services/data/v${v}/chatter/feed-items`,
    feed_elements: `${b}/services/data/v${v}/chatter/feed-elements`,
    custom_domain: b,
  };
}

function photos(org: OrgContext): { picture: string; thumbnail: string } {
  return { picture: `${org.baseUrl}/profilephoto/005/F`, thumbnail: `${org.baseUrl}/profilephoto/005/T` };
}

function userType(u: UserRecord): string {
  return (u.UserType ?? 'Standard').toUpperCase();
}

/** wire.md §6.3. */
export function userinfoDoc(org: OrgContext, u: UserRecord, version: string | null = null): Record<string, unknown> {
  return {
    sub: `${org.baseUrl}/id/${org.orgId}/${u.Id}`,
    user_id: u.Id,
    organization_id: org.orgId,
    preferred_username: u.Username,
    nickname: u.CommunityNickname ?? u.Username.split('@')[0],
    name: u.Name ?? [u.FirstName, u.LastName].filter(Boolean).join(' '),
    email: u.Email,
    email_verified: true,
    given_name: u.FirstName,
    family_name: u.LastName,
    zoneinfo: u.TimeZoneSidKey,
    photos: photos(org),
    profile: `${org.baseUrl}/${u.Id}`,
    picture: photos(org).picture,
    address: { country: 'US' },
    is_salesforce_integration_user: false,
    urls: urls(org, u.Id, version),
    active: u.IsActive === 1,
    user_type: userType(u),
    language: u.LanguageLocaleKey,
    locale: u.LocaleSidKey,
    utcOffset: utcOffsetMs(u.TimeZoneSidKey),
    updated_at: identityDate(u.LastModifiedDate),
    is_app_installed: true,
  };
}

/** wire.md §6.4. */
export function identityDoc(org: OrgContext, u: UserRecord, version: string | null = null): Record<string, unknown> {
  return {
    id: `${org.baseUrl}/id/${org.orgId}/${u.Id}`,
    asserted_user: true,
    user_id: u.Id,
    organization_id: org.orgId,
    username: u.Username,
    nick_name: u.CommunityNickname ?? u.Username.split('@')[0],
    display_name: u.Name ?? [u.FirstName, u.LastName].filter(Boolean).join(' '),
    email: u.Email,
    email_verified: true,
    first_name: u.FirstName,
    last_name: u.LastName,
    timezone: u.TimeZoneSidKey,
    photos: photos(org),
    addr_street: null,
    addr_city: null,
    addr_state: null,
    addr_country: 'US',
    addr_zip: null,
    mobile_phone: u.MobilePhone,
    mobile_phone_verified: false,
    is_lightning_login_user: false,
    status: { created_date: null, body: null },
    urls: urls(org, u.Id, version),
    active: u.IsActive === 1,
    user_type: userType(u),
    language: u.LanguageLocaleKey,
    locale: u.LocaleSidKey,
    utcOffset: utcOffsetMs(u.TimeZoneSidKey),
    last_modified_date: identityDate(u.LastModifiedDate),
    is_app_installed: true,
  };
}

/**
 * OIDC discovery (wire.md §6.7) with the org as issuer. Deliberate differences from the
 * login.salesforce.com capture: `code_challenge_methods_supported` (MCP 2025-11-25 clients refuse an
 * AS without it), `grant_types_supported`, `response_types_supported` limited to `code`, and
 * `none` instead of `private_key_jwt` among the client auth methods (what the local org supports).
 */
export function discoveryDoc(baseUrl: string, registration: boolean): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    issuer: baseUrl,
    authorization_endpoint: `${baseUrl}/services/oauth2/authorize`,
    token_endpoint: `${baseUrl}/services/oauth2/token`,
    revocation_endpoint: `${baseUrl}/services/oauth2/revoke`,
    userinfo_endpoint: `${baseUrl}/services/oauth2/userinfo`,
    jwks_uri: `${baseUrl}/id/keys`,
  };
  if (registration) doc.registration_endpoint = `${baseUrl}/services/oauth2/register`;
  Object.assign(doc, {
    introspection_endpoint: `${baseUrl}/services/oauth2/introspect`,
    scopes_supported: SUPPORTED_SCOPES,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    display_values_supported: ['page', 'popup', 'touch'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
    claims_supported: [
      'active', 'address', 'email', 'email_verified', 'family_name', 'given_name', 'is_app_installed', 'language',
      'locale', 'name', 'nickname', 'organization_id', 'phone_number', 'phone_number_verified', 'photos', 'picture',
      'preferred_username', 'profile', 'sub', 'updated_at', 'urls', 'user_id', 'user_type', 'zoneinfo',
    ],
  });
  return doc;
}
