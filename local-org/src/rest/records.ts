/**
 * Shared pieces of the record endpoints: the Id in a record URL, reading one record the way the
 * user may see it, rendering it as REST JSON, and the request-level checks of a record body the
 * REST API makes before any DML (unknown fields, values of the wrong JSON type).
 */
import { isValidId, to18 } from '../ids.ts';
import { ApiError, ApiErrors, errors } from '../http/errors.ts';
import type { OrgContext } from '../org/context.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';
import { readPredicate } from '../security/sharing.ts';
import type { UserContext } from '../security/types.ts';
import { q } from '../storage/database.ts';
import { toApi, type Row } from '../storage/record-store.ts';
import type { SaveError } from '../dml/types.ts';
import { coerceValue } from '../dml/values.ts';

const ID_SHAPE = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/**
 * The record Id in `/sobjects/{Obj}/{segment}`: an Id of another object (or with a bad checksum)
 * is MALFORMED_ID; anything that is not Id-shaped is taken as an external id value, and the
 * platform answers NOT_FOUND "Provided external ID field does not exist or is not accessible".
 */
export function recordIdFromPath(o: ObjectDef, segment: string): string {
  if (ID_SHAPE.test(segment)) {
    if (!isValidId(segment) || segment.slice(0, 3) !== o.keyPrefix) throw errors.malformedId(o.label, segment);
    return to18(segment);
  }
  throw new ApiError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${segment}`);
}

export function invalidFieldError(o: ObjectDef, name: string): ApiError {
  return new ApiError(
    400,
    'INVALID_FIELD',
    `No such column '${name}' on entity '${o.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

/** Resolves `fields=` names (any case) to readable fields; an unknown or hidden one is a 400 INVALID_FIELD. */
export function requestedFields(o: ObjectDef, user: UserContext, names: string[], org: OrgContext): FieldDef[] {
  const out: FieldDef[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (!name) continue;
    const fd = org.schema.field(o.name, name);
    if (!fd || !user.fieldAccess(o.name, fd.name).read) throw invalidFieldError(o, name);
    if (!out.includes(fd)) out.push(fd);
  }
  return out;
}

export type RecordLookup = { status: 'ok'; row: Row } | { status: 'missing' } | { status: 'deleted' } | { status: 'hidden' };

/** One record as the user may read it (object access is the caller's check). */
export function lookupRecord(org: OrgContext, user: UserContext, o: ObjectDef, id: string): RecordLookup {
  const pred = readPredicate(org.schema, user, o.name, 't');
  const row = org.db
    .prepare(`SELECT t.*, ${pred ? `CASE WHEN ${pred.sql} THEN 1 ELSE 0 END` : '1'} AS "__visible" FROM ${q(o.name)} t WHERE t.Id = ?`)
    .get(...(pred?.params ?? []), id) as (Row & { __visible: number }) | undefined;
  if (!row) return { status: 'missing' };
  if (row.__visible !== 1) return { status: 'hidden' };
  if (row.IsDeleted === 1) return { status: 'deleted' };
  const { __visible: _, ...rest } = row;
  return { status: 'ok', row: rest };
}

/** The REST JSON of a record: `attributes` first, then the fields in order, nulls included. */
export function renderRecord(o: ObjectDef, row: Row, fields: FieldDef[], version: string): Record<string, unknown> {
  const id = String(row.Id);
  const out: Record<string, unknown> = { attributes: { type: o.name, url: `/services/data/v${version}/sobjects/${o.name}/${id}` } };
  for (const fd of fields) {
    if (fd.type === 'base64') {
      out[fd.name] = row[fd.name] === null && o.name !== 'EventLogFile' ? null : `/services/data/v${version}/sobjects/${o.name}/${id}/${fd.name}`;
    } else {
      out[fd.name] = toApi(fd, row[fd.name] ?? null);
    }
  }
  return out;
}

/** The DML errors of one record as the REST error array, with the status the platform uses. */
export function saveErrorsToApi(list: SaveError[]): ApiErrors {
  return new ApiErrors(
    restStatusFor(list[0]?.statusCode ?? ''),
    list.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })),
  );
}

/** HTTP status of a single-record REST call failing with a DML status code. */
export function restStatusFor(statusCode: string): number {
  switch (statusCode) {
    case 'ENTITY_IS_DELETED':
    case 'NOT_FOUND':
      return 404;
    case 'INSUFFICIENT_ACCESS_OR_READONLY':
      return 403;
    default:
      return 400;
  }
}

/**
 * Request-level checks the REST API makes while deserialising a record body: an unknown or
 * FLS-hidden field is a 400 INVALID_FIELD "No such column 'X' on sobject of type Y"; a value of the
 * wrong JSON type is a 400 JSON_PARSER_ERROR. Returns undefined when the body deserialises.
 */
export function bodyError(org: OrgContext, user: UserContext, o: ObjectDef, record: Record<string, unknown>): ApiError | undefined {
  for (const [key, value] of Object.entries(record)) {
    if (key === 'attributes' || key.toLowerCase() === 'id') continue;
    const fd = org.schema.field(o.name, key);
    if (!fd || !user.fieldAccess(o.name, fd.name).read) {
      return new ApiError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${o.name}`);
    }
    const c = coerceValue(fd, value);
    if (!c.ok && c.shape) {
      return new ApiError(
        400,
        'JSON_PARSER_ERROR',
        `Cannot deserialize instance of ${c.shape.javaType} from ${c.shape.token} value ${typeof value === 'string' ? value : JSON.stringify(value)} or request may be missing a required field`,
      );
    }
  }
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
