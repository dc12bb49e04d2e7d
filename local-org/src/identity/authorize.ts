/**
 * `GET /services/oauth2/authorize` and the login and consent steps behind it.
 *
 * Validation order follows the platform and RFC 6749 §4.1.2.1: problems with the client or the
 * redirect URI are shown on an error page and never redirected (so the endpoint is no open
 * redirector); everything else is redirected back to the (registered) redirect URI as
 * `error=…&error_description=…&state=…`.
 *
 * Between the steps, the authorization request lives in a server-side pending record. Its id
 * travels in a hidden field; the browser is bound to it by a signed HttpOnly SameSite=Lax cookie
 * (`fg_browser`), and each form carries a per-step CSRF token. A successful login also opens a
 * login session (`fg_sid`, 2 hours) so a second authorization skips the password unless
 * `prompt=login`. The consent page is always shown: the platform skips it for admin-pre-authorized
 * users, ForceGate deliberately asks every time an agent gets access.
 */
import { randomBytes } from 'node:crypto';
import type { Reply, RequestContext, Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { checkPassword } from '../org/bootstrap.ts';
import { isUserApproved, type ClientRegistry, type OAuthClient } from './clients.ts';
import { cookie, parseCookies, redirectTo, safeEqual, setCookies, signValue, unsignValue } from './http-util.ts';
import { consentPage, errorPage, formActionSource, LOGIN_FAILED_MESSAGE, loginPage } from './pages.ts';
import { parseScope } from './scopes.ts';
import { sha256, type Clock, type TokenService } from './tokens.ts';
import { recordLogin, userById, userByUsername, type UserRecord } from './users.ts';

const PENDING_TTL_MS = 10 * 60 * 1000;
const MAX_PENDING = 5000;
const LOGIN_SESSION_MS = 2 * 60 * 60 * 1000;
const MAX_LOGIN_FAILURES = 10;
/** Like the platform's default password policy: 10 failed logins lock a username for 15 minutes. */
const LOCKOUT_FAILURES = 10;
const LOCKOUT_MS = 15 * 60 * 1000;
export const LOCKED_OUT_MESSAGE = 'Your access has been locked because of too many failed login attempts. Try again in 15 minutes.';
const COOKIE_PATH = '/services/oauth2/authorize';
const BROWSER_COOKIE = 'fg_browser';
const SESSION_COOKIE = 'fg_sid';

interface PendingRequest {
  id: string;
  /** sha256 of the browser id the request is bound to. */
  browser: string;
  csrf: string;
  stage: 'login' | 'consent';
  clientId: string;
  redirectUri: string;
  state?: string;
  challenge?: string;
  challengeMethod?: string;
  scopes: string[];
  resource?: string;
  nonce?: string;
  loginHint?: string;
  userId?: string;
  authTime?: number;
  failures: number;
  expiresAt: number;
}

interface LoginSession {
  userId: string;
  authTime: number;
  expiresAt: number;
}

/** A refusal that goes back to the client as `error=…` on its redirect URI. */
class RedirectError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export class AuthorizeFlow {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly sessions = new Map<string, LoginSession>();
  /** Failed logins per lower-cased username (existing or not, so a lockout reveals nothing). */
  private readonly failures = new Map<string, { count: number; since: number; lockedUntil?: number }>();

  constructor(
    private readonly org: OrgContext,
    private readonly clients: ClientRegistry,
    private readonly tokens: TokenService,
    private readonly secret: Buffer,
    private readonly clock: Clock,
  ) {}

  register(router: Router): void {
    router.add('GET', '/services/oauth2/authorize', (ctx) => this.authorize(ctx), { auth: 'public' });
    router.add('POST', '/services/oauth2/authorize/login', (ctx) => this.login(ctx), { auth: 'public' });
    router.add('POST', '/services/oauth2/authorize/consent', (ctx) => this.consent(ctx), { auth: 'public' });
  }

  /** Ends every login session of a user (tests, deactivation). */
  endSessions(userId: string): void {
    for (const [id, s] of this.sessions) if (s.userId === userId) this.sessions.delete(id);
  }

  // ---- GET authorize -------------------------------------------------------------------------

  private authorize(ctx: RequestContext): Reply {
    const q = ctx.query;
    for (const name of ['client_id', 'redirect_uri', 'response_type', 'state', 'code_challenge', 'code_challenge_method', 'scope', 'nonce', 'prompt']) {
      if (q.getAll(name).length > 1) {
        // Repeated parameters are ambiguous (RFC 6749 §3.1): nothing about the request can be trusted.
        return errorPage('invalid_request', `duplicate ${name} parameter`);
      }
    }
    const client = this.clients.byClientId(q.get('client_id'));
    if (!client || !client.oauthEnabled) return errorPage('invalid_client_id', 'client identifier invalid');
    if (!client.enabled) return errorPage('OAUTH_APP_BLOCKED', 'this app is blocked by admin');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return errorPage('redirect_uri_missing', 'redirect_uri must be provided');
    if (!client.callbackUrls.includes(redirectUri) || !isAbsoluteUrl(redirectUri)) {
      return errorPage('redirect_uri_mismatch', 'redirect_uri must match configuration');
    }
    const state = q.get('state') ?? undefined;
    try {
      const request = this.validate(client, redirectUri, q);
      const browserId = this.browserId(ctx);
      const pending: PendingRequest = { ...request, id: randomId(), browser: sha256(browserId), csrf: randomId(), stage: 'login', failures: 0, expiresAt: this.clock.now() + PENDING_TTL_MS };
      const prompts = parseScope(q.get('prompt'));
      const silent = prompts.includes('none') || q.get('immediate') === 'true';
      if (silent && prompts.length > 1) throw new RedirectError('invalid_request', 'prompt=none cannot be combined with other values');
      const session = prompts.includes('login') || prompts.includes('select_account') ? undefined : this.loginSession(ctx);
      if (silent) {
        // The local org always asks for consent, so a silent authorization can never complete.
        throw session ? new RedirectError('consent_required', 'user consent is required') : new RedirectError('login_required', 'user must log in');
      }
      this.store(pending);
      if (session) {
        pending.userId = session.userId;
        pending.authTime = session.authTime;
        return this.afterLogin(ctx, pending, client);
      }
      return loginPage({ requestId: pending.id, csrf: pending.csrf, appLabel: client.label, username: pending.loginHint }, formTargets(redirectUri));
    } catch (err) {
      if (err instanceof RedirectError) return redirectTo(redirectUri, { error: err.error, error_description: err.description, state });
      throw err;
    }
  }

  /** Checks the parameters that are reported back to the client. */
  private validate(client: OAuthClient, redirectUri: string, q: URLSearchParams): Omit<PendingRequest, 'id' | 'browser' | 'csrf' | 'stage' | 'failures' | 'expiresAt'> {
    const responseType = q.get('response_type');
    if (responseType !== 'code') throw new RedirectError('unsupported_response_type', 'response type not supported');
    const challenge = q.get('code_challenge') ?? undefined;
    const method = q.get('code_challenge_method') ?? undefined;
    // jsforce and the sf CLI never send the method: absent means S256 (the platform's behaviour).
    if (method !== undefined && method !== 'S256') {
      throw new RedirectError('invalid_request', method === 'plain' ? 'code_challenge_method plain is not supported; use S256' : 'invalid code_challenge_method');
    }
    if (challenge === undefined) {
      if (client.pkceRequired) throw new RedirectError('invalid_request', 'missing required code challenge');
      if (method !== undefined) throw new RedirectError('invalid_request', 'code_challenge_method without code_challenge');
    } else if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      // base64url of a SHA-256 digest is always 43 characters.
      throw new RedirectError('invalid_request', 'invalid code challenge');
    }
    const requested = parseScope(q.get('scope'));
    const scopes = requested.length ? requested : client.scopes;
    if (!scopes.length || scopes.some((s) => !client.scopes.includes(s))) throw new RedirectError('invalid_scope', 'the requested scope is not allowed');
    const resources = q.getAll('resource');
    if (resources.length > 1) throw new RedirectError('invalid_target', 'only one resource may be requested');
    const resource = resources[0];
    if (resource !== undefined && !isResourceIndicator(resource)) throw new RedirectError('invalid_target', 'resource must be an absolute URI without a fragment');
    const nonce = q.get('nonce') ?? undefined;
    const state = q.get('state') ?? undefined;
    if ((nonce && nonce.length > 1024) || (state && state.length > 4096)) throw new RedirectError('invalid_request', 'parameter too long');
    return {
      clientId: client.clientId,
      redirectUri,
      state,
      challenge,
      challengeMethod: challenge ? 'S256' : undefined,
      scopes,
      resource,
      nonce,
      loginHint: q.get('login_hint') ?? undefined,
    };
  }

  // ---- POST login ----------------------------------------------------------------------------

  private async login(ctx: RequestContext): Promise<Reply> {
    const form = await ctx.form();
    const found = this.pendingFor(ctx, form, 'login');
    if (!('pending' in found)) return found;
    const { pending, client } = found;
    try {
      const username = (form.get('username') ?? '').trim();
      const checked = this.verifyLogin(username, form.get('pw') ?? '');
      if (!checked.ok) {
        if (checked.lockedOut) {
          return loginPage({ requestId: pending.id, csrf: pending.csrf, appLabel: client.label, username, error: LOCKED_OUT_MESSAGE }, formTargets(pending.redirectUri));
        }
        pending.failures++;
        if (pending.failures >= MAX_LOGIN_FAILURES) {
          this.pending.delete(pending.id);
          return errorPage('invalid_request', 'too many failed login attempts; start again from your app');
        }
        return loginPage({ requestId: pending.id, csrf: pending.csrf, appLabel: client.label, username, error: LOGIN_FAILED_MESSAGE }, formTargets(pending.redirectUri));
      }
      const { user } = checked;
      const now = this.clock.now();
      if (user.IsActive !== 1) throw new RedirectError('inactive_user', 'user is inactive');
      recordLogin(this.org, user.Id, now);
      pending.userId = user.Id;
      pending.authTime = now;
      // A fresh session id at every login (no session fixation).
      const sid = randomId();
      this.sessions.set(sid, { userId: user.Id, authTime: now, expiresAt: now + LOGIN_SESSION_MS });
      setCookies(ctx, [cookie(SESSION_COOKIE, signValue(this.secret, 'sid', sid), this.cookieOptions())]);
      return this.afterLogin(ctx, pending, client);
    } catch (err) {
      if (err instanceof RedirectError) {
        this.pending.delete(pending.id);
        return redirectTo(pending.redirectUri, { error: err.error, error_description: err.description, state: pending.state });
      }
      throw err;
    }
  }

  /**
   * Checks a username and password with the org's lockout policy (shared by the OAuth login step and
   * the Setup browser login, so both count failures against the same username).
   */
  verifyLogin(username: string, password: string): { ok: true; user: UserRecord } | { ok: false; lockedOut: boolean } {
    const now = this.clock.now();
    const key = username.trim().toLowerCase();
    const record = this.failures.get(key);
    if (record?.lockedUntil && record.lockedUntil > now) return { ok: false, lockedOut: true };
    const user = key ? userByUsername(this.org, username) : undefined;
    // checkPassword costs the same for unknown users, so timing does not reveal usernames.
    const ok = checkPassword(this.org.db, user?.Id ?? '', password) && user !== undefined;
    if (!ok) {
      this.countFailure(key, now);
      return { ok: false, lockedOut: false };
    }
    this.failures.delete(key);
    return { ok: true, user };
  }

  /** The user is known: refuse inactive or unapproved users, else show the consent page. */
  private afterLogin(_ctx: RequestContext, pending: PendingRequest, client: OAuthClient): Reply {
    const user = this.org.access.forUser(pending.userId!);
    const record = userById(this.org, pending.userId!);
    if (!user || !record || !user.isActive) {
      this.pending.delete(pending.id);
      return redirectTo(pending.redirectUri, { error: 'inactive_user', error_description: 'user is inactive', state: pending.state });
    }
    if (!isUserApproved(client, user)) {
      // The platform is reported to answer OAUTH_APP_ACCESS_DENIED here (UNCONFIRMED); RFC 6749's
      // access_denied is what standard clients understand.
      this.pending.delete(pending.id);
      return redirectTo(pending.redirectUri, { error: 'access_denied', error_description: 'user is not admin approved to access this app', state: pending.state });
    }
    pending.stage = 'consent';
    pending.csrf = randomId();
    return consentPage(
      {
        requestId: pending.id,
        csrf: pending.csrf,
        appLabel: client.label,
        appName: client.name,
        username: record.Username,
        displayName: record.Name ?? record.Username,
        scopes: pending.scopes,
        redirectUri: pending.redirectUri,
        resource: pending.resource,
      },
      formTargets(pending.redirectUri),
    );
  }

  // ---- POST consent --------------------------------------------------------------------------

  private async consent(ctx: RequestContext): Promise<Reply> {
    const form = await ctx.form();
    const found = this.pendingFor(ctx, form, 'consent');
    if (!('pending' in found)) return found;
    const { pending, client } = found;
    this.pending.delete(pending.id); // single use, whatever the decision
    const back = (params: Record<string, string | undefined>) => redirectTo(pending.redirectUri, { ...params, state: pending.state });
    if (form.get('decision') !== 'allow') return back({ error: 'access_denied', error_description: 'end-user denied authorization' });
    const user = this.org.access.forUser(pending.userId!);
    if (!user || !user.isActive) return back({ error: 'inactive_user', error_description: 'user is inactive' });
    if (!isUserApproved(client, user)) return back({ error: 'access_denied', error_description: 'user is not admin approved to access this app' });
    const code = this.tokens.createCode({
      client,
      redirectUri: pending.redirectUri,
      challenge: pending.challenge,
      challengeMethod: pending.challengeMethod,
      userId: user.userId,
      scopes: pending.scopes,
      resource: pending.resource,
      nonce: pending.nonce,
      authTime: pending.authTime ?? this.clock.now(),
    });
    return back({ code });
  }

  // ---- state ---------------------------------------------------------------------------------

  private countFailure(key: string, now: number): void {
    let r = this.failures.get(key);
    if (!r || now - r.since > LOCKOUT_MS) this.failures.set(key, (r = { count: 0, since: now }));
    r.count++;
    if (r.count >= LOCKOUT_FAILURES) r.lockedUntil = now + LOCKOUT_MS;
    if (this.failures.size > MAX_PENDING) {
      for (const [k, v] of this.failures) if (now - v.since > LOCKOUT_MS && !(v.lockedUntil && v.lockedUntil > now)) this.failures.delete(k);
    }
  }

  /** The pending request a form belongs to, if this browser owns it and the CSRF token matches. */
  private pendingFor(ctx: RequestContext, form: URLSearchParams, stage: PendingRequest['stage']): { pending: PendingRequest; client: OAuthClient } | Reply {
    const expired = () => errorPage('invalid_request', 'this login request has expired or is not valid; start again from your app');
    const pending = this.pending.get(form.get('request_id') ?? '');
    if (!pending || pending.expiresAt <= this.clock.now()) return expired();
    const browserId = unsignValue(this.secret, 'browser', parseCookies(ctx.req).get(BROWSER_COOKIE));
    if (!browserId || !safeEqual(sha256(browserId), pending.browser)) return expired();
    if (pending.stage !== stage || !safeEqual(form.get('csrf_token') ?? '', pending.csrf)) return errorPage('invalid_request', 'invalid CSRF token', 403);
    const client = this.clients.byClientId(pending.clientId);
    if (!client || !client.enabled || !client.oauthEnabled || !client.callbackUrls.includes(pending.redirectUri)) {
      this.pending.delete(pending.id);
      return errorPage('invalid_client_id', 'client identifier invalid');
    }
    return { pending, client };
  }

  private store(pending: PendingRequest): void {
    const now = this.clock.now();
    for (const [id, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(id);
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(pending.id, pending);
  }

  /** This browser's id (from its signed cookie), or a new one set on the reply. */
  private browserId(ctx: RequestContext): string {
    const existing = unsignValue(this.secret, 'browser', parseCookies(ctx.req).get(BROWSER_COOKIE));
    if (existing) return existing;
    const id = randomId();
    setCookies(ctx, [cookie(BROWSER_COOKIE, signValue(this.secret, 'browser', id), this.cookieOptions())]);
    return id;
  }

  private loginSession(ctx: RequestContext): LoginSession | undefined {
    const sid = unsignValue(this.secret, 'sid', parseCookies(ctx.req).get(SESSION_COOKIE));
    const session = sid ? this.sessions.get(sid) : undefined;
    if (!session || session.expiresAt <= this.clock.now()) return undefined;
    return session;
  }

  private cookieOptions() {
    return { path: COOKIE_PATH, secure: this.org.baseUrl.startsWith('https:') };
  }
}

function randomId(): string {
  return randomBytes(24).toString('base64url');
}

function formTargets(redirectUri: string): string[] {
  const source = formActionSource(redirectUri);
  return source ? [source] : [];
}

function isAbsoluteUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return Boolean(u.protocol) && !u.hash;
  } catch {
    return false;
  }
}

/** RFC 8707 §2: an absolute URI without a fragment. */
export function isResourceIndicator(value: string): boolean {
  if (!value || value.length > 2048 || value.includes('#')) return false;
  try {
    const u = new URL(value);
    return /^[a-z][a-z0-9+.-]*:$/i.test(u.protocol);
  } catch {
    return false;
  }
}
