/**
 * Apex entry points over HTTP:
 *
 * - Apex REST: `/services/apexrest/<urlMapping>` → the @RestResource class (needs Apex class access).
 * - Anonymous Apex: Tooling REST `GET /services/data/vXX.X/tooling/executeAnonymous/?anonymousBody=…`
 *   and the Apex SOAP API `executeAnonymous` at `/services/Soap/s/<version>[/<orgId>]` (what
 *   `sf apex run` sends, with a DebuggingHeader; the debug log comes back in DebuggingInfo).
 *   Both need Author Apex (or Modify All Data).
 *
 * Invocable Apex actions run through actions/invocable.ts once `registerApex` plugs the runtime in.
 */
import { XMLParser } from 'fast-xml-parser';
import { registerApexActionRuntime } from '../actions/invocable.ts';
import { canRunApexClass } from '../actions/setup-entity-access.ts';
import { ApiError } from '../http/errors.ts';
import type { Reply, RequestContext, Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import type { Session, UserContext } from '../security/types.ts';
import { programFor } from '../apex/program.ts';
import { apexActionRuntime, executeAnonymous, findRestResource, runApexRest, type AnonymousResult } from '../apex/runtime.ts';
import { requireVersion } from './versions.ts';
import { registerApexTestRunner } from '../apex/test-runner-api.ts';

const DEFAULT_VERSION = '66.0';

function requireAuthorApex(user: UserContext): void {
  if (!user.hasPermission('AuthorApex') && !user.hasPermission('ModifyAllData')) {
    throw new ApiError(403, 'INSUFFICIENT_ACCESS', 'You do not have the Author Apex permission, which is required to execute anonymous Apex.');
  }
}

export function registerApex(router: Router, org: OrgContext): void {
  registerApexActionRuntime(apexActionRuntime);
  registerApexTestRunner(router, org);

  const rest = async (ctx: RequestContext): Promise<Reply> => {
    const { user } = ctx.requireSession();
    const path = `/${ctx.params.path ?? ''}`;
    const program = programFor(org);
    const found = findRestResource(program, path);
    if (!found || !canRunApexClass(org.db, user, found.cls.name)) {
      throw new ApiError(404, 'NOT_FOUND', `Could not find a match for URL ${path}`);
    }
    ctx.audit.entityName = found.cls.name;
    const body = ['POST', 'PUT', 'PATCH'].includes(ctx.method) ? await ctx.raw() : Buffer.alloc(0);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.req.headers)) if (typeof v === 'string' && k !== 'authorization') headers[k] = v;
    const out = runApexRest(org, user, { method: ctx.method, path, query: ctx.query, headers, body, remoteAddress: ctx.req.socket.remoteAddress }, DEFAULT_VERSION);
    return { status: out.status, body: out.body, contentType: out.contentType, headers: out.headers };
  };
  for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) router.add(m, '/services/apexrest/*path', rest, { auth: 'api', family: 'ApexREST' });

  router.add(
    'GET',
    '/services/data/:version/tooling/executeAnonymous',
    (ctx) => {
      const v = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      requireAuthorApex(user);
      const body = ctx.query.get('anonymousBody');
      if (body === null) throw new ApiError(400, 'MALFORMED_QUERY', 'anonymousBody is required');
      const r = executeAnonymous(org, user, body, v);
      const { logs: _logs, ...json } = r;
      return { json };
    },
    { auth: 'api', family: 'Tooling' },
  );

  const soap = async (ctx: RequestContext): Promise<Reply> => soapExecute(ctx, org);
  router.add('POST', '/services/Soap/s/:soapVersion', soap, { auth: 'session', family: 'SOAP' });
  router.add('POST', '/services/Soap/s/:soapVersion/:orgId', soap, { auth: 'session', family: 'SOAP' });
}

const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, trimValues: false });
const APEX_NS = 'http://soap.sforce.com/2006/08/apex';
const ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fault(code: string, message: string): Reply {
  const body = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${ENV_NS}"><soapenv:Body><soapenv:Fault><faultcode>soapenv:${xml(code)}</faultcode><faultstring>${xml(message)}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  return { status: 500, body, contentType: 'text/xml;charset=UTF-8' };
}

async function soapExecute(ctx: RequestContext, org: OrgContext): Promise<Reply> {
  const version = ctx.params.soapVersion ?? DEFAULT_VERSION;
  ctx.apiVersion = version;
  let envelope: Record<string, unknown>;
  try {
    envelope = ((parser.parse(await ctx.text()) as { Envelope?: Record<string, unknown> }).Envelope ?? {}) as Record<string, unknown>;
  } catch (e) {
    return fault('Client', `Unable to parse the request: ${(e as Error).message}`);
  }
  const header = (envelope.Header ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const body = (envelope.Body ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const op = Object.keys(body)[0];
  ctx.audit.resource = op;
  if (op !== 'executeAnonymous') return fault('Client', `No operation available for request ${op ?? ''}`);
  const token = String(header.SessionHeader?.sessionId ?? '').trim();
  let session: Session;
  try {
    if (!ctx.authenticateToken) throw new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    session = await ctx.authenticateToken(token);
  } catch (e) {
    if (e instanceof ApiError) return fault(e.errorCode === 'INVALID_SESSION_ID' ? 'INVALID_SESSION_ID' : e.errorCode, `${e.errorCode}: ${e.message}`);
    throw e;
  }
  try {
    requireAuthorApex(session.user);
  } catch (e) {
    return fault('INSUFFICIENT_ACCESS', (e as Error).message);
  }
  const code = String(body.executeAnonymous?.apexcode ?? body.executeAnonymous?.String ?? '');
  const r = executeAnonymous(org, session.user, code, version);
  const wantLog = header.DebuggingHeader !== undefined;
  return { status: 200, body: soapResult(r, wantLog), contentType: 'text/xml;charset=UTF-8' };
}

function soapResult(r: AnonymousResult, withLog: boolean): string {
  const nil = (name: string, v: string | number | null): string => (v === null ? `<${name} xsi:nil="true"/>` : `<${name}>${xml(String(v))}</${name}>`);
  const result =
    `<result>${nil('column', r.column)}${nil('compileProblem', r.compileProblem)}<compiled>${r.compiled}</compiled>` +
    `${nil('exceptionMessage', r.exceptionMessage)}${nil('exceptionStackTrace', r.exceptionStackTrace)}${nil('line', r.line)}<success>${r.success}</success></result>`;
  const head = withLog ? `<soapenv:Header><DebuggingInfo><debugLog>${xml(r.logs)}</debugLog></DebuggingInfo></soapenv:Header>` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${ENV_NS}" xmlns="${APEX_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `${head}<soapenv:Body><executeAnonymousResponse>${result}</executeAnonymousResponse></soapenv:Body></soapenv:Envelope>`
  );
}
