/**
 * Setup's browser session. `/lightning/setup/…` without a session redirects to the org's browser
 * login page (`/login?startURL=…`), which is the OAuth login form (identity/pages.ts `loginPage`,
 * same `username`/`pw` fields) posting to `/login`; the credentials are checked by the OAuth login's
 * own `verifyLogin` (same lockout policy). A successful login opens a server-side session whose id
 * travels in a signed HttpOnly, SameSite=Strict cookie (`fg_setup`, Path=/lightning) and carries a
 * per-session CSRF token that every Setup form posts back (missing or wrong → 403).
 *
 * Only administrators get in: the System Administrator profile, or Customize Application plus
 * Manage Users. Everyone else gets the platform's Insufficient Privileges page (403). The check is
 * made on every request against the user's current access, so an unassignment takes effect at once.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Reply, RequestContext, Router } from '../http/router.ts';
import { parseCookies, safeEqual, setCookies, signValue, unsignValue } from '../identity/http-util.ts';
import { identityOf } from '../identity/index.ts';
import { LOGIN_FAILED_MESSAGE, loginPage, pageHeaders } from '../identity/pages.ts';
import { orgSecret } from '../identity/store.ts';
import { recordLogin } from '../identity/users.ts';
import { LOCKED_OUT_MESSAGE } from '../identity/authorize.ts';
import type { OrgContext } from '../org/context.ts';
import type { UserContext } from '../security/types.ts';
import { insufficientPrivileges, invalidCsrf, redirect } from './html.ts';

const SESSION_COOKIE = 'fg_setup';
const LOGIN_COOKIE = 'fg_setup_login';
const SESSION_MS = 2 * 60 * 60 * 1000;
const MAX_SESSIONS = 1000;
export const SETUP_HOME = '/lightning/setup/SetupOneHome/home';

export interface SetupSession {
  id: string;
  userId: string;
  csrf: string;
  expiresAt: number;
}

/** What an admin page handler gets. */
export interface AdminRequest {
  ctx: RequestContext;
  user: UserContext;
  username: string;
  csrf: string;
  /** The posted form (POST only; its CSRF token already checked). */
  form: URLSearchParams;
}

export type AdminHandler = (req: AdminRequest) => Reply | Promise<Reply>;

export function isSetupAdmin(user: UserContext | undefined): boolean {
  if (!user || !user.isActive) return false;
  return user.profileName === 'System Administrator' || (user.hasPermission('CustomizeApplication') && user.hasPermission('ManageUsers'));
}

/** Only Setup paths may be a login's destination (no open redirect). */
function safeStartUrl(value: string | null | undefined): string {
  if (!value || !value.startsWith('/lightning/setup') || value.startsWith('//') || /[\\\r\n]/.test(value)) return SETUP_HOME;
  return value;
}

function randomId(): string {
  return randomBytes(24).toString('base64url');
}

export class SetupSessions {
  private readonly sessions = new Map<string, SetupSession>();
  private readonly secret: Buffer;

  constructor(private readonly org: OrgContext) {
    this.secret = orgSecret(org.db);
  }

  private secure(): boolean {
    return this.org.baseUrl.startsWith('https:');
  }

  private cookie(name: string, value: string, path: string, maxAge?: number): string {
    const parts = [`${name}=${value}`, `Path=${path}`, 'HttpOnly', 'SameSite=Strict'];
    if (this.secure()) parts.push('Secure');
    if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
    return parts.join('; ');
  }

  /** The live session of this browser, if any. */
  current(ctx: RequestContext): SetupSession | undefined {
    const sid = unsignValue(this.secret, 'setup-sid', parseCookies(ctx.req).get(SESSION_COOKIE));
    const s = sid ? this.sessions.get(sid) : undefined;
    if (!s) return undefined;
    if (s.expiresAt <= Date.now()) {
      this.sessions.delete(s.id);
      return undefined;
    }
    return s;
  }

  /** Ends every Setup session of a user. */
  endSessions(userId: string): void {
    for (const [id, s] of this.sessions) if (s.userId === userId) this.sessions.delete(id);
  }

