/**
 * The Metadata API surfaces the sf CLI uses (source-deploy-retrieve over jsforce):
 *
 * SOAP `POST /services/Soap/m/<version>[/<orgId>]` — `deploy` (base64 zip + DeployOptions) →
 * AsyncResult, `checkDeployStatus` (with `includeDetails`) → DeployResult, `cancelDeploy`,
 * `deployRecentValidation`, `retrieve` → AsyncResult, `checkRetrieveStatus` → RetrieveResult
 * (base64 zip + fileProperties), `checkStatus`, `listMetadata`, `describeMetadata`, `readMetadata`
 * (create/update/delete CRUD calls are not served: changes go through deploy). The session id in
 * the SOAP header is the bearer token the REST API accepts. Errors are SOAP faults with HTTP 500
 * (`sf:INVALID_SESSION_ID` is what jsforce recognises as an expired session).
 *
 * REST `POST /services/data/vXX.X/metadata/deployRequest` (multipart: `file` = zip,
 * `entity_content` = `{"deployOptions":{…}}`; or JSON `{"validatedDeployRequestId":…}`) and
 * `GET …/metadata/deployRequest/<id>[?includeDetails=true]` → `{id, deployOptions, deployResult}`
 * (used when the CLI's REST deploy is configured: `--api REST` / `org-metadata-rest-deploy`).
 *
 * Every call writes one ApiTotalUsage row (API_FAMILY `SOAP` with the operation as API_RESOURCE for
 * SOAP; REST rows as for any REST call).
 */
import { XMLParser } from 'fast-xml-parser';
import { ApiError } from '../http/errors.ts';
import type { RequestContext, Reply, Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { isSupportedVersion, requireVersion } from '../rest/versions.ts';
import type { Session } from '../security/types.ts';
import { metadataService, type Caller, type DeployOptions, type DeployResultData, type MetadataService, type RetrieveRequest } from './deploy.ts';
import type { PackageManifest } from './mdapi-format.ts';
import { escapeXml } from './xml-raw.ts';

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const MD_NS = 'http://soap.sforce.com/2006/04/metadata';
const XML_TYPE = 'text/xml;charset=UTF-8';

/** Elements that may repeat in a request (always read as arrays). */
const REPEATED = new Set(['types', 'members', 'runTests', 'queries', 'specificFiles', 'packageNames', 'fullNames']);

const soapParser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

export class SoapFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly prefix: 'sf' | 'soapenv' = 'sf',
  ) {
    super(message);
  }
}

