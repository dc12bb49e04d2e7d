/**
 * OAuth helpers for HTTP tests: drive the local org's web-server flow with PKCE exactly as a browser
 * would (GET authorize → POST the login form → POST the consent form, cookies carried, redirects
 * handled by hand), then exchange the code at the token endpoint.
 *
 *   const tokens = await loginWithPkce(org.url, { username, password, clientId, redirectUri });
 *   const token = await personaToken(org.url, 'sales-rep');          // PlatformCLI, scope `api`
 *   const mcp = await mcpToken(org.url, 'rep@forcegate.local');       // ForceGate_Local_Tools, `mcp_api refresh_token`
 *
 * Users, passwords and consumer keys come from config/local-org.json; callback URLs of the project's
 * External Client Apps from their force-app source. Nothing here imports the org's code, so the
 * helpers work against an org running in another process too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The sf CLI's built-in app (every org has it). */
export const PLATFORM_CLI = { clientId: 'PlatformCLI', redirectUri: 'http://localhost:1717/OauthRedirect' } as const;

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  signature: string;
  scope: string;
  instance_url: string;
  id: string;
  token_type: string;
  issued_at: string;
  id_token?: string;
  token_format?: string;
}

/** An OAuth refusal: from a redirect (`error=…`), an error page, or the token endpoint. */
export class OAuthFlowError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    /** HTTP status of the response that carried the error. */
    readonly status: number,
    /** `redirect` (to the client), `page` (shown to the user, no redirect), `login` (login form again), `token` (token endpoint). */
    readonly via: 'redirect' | 'page' | 'login' | 'token',
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthFlowError';
  }
}

interface UserEntry {
  username: string;
  password: string;
  persona: string;
}

interface ConfigFile {
  users: UserEntry[];
  clients: Record<string, { consumerKey: string }>;
}

let configCache: ConfigFile | undefined;

/** config/local-org.json (users, passwords, consumer keys). */
export function localOrgConfig(): ConfigFile {
  return (configCache ??= JSON.parse(readFileSync(join(ROOT, 'config', 'local-org.json'), 'utf8')) as ConfigFile);
}

/** A user's password from config, by username (case-insensitive). */
export function passwordOf(username: string): string {
  const u = localOrgConfig().users.find((x) => x.username.toLowerCase() === username.toLowerCase());
  if (!u) throw new Error(`config/local-org.json has no user ${username}`);
  return u.password;
}

/** A username for a persona (`admin`, `sales-rep`, `auditor`, `outsider`: the first such user) or a username as is. */
export function usernameOf(personaOrUsername: string): string {
  if (personaOrUsername.includes('@')) return personaOrUsername;
  const u = localOrgConfig().users.find((x) => x.persona === personaOrUsername);
  if (!u) throw new Error(`config/local-org.json has no user with persona ${personaOrUsername}`);
  return u.username;
}

/** The consumer key the local org gives an External Client App (config/local-org.json). */
export function consumerKeyOf(ecaName: string): string {
  const c = localOrgConfig().clients[ecaName];
  if (!c) throw new Error(`config/local-org.json has no client ${ecaName}`);
  return c.consumerKey;
}

/** Callback URLs of an External Client App, read from its force-app global OAuth settings. */
export function callbackUrlsOf(ecaName: string): string[] {
  const file = join(ROOT, 'force-app', 'main', 'default', 'extlClntAppGlobalOauthSets', `${ecaName}.ecaGlblOauth-meta.xml`);
  if (!existsSync(file)) throw new Error(`no global OAuth settings for ${ecaName} (${file})`);
  const m = /<callbackUrl>([\s\S]*?)<\/callbackUrl>/.exec(readFileSync(file, 'utf8'));
  return (m?.[1] ?? '')
    .split(/[\s,]+/)
    .map((s) => decodeEntities(s.trim()))
    .filter(Boolean);
}

/** A PKCE pair as jsforce makes it: 128 random bytes, base64url (171 characters), S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(128).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeOptions {
  username: string;
  password: string;
  clientId: string;
  redirectUri: string;
  /** Space-separated; omitted → the app's scopes. */
  scope?: string;
  /** RFC 8707 resource indicator (becomes the JWT access token's `aud`). */
  resource?: string;
  state?: string;
  nonce?: string;
  prompt?: string;
  /** Replace the generated PKCE values (negative tests): `null` omits the challenge. */
  codeChallenge?: string | null;
  /** Sent as is; omitted by default (the server must assume S256, as for jsforce and the sf CLI). */
  codeChallengeMethod?: string;
  /** `deny` presses Deny on the consent page. */
  decision?: 'allow' | 'deny';
  /** Extra query parameters for the authorize request. */
  extra?: Record<string, string>;
  /** A cookie jar to reuse (e.g. to keep the org's login session between two authorizations). */
  jar?: CookieJar;
}

