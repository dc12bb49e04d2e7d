/**
 * The Streamable HTTP front: Express from the SDK's `createMcpExpressApp` (Host-header validation
 * against DNS rebinding), RFC 9728 protected-resource metadata per server path naming the org as
 * authorization server, bearer authentication on every MCP request, activation checks, and
 * stateful sessions (or a fresh server per request with `stateless`).
 *
 * Order of checks for `/platform/mcp/v1/…`: path syntax (404) → token (401/403, before anything is
 * revealed about the org) → session ownership (404 unknown session, 403 another user's session) →
 * server exists and is active in the org (404 with how to activate; never a tool list) → MCP.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js';
import { mcpAuthMetadataRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { OAuthMetadata, OAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { auditRefusedCalls, type AuditLog } from '../audit/jsonl.ts';
import { MCP_SCOPE, OrgTokenVerifier, callerOf, type Caller } from '../auth/verifier.ts';
import { invalidateActionDescribes } from '../org/actions.ts';
import { OrgClient } from '../org/client.ts';
import { OrgAuthError, OrgUnavailableError, describeError } from '../org/errors.ts';
import { newestApiVersion } from '../org/discovery.ts';
import { OrgSchemaCache } from '../org/schema-cache.ts';
import { RateLimiter, type RateLimit } from '../limits/rate-limiter.ts';
import { ForceGateMcpServer, type ToolRuntime } from '../mcp/server.ts';
import { CatalogBuilder } from '../servers/catalog.ts';
import { MCP_BASE, parseServerPath, type ServerRef } from '../servers/paths.ts';
import { ActivationUnknownError, ServerRegistry, type Resolution } from '../servers/registry.ts';
import { ToolWatcher } from '../servers/watcher.ts';
import type { App, NextFunction, Request, RequestHandler, Response } from './express-types.ts';
import { SessionStore, type McpSession } from './sessions.ts';
import { answerToolsListFromCache, holdHeadersForFirstWrite } from './fast-paths.ts';

export interface HttpServerOptions {
  /** The org: its My Domain URL (real org) or the local org's URL. */
  orgUrl: string;
  /** REST API version; default: the newest the org serves (≤ 67.0). */
  apiVersion?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Public base URL when behind a proxy (e.g. https://mcp.example.com); default: from the Host header. */
  publicUrl?: string;
  /** Host names accepted in the Host header (DNS-rebinding protection); default: loopback names when bound to loopback. */
  allowedHosts?: string[];
  /** Browser origins allowed besides those on allowed hosts (default: loopback origins). */
  allowedOrigins?: string[];
  /** Extra token audiences accepted besides this server's URLs. */
  extraAudiences?: string[];
  stateless?: boolean;
  audit: AuditLog;
  /** Upper bound for one org request (default 20 s). */
  orgTimeoutMs?: number;
  /** How long activation state is cached (default 30 s). */
  activationTtlMs?: number;
  /** Watcher period (default 15 s, capped at 30 s). */
  pollIntervalMs?: number;
  /** Idle sessions are closed after this long (default 30 min). */
  sessionIdleMs?: number;
  /** Per-user limit on tool calls (default: none). */
  rateLimit?: RateLimit;
  log?: (message: string) => void;
}

/** How long a server last seen active keeps answering while the org is unreachable. */
const STALE_ACTIVATION_MS = 5 * 60_000;

export interface RunningHttpServer {
  url: string;
  server: Server;
  sessions: SessionStore;
  watcher: ToolWatcher;
  apiVersion: string;
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const log = options.log ?? ((m: string) => console.error(`[forcegate-mcp] ${m}`));
  const orgUrl = options.orgUrl.replace(/\/+$/, '');
  const orgKey = orgUrl;
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.orgTimeoutMs ?? 20_000;
  const verifier = new OrgTokenVerifier({ orgUrl, extraAudiences: options.extraAudiences, jwksTimeoutMs: timeoutMs });
  const as = await verifier.init().catch((err: Error) => {
    log(`the org's OpenID configuration is not available yet (${err.message}); will retry on the first request`);
    return undefined;
  });
  const apiVersion = options.apiVersion ?? (await newestApiVersion(orgUrl).catch(() => '66.0'));
  const registry = new ServerRegistry(options.activationTtlMs ?? 30_000);
  const catalogs = new CatalogBuilder();
  const sessions = new SessionStore(options.sessionIdleMs ?? 30 * 60_000);

  const orgFor = (auth: AuthInfo, extra: Partial<Pick<ConstructorParameters<typeof OrgClient>[0], 'onCall' | 'signal'>> = {}): OrgClient =>
    new OrgClient({ instanceUrl: orgUrl, apiVersion, accessToken: auth.token, timeoutMs, ...extra });

