/**
 * Server-rendered login, consent and error pages (no framework, no script). Accessible: every
 * field has a label, the first field is autofocused, errors are in a `role="alert"` region and the
 * fields point at it with `aria-describedby`. One inline stylesheet, allowed by its CSP hash.
 *
 * The forms carry `data-step` and error pages `data-error` / `data-error-description` attributes so
 * test helpers can drive them without guessing at layout.
 */
import { createHash } from 'node:crypto';
import type { Reply } from '../http/router.ts';
import { SCOPE_DESCRIPTIONS } from './scopes.ts';

export const LOGIN_FAILED_MESSAGE =
  "Please check your username and password. If you still can't log in, contact your Salesforce administrator.";

const STYLE = `
:root{color-scheme:light;--brand:#0176d3;--brand-dark:#014486;--text:#181818;--muted:#444;--border:#c9c9c9;--error:#ba0517}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--text);background:#f3f3f3;display:flex;flex-direction:column;align-items:center}
header{margin:48px 0 24px;text-align:center}
.logo{display:inline-flex;align-items:center;gap:10px;font-size:1.4rem;font-weight:700;color:var(--brand-dark)}
.logo svg{width:44px;height:44px}
main{width:100%;max-width:400px;background:#fff;border:1px solid #ddd;border-radius:6px;padding:24px 28px;box-shadow:0 2px 4px rgba(0,0,0,.06)}
h1{font-size:1.25rem;margin:0 0 16px}
label{display:block;font-size:.875rem;color:var(--muted);margin:12px 0 4px}
input[type=text],input[type=email],input[type=password]{width:100%;padding:10px 12px;font-size:1rem;border:1px solid var(--border);border-radius:4px}
input:focus,button:focus{outline:3px solid #1b96ff;outline-offset:1px}
button{font:inherit;cursor:pointer;border-radius:4px;padding:10px 16px;border:1px solid var(--brand);background:var(--brand);color:#fff;width:100%;margin-top:20px;font-weight:600}
button:hover{background:var(--brand-dark)}
button.secondary{background:#fff;color:var(--brand)}
.buttons{display:flex;gap:12px}.buttons button{flex:1}
.alert{border-left:4px solid var(--error);background:#fef1ee;color:var(--error);padding:10px 12px;margin:0 0 12px;font-size:.9rem}
.app{font-weight:600}
ul.scopes{padding-left:20px;margin:8px 0}
.muted{color:var(--muted);font-size:.875rem}
code{font-size:.85rem;background:#f3f3f3;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
ul.scopes code{white-space:nowrap}
footer{margin:24px 0;color:var(--muted);font-size:.8rem}
`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