export interface AuthorizeResult {
  code: string;
  state: string;
  verifier: string;
  /** The full redirect the org sent the browser to. */
  redirect: URL;
  jar: CookieJar;
}

/** A minimal cookie jar (name → value), enough for the org's own cookies. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get size(): number {
    return this.cookies.size;
  }
}

/**
 * Runs authorize → login → consent and returns the authorization code (not yet exchanged).
 * Throws OAuthFlowError for any refusal (error redirect, error page, login failure).
 */
export async function authorizeWithPkce(orgUrl: string, options: AuthorizeOptions): Promise<AuthorizeResult> {
  const jar = options.jar ?? new CookieJar();
  const { verifier, challenge } = pkcePair();
  const state = options.state ?? randomBytes(8).toString('hex');
  const params = new URLSearchParams({ response_type: 'code', client_id: options.clientId, redirect_uri: options.redirectUri, state });
  if (options.scope !== undefined) params.set('scope', options.scope);
  if (options.codeChallenge !== null) params.set('code_challenge', options.codeChallenge ?? challenge);
  if (options.codeChallengeMethod !== undefined) params.set('code_challenge_method', options.codeChallengeMethod);
  if (options.resource !== undefined) params.set('resource', options.resource);
  if (options.nonce !== undefined) params.set('nonce', options.nonce);
  if (options.prompt !== undefined) params.set('prompt', options.prompt);
  for (const [k, v] of Object.entries(options.extra ?? {})) params.set(k, v);

  const base = orgUrl.replace(/\/+$/, '');
  const location = await followAuthorization(`${base}/services/oauth2/authorize?${params}`, {
    username: options.username,
    password: options.password,
    redirectUri: options.redirectUri,
    decision: options.decision,
    jar,
  });
  const q = location.searchParams;
  if (q.get('error')) throw new OAuthFlowError(q.get('error')!, q.get('error_description') ?? '', 302, 'redirect');
  if (q.get('state') !== state) throw new Error(`state mismatch: sent ${state}, got ${q.get('state')}`);
  const code = q.get('code');
  if (!code) throw new Error(`redirect without code: ${location}`);
  return { code, state, verifier, redirect: location, jar };
}

/**
 * Drives an authorize URL built by any client (jsforce's `getAuthorizationUrl`, an MCP SDK client…)
 * through the login and consent pages as a browser would, and returns the URL the org finally
 * redirects to (the client's redirect URI with `code` or `error`). Throws OAuthFlowError when the
 * org shows an error page or the login page again.
 */
export async function followAuthorization(
  authorizeUrl: string,
  input: { username: string; password: string; redirectUri: string; decision?: 'allow' | 'deny'; jar?: CookieJar },
): Promise<URL> {
  const jar = input.jar ?? new CookieJar();
  const base = new URL(authorizeUrl).origin;
  let res = await request(authorizeUrl, { method: 'GET' }, jar);
  let page = await classify(res, input.redirectUri);
  if (page.kind === 'login') {
    res = await request(new URL(page.action, base).toString(), { method: 'POST', body: new URLSearchParams({ ...page.hidden, username: input.username, pw: input.password }) }, jar);
    page = await classify(res, input.redirectUri);
    if (page.kind === 'login') throw new OAuthFlowError('login_failed', page.message ?? 'the login page was shown again', res.status, 'login');
  }
  if (page.kind === 'consent') {
    res = await request(new URL(page.action, base).toString(), { method: 'POST', body: new URLSearchParams({ ...page.hidden, decision: input.decision ?? 'allow' }) }, jar);
    page = await classify(res, input.redirectUri);
  }
  if (page.kind !== 'redirect') throw new OAuthFlowError('unexpected_page', `expected a redirect to the client, got ${page.kind} (HTTP ${res.status})`, res.status, 'page');
  return page.location;
}

/** Exchanges a code at the token endpoint (PKCE verifier, no secret). Throws OAuthFlowError on a 4xx. */
export async function exchangeCode(
  orgUrl: string,
  input: { code: string; clientId: string; redirectUri: string; verifier?: string; resource?: string; clientSecret?: string },
): Promise<TokenResponse> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: input.code, client_id: input.clientId, redirect_uri: input.redirectUri });
  if (input.verifier !== undefined) body.set('code_verifier', input.verifier);
  if (input.resource !== undefined) body.set('resource', input.resource);
  if (input.clientSecret !== undefined) body.set('client_secret', input.clientSecret);
  return tokenRequest(orgUrl, body);
}

/** Refreshes a token (refresh_token grant). Throws OAuthFlowError on a 4xx. */
export async function refreshTokens(orgUrl: string, input: { refreshToken: string; clientId: string }): Promise<TokenResponse> {
  return tokenRequest(orgUrl, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: input.refreshToken, client_id: input.clientId }));
}

