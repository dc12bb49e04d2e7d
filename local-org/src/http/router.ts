/**
 * A small path router for the org's HTTP surfaces. Hand-written rather than a framework because the
 * matching rules are Salesforce's: duplicate slashes collapse (`//services/data` from the sf CLI's
 * stored instance URL), the API version is a path segment, and every API route needs the same
 * bearer-session and audit wrapping.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session } from '../security/types.ts';
import { ApiError, ApiErrors, OAuthError } from './errors.ts';

export interface Reply {
  status?: number;
  /** JSON body (serialised with the platform's content type). */
  json?: unknown;
  /** Raw body with `contentType`. */
  body?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** What the audit layer records about an API request (ApiTotalUsage columns). */
export interface AuditInfo {
  apiFamily: 'REST' | 'SOAP' | 'ApexREST' | 'Tooling' | 'Metadata';
  entityName?: string;
  /** API_RESOURCE when the path is not it (a SOAP call records its operation, e.g. `deploy`). */
  resource?: string;
  /** Set once a row has been written inside a data transaction (see RequestContext.atomic). */
  written?: boolean;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path with duplicate slashes collapsed. */
  path: string;
  url: URL;
  query: URLSearchParams;
  params: Record<string, string>;
  /** `65.0` for `/services/data/v65.0/...`. */
  apiVersion?: string;
  session?: Session;
  audit: AuditInfo;
  requestId: string;
  startedAt: number;
  /** The request body as text (bounded size). */
  text(): Promise<string>;
  /** The request body parsed as JSON; a malformed body is a JSON_PARSER_ERROR. */
  json<T = unknown>(): Promise<T>;
  /** The request body parsed as application/x-www-form-urlencoded. */
  form(): Promise<URLSearchParams>;
  /** The raw request body. */
  raw(): Promise<Buffer>;
  /** Runs `fn` in one SQLite transaction together with this request's audit row (see server.ts). */
  atomic<T>(fn: () => T, successStatus: number): T;
  /** The session, or a 401 INVALID_SESSION_ID. */
  requireSession(): Session;
  /**
   * For `auth: 'session'` routes (SOAP: the session id travels in the envelope): validates a token
   * exactly as a bearer token is validated, sets `session` (so the call is audited) and returns it.
   * Throws INVALID_SESSION_ID / API_DISABLED_FOR_ORG ApiErrors. Set by the front door (optional so
   * contexts built for sub-requests, e.g. composite, need not provide it).
   */
  authenticateToken?(token: string): Promise<Session>;
}

export type Handler = (ctx: RequestContext) => Promise<Reply | void> | Reply | void;

export interface RouteOptions {
  /**
   * `api`: needs a bearer session (REST/Tooling); `public`: no auth (OAuth, discovery, versions);
   * `session`: an API call whose handler finds the token itself and calls `ctx.authenticateToken`
   * (SOAP), then renders its own errors.
   */
  auth: 'api' | 'public' | 'session';
  family?: AuditInfo['apiFamily'];
}

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  options: RouteOptions;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: Route[] = [];

  /** `pattern` segments: literal, `:name` (one segment), `:version` (`vNN.N`), `*rest` (the remainder). */
  add(method: string | string[], pattern: string, handler: Handler, options: RouteOptions): this {
    for (const m of Array.isArray(method) ? method : [method]) {
      this.routes.push({ method: m, segments: split(pattern), handler, options });
    }
    return this;
  }

  /** The matching route, or why none matched (404, or 405 with the allowed methods). */
  match(method: string, path: string): Match | { status: 404 } | { status: 405; allowed: string[] } {
    const segments = split(path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length ? { status: 405, allowed } : { status: 404 };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith('*')) {
      params[p.slice(1)] = actual.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    const a = actual[i];
    if (a === undefined) return undefined;
    if (p === ':version') {
      const m = /^v(\d{2}\.\d)$/.exec(a);
      if (!m) return undefined;
      params.version = m[1]!;
    } else if (p.startsWith(':')) {
      params[p.slice(1)] = safeDecode(a);
    } else if (p.toLowerCase() !== a.toLowerCase()) {
      return undefined;
    }
  }
  return pattern.length === actual.length ? params : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Renders any thrown value as the platform would answer it. */
export function errorReply(err: unknown): Reply {
  if (err instanceof ApiError) return { status: err.status, json: err.body() };
  if (err instanceof ApiErrors) return { status: err.status, json: err.items };
  if (err instanceof OAuthError) return { status: err.status, json: { error: err.error, error_description: err.description } };
  // Anything unexpected is the platform's UNKNOWN_EXCEPTION with a 500; the detail stays in our log.
  return {
    status: 500,
    json: [{ errorCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred. Please include this ErrorId if you contact support.' }],
  };
}
