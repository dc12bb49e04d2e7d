/**
 * The org-backed record access of a flow interview: SOQL through the org's SOQL engine and DML
 * through the org's DML service, both in user mode for the calling user — the same code paths (and
 * so the same CRUD, FLS and sharing rules) as `/query` and `/sobjects` over REST.
 */
import { deleteRecords, insertRecords, updateRecords } from '../dml/index.ts';
import { ApiError } from '../http/errors.ts';
import type { OrgContext } from '../org/context.ts';
import type { UserContext } from '../security/types.ts';
import { runQuery } from '../soql/engine.ts';
import { toApi } from '../storage/record-store.ts';
import { fromApiFieldValue, type FlowValue } from './flow-values.ts';
import { DataServiceError, type FlowDataServices, type SaveResult } from './flow-interpreter.ts';

/** Rows a Get Records element can return in one query (the platform's per-transaction SOQL row limit). */
const MAX_ROWS = 50_000;

export function orgDataServices(org: OrgContext, user: UserContext, apiVersion: string): FlowDataServices {
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ApiError) throw new DataServiceError({ statusCode: e.errorCode, message: e.message, fields: e.fields ?? [] });
      throw e;
    }
  };
  const normalize = (results: { id: string | null; success: boolean; errors: { statusCode: string; message: string; fields: string[] }[] }[]): SaveResult[] =>
    results.map((r) => ({ id: r.id, success: r.success, errors: r.errors }));
  return {
    query: (soql, binds) => wrap(() => runQuery(org, soql, { user, apiVersion, binds, batchSize: MAX_ROWS }).records as Record<string, unknown>[]),
    insert: (objectName, records) => wrap(() => normalize(insertRecords(org, user, objectName, records, { allOrNone: true }))),
    update: (objectName, records) => wrap(() => normalize(updateRecords(org, user, objectName, records, { allOrNone: true }))),
    delete: (objectName, ids) => wrap(() => normalize(deleteRecords(org, user, objectName, ids, { allOrNone: true }))),
    atomic: <T>(fn: () => T): T => org.db.transaction(fn)(),
  };
}

/**
 * `$User.<Field>`, `$Organization.<Field>`, `$Profile.Name`, `$UserRole.Name` for a user. These
 * are the running user's own values, readable in a flow whatever the field-level security.
 */
export function orgGlobals(org: OrgContext, user: UserContext): (root: string, field: string) => FlowValue {
  const cache = new Map<string, Record<string, unknown> | undefined>();
  const row = (objectName: string, id: string | null): Record<string, unknown> | undefined => {
    const key = `${objectName}:${id}`;
    if (!cache.has(key)) {
      const o = org.schema.get(objectName);
      cache.set(key, o && id ? (org.store.get(o, id) as Record<string, unknown> | undefined) : undefined);
    }
    return cache.get(key);
  };
  const value = (objectName: string, id: string | null, field: string): FlowValue => {
    const r = row(objectName, id);
    const fd = org.schema.field(objectName, field);
    if (!fd) throw new DataServiceError({ statusCode: 'INVALID_FIELD', message: `The global variable field ${field} does not exist on ${objectName}.`, fields: [] });
    if (!r) return null;
    return fromApiFieldValue(fd, toApi(fd, (r[fd.name] ?? null) as string | number | null));
  };
  return (root, field) => {
    switch (root.toLowerCase()) {
      case '$user':
        return value('User', user.userId, field);
      case '$organization':
        return value('Organization', org.orgId, field);
      case '$profile':
        return field.toLowerCase() === 'name' ? user.profileName : value('Profile', user.profileId, field);
      case '$userrole':
        return value('UserRole', user.roleId, field);
    }
    throw new DataServiceError({ statusCode: 'INVALID_FIELD', message: `The global variable ${root} is not supported.`, fields: [] });
  };
}