  private loginCsrf(preId: string): string {
    return createHmac('sha256', this.secret).update(`setup-login|${preId}`).digest('base64url');
  }

  private loginForm(ctx: RequestContext, startUrl: string, username?: string, error?: string): Reply {
    let preId = unsignValue(this.secret, 'setup-login', parseCookies(ctx.req).get(LOGIN_COOKIE));
    if (!preId) {
      preId = randomId();
      setCookies(ctx, [this.cookie(LOGIN_COOKIE, signValue(this.secret, 'setup-login', preId), '/login')]);
    }
    return loginPage({ requestId: startUrl, csrf: this.loginCsrf(preId), appLabel: 'Setup', username, error, action: '/login' }, [], error ? 200 : 200);
  }

  register(router: Router): void {
    router.add('GET', '/login', (ctx) => this.loginForm(ctx, safeStartUrl(ctx.query.get('startURL'))), { auth: 'public' });
    router.add(
      'POST',
      '/login',
      async (ctx) => {
        const form = await ctx.form();
        const startUrl = safeStartUrl(form.get('request_id'));
        const preId = unsignValue(this.secret, 'setup-login', parseCookies(ctx.req).get(LOGIN_COOKIE));
        if (!preId || !safeEqual(form.get('csrf_token') ?? '', this.loginCsrf(preId))) return { ...invalidCsrf(), headers: { ...pageHeaders() } };
        const identity = identityOf(this.org);
        if (!identity) throw new Error('identity layer not registered');
        const username = (form.get('username') ?? '').trim();
        const checked = identity.authorize.verifyLogin(username, form.get('pw') ?? '');
        if (!checked.ok) return this.loginForm(ctx, startUrl, username, checked.lockedOut ? LOCKED_OUT_MESSAGE : LOGIN_FAILED_MESSAGE);
        if (checked.user.IsActive !== 1) return this.loginForm(ctx, startUrl, username, LOGIN_FAILED_MESSAGE);
        const now = Date.now();
        recordLogin(this.org, checked.user.Id, now);
        for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
        while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
        // A fresh session id at every login (no fixation).
        const session: SetupSession = { id: randomId(), userId: checked.user.Id, csrf: randomId(), expiresAt: now + SESSION_MS };
        this.sessions.set(session.id, session);
        setCookies(ctx, [
          this.cookie(SESSION_COOKIE, signValue(this.secret, 'setup-sid', session.id), '/lightning'),
          this.cookie(LOGIN_COOKIE, '', '/login', 0),
        ]);
        return redirect(startUrl);
      },
      { auth: 'public' },
    );
    router.add(
      'POST',
      '/lightning/setup/logout',
      async (ctx) => {
        const s = this.current(ctx);
        const form = await ctx.form();
        if (s && !safeEqual(form.get('csrf_token') ?? '', s.csrf)) return invalidCsrf();
        if (s) this.sessions.delete(s.id);
        setCookies(ctx, [this.cookie(SESSION_COOKIE, '', '/lightning', 0)]);
        return redirect('/login');
      },
      { auth: 'public' },
    );
  }

  /**
   * Wraps an admin page: no session → the login page (GET) or 303 to it (POST); a non-admin → 403
   * Insufficient Privileges; a POST without the session's CSRF token → 403.
   */
  guard(handler: AdminHandler): (ctx: RequestContext) => Promise<Reply> {
    return async (ctx) => {
      const s = this.current(ctx);
      if (!s) {
        const target = ctx.method === 'GET' ? `${ctx.path}${ctx.url.search}` : SETUP_HOME;
        return redirect(`/login?startURL=${encodeURIComponent(safeStartUrl(target))}`);
      }
      const user = this.org.access.forUser(s.userId);
      if (!isSetupAdmin(user)) return insufficientPrivileges();
      let form = new URLSearchParams();
      if (ctx.method === 'POST') {
        form = await ctx.form();
        if (!safeEqual(form.get('csrf_token') ?? '', s.csrf)) return invalidCsrf();
      }
      return handler({ ctx, user: user!, username: user!.username, csrf: s.csrf, form });
    };
  }
}
