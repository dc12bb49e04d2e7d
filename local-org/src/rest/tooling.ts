/**
 * Tooling API sObject endpoints for the objects in schema/tooling-objects.ts:
 *
 *   GET    /services/data/vXX.X/tooling/sobjects                      describeGlobal (tooling objects)
 *   GET    /services/data/vXX.X/tooling/sobjects/{Obj}                basic info
 *   GET    /services/data/vXX.X/tooling/sobjects/{Obj}/describe       describe
 *   GET    /services/data/vXX.X/tooling/sobjects/{Obj}/{Id}[?fields=] one record
 *   POST   /services/data/vXX.X/tooling/sobjects/McpServerAccess      activate a server (201 {id, success, errors})
 *   PATCH  /services/data/vXX.X/tooling/sobjects/McpServerAccess/{Id} e.g. {"Active":false} → 204
 *   DELETE /services/data/vXX.X/tooling/sobjects/McpServerAccess/{Id} → 204
 *
 * Tooling queries (`/tooling/query`) are served by the SOQL engine (rest/query.ts). Any other object
 * name is NOT_FOUND, which is also how the sf CLI learns that the org has no `SourceMember` (no
 * source tracking, as in a production or Developer Edition org).
 *
 * McpServerAccess rules (platform.md §5.2): the standard servers' DeveloperNames
 * (`platform_sobject_reads|mutations|deletes|all`) need no McpServerId; any other DeveloperName
 * needs the Id of a deployed McpServerDefinition, else FIELD_INTEGRITY_EXCEPTION "McpServerId is
 * required for custom server access records". Creating and changing records needs Customize
 * Application. No record exists (nothing is active) until an admin creates one.
 */
import { isValidId, to18 } from '../ids.ts';
import { ApiError, errors } from '../http/errors.ts';
import type { RequestContext, Router } from '../http/router.ts';
import { standardServerByDeveloperName } from '../metadata/mcp-servers.ts';
import type { OrgContext } from '../org/context.ts';
import type { ObjectDef } from '../schema/types.ts';
import type { UserContext } from '../security/types.ts';
import { q } from '../storage/database.ts';
import { toStored, type Row } from '../storage/record-store.ts';
import { describeSObject, globalEntry } from './describe.ts';
import { renderRecord, requestedFields } from './records.ts';
import { requireVersion } from './versions.ts';

const OPTS = { auth: 'api', family: 'Tooling' } as const;