  const runtime: ToolRuntime = {
    caller: (auth) => callerOf(auth),
    org: (auth, opts) => {
      if (!auth) throw new Error('no token on this request');
      // Fail closed: on a request answered from the "seen active" grace no tool reaches the org (an org
      // that fails the activation read may still answer the tool, for a server deactivated meanwhile).
      const unconfirmed = (auth.extra as { activationUnconfirmed?: OrgUnavailableError } | undefined)?.activationUnconfirmed;
      if (unconfirmed) {
        throw new OrgUnavailableError(`${unconfirmed.message} Whether this server is still active cannot be confirmed, so no tool runs until the org answers.`, unconfirmed.kind);
      }
      return orgFor(auth, opts);
    },
    scope: (caller) => `${orgKey}|${caller.userId}`,
    rateLimiter: options.rateLimit ? new RateLimiter(options.rateLimit) : undefined,
  };

  const watcher = new ToolWatcher({
    intervalMs: Math.min(options.pollIntervalMs ?? 15_000, 30_000),
    sessions,
    log,
    probe: async (s) => {
      const org = orgFor(s.auth);
      const resolution = await registry.resolve(s.ref, org, orgKey, { fresh: true });
      if (resolution.status !== 'active') return { resolution };
      return { resolution, catalog: await catalogs.get(resolution, org, s.caller, orgKey, { fresh: true }) };
    },
    invalidate: (key) => {
      catalogs.invalidate(`${orgKey}|${key}|`);
      invalidateActionDescribes(`${orgKey}|`);
      OrgSchemaCache.invalidateAll(`${orgKey}|`);
    },
    catalogFor: (s, resolution) => catalogs.get(resolution as Extract<Resolution, { status: 'active' }>, orgFor(s.auth), s.caller, orgKey),
  });

  const app = createMcpExpressApp({ host, allowedHosts: options.allowedHosts }) as unknown as App;
  app.disable('x-powered-by');