export function registerMetadataApi(router: Router, org: OrgContext): void {
  const service = metadataService(org);
  const soap = (ctx: RequestContext): Promise<Reply> => handleSoap(ctx, org, service);
  router.add('POST', '/services/Soap/m/:soapVersion', soap, { auth: 'session', family: 'SOAP' });
  router.add('POST', '/services/Soap/m/:soapVersion/:orgId', soap, { auth: 'session', family: 'SOAP' });

  router.add(
    'POST',
    '/services/data/:version/metadata/deployRequest',
    async (ctx) => {
      requireVersion(ctx.apiVersion);
      const session = ctx.requireSession();
      requireMetadataPermission(session, (m) => new ApiError(403, 'INSUFFICIENT_ACCESS', m));
      const caller = callerOf(org, session);
      const contentType = String(ctx.req.headers['content-type'] ?? '');
      let result: DeployResultData | undefined;
      let deployOptions: DeployOptions = {};
      if (/^multipart\/form-data/i.test(contentType)) {
        const parts = parseMultipart(await ctx.raw(), contentType);
        const file = parts.find((p) => p.name === 'file');
        const entity = parts.find((p) => p.name === 'entity_content');
        if (!file) throw new ApiError(400, 'INVALID_INPUT', 'The request has no file part with the deploy zip');
        if (entity) {
          try {
            deployOptions = normalizeOptions((JSON.parse(entity.data.toString('utf8')) as { deployOptions?: Record<string, unknown> }).deployOptions ?? {});
          } catch {
            throw new ApiError(400, 'JSON_PARSER_ERROR', 'The entity_content part is not valid JSON');
          }
        }
        result = service.startDeploy(file.data, deployOptions, caller);
      } else {
        const body = await ctx.json<{ validatedDeployRequestId?: string }>();
        if (!body.validatedDeployRequestId) throw new ApiError(400, 'INVALID_INPUT', 'Send a multipart deploy, or validatedDeployRequestId');
        result = service.deployRecentValidation(body.validatedDeployRequestId, caller);
        if (!result) throw new ApiError(404, 'NOT_FOUND', `No validated deploy request ${body.validatedDeployRequestId}`);
      }
      ctx.audit.entityName = 'DeployRequest';
      return { status: 201, json: restDeploy(result, deployOptions, false) };
    },
    { auth: 'api' },
  );
  router.add(
    'GET',
    '/services/data/:version/metadata/deployRequest/:id',
    (ctx) => {
      requireVersion(ctx.apiVersion);
      requireMetadataPermission(ctx.requireSession(), (m) => new ApiError(403, 'INSUFFICIENT_ACCESS', m));
      const result = service.deployStatus(ctx.params.id!);
      if (!result) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      ctx.audit.entityName = 'DeployRequest';
      return { json: restDeploy(result, {}, ctx.query.get('includeDetails') === 'true') };
    },
    { auth: 'api' },
  );
  router.add(
    'PATCH',
    '/services/data/:version/metadata/deployRequest/:id',
    (ctx) => {
      requireVersion(ctx.apiVersion);
      requireMetadataPermission(ctx.requireSession(), (m) => new ApiError(403, 'INSUFFICIENT_ACCESS', m));
      const result = service.cancelDeploy(ctx.params.id!);
      if (!result) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      return { status: 202, json: restDeploy(result, {}, false) };
    },
    { auth: 'api' },
  );
}

/** REST deploy resource (shape of the Metadata REST API's DeployRequest; details only on request). */
function restDeploy(result: DeployResultData, deployOptions: DeployOptions, includeDetails: boolean): Record<string, unknown> {
  const { details, ...rest } = result;
  return {
    id: result.id,
    validatedDeployRequestId: null,
    url: `/services/data/vXX.X/metadata/deployRequest/${result.id}`,
    deployOptions,
    deployResult: includeDetails ? { ...rest, details } : { ...rest, details: null },
  };
}

function callerOf(org: OrgContext, session: Session): Caller {
  const row = org.db.prepare('SELECT Name FROM "User" WHERE Id = ?').get(session.user.userId) as { Name: string } | undefined;
  return { userId: session.user.userId, name: row?.Name ?? session.user.username };
}

const METADATA_PERMISSION_MESSAGE = 'use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permission';

function requireMetadataPermission(session: Session, error: (message: string) => Error): void {
  if (!session.user.hasPermission('ModifyAllData') && !session.user.hasPermission('ModifyMetadata')) throw error(METADATA_PERMISSION_MESSAGE);
}

