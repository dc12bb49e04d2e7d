/**
 * The org's HTTP front door: routing, bearer sessions for API routes, bounded bodies, the
 * platform's content types and error shapes, and one ApiTotalUsage row per authenticated API call.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiClientCategory } from '../audit/api-usage.ts';
import type { OrgContext } from '../org/context.ts';
import type { Session } from '../security/types.ts';
import { ApiError, errors } from './errors.ts';
import { errorReply, type AuditInfo, type Reply, type RequestContext, type Router } from './router.ts';

/** Largest request body accepted (the REST API's documented JSON limit is larger; 10 MB is plenty here). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
export const JSON_TYPE = 'application/json;charset=UTF-8';

export interface SessionResolver {
  /**
   * The session behind a bearer token (opaque or JWT), or undefined when invalid/expired/revoked.
   * May throw an ApiError for a valid token that cannot be used here (e.g. 401 "This session is not
   * valid for use with the REST API" for a token without a REST scope). Async because JWTs are
   * verified with WebCrypto (jose).
   */
  resolve(token: string): Session | undefined | Promise<Session | undefined>;
}

export class HttpFrontDoor {
  constructor(
    private readonly org: OrgContext,
    private readonly router: Router,
    private readonly sessions: SessionResolver,
  ) {}

  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = Date.now();
    const requestId = randomBytes(12).toString('base64url');
    // Read now: once a request is aborted (e.g. an oversized body) Node detaches req.socket, and the
    // audit row must still be written with the caller's address.
    const clientIp = req.socket?.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl.replace(/^\/+/, '/'), this.org.baseUrl);
    const path = url.pathname.replace(/\/{2,}/g, '/');
    const method = (req.method ?? 'GET').toUpperCase();
    const audit: AuditInfo = { apiFamily: 'REST' };
    let bodyPromise: Promise<Buffer> | undefined;
    const raw = (): Promise<Buffer> => (bodyPromise ??= readBody(req));

    const ctx: RequestContext = {
      req,
      res,
      method,
      path,
      url,
      query: url.searchParams,
      params: {},
      audit,
      requestId,
      startedAt,
      raw,
      text: async () => (await raw()).toString('utf8'),
      json: async <T>() => {
        const text = (await raw()).toString('utf8');
        try {
          return JSON.parse(text) as T;
        } catch (e) {
          throw errors.jsonParser(`Unexpected character: ${(e as Error).message}`);
        }
      },
      form: async () => new URLSearchParams((await raw()).toString('utf8')),
      atomic: <T>(fn: () => T, successStatus: number): T =>
        this.org.db.transaction(() => {
          const result = fn();
          this.writeAudit(ctx, successStatus, clientIp);
          audit.written = true;
          return result;
        })(),
      requireSession: () => {
        if (!ctx.session) throw errors.invalidSession();
        return ctx.session;
      },
      authenticateToken: async (token: string) => (ctx.session = await this.resolveToken(token)),
    };

    let reply: Reply;
    let isApi = false;
    try {
      const match = this.router.match(method, path);
      if ('status' in match) {
        if (match.status === 405) throw errors.methodNotAllowed(method, [...new Set(['HEAD', ...match.allowed])].join(','));
        throw errors.notFound();
      }
      ctx.params = match.params;
      ctx.apiVersion = match.params.version;
      isApi = match.route.options.auth !== 'public';
      if (match.route.options.family) audit.apiFamily = match.route.options.family;
      if (match.route.options.auth === 'api') ctx.session = await this.authenticate(req);
      reply = (await match.route.handler(ctx)) ?? { status: 204 };
    } catch (err) {
      if (!(err instanceof ApiError) && !(err as { status?: number }).status) {
        console.error(`[local-org] ${method} ${path} failed:`, err);
      }
      reply = errorReply(err);
    }
    if (isApi && ctx.session && !audit.written) {
      try {
        this.writeAudit(ctx, reply.status ?? 200, clientIp);
      } catch (err) {
        console.error('[local-org] audit write failed:', err);
        reply = errorReply(err);
      }
    }
    send(res, reply, method, isApi ? this.org.usage.count() : undefined);
  };

  private async authenticate(req: IncomingMessage): Promise<Session> {
    const header = req.headers.authorization ?? '';
    const m = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(header);
    if (!m) throw errors.invalidSession();
    return this.resolveToken(m[1]!);
  }

  /** A token (bearer header, or a SOAP envelope's session id) → its session, or the platform's errors. */
  private async resolveToken(token: string): Promise<Session> {
    const session = await this.sessions.resolve(token);
    if (!session || !session.user.isActive) throw errors.invalidSession();
    if (!session.user.hasPermission('ApiEnabled')) throw errors.apiDisabled();
    return session;
  }

  private writeAudit(ctx: RequestContext, status: number, clientIp: string): void {
    const s = ctx.session!;
    const options = String(ctx.req.headers['sforce-call-options'] ?? '');
    const client = /(?:^|,)\s*client=([^,]*)/.exec(options)?.[1]?.trim() ?? '';
    this.org.usage.record({
      requestId: ctx.requestId,
      timestamp: new Date(ctx.startedAt),
      orgId: this.org.orgId,
      userId: s.user.userId,
      username: s.user.username,
      apiFamily: ctx.audit.apiFamily,
      apiVersion: ctx.apiVersion ?? '',
      apiResource: ctx.audit.resource ?? (ctx.path.replace(/^\/services\/data\/v\d+\.\d/, '') || '/'),
      httpMethod: ctx.method,
      statusCode: status,
      entityName: ctx.audit.entityName ?? '',
      connectedAppId: s.clientId,
      connectedAppName: s.appName,
      clientName: client,
      category: clientCategory(s),
      clientIp,
    });
  }
}

/**
 * API_CLIENT_CATEGORY: calls made with an `mcp_api` token come from an MCP server (the category the
 * platform gives its hosted MCP servers); the sf CLI's own app is a Salesforce client; everything
 * else is an external application.
 */
function clientCategory(s: Session): ApiClientCategory {
  if (s.scopes.includes('mcp_api')) return 'SALESFORCE_HOSTED_MCP';
  if (s.clientId === 'PlatformCLI') return 'SALESFORCE';
  return 'EXTERNAL_APPLICATION';
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ApiError(413, 'REQUEST_TOO_LARGE', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'REQUEST_TOO_LARGE', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, reply: Reply, method: string, apiUsage: number | undefined): void {
  const status = reply.status ?? 200;
  const headers: Record<string, string> = { ...reply.headers };
  if (apiUsage !== undefined) headers['Sforce-Limit-Info'] = `api-usage=${apiUsage}/15000`;
  let body: string | Buffer | undefined;
  if (reply.json !== undefined) {
    body = JSON.stringify(reply.json);
    headers['Content-Type'] = JSON_TYPE;
  } else if (reply.body !== undefined) {
    body = reply.body;
    headers['Content-Type'] = reply.contentType ?? 'text/plain;charset=UTF-8';
  }
  if (body !== undefined && status !== 204 && status !== 304) headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(method === 'HEAD' || status === 204 || status === 304 ? undefined : body);
}