const LOGO = `<svg viewBox="0 0 48 48" aria-hidden="true" focusable="false"><path fill="#0176d3" d="M24 6c-6.2 0-11.3 4.4-12.3 10.3C6.8 17.1 3 21.4 3 26.5 3 32.3 7.7 37 13.5 37h22C41.3 37 46 32.3 46 26.5c0-5-3.5-9.2-8.2-10.2C36.4 10.4 30.7 6 24 6z"/><path fill="#fff" d="M21 18h9v3h-6v3h5v3h-5v6h-3z"/></svg>`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Security headers for every identity page: a strict CSP (no script, the one stylesheet by hash,
 * forms only to the org and — because a form POST ends in a redirect to the client, which browsers
 * check against form-action — to the client's callback), no framing, no caching, no referrer.
 */
export function pageHeaders(formTargets: string[] = []): Record<string, string> {
  const targets = ["'self'", ...formTargets].join(' ');
  return {
    'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'self' data:; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  };
}

/** What `form-action` must allow for a redirect URI: its origin, or its scheme for custom schemes. */
export function formActionSource(redirectUri: string): string | undefined {
  try {
    const u = new URL(redirectUri);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin;
    return /^[a-z][a-z0-9+.-]*:$/i.test(u.protocol) ? u.protocol : undefined;
  } catch {
    return undefined;
  }
}

function layout(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} | ForceGate Local Org</title>
<style>${STYLE}</style>
</head>
<body>
<header><span class="logo">${LOGO}<span>ForceGate Local Org</span></span></header>
<main>
${content}
</main>
<footer>A local stand-in for a Salesforce org. Development use only.</footer>
</body>
</html>
`;
}

export interface LoginPageInput {
  requestId: string;
  csrf: string;
  appLabel: string;
  username?: string;
  error?: string;
  /** Where the form posts (default: the OAuth login step; Setup's browser login posts elsewhere). */
  action?: string;
}

export function loginPage(input: LoginPageInput, formTargets: string[], status = 200): Reply {
  const alert = input.error ? `<div class="alert" id="login-error" role="alert">${escapeHtml(input.error)}</div>` : '<div id="login-error" role="alert" aria-live="assertive"></div>';
  const described = input.error ? ' aria-describedby="login-error" aria-invalid="true"' : '';
  const content = `<h1>Log In</h1>
<p class="muted">to continue to <span class="app">${escapeHtml(input.appLabel)}</span></p>
${alert}
<form method="post" action="${escapeHtml(input.action ?? '/services/oauth2/authorize/login')}" data-step="login" novalidate>
<input type="hidden" name="request_id" value="${escapeHtml(input.requestId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(input.csrf)}">
<label for="username">Username</label>
<input type="email" id="username" name="username" autocomplete="username" autocapitalize="off" spellcheck="false" required${input.username ? ` value="${escapeHtml(input.username)}"` : ' autofocus'}${described}>
<label for="password">Password</label>
<input type="password" id="password" name="pw" autocomplete="current-password" required${input.username ? ' autofocus' : ''}${described}>
<button type="submit" id="Login">Log In</button>
</form>`;
  return { status, body: layout('Login', content), contentType: 'text/html;charset=UTF-8', headers: pageHeaders(formTargets) };
}

export interface ConsentPageInput {
  requestId: string;
  csrf: string;
  appLabel: string;
  appName: string;
  username: string;
  displayName: string;
  scopes: string[];
  redirectUri: string;
  resource?: string;
}

export function consentPage(input: ConsentPageInput, formTargets: string[]): Reply {
  const items = input.scopes
    .map((s) => `<li>${escapeHtml(SCOPE_DESCRIPTIONS[s] ?? s)} <span class="muted">(<code>${escapeHtml(s)}</code>)</span></li>`)
    .join('\n');
  const resource = input.resource ? `<p class="muted">For use with <code>${escapeHtml(input.resource)}</code></p>` : '';
  const content = `<h1>Allow Access?</h1>
<p><span class="app">${escapeHtml(input.appLabel)}</span> is asking to:</p>
<ul class="scopes">
${items}
</ul>
${resource}
<p class="muted">Logged in as <strong>${escapeHtml(input.displayName)}</strong> (${escapeHtml(input.username)}). You will be sent back to <code>${escapeHtml(input.redirectUri)}</code>.</p>
<form method="post" action="/services/oauth2/authorize/consent" data-step="consent">
<input type="hidden" name="request_id" value="${escapeHtml(input.requestId)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(input.csrf)}">
<div class="buttons">
<button type="submit" name="decision" value="deny" class="secondary" id="oaapprove-deny">Deny</button>
<button type="submit" name="decision" value="allow" id="oaapprove" autofocus>Allow</button>
</div>
</form>`;
  return { status: 200, body: layout('Allow Access', content), contentType: 'text/html;charset=UTF-8', headers: pageHeaders(formTargets) };
}

/**
 * The error page shown instead of redirecting (unknown client, bad redirect URI…): the platform's
 * `error=…&error_description=…` pair, on the org's own origin.
 */
export function errorPage(error: string, description: string, status = 400): Reply {
  const query = `error=${encodeURIComponent(error)}&error_description=${encodeURIComponent(description)}`;
  const content = `<h1>OAuth Error</h1>
<div class="alert" role="alert" data-error="${escapeHtml(error)}" data-error-description="${escapeHtml(description)}">
<p>We can't authorize you because of an OAuth error. For more information, contact your Salesforce administrator.</p>
<p><code>${escapeHtml(query)}</code></p>
</div>`;
  return { status, body: layout('Error', content), contentType: 'text/html;charset=UTF-8', headers: pageHeaders() };
}
