/**
 * Shared pieces of the Setup pages: HTML escaping, the page layout (navigation, skip link, one
 * inline stylesheet allowed by its CSP hash, no script), the Insufficient Privileges page, and
 * small form helpers. Every interpolated value goes through `esc` (or `attr`); nothing else builds
 * markup from data.
 */
import { createHash } from 'node:crypto';
import type { Reply } from '../http/router.ts';
import { escapeHtml } from '../identity/pages.ts';

export const esc = escapeHtml;

/** A raw-HTML fragment already escaped by its builder (marks what may be interpolated without `esc`). */
export function attr(value: string | number | null | undefined): string {
  return escapeHtml(String(value ?? ''));
}

export const SETUP_STYLE = `
:root{color-scheme:light;--brand:#0176d3;--brand-dark:#014486;--text:#181818;--muted:#444;--border:#c9c9c9;--error:#ba0517;--ok:#2e844a;--bg:#f3f3f3}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--text);background:var(--bg)}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:8px}.skip:focus{left:8px;z-index:10}
header.top{background:#fff;border-bottom:1px solid #ddd;display:flex;align-items:center;justify-content:space-between;padding:8px 20px}
header.top .brand{font-weight:700;color:var(--brand-dark)}
header.top form{margin:0}
nav.setup{background:#fff;border-bottom:1px solid #ddd;padding:0 20px}
nav.setup ul{list-style:none;margin:0;padding:0;display:flex;gap:4px;flex-wrap:wrap}
nav.setup a{display:inline-block;padding:10px 12px;color:var(--brand-dark);text-decoration:none;border-bottom:3px solid transparent}
nav.setup a[aria-current=page]{border-bottom-color:var(--brand);font-weight:600}
main{padding:20px;max-width:1200px;margin:0 auto}
h1{font-size:1.4rem;margin:0 0 12px}h2{font-size:1.1rem;margin:24px 0 8px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:16px;margin:0 0 16px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#fafaf9;font-weight:600}
tr.error td{background:#fef1ee}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.8rem;border:1px solid var(--border)}
.badge.on{background:#e6f4ea;border-color:var(--ok);color:#1b5e30}.badge.off{background:#f3f3f3;color:var(--muted)}
.badge.err{background:#fef1ee;border-color:var(--error);color:var(--error)}
button,.button{font:inherit;cursor:pointer;border-radius:4px;padding:6px 12px;border:1px solid var(--brand);background:var(--brand);color:#fff;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--brand)}
button.danger{background:#fff;color:var(--error);border-color:var(--error)}
button:hover{filter:brightness(.95)}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #1b96ff;outline-offset:1px}
label{display:block;font-size:.85rem;color:var(--muted);margin:8px 0 2px}
label.inline{display:inline-flex;gap:4px;align-items:center;margin-right:12px;color:var(--text)}
input[type=text],input[type=date],select,textarea{font:inherit;padding:6px 8px;border:1px solid var(--border);border-radius:4px;max-width:100%}
textarea{width:100%;min-height:4em}
form.inline{display:inline}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-end}
.filters label{margin:0 0 2px}
.alert{border-left:4px solid var(--error);background:#fef1ee;color:var(--error);padding:10px 12px;margin:0 0 12px}
.notice{border-left:4px solid var(--ok);background:#e6f4ea;padding:10px 12px;margin:0 0 12px}
.muted{color:var(--muted);font-size:.85rem}
code{font-size:.85rem;background:#f3f3f3;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:16px}
.chart svg{width:100%;height:auto}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

export const SETUP_STYLE_HASH = createHash('sha256').update(SETUP_STYLE).digest('base64');

export function setupHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${SETUP_STYLE_HASH}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  };
}

export interface NavPage {
  key: string;
  label: string;
  href: string;
}

export const SETUP_PAGES: NavPage[] = [
  { key: 'McpServers', label: 'MCP Servers', href: '/lightning/setup/McpServers/home' },
  { key: 'Flows', label: 'Flows', href: '/lightning/setup/Flows/home' },
  { key: 'ApiLogs', label: 'API Logs', href: '/lightning/setup/ApiLogs/home' },
  { key: 'PermSets', label: 'Permission Sets', href: '/lightning/setup/PermSets/home' },
];

export interface LayoutInput {
  title: string;
  current?: string;
  username: string;
  csrf: string;
  body: string;
  /** A notice after a redirect (`?saved=…`), shown in a status region. */
  notice?: string;
  error?: string;
}

export function setupPage(input: LayoutInput, status = 200): Reply {
  const nav = SETUP_PAGES.map(
    (p) => `<li><a href="${attr(p.href)}"${p.key === input.current ? ' aria-current="page"' : ''}>${esc(p.label)}</a></li>`,
  ).join('');
  const notice = input.notice ? `<div class="notice" role="status">${esc(input.notice)}</div>` : '';
  const error = input.error ? `<div class="alert" role="alert">${esc(input.error)}</div>` : '';
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)} | Setup | ForceGate Local Org</title>
<style>${SETUP_STYLE}</style>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="top"><span class="brand">Setup · ForceGate Local Org</span>
<form method="post" action="/lightning/setup/logout"><input type="hidden" name="csrf_token" value="${attr(input.csrf)}"><span class="muted">${esc(input.username)}</span> <button type="submit" class="secondary">Log Out</button></form></header>
<nav class="setup" aria-label="Setup"><ul>${nav}</ul></nav>
<main id="content" tabindex="-1">
<h1>${esc(input.title)}</h1>
${notice}${error}
${input.body}
</main>
</body>
</html>
`;
  return { status, body: html, contentType: 'text/html;charset=UTF-8', headers: setupHeaders() };
}

