/**
 * Small HTTP pieces of the identity surfaces: cookies, signed values, client authentication,
 * redirects back to the client, OAuth replies and CORS.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Reply, RequestContext } from '../http/router.ts';

export function parseCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export interface CookieOptions {
  path: string;
  secure: boolean;
  maxAgeSeconds?: number;
}

/** HttpOnly, SameSite=Lax (a top-level navigation back from the client still carries it; a cross-site POST does not). */
export function cookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  return parts.join('; ');
}

/** Appends Set-Cookie headers (several may be needed in one reply, which Reply.headers cannot hold). */
export function setCookies(ctx: RequestContext, cookies: string[]): void {
  if (!cookies.length) return;
  const existing = ctx.res.getHeader('Set-Cookie');
  const list = Array.isArray(existing) ? existing : existing ? [String(existing)] : [];
  ctx.res.setHeader('Set-Cookie', [...list, ...cookies]);
}

/** `value.mac`, where mac = HMAC-SHA256(secret, purpose | value). */
export function signValue(secret: Buffer, purpose: string, value: string): string {
  return `${value}.${mac(secret, purpose, value)}`;
}

/** The value of a signed `value.mac`, or undefined if the signature is wrong. */
export function unsignValue(secret: Buffer, purpose: string, signed: string | undefined): string | undefined {
  if (!signed) return undefined;
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const value = signed.slice(0, dot);
  return safeEqual(signed.slice(dot + 1), mac(secret, purpose, value)) ? value : undefined;
}

function mac(secret: Buffer, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}|${value}`).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Client credentials from the body (`client_id`, `client_secret`) or HTTP Basic (RFC 6749 §2.3.1). */
export function clientCredentials(ctx: RequestContext, form: URLSearchParams): { clientId?: string; secret?: string; conflict: boolean } {
  let basicId: string | undefined;
  let basicSecret: string | undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(ctx.req.headers.authorization ?? '');
  if (m) {
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      basicId = safeDecode(decoded.slice(0, colon));
      basicSecret = safeDecode(decoded.slice(colon + 1));
    }
  }
  const bodyId = form.get('client_id') ?? undefined;
  const bodySecret = form.get('client_secret') ?? undefined;
  const conflict = (basicId !== undefined && bodyId !== undefined && basicId !== bodyId) || (basicSecret !== undefined && bodySecret !== undefined);
  return { clientId: bodyId ?? basicId, secret: (bodySecret ?? basicSecret) || undefined, conflict };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** 302 to the client's (already validated) redirect URI with the given parameters in the query. */
export function redirectTo(redirectUri: string, params: Record<string, string | undefined>): Reply {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return {
    status: 302,
    headers: { Location: url.toString(), 'Cache-Control': 'no-store', Pragma: 'no-cache', 'Referrer-Policy': 'no-referrer' },
  };
}

/** Headers of every token-endpoint style JSON reply (RFC 6749 §5.1) plus CORS for browser-based clients. */
export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/**
 * CORS for the OAuth and discovery endpoints: browser-based MCP clients (MCP Inspector) call them
 * cross-origin. `*` without credentials is safe here: none of these endpoints uses cookies.
 */
export const CORS = { 'Access-Control-Allow-Origin': '*' };

export function preflight(methods: string): Reply {
  return {
    status: 204,
    headers: {
      ...CORS,
      'Access-Control-Allow-Methods': methods,
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, MCP-Protocol-Version',
      'Access-Control-Max-Age': '600',
    },
  };
}