async function handleSoap(ctx: RequestContext, org: OrgContext, service: MetadataService): Promise<Reply> {
  try {
    const version = ctx.params.soapVersion ?? '';
    ctx.apiVersion = version;
    let envelope: Record<string, unknown>;
    try {
      envelope = (soapParser.parse(await ctx.text(), true) as { Envelope?: Record<string, unknown> }).Envelope ?? {};
    } catch (e) {
      throw new SoapFault('Client', `Unable to parse the request: ${(e as Error).message}`, 'soapenv');
    }
    const header = (envelope.Header ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const body = (envelope.Body ?? {}) as Record<string, unknown>;
    const op = Object.keys(body)[0];
    if (!op) throw new SoapFault('Client', 'The request has no operation', 'soapenv');
    ctx.audit.resource = op;
    const token = typeof header.SessionHeader?.sessionId === 'string' ? header.SessionHeader.sessionId : '';
    let session: Session;
    try {
      if (!ctx.authenticateToken) throw new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
      session = await ctx.authenticateToken(token);
    } catch (e) {
      if (e instanceof ApiError && e.errorCode === 'INVALID_SESSION_ID') {
        throw new SoapFault('INVALID_SESSION_ID', 'INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session');
      }
      if (e instanceof ApiError) throw new SoapFault(e.errorCode, `${e.errorCode}: ${e.message}`);
      throw e;
    }
    if (!isSupportedVersion(version)) throw new SoapFault('UNSUPPORTED_API_VERSION', `UNSUPPORTED_API_VERSION: Invalid Api version specified on URL`);
    requireMetadataPermission(session, (m) => new SoapFault('INSUFFICIENT_ACCESS', `INSUFFICIENT_ACCESS: ${m}`));
    const args = (body[op] ?? {}) as Record<string, unknown>;
    const result = runOperation(op, args, service, callerOf(org, session));
    return soapReply(op, result);
  } catch (e) {
    if (e instanceof SoapFault) return faultReply(e);
    console.error('[local-org] SOAP call failed:', e);
    return faultReply(new SoapFault('UNKNOWN_EXCEPTION', 'UNKNOWN_EXCEPTION: An unexpected error occurred.'));
  }
}

function runOperation(op: string, args: Record<string, unknown>, service: MetadataService, caller: Caller): unknown {
  switch (op) {
    case 'deploy': {
      const zip = typeof args.ZipFile === 'string' ? Buffer.from(args.ZipFile.replace(/\s+/g, ''), 'base64') : undefined;
      if (!zip || zip.length === 0) throw new SoapFault('INVALID_ZIP', 'INVALID_ZIP: The ZipFile element is empty');
      const options = normalizeOptions((args.DeployOptions ?? {}) as Record<string, unknown>);
      const r = service.startDeploy(zip, options, caller);
      return asyncResult(r.id, r.done, r.done ? 'Completed' : 'Queued');
    }
    case 'checkDeployStatus':
    case 'cancelDeploy': {
      const id = str(args.asyncProcessId ?? args.id ?? args.String);
      const r = op === 'checkDeployStatus' ? service.deployStatus(id) : service.cancelDeploy(id);
      if (!r) throw new SoapFault('INVALID_ID_FIELD', `INVALID_ID_FIELD: Invalid deploy id: ${id}`);
      if (op === 'cancelDeploy') return { done: r.done, id: r.id };
      const includeDetails = str(args.includeDetails) === 'true';
      return includeDetails ? r : { ...r, details: undefined };
    }
    case 'deployRecentValidation': {
      const id = str(args.validationId);
      const r = service.deployRecentValidation(id, caller);
      if (!r) throw new SoapFault('INVALID_ID_FIELD', `INVALID_ID_FIELD: No validated deploy with id ${id}`);
      return r.id;
    }
    case 'retrieve': {
      const request = (args.request ?? args.retrieveRequest ?? {}) as Record<string, unknown>;
      const r = service.startRetrieve(normalizeRetrieve(request), caller);
      return asyncResult(r.id, r.done, 'Queued');
    }
    case 'checkRetrieveStatus': {
      const id = str(args.asyncProcessId ?? args.id);
      const r = service.retrieveStatus(id);
      if (!r) throw new SoapFault('INVALID_ID_FIELD', `INVALID_ID_FIELD: Invalid retrieve id: ${id}`);
      return str(args.includeZip) === 'false' ? { ...r, zipFile: undefined } : r;
    }
    case 'checkStatus': {
      const ids = Array.isArray(args.asyncProcessId) ? (args.asyncProcessId as unknown[]).map(str) : [str(args.asyncProcessId)];
      return ids.map((id) => {
        const d = service.deployStatus(id);
        const r = d ?? service.retrieveStatus(id);
        if (!r) return asyncResult(id, true, 'Error', 'INVALID_ID_FIELD');
        return asyncResult(id, r.done, r.done ? (r.status === 'Failed' ? 'Error' : 'Completed') : 'InProgress');
      });
    }
    case 'listMetadata': {
      const queries = ((args.queries ?? []) as Record<string, unknown>[]).map((q) => ({ type: str(q.type), folder: q.folder === undefined ? undefined : str(q.folder) }));
      return service.listMetadata(queries);
    }
    case 'describeMetadata':
      return service.describeMetadata();
    case 'readMetadata': {
      const names = Array.isArray(args.fullNames) ? (args.fullNames as unknown[]).map(str) : [str(args.fullNames)];
      return { records: service.readMetadata(str(args.type), names).map((x) => new RawXml(x)) };
    }
    default:
      throw new SoapFault('Client', `No operation available for request {${MD_NS}}${op}`, 'soapenv');
  }
}

function asyncResult(id: string, done: boolean, state: string, statusCode?: string): Record<string, unknown> {
  return { done, id, state, ...(statusCode ? { statusCode } : {}) };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function bool(v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return v === true || v === 'true';
}

function normalizeOptions(raw: Record<string, unknown>): DeployOptions {
  const runTests = raw.runTests;
  return {
    checkOnly: bool(raw.checkOnly),
    rollbackOnError: bool(raw.rollbackOnError),
    ignoreWarnings: bool(raw.ignoreWarnings),
    singlePackage: bool(raw.singlePackage),
    purgeOnDelete: bool(raw.purgeOnDelete),
    testLevel: raw.testLevel === undefined ? undefined : str(raw.testLevel),
    runTests: Array.isArray(runTests) ? runTests.map(str) : runTests ? [str(runTests)] : undefined,
  };
}

function normalizeRetrieve(raw: Record<string, unknown>): RetrieveRequest {
  const unpackaged = raw.unpackaged as Record<string, unknown> | undefined;
  const manifest: PackageManifest | undefined = unpackaged
    ? {
        types: ((unpackaged.types ?? []) as Record<string, unknown>[]).map((t) => ({
          name: str(t.name),
          members: ((t.members ?? []) as unknown[]).map(str).filter(Boolean),
        })),
        version: unpackaged.version === undefined ? undefined : str(unpackaged.version),
      }
    : undefined;
  return {
    apiVersion: raw.apiVersion === undefined ? undefined : str(raw.apiVersion),
    unpackaged: manifest,
    singlePackage: bool(raw.singlePackage),
    specificFiles: ((raw.specificFiles ?? []) as unknown[]).map(str),
    packageNames: ((raw.packageNames ?? []) as unknown[]).map(str),
  };
}

/** Pre-built XML placed as is in a result (readMetadata records carry their own elements). */
export class RawXml {
  constructor(readonly xml: string) {}
}

/** Serialises a result value as SOAP elements (arrays repeat the element; undefined/null are omitted). */
export function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof RawXml) return value.xml;
  if (Array.isArray(value)) return value.map((v) => toXml(name, v)).join('');
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => toXml(k, v))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function soapReply(op: string, result: unknown): Reply {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns="${MD_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Body><${op}Response>${toXml('result', result)}</${op}Response></soapenv:Body></soapenv:Envelope>`;
  return { status: 200, body, contentType: XML_TYPE };
}

function faultReply(f: SoapFault): Reply {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns:sf="${MD_NS}">` +
    `<soapenv:Body><soapenv:Fault><faultcode>${f.prefix}:${escapeXml(f.code)}</faultcode><faultstring>${escapeXml(f.message)}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
  return { status: 500, body, contentType: XML_TYPE };
}

interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** A minimal multipart/form-data reader (the REST deploy's two parts). */
export function parseMultipart(body: Buffer, contentType: string): Part[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new ApiError(400, 'INVALID_INPUT', 'multipart/form-data without a boundary');
  const boundary = Buffer.from(`--${(m[1] ?? m[2])!.trim()}`);
  const parts: Part[] = [];
  let pos = body.indexOf(boundary);
  while (pos >= 0) {
    const start = pos + boundary.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) break;
    const next = body.indexOf(boundary, headerEnd + 4);
    if (next < 0) break;
    const headers = body.subarray(start, headerEnd).toString('utf8');
    let data = body.subarray(headerEnd + 4, next);
    if (data.subarray(-2).toString() === '\r\n') data = data.subarray(0, -2);
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    parts.push({
      name: /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '',
      filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1],
      contentType: /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1],
      data,
    });
    pos = next;
  }
  return parts;
}