/** POSTs a form to the token endpoint; returns the JSON body or throws OAuthFlowError. */
export async function tokenRequest(orgUrl: string, body: URLSearchParams): Promise<TokenResponse> {
  const res = await fetch(`${orgUrl.replace(/\/+$/, '')}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const json = (await res.json()) as TokenResponse & { error?: string; error_description?: string };
  if (res.status >= 400) throw new OAuthFlowError(json.error ?? `HTTP_${res.status}`, json.error_description ?? '', res.status, 'token');
  return json;
}

/** The whole web-server flow with PKCE: authorize, log in, allow, exchange the code. */
export async function loginWithPkce(orgUrl: string, options: AuthorizeOptions): Promise<TokenResponse> {
  const { code, verifier } = await authorizeWithPkce(orgUrl, options);
  return exchangeCode(orgUrl, { code, clientId: options.clientId, redirectUri: options.redirectUri, verifier, resource: options.resource });
}

/**
 * An access token for a persona (`admin`, `sales-rep`, `auditor`, `outsider`) or a username, issued
 * to the sf CLI's PlatformCLI app with scope `api` (opaque `00D…!…` token) — for REST tests.
 */
export async function personaToken(orgUrl: string, personaOrUsername: string, options: { scope?: string } = {}): Promise<string> {
  const username = usernameOf(personaOrUsername);
  const tokens = await loginWithPkce(orgUrl, {
    username,
    password: passwordOf(username),
    clientId: PLATFORM_CLI.clientId,
    redirectUri: PLATFORM_CLI.redirectUri,
    scope: options.scope ?? 'api',
  });
  return tokens.access_token;
}

/**
 * An `mcp_api refresh_token` JWT access token issued to ForceGate_Local_Tools for a persona or
 * username (use `mcpLogin` for the whole token response).
 */
export async function mcpToken(orgUrl: string, personaOrUsername: string, options: { scope?: string; resource?: string } = {}): Promise<string> {
  return (await mcpLogin(orgUrl, personaOrUsername, options)).access_token;
}

/** The token response of a ForceGate_Local_Tools login (first callback URL of the app). */
export async function mcpLogin(orgUrl: string, personaOrUsername: string, options: { scope?: string; resource?: string } = {}): Promise<TokenResponse> {
  const username = usernameOf(personaOrUsername);
  const redirectUri = callbackUrlsOf('ForceGate_Local_Tools')[0];
  if (!redirectUri) throw new Error('ForceGate_Local_Tools has no callback URL');
  return loginWithPkce(orgUrl, {
    username,
    password: passwordOf(username),
    clientId: consumerKeyOf('ForceGate_Local_Tools'),
    redirectUri,
    scope: options.scope ?? 'mcp_api refresh_token',
    resource: options.resource,
  });
}

// ---------------------------------------------------------------------------------------------

type Page =
  | { kind: 'login'; action: string; hidden: Record<string, string>; message?: string }
  | { kind: 'consent'; action: string; hidden: Record<string, string> }
  | { kind: 'redirect'; location: URL }
  | { kind: 'other' };

async function request(url: string, init: { method: string; body?: URLSearchParams }, jar: CookieJar): Promise<Response> {
  const headers: Record<string, string> = { accept: 'text/html' };
  const cookie = jar.header();
  if (cookie) headers.cookie = cookie;
  if (init.body) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(url, { method: init.method, headers, body: init.body, redirect: 'manual' });
  jar.store(res);
  return res;
}

async function classify(res: Response, redirectUri: string): Promise<Page> {
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.get('location') ?? '';
    const target = new URL(location, res.url);
    if (!target.toString().startsWith(redirectUri.split('?')[0]!)) {
      throw new Error(`the org redirected to ${target}, not to the client's redirect URI`);
    }
    return { kind: 'redirect', location: target };
  }
  const html = await res.text();
  const form = /<form\b[^>]*\bdata-step="(login|consent)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) {
    const error = /data-error="([^"]*)"/.exec(html)?.[1];
    const description = /data-error-description="([^"]*)"/.exec(html)?.[1];
    if (error) throw new OAuthFlowError(decodeEntities(error), decodeEntities(description ?? ''), res.status, 'page');
    return { kind: 'other' };
  }
  const action = decodeEntities(/\baction="([^"]*)"/.exec(form[0])?.[1] ?? '');
  const hidden: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input\b[^>]*type="hidden"[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/.exec(m[0])?.[1];
    const value = /\bvalue="([^"]*)"/.exec(m[0])?.[1] ?? '';
    if (name) hidden[decodeEntities(name)] = decodeEntities(value);
  }
  if (form[1] === 'login') {
    const message = /<div\b[^>]*role="alert"[^>]*>([\s\S]*?)<\/div>/i.exec(html)?.[1];
    return { kind: 'login', action, hidden, message: message ? decodeEntities(message.replace(/<[^>]+>/g, '').trim()) : undefined };
  }
  return { kind: 'consent', action, hidden };
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
