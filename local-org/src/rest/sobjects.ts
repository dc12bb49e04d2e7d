/**
 * The sObject REST surface (wire.md §3.3–3.5, §4.1, §4.5 collections): describeGlobal, basic info,
 * describe, record retrieve/create/update/delete, blob fields (EventLogFile LogFile), and sObject
 * Collections. Every read applies the caller's object access, field-level security and sharing;
 * every write goes through the DML service inside `ctx.atomic`, so it commits together with the
 * request's ApiTotalUsage row.
 *
 * Records the caller cannot see: a GET answers 404 NOT_FOUND exactly as for an Id that matches no
 * record; PATCH/DELETE go to the DML service, which answers INSUFFICIENT_ACCESS_OR_READONLY (403)
 * as the platform's DML does. A record in the Recycle Bin is 404 ENTITY_IS_DELETED.
 */
import { ApiError, errors } from '../http/errors.ts';
import type { RequestContext, Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import type { ObjectDef } from '../schema/types.ts';
import type { UserContext } from '../security/types.ts';
import {
  deleteRecords,
  ensureRecentItems,
  executeDml,
  idOf,
  insertRecords,
  parseDatetime,
  recentItemIds,
  touchRecentItem,
  updateRecords,
  type DmlOperation,
  type SaveResult,
} from '../dml/index.ts';
import { describeSObject, globalEntry, readableFields, visibleObject, visibleObjects } from './describe.ts';
import { bodyError, isPlainObject, lookupRecord, recordIdFromPath, renderRecord, requestedFields, saveErrorsToApi } from './records.ts';
import { requireVersion } from './versions.ts';
import { isValidId, sameId, to18 } from '../ids.ts';
import { readPredicate } from '../security/sharing.ts';
import { q } from '../storage/database.ts';
import { formatDatetime } from '../storage/record-store.ts';

/** sObject Collections take at most 200 records per call; retrieve at most 2000 ids. */
export const MAX_COLLECTION_RECORDS = 200;
export const MAX_RETRIEVE_IDS = 2000;
/** Entries of `recentItems` in basic info. */
const RECENT_ITEMS = 20;

const api = { auth: 'api' } as const;

export function registerSobjects(router: Router, org: OrgContext): void {
  const data = '/services/data/:version';
  ensureRecentItems(org.db);

  router.add('GET', `${data}/sobjects`, (ctx) => describeGlobal(org, ctx), api);
  router.add('GET', `${data}/sobjects/:object`, (ctx) => basicInfo(org, ctx), api);
  router.add('POST', `${data}/sobjects/:object`, (ctx) => createRecord(org, ctx), api);
  router.add('GET', `${data}/sobjects/:object/describe`, (ctx) => describe(org, ctx), api);
  router.add('GET', `${data}/sobjects/:object/:id`, (ctx) => retrieveRecord(org, ctx), api);
  router.add('PATCH', `${data}/sobjects/:object/:id`, (ctx) => updateRecord(org, ctx), api);
  router.add('DELETE', `${data}/sobjects/:object/:id`, (ctx) => deleteRecord(org, ctx), api);
  // `POST …?_HttpMethod=PATCH` (or DELETE) for clients that cannot send those methods.
  router.add(
    'POST',
    `${data}/sobjects/:object/:id`,
    (ctx) => {
      const override = (ctx.query.get('_HttpMethod') ?? '').toUpperCase();
      if (override === 'PATCH') return updateRecord(org, ctx);
      if (override === 'DELETE') return deleteRecord(org, ctx);
      throw errors.methodNotAllowed('POST', 'HEAD,GET,PATCH,DELETE');
    },
    api,
  );
  router.add('GET', `${data}/sobjects/:object/:id/:field`, (ctx) => blobField(org, ctx), api);

  router.add('POST', `${data}/composite/sobjects`, (ctx) => collectionSave(org, ctx, 'insert'), api);
  router.add('PATCH', `${data}/composite/sobjects`, (ctx) => collectionSave(org, ctx, 'update'), api);
  router.add('DELETE', `${data}/composite/sobjects`, (ctx) => collectionDelete(org, ctx), api);
  router.add(['GET', 'POST'], `${data}/composite/sobjects/:object`, (ctx) => collectionRetrieve(org, ctx), api);
}

// ---------------------------------------------------------------------------------------------
// describe

const schemaSeen = new WeakMap<object, { version: number; at: number }>();

/**
 * When the org's schema or permissions last changed (ms): deployed metadata, permission sets and
 * assignments, and any in-memory schema change since this process started.
 */
export function schemaLastModified(org: OrgContext): number {
  const row = org.db
    .prepare(
      `SELECT MAX(t) AS t FROM (
         SELECT MAX(last_modified_date) AS t FROM _metadata
         UNION ALL SELECT MAX(LastModifiedDate) FROM PermissionSet
         UNION ALL SELECT MAX(LastModifiedDate) FROM PermissionSetAssignment
         UNION ALL SELECT MAX(CreatedDate) FROM Organization)`,
    )
    .get() as { t: string | null };
  let at = row.t ? Date.parse(row.t) : 0;
  const seen = schemaSeen.get(org.schema);
  if (!seen) schemaSeen.set(org.schema, { version: org.schema.version, at });
  else if (seen.version !== org.schema.version) schemaSeen.set(org.schema, { version: org.schema.version, at: Math.max(Date.now(), at) });
  at = Math.max(at, schemaSeen.get(org.schema)!.at);
  return at;
}

/** 304 when `If-Modified-Since` is not older than the last schema change. */
function notModified(org: OrgContext, ctx: RequestContext): { lastModified: number; reply?: { status: number; headers: Record<string, string> } } {
  const lastModified = schemaLastModified(org);
  const header = ctx.req.headers['if-modified-since'];
  const since = typeof header === 'string' ? Date.parse(header) : NaN;
  if (!Number.isNaN(since) && Math.floor(lastModified / 1000) * 1000 <= since) {
    return { lastModified, reply: { status: 304, headers: { 'Last-Modified': new Date(lastModified).toUTCString() } } };
  }
  return { lastModified };
}

function describeGlobal(org: OrgContext, ctx: RequestContext) {
  const version = requireVersion(ctx.apiVersion);
  const { user } = ctx.requireSession();
  const { lastModified, reply } = notModified(org, ctx);
  if (reply) return reply;
  return {
    json: { encoding: 'UTF-8', maxBatchSize: 200, sobjects: visibleObjects(org, user).map((o) => globalEntry(org, user, o, version)) },
    headers: { 'Last-Modified': new Date(lastModified).toUTCString() },
  };
}

/** The object of the path, or the platform's 404 when it does not exist or the user cannot read it. */
function pathObject(org: OrgContext, ctx: RequestContext): { version: string; user: UserContext; o: ObjectDef } {
  const version = requireVersion(ctx.apiVersion);
  const { user } = ctx.requireSession();
  const o = visibleObject(org, user, ctx.params.object ?? '');
  if (!o) throw errors.notFound();
  ctx.audit.entityName = o.name;
  return { version, user, o };
}

function basicInfo(org: OrgContext, ctx: RequestContext) {
  const { version, user, o } = pathObject(org, ctx);
  org.beforeRead(o.name);
  const nameField = o.fields.find((fd) => fd.nameField && user.fieldAccess(o.name, fd.name).read);
  const recentItems: Record<string, unknown>[] = [];
  for (const id of recentItemIds(org.db, user.userId, o.name)) {
    if (recentItems.length >= RECENT_ITEMS) break;
    const found = lookupRecord(org, user, o, id);
    if (found.status !== 'ok') continue;
    const fields = [o.fields.find((fd) => fd.name === 'Id')!, ...(nameField ? [nameField] : [])];
    recentItems.push(renderRecord(o, found.row, fields, version));
  }
  return { json: { objectDescribe: globalEntry(org, user, o, version), recentItems } };
}

function describe(org: OrgContext, ctx: RequestContext) {
  const { version, user, o } = pathObject(org, ctx);
  const { lastModified, reply } = notModified(org, ctx);
  if (reply) return reply;
  return { json: describeSObject(org, user, o, version), headers: { 'Last-Modified': new Date(lastModified).toUTCString() } };
}

// ---------------------------------------------------------------------------------------------
// records

function retrieveRecord(org: OrgContext, ctx: RequestContext) {
  const { version, user, o } = pathObject(org, ctx);
  org.beforeRead(o.name);
  const segment = ctx.params.id ?? '';
  if (segment === 'updated' || segment === 'deleted') return changedRecords(org, ctx, user, o, segment);
  if (segment === 'describe') throw errors.notFound();
  const id = recordIdFromPath(o, segment);
  const fieldsParam = ctx.query.get('fields');
  let fields = fieldsParam !== null ? requestedFields(o, user, fieldsParam.split(','), org) : readableFields(o, user);
  if (fieldsParam !== null && !fields.some((fd) => fd.name === 'Id')) fields = [...fields, o.fields.find((fd) => fd.name === 'Id')!];
  const found = lookupRecord(org, user, o, id);
  if (found.status === 'deleted') throw new ApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
  if (found.status !== 'ok') throw errors.notFound();
  const modified = String(found.row.SystemModstamp ?? found.row.LastModifiedDate ?? '');
  const since = Date.parse(String(ctx.req.headers['if-modified-since'] ?? ''));
  if (!Number.isNaN(since) && modified && Date.parse(modified) < since + 1000) return { status: 304 };
  touchRecentItem(org.db, user.userId, o.name, id);
  return { json: renderRecord(o, found.row, fields, version), headers: modified ? { 'Last-Modified': new Date(modified).toUTCString() } : undefined };
}

/**
 * `GET /sobjects/{Obj}/updated?start=&end=` and `…/deleted?start=&end=` (jsforce `updated()` /
 * `deleted()`): Ids of readable records changed, or moved to the Recycle Bin, in the window.
 */
function changedRecords(org: OrgContext, ctx: RequestContext, user: UserContext, o: ObjectDef, kind: 'updated' | 'deleted') {
  const parse = (name: string): string => {
    const raw = ctx.query.get(name);
    const iso = raw ? parseDatetime(raw.replace(/ /g, '+')) : undefined;
    if (!iso) throw new ApiError(400, 'INVALID_QUERY_FILTER_OPERATOR', `${name}: a valid ISO-8601 date and time is required`);
    return iso;
  };
  const start = parse('start');
  const end = parse('end');
  const pred = readPredicate(org.schema, user, o.name, 't');
  const rows = org.db
    .prepare(
      `SELECT t.Id AS id, t.SystemModstamp AS at FROM ${q(o.name)} t
       WHERE t.IsDeleted = ? AND t.SystemModstamp >= ? AND t.SystemModstamp <= ?${pred ? ` AND (${pred.sql})` : ''}
       ORDER BY t.SystemModstamp`,
    )
    .all(kind === 'deleted' ? 1 : 0, start, end, ...(pred?.params ?? [])) as { id: string; at: string }[];
  const covered = formatDatetime(new Date(Math.min(Date.parse(end), Date.now())).toISOString());
  if (kind === 'updated') return { json: { ids: rows.map((r) => r.id), latestDateCovered: covered } };
  return {
    json: {
      deletedRecords: rows.map((r) => ({ id: r.id, deletedDate: formatDatetime(r.at) })),
      earliestDateAvailable: formatDatetime(start),
      latestDateCovered: covered,
    },
  };
}

async function recordBody(org: OrgContext, ctx: RequestContext, user: UserContext, o: ObjectDef): Promise<Record<string, unknown>> {
  const body = await ctx.json<unknown>();
  if (!isPlainObject(body)) throw errors.jsonParser(`Cannot deserialize instance of ${o.name} from ${Array.isArray(body) ? 'START_ARRAY' : 'VALUE_STRING'} value`);
  const problem = bodyError(org, user, o, body);
  if (problem) throw problem;
  return body;
}

async function createRecord(org: OrgContext, ctx: RequestContext) {
  const { user, o } = pathObject(org, ctx);
  const body = await ctx.json<unknown>();
  if (isPlainObject(body) && Object.keys(body).some((k) => k.toLowerCase() === 'id')) {
    throw new ApiError(400, 'INVALID_FIELD', 'The Id field should not be specified in the sobject data.');
  }
  if (!isPlainObject(body)) throw errors.jsonParser(`Cannot deserialize instance of ${o.name} from ${Array.isArray(body) ? 'START_ARRAY' : 'VALUE_STRING'} value`);
  const problem = bodyError(org, user, o, body);
  if (problem) throw problem;
  const result = ctx.atomic(() => {
    const [r] = insertRecords(org, user, o.name, [body]);
    if (!r!.success) throw saveErrorsToApi(r!.errors);
    return r!;
  }, 201);
  return { status: 201, json: { id: result.id, success: true, errors: [] } };
}

async function updateRecord(org: OrgContext, ctx: RequestContext) {
  const { user, o } = pathObject(org, ctx);
  const id = recordIdFromPath(o, ctx.params.id ?? '');
  const body = await recordBody(org, ctx, user, o);
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k.toLowerCase() !== 'id') values[k] = v;
    else if (v !== null && v !== undefined && !sameId(String(v), id)) {
      throw new ApiError(400, 'INVALID_FIELD', 'The Id field should not be specified in the sobject data.');
    }
  }
  const existing = org.store.get(o, id);
  if (!existing) throw errors.notFound();
  ctx.atomic(() => {
    const [r] = updateRecords(org, user, o.name, [{ ...values, Id: id }]);
    if (!r!.success) throw saveErrorsToApi(r!.errors);
  }, 204);
  return { status: 204 };
}