export function registerTooling(router: Router, org: OrgContext): void {
  const toolingObject = (ctx: RequestContext, user: UserContext): ObjectDef => {
    const o = org.schema.get(ctx.params.object ?? '');
    if (!o || !o.toolingOnly || !user.objectAccess(o.name).read) throw errors.notFound();
    ctx.audit.entityName = o.name;
    return o;
  };

  router.add(
    'GET',
    '/services/data/:version/tooling/sobjects',
    (ctx) => {
      const version = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const sobjects = org.schema
        .objects()
        .filter((o) => o.toolingOnly && user.objectAccess(o.name).read)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((o) => toolingUrls(globalEntry(org, user, o, version)));
      return { json: { encoding: 'UTF-8', maxBatchSize: 200, sobjects } };
    },
    OPTS,
  );

  router.add(
    'GET',
    '/services/data/:version/tooling/sobjects/:object',
    (ctx) => {
      const version = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const o = toolingObject(ctx, user);
      const recent = org.db
        .prepare(`SELECT * FROM ${q(o.name)} WHERE IsDeleted = 0 ORDER BY LastModifiedDate DESC LIMIT 5`)
        .all() as Row[];
      const fields = o.fields.filter((fd) => fd.name === 'Id' || fd.nameField || ['DeveloperName', 'Name', 'ApiName', 'MasterLabel'].includes(fd.name));
      return {
        json: {
          objectDescribe: toolingUrls(globalEntry(org, user, o, version)),
          recentItems: recent.map((r) => toolingRecord(o, r, fields, version)),
        },
      };
    },
    OPTS,
  );

  router.add(
    'GET',
    '/services/data/:version/tooling/sobjects/:object/describe',
    (ctx) => {
      const version = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const o = toolingObject(ctx, user);
      return { json: toolingUrls(describeSObject(org, user, o, version)) };
    },
    OPTS,
  );

  router.add(
    'GET',
    '/services/data/:version/tooling/sobjects/:object/:id',
    (ctx) => {
      const version = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const o = toolingObject(ctx, user);
      const id = idFromPath(o, ctx.params.id!);
      const row = org.db.prepare(`SELECT * FROM ${q(o.name)} WHERE Id = ? AND IsDeleted = 0`).get(id) as Row | undefined;
      if (!row) throw errors.notFound();
      const names = ctx.query.get('fields');
      const fields = names ? requestedFields(o, user, names.split(','), org) : o.fields;
      return { json: toolingRecord(o, row, fields, version) };
    },
    OPTS,
  );

  router.add(
    'POST',
    '/services/data/:version/tooling/sobjects/:object',
    async (ctx) => {
      requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const o = toolingObject(ctx, user);
      requireAccessRecords(o);
      if (!user.objectAccess(o.name).create) throw noPermission();
      const body = await ctx.json<Record<string, unknown>>();
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.jsonParser('Expected a JSON object');
      const values = accessValues(org, o, body, undefined);
      const id = ctx.atomic(() => org.store.insert(o, values, user.userId), 201);
      return { status: 201, json: { id, success: true, errors: [] }, headers: { Location: `/services/data/v${ctx.apiVersion}/tooling/sobjects/${o.name}/${id}` } };
    },
    OPTS,
  );

  router.add(
    'PATCH',
    '/services/data/:version/tooling/sobjects/:object/:id',
    async (ctx) => {
      requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const o = toolingObject(ctx, user);
      requireAccessRecords(o);
      if (!user.objectAccess(o.name).edit) throw noPermission();
      const id = idFromPath(o, ctx.params.id!);
      const current = org.db.prepare(`SELECT * FROM ${q(o.name)} WHERE Id = ? AND IsDeleted = 0`).get(id) as Row | undefined;
      if (!current) throw errors.notFound();
      const body = await ctx.json<Record<string, unknown>>();
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.jsonParser('Expected a JSON object');
      const values = accessValues(org, o, body, current);
      ctx.atomic(() => org.store.update(o, id, values, user.userId), 204);
      return { status: 204 };
    },
    OPTS,
  );

  router.add(
    'DELETE',
    '/services/data/:version/tooling/sobjects/:object/:id',
    (ctx) => {
      requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const o = toolingObject(ctx, user);
      requireAccessRecords(o);
      if (!user.objectAccess(o.name).delete) throw noPermission();
      const id = idFromPath(o, ctx.params.id!);
      const current = org.db.prepare(`SELECT Id FROM ${q(o.name)} WHERE Id = ? AND IsDeleted = 0`).get(id);
      if (!current) throw errors.notFound();
      ctx.atomic(() => org.store.softDelete(o, id, user.userId), 204);
      return { status: 204 };
    },
    OPTS,
  );
}

/** Only McpServerAccess is written through the Tooling API; the metadata views change by deploying. */
function requireAccessRecords(o: ObjectDef): void {
  if (o.name !== 'McpServerAccess') {
    throw new ApiError(400, 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', `${o.name} records change by deploying metadata, not through the Tooling API`);
  }
}

function noPermission(): ApiError {
  return errors.insufficientAccess('Activating MCP servers requires the Customize Application permission');
}

function idFromPath(o: ObjectDef, segment: string): string {
  if (!isValidId(segment) || segment.slice(0, 3) !== o.keyPrefix) throw errors.notFound();
  return to18(segment);
}

/** Rewrites data-API URLs (`/sobjects/…`) of a describe or record to their Tooling form. */
function toolingUrls<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/(\/services\/data\/v\d+\.\d)\/sobjects\//g, '$1/tooling/sobjects/')) as T;
}