  const baseOf = (req: Request): string => (options.publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
  const issuer = (): string => as?.issuer ?? orgUrl;

  // Origin check (MCP transport spec: an invalid Origin gets 403) and CORS for browser-based clients
  // such as the MCP Inspector. Tokens travel in headers, never cookies.
  const originAllowed = (origin: string): boolean => {
    if ((options.allowedOrigins ?? []).includes(origin)) return true;
    let hostname: string;
    try {
      hostname = new URL(origin).hostname;
    } catch {
      return false;
    }
    const hosts = options.allowedHosts ?? ['localhost', '127.0.0.1', '[::1]'];
    return hosts.includes(hostname) || (options.publicUrl !== undefined && new URL(options.publicUrl).origin === origin);
  };
  app.use(MCP_BASE, (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin && !originAllowed(origin)) {
      res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message: `Origin not allowed: ${origin}` }, id: null });
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin ?? '*');
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'Mcp-Session-Id, WWW-Authenticate, Mcp-Protocol-Version');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID');
      res.status(204).end();
      return;
    }
    next();
  });

  // RFC 9728: one protected-resource document per server path.
  const prmHandlers = new Map<string, RequestHandler>();
  app.use(`/.well-known/oauth-protected-resource${MCP_BASE}`, (req: Request, res: Response, next: NextFunction) => {
    const ref = parseServerPath(req.path);
    if (!ref) return next();
    const resource = `${baseOf(req)}${ref.path}`;
    let handler = prmHandlers.get(resource);
    if (!handler) {
      const metadata: OAuthProtectedResourceMetadata = {
        resource,
        authorization_servers: [issuer()],
        scopes_supported: [MCP_SCOPE, 'refresh_token'],
        bearer_methods_supported: ['header'],
        resource_name: `ForceGate ${ref.kind === 'platform' ? ref.name : ref.name} (Salesforce MCP)`,
      };
      handler = metadataHandler(metadata) as unknown as RequestHandler;
      prmHandlers.set(resource, handler);
    }
    req.url = '/';
    handler(req, res, next);
  });
  if (as) {
    // The root document plus a mirror of the org's authorization-server metadata, for clients
    // that look for it on the MCP server's origin.
    const doc = as.document as unknown as OAuthMetadata;
    if (doc.authorization_endpoint && doc.token_endpoint) {
      app.use(
        mcpAuthMetadataRouter({
          oauthMetadata: { ...doc, response_types_supported: doc.response_types_supported ?? ['code'] },
          resourceServerUrl: new URL(options.publicUrl ?? `http://${host === '::1' ? '[::1]' : host}:${options.port ?? 0}`),
          scopesSupported: [MCP_SCOPE, 'refresh_token'],
          resourceName: 'ForceGate MCP (Salesforce)',
        }),
      );
    }
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', sessions: sessions.size });
  });

  const notFound = (res: Response, body: Record<string, unknown>): void => {
    res.status(404).json(body);
  };

  const lastActive = new Map<string, { resolution: Resolution; at: number }>();

  const handleMcp = async (req: Request, res: Response): Promise<void> => {
    const started = performance.now();
    const rest = ([] as string[]).concat((req.params as { rest?: string | string[] }).rest ?? []).join('/');
    const ref = parseServerPath(rest);
    if (!ref) {
      notFound(res, {
        error: 'not_found',
        message: `No MCP server at ${req.path}. Server URLs are ${MCP_BASE}/platform/<server> (sobject-reads, sobject-mutations, sobject-deletes, sobject-all) and ${MCP_BASE}/custom/<ServerApiName>, optionally under ${MCP_BASE}/sandbox/.`,
      });
      return;
    }
    const resource = `${baseOf(req)}${ref.path}`;
    const authenticated = await runMiddleware(
      (requireBearerAuth as unknown as (o: unknown) => RequestHandler)({
        verifier: { verifyAccessToken: (token: string) => verifier.verify(token, resource) },
        requiredScopes: [MCP_SCOPE],
        resourceMetadataUrl: `${baseOf(req)}/.well-known/oauth-protected-resource${ref.path}`,
      }),
      req,
      res,
    );
    if (!authenticated) return;
    const auth = req.auth!;
    const caller = callerOf(auth);

    const sessionId = req.get('mcp-session-id');
    // A tools/call refused here because of the org (token rejected, activation unreadable, org
    // unreachable) still gets its audit line: the caller is known, the JWT was verified.
    const refuse = (err: unknown): void => {
      auditRefusedCalls(options.audit, req.body, { caller, server: ref.key, sessionId, errorCode: refusalCode(err), started });
      orgFailure(res, err, resource, baseOf(req), ref);
    };
    let session: McpSession | undefined;
    if (sessionId) {
      session = sessions.get(sessionId);
      if (!session || session.ref.key !== ref.key) {
        auditRefusedCalls(options.audit, req.body, { caller, server: ref.key, sessionId, errorCode: 'SESSION_NOT_FOUND', started });
        res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found; initialize a new session' }, id: null });
        return;
      }
      if (session.userId !== caller.userId) {
        auditRefusedCalls(options.audit, req.body, { caller, server: ref.key, sessionId, errorCode: 'SESSION_OF_ANOTHER_USER', started });
        res.status(403).json({ jsonrpc: '2.0', error: { code: -32003, message: 'This session belongs to another user' }, id: null });
        return;
      }
    }

    let resolution: Resolution;
    try {
      resolution = await registry.resolve(ref, orgFor(auth), orgKey);
      lastActive.set(ref.key, { resolution, at: Date.now() });
    } catch (err) {
      // The org is unreachable: a server seen active in the last minutes keeps answering, so the
      // client gets a tool error naming the outage. Its tools make no org call on this request
      // (runtime.org): the org might answer them while it cannot confirm the activation.
      const last = lastActive.get(ref.key);
      if (err instanceof OrgUnavailableError && last && last.resolution.status === 'active' && Date.now() - last.at < STALE_ACTIVATION_MS) {
        resolution = last.resolution;
        req.auth = { ...auth, extra: { ...auth.extra, activationUnconfirmed: err } };
      } else {
        refuse(err);
        return;
      }
    }
    if (resolution.status !== 'active') {
      if (session) await sessions.close(session);
      auditRefusedCalls(options.audit, req.body, {
        caller,
        server: ref.key,
        sessionId,
        errorCode: resolution.status === 'inactive' ? 'MCP_SERVER_INACTIVE' : 'MCP_SERVER_NOT_FOUND',
        started,
      });
      notFound(res, inactiveBody(resolution));
      return;
    }

    if (session) {
      session.auth = auth;
      session.caller = caller;
      session.lastSeen = Date.now();
      if (session.stale) {
        try {
          const next = await catalogs.get(resolution, orgFor(auth), caller, orgKey);
          session.server.sync(next.tools);
          session.fingerprint = next.fingerprint;
          session.stale = false;
        } catch (err) {
          refuse(err);
          return;
        }
      }
      const open = session;
      // Only while the session is still open (it may have been closed during the awaits above; the
      // SDK then answers 404).
      if (sessions.get(open.id) === open && answerToolsListFromCache(req, res, open.id, () => open.server.serializedListing())) return;
      if (req.method === 'POST') holdHeadersForFirstWrite(res);
      await session.transport.handleRequest(req, res, req.body);
      return;
    }

    if (options.stateless) {
      if (req.method !== 'POST') {
        res.status(405).set('Allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed in stateless mode' }, id: null });
        return;
      }
      let built;
      try {
        built = await catalogs.get(resolution, orgFor(auth), caller, orgKey);
      } catch (err) {
        refuse(err);
        return;
      }
      const server = new ForceGateMcpServer({ key: ref.key, label: resolution.label, description: resolution.description }, runtime, options.audit, 'http', false);
      server.sync(built.tools);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport, () => undefined);
      await transport.handleRequest(req, res, req.body);
      return;
    }

    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
      auditRefusedCalls(options.audit, req.body, { caller, server: ref.key, sessionId, errorCode: 'NO_SESSION', started });
      res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no valid Mcp-Session-Id; send initialize first' }, id: null });
      return;
    }
    let catalog;
    try {
      catalog = await catalogs.get(resolution, orgFor(auth), caller, orgKey);
    } catch (err) {
      refuse(err);
      return;
    }
    if (catalog.skipped.length) {
      log(`${ref.key} for ${caller.userId}: left out ${catalog.skipped.map((s) => `${s.tool} (${s.reason})`).join('; ')}`);
    }
    const server = new ForceGateMcpServer({ key: ref.key, label: resolution.label, description: resolution.description }, runtime, options.audit, 'http');
    server.sync(catalog.tools);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.add({ id, ref, userId: caller.userId, caller, auth, server, transport, fingerprint: catalog.fingerprint, stale: false, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => sessions.delete(id),
    });
    transport.onclose = () => sessions.delete(transport.sessionId);
    await server.connect(transport, () => transport.sessionId);
    await transport.handleRequest(req, res, req.body);
  };

  app.all(`${MCP_BASE}/*rest`, (req, res, next) => {
    handleMcp(req, res).catch((err: unknown) => {
      log(`${req.method} ${req.path}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
      else next();
    });
  });

  // Errors raised before a handler runs (the SDK's JSON body parser: a body over its 100 kB limit,
  // malformed JSON) would otherwise reach Express's default handler, which answers HTML with the
  // stack trace (file paths, dependency versions). Answer JSON-RPC with the status and no detail.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; type?: string; message?: string };
    const status = e.status ?? e.statusCode ?? 500;
    if (status >= 500) log(`${req.method} ${req.path}: ${(err as Error).stack ?? String(err)}`);
    if (res.headersSent) return next(err);
    const message = status === 413 ? 'Request body too large' : status === 400 ? 'Parse error' : status >= 500 ? 'Internal server error' : 'Bad request';
    const code = status === 400 ? -32700 : status >= 500 ? -32603 : -32600;
    res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  sessions.start();
  watcher.start();
  const url = options.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    server,
    sessions,
    watcher,
    apiVersion,
    close: async () => {
      await watcher.stop();
      await sessions.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await options.audit.flush();
    },
  };
}

function inactiveBody(r: Extract<Resolution, { status: 'inactive' | 'unknown' }>): Record<string, unknown> {
  const activate =
    r.ref.kind === 'platform'
      ? `Ask an administrator to activate it: sf mcp server activate --name ${r.ref.name} (or Setup → MCP Servers → Salesforce Servers → ${r.label ?? r.ref.name} → Activate).`
      : `Ask an administrator to activate it: sf mcp server activate --name ${r.ref.name} (or Setup → MCP Servers → ${r.label ?? r.ref.name} → Activate).`;
  return {
    error: r.status === 'unknown' ? 'mcp_server_not_found' : 'mcp_server_inactive',
    server: r.ref.key,
    message: r.status === 'unknown' ? r.reason : `${r.reason} ${activate}`,
  };
}

function refusalCode(err: unknown): string {
  return err instanceof ActivationUnknownError ? 'MCP_SERVER_UNAVAILABLE' : describeError(err).errorCode;
}

function orgFailure(res: Response, err: unknown, resource: string, base: string, ref: ServerRef): void {
  if (err instanceof OrgAuthError) {
    res
      .status(401)
      .set(
        'WWW-Authenticate',
        `Bearer error="invalid_token", error_description="The org rejected the access token", scope="${MCP_SCOPE}", resource_metadata="${base}/.well-known/oauth-protected-resource${ref.path}"`,
      )
      .json({ error: 'invalid_token', error_description: `The org rejected the access token for ${resource}; sign in again.` });
    return;
  }
  if (err instanceof ActivationUnknownError) {
    res.status(403).json({ error: 'mcp_server_unavailable', server: ref.key, message: err.message });
    return;
  }
  if (err instanceof OrgUnavailableError) {
    res.status(err.kind === 'timeout' ? 504 : 502).json({ error: 'org_unavailable', message: err.message });
    return;
  }
  const { text } = describeError(err);
  res.status(502).json({ error: 'org_error', message: text });
}

/** Runs an Express middleware; resolves true if it called next() (false if it answered). */
function runMiddleware(mw: RequestHandler, req: Request, res: Response): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const next: NextFunction = (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(true));
    res.once('finish', () => resolve(false));
    Promise.resolve(mw(req, res, next)).catch(reject);
  });
}

export type { Caller };