function deleteRecord(org: OrgContext, ctx: RequestContext) {
  const { user, o } = pathObject(org, ctx);
  const id = recordIdFromPath(o, ctx.params.id ?? '');
  if (!org.store.get(o, id)) throw errors.notFound();
  ctx.atomic(() => {
    const [r] = deleteRecords(org, user, o.name, [id]);
    if (!r!.success) throw saveErrorsToApi(r!.errors);
  }, 204);
  return { status: 204 };
}

/** `GET /sobjects/{Obj}/{id}/{blobField}`: the body of a base64 field (EventLogFile LogFile: the CSV). */
function blobField(org: OrgContext, ctx: RequestContext) {
  const { user, o } = pathObject(org, ctx);
  if (ctx.params.id === 'describe') throw errors.notFound();
  const id = recordIdFromPath(o, ctx.params.id ?? '');
  const fd = org.schema.field(o.name, ctx.params.field ?? '');
  if (!fd || fd.type !== 'base64' || !user.fieldAccess(o.name, fd.name).read) throw errors.notFound();
  org.beforeRead(o.name);
  const found = lookupRecord(org, user, o, id);
  if (found.status === 'deleted') throw new ApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
  if (found.status !== 'ok') throw errors.notFound();
  if (o.name === 'EventLogFile') {
    const content = org.eventLogs.content(id);
    if (content === undefined) throw errors.notFound();
    return { body: content, contentType: 'application/octetstream' };
  }
  const value = found.row[fd.name];
  if (value === null || value === undefined) throw errors.notFound();
  return { body: Buffer.from(String(value), 'base64'), contentType: 'application/octetstream' };
}