function toolingRecord(o: ObjectDef, row: Row, fields: ObjectDef['fields'], version: string): Record<string, unknown> {
  return toolingUrls(renderRecord(o, row, fields, version));
}

const WRITABLE = ['DeveloperName', 'MasterLabel', 'Active', 'McpServerId', 'Language'];

/** Validates an McpServerAccess body (create: `current` undefined) and returns the values to store. */
function accessValues(org: OrgContext, o: ObjectDef, body: Record<string, unknown>, current: Row | undefined): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'attributes' || (key.toLowerCase() === 'id' && current)) continue;
    const fd = org.schema.field(o.name, key);
    if (!fd) throw new ApiError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${o.name}`);
    if (!WRITABLE.includes(fd.name)) throw new ApiError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${fd.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, [fd.name]);
    if (fd.type === 'boolean' && typeof value !== 'boolean') {
      throw errors.jsonParser(`Cannot deserialize instance of boolean from ${typeof value === 'string' ? 'VALUE_STRING' : 'VALUE'} value ${JSON.stringify(value)} or request may be missing a required field`);
    }
    if (fd.type !== 'boolean' && value !== null && typeof value !== 'string') {
      throw errors.jsonParser(`Cannot deserialize instance of string from ${JSON.stringify(value)} or request may be missing a required field`);
    }
    values[fd.name] = value;
  }
  const merged = (name: string): unknown => (name in values ? values[name] : current ? current[name] : undefined);
  const missing = ['DeveloperName', 'MasterLabel'].filter((n) => merged(n) === undefined || merged(n) === null || merged(n) === '');
  if (missing.length) throw new ApiError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
  const developerName = String(merged('DeveloperName'));
  if (!/^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$/.test(developerName) || developerName.endsWith('_')) {
    throw new ApiError(400, 'FIELD_INTEGRITY_EXCEPTION', 'The DeveloperName field can only contain underscores and alphanumeric characters. It must be unique, begin with a letter, not include spaces, not end with an underscore, and not contain two consecutive underscores.', ['DeveloperName']);
  }
  const language = merged('Language');
  if (language !== undefined && language !== null && !o.fields.find((f) => f.name === 'Language')!.picklistValues!.some((p) => p.value === language)) {
    throw new ApiError(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `Language: bad value for restricted picklist field: ${String(language)}`, ['Language']);
  }
  const serverId = merged('McpServerId');
  const standard = standardServerByDeveloperName(developerName);
  if (standard) {
    if (serverId) throw new ApiError(400, 'FIELD_INTEGRITY_EXCEPTION', 'McpServerId must be empty for standard server access records', ['McpServerId']);
    values.DeveloperName = standard.developerName;
  } else {
    if (!serverId) throw new ApiError(400, 'FIELD_INTEGRITY_EXCEPTION', 'McpServerId is required for custom server access records', ['McpServerId']);
    const sid = String(serverId);
    if (!isValidId(sid)) throw errors.malformedId('MCP Server', sid, 'McpServerId');
    const def = org.db.prepare('SELECT Id FROM McpServerDefinition WHERE Id = ? AND IsDeleted = 0').get(to18(sid)) as { Id: string } | undefined;
    if (!def) throw new ApiError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['McpServerId']);
    if ('McpServerId' in values) values.McpServerId = def.Id;
  }
  const duplicate = org.db
    .prepare(`SELECT Id FROM ${q(o.name)} WHERE DeveloperName = ? AND IsDeleted = 0 AND Id <> ?`)
    .get(toStored(o.fields.find((f) => f.name === 'DeveloperName')!, developerName), current?.Id ?? '') as { Id: string } | undefined;
  if (duplicate) throw new ApiError(400, 'DUPLICATE_VALUE', `duplicate value found: DeveloperName duplicates value on record with id: ${duplicate.Id}`, ['DeveloperName']);
  return values;
}