/** A bare page (no navigation): the platform's Insufficient Privileges page and similar. */
export function barePage(title: string, body: string, status: number): Reply {
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} | ForceGate Local Org</title>
<style>${SETUP_STYLE}</style>
</head>
<body>
<main id="content">
${body}
</main>
</body>
</html>
`;
  return { status, body: html, contentType: 'text/html;charset=UTF-8', headers: setupHeaders() };
}

export const INSUFFICIENT_PRIVILEGES_MESSAGE =
  'You do not have the level of access necessary to perform the operation you requested. Please contact the owner of the record or your administrator if access is necessary.';

export function insufficientPrivileges(): Reply {
  return barePage(
    'Insufficient Privileges',
    `<div class="card" data-error="insufficient-privileges"><h1>Insufficient Privileges</h1><p>${esc(INSUFFICIENT_PRIVILEGES_MESSAGE)}</p></div>`,
    403,
  );
}

/** The refusal of a POST whose CSRF token is missing or wrong. */
export function invalidCsrf(): Reply {
  return barePage(
    'Invalid Request',
    '<div class="card" data-error="csrf"><h1>Invalid Request</h1><p>Your session token is missing or has expired. Reload the page and try again.</p></div>',
    403,
  );
}

export function notFoundPage(what: string): Reply {
  return barePage('Not Found', `<div class="card" data-error="not-found"><h1>Not Found</h1><p>${esc(what)}</p></div>`, 404);
}

export function redirect(location: string): Reply {
  return { status: 303, headers: { Location: location, 'Cache-Control': 'no-store' } };
}

/** A POST form with the session's CSRF token. `fields` are raw (already escaped) inner HTML. */
export function postForm(action: string, csrf: string, fields: string, options: { className?: string; label?: string } = {}): string {
  const cls = options.className ? ` class="${attr(options.className)}"` : '';
  const label = options.label ? ` aria-label="${attr(options.label)}"` : '';
  return `<form method="post" action="${attr(action)}"${cls}${label}><input type="hidden" name="csrf_token" value="${attr(csrf)}">${fields}</form>`;
}

export function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${attr(name)}" value="${attr(value)}">`;
}

export function badge(on: boolean, onText = 'Active', offText = 'Inactive'): string {
  return `<span class="badge ${on ? 'on' : 'off'}">${esc(on ? onText : offText)}</span>`;
}