// ---------------------------------------------------------------------------------------------
// sObject Collections

/** A SaveResult as the collections return it: failed inserts have no `id`. */
function collectionResult(r: SaveResult): Record<string, unknown> {
  if (r.success) return { id: r.id, success: true, errors: [] };
  return r.id === null ? { success: false, errors: r.errors } : { id: r.id, success: false, errors: r.errors };
}

function tooMany(): ApiError {
  return new ApiError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION_RECORDS} records into this call`);
}

function auditEntity(ctx: RequestContext, names: (string | undefined)[]): void {
  const distinct = [...new Set(names.filter((n): n is string => Boolean(n)))];
  if (distinct.length === 1) ctx.audit.entityName = distinct[0];
}

async function collectionSave(org: OrgContext, ctx: RequestContext, op: 'insert' | 'update') {
  requireVersion(ctx.apiVersion);
  const { user } = ctx.requireSession();
  const body = await ctx.json<unknown>();
  if (!isPlainObject(body) || !Array.isArray(body.records)) throw errors.jsonParser('Cannot deserialize the request: expected {"allOrNone": …, "records": […]}');
  const records = body.records as unknown[];
  if (records.length > MAX_COLLECTION_RECORDS) throw tooMany();
  const ops: DmlOperation[] = [];
  for (const [i, record] of records.entries()) {
    if (!isPlainObject(record)) throw errors.jsonParser(`Cannot deserialize record ${i}: expected an object`);
    const attributes = isPlainObject(record.attributes) ? record.attributes : {};
    let type = typeof attributes.type === 'string' ? attributes.type : undefined;
    const rawId = idOf(record);
    if (!type && op === 'update' && rawId && isValidId(rawId)) type = org.schema.byKeyPrefix(to18(rawId).slice(0, 3))?.name;
    if (!type) throw new ApiError(400, 'INVALID_TYPE', `No SObject Type defined in record ${i}: specify attributes.type`);
    const o = visibleObject(org, user, type);
    if (!o) throw new ApiError(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
    const problem = bodyError(org, user, o, record);
    if (problem) throw problem;
    ops.push({ op, objectName: o.name, record });
  }
  auditEntity(
    ctx,
    ops.map((x) => (x.op === 'delete' ? undefined : x.objectName)),
  );
  const allOrNone = body.allOrNone === true || body.allOrNone === 'true';
  const results = ctx.atomic(() => executeDml(org, user, ops, { allOrNone }), 200);
  return { json: results.map(collectionResult) };
}

function collectionDelete(org: OrgContext, ctx: RequestContext) {
  requireVersion(ctx.apiVersion);
  const { user } = ctx.requireSession();
  const ids = (ctx.query.get('ids') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new ApiError(400, 'MISSING_ARGUMENT', 'ids: the list of record ids to delete is required');
  if (ids.length > MAX_COLLECTION_RECORDS) throw tooMany();
  auditEntity(
    ctx,
    ids.map((id) => (isValidId(id) ? org.schema.byKeyPrefix(id.slice(0, 3))?.name : undefined)),
  );
  const allOrNone = (ctx.query.get('allOrNone') ?? '').toLowerCase() === 'true';
  const results = ctx.atomic(
    () =>
      executeDml(
        org,
        user,
        ids.map((id) => ({ op: 'delete', id })),
        { allOrNone },
      ),
    200,
  );
  return { json: results.map(collectionResult) };
}

/** `POST /composite/sobjects/{Obj}` `{ids, fields}` (or GET with `?ids=&fields=`): records or null, in order. */
async function collectionRetrieve(org: OrgContext, ctx: RequestContext) {
  const { version, user, o } = pathObject(org, ctx);
  let ids: unknown;
  let fieldNames: unknown;
  if (ctx.method === 'POST') {
    const body = await ctx.json<unknown>();
    if (!isPlainObject(body)) throw errors.jsonParser('Cannot deserialize the request: expected {"ids": […], "fields": […]}');
    ids = body.ids;
    fieldNames = body.fields;
  } else {
    ids = (ctx.query.get('ids') ?? '').split(',').filter(Boolean);
    fieldNames = ctx.query.has('fields') ? (ctx.query.get('fields') ?? '').split(',') : undefined;
  }
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((x) => typeof x !== 'string')) {
    throw new ApiError(400, 'MISSING_ARGUMENT', 'ids: a list of record ids is required');
  }
  if (ids.length > MAX_RETRIEVE_IDS) throw new ApiError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot retrieve more than ${MAX_RETRIEVE_IDS} records`);
  if (fieldNames !== undefined && (!Array.isArray(fieldNames) || fieldNames.some((x) => typeof x !== 'string'))) {
    throw errors.jsonParser('fields: expected a list of field names');
  }
  let fields = fieldNames === undefined ? readableFields(o, user) : requestedFields(o, user, fieldNames as string[], org);
  if (!fields.some((fd) => fd.name === 'Id')) fields = [...fields, o.fields.find((fd) => fd.name === 'Id')!];
  org.beforeRead(o.name);
  const out = (ids as string[]).map((raw) => {
    const id = recordIdFromPath(o, raw);
    const found = lookupRecord(org, user, o, id);
    return found.status === 'ok' ? renderRecord(o, found.row, fields, version) : null;
  });
  return { json: out };
}
