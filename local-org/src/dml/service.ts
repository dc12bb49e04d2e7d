/**
 * The org's DML service: insert, update and delete as a user (user mode) or as the system, with
 * the platform's per-record SaveResults. REST sObject endpoints, composite requests, Flows, Apex
 * and the MCP tools all write through here, so every write path enforces the same rules:
 *
 * - object CRUD (INSUFFICIENT_ACCESS_OR_READONLY),
 * - field-level security: an unreadable field does not exist for the user (INVALID_FIELD
 *   "No such column"), a readable but read-only field cannot be written
 *   (INVALID_FIELD_FOR_INSERT_UPDATE); system fields are read-only for everyone,
 * - sharing for update/delete (`editPredicate`), ownership for delete and owner changes,
 * - read access to every record a lookup points at (INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY),
 * - type validation and coercion (values.ts), required fields, restricted picklists,
 * - the Recycle Bin (IsDeleted = 1) with cascade delete of master-detail children,
 * - allOrNone (ALL_OR_NONE_OPERATION_ROLLED_BACK).
 *
 * A batch runs in one SQLite transaction (a savepoint when the caller already holds one, e.g.
 * `ctx.atomic`), each record in its own savepoint so a failed record leaves no partial writes.
 *
 * Records the user cannot see at all are reported as the platform reports them to a DML call:
 * update/delete of a record outside the user's sharing is INSUFFICIENT_ACCESS_OR_READONLY
 * "insufficient access rights on object id" (the same answer as for a record the user can read
 * but not edit); a record in the Recycle Bin is ENTITY_IS_DELETED; an Id that matches no record is
 * INVALID_CROSS_REFERENCE_KEY on update and ENTITY_IS_DELETED on delete.
 */
import { isValidId, sameId, to18 } from '../ids.ts';
import type { OrgContext } from '../org/context.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';
import { editPredicate, readPredicate } from '../security/sharing.ts';
import type { UserContext } from '../security/types.ts';
import { q } from '../storage/database.ts';
import type { Row } from '../storage/record-store.ts';
import { touchRecentItem } from './recent-items.ts';
import { ALL_OR_NONE_ERROR, type ApiRecord, type DmlOperation, type DmlOptions, type DmlUser, type SaveError, type SaveResult } from './types.ts';
import { coerceValue } from './values.ts';

/** Setup objects whose changes alter what users may do: writing them drops the access cache. */
const ACCESS_OBJECTS = new Set(['user', 'profile', 'userrole', 'permissionset', 'permissionsetassignment', 'objectpermissions', 'fieldpermissions']);
/** Objects the platform never deletes through the API. */
const UNDELETABLE = new Set(['user', 'profile', 'organization']);
const MAX_CASCADE_DEPTH = 8;

export const INSUFFICIENT_ACCESS_MESSAGE = 'insufficient access rights on object id';

interface Actor {
  /** Undefined in system mode. */
  user?: UserContext;
  /** CreatedById / LastModifiedById of the writes. */
  userId: string;
}

class RecordFailure extends Error {
  constructor(
    readonly errors: SaveError[],
    readonly id: string | null = null,
  ) {
    super(errors.map((e) => e.message).join('; '));
  }
}

class RollbackAll extends Error {}

function fail(statusCode: string, message: string, fields: string[] = [], id: string | null = null): never {
  throw new RecordFailure([{ statusCode, message, fields }], id);
}

interface Performed {
  result: SaveResult;
  accessChanged: boolean;
}

/** Inserts records of one object. */
export function insertRecords(org: OrgContext, user: DmlUser, objectName: string, records: ApiRecord[], options: DmlOptions = {}): SaveResult[] {
  return executeDml(org, user, records.map((record) => ({ op: 'insert', objectName, record })), options);
}

/** Updates records of one object; each record carries its `Id` (or `id`). */
export function updateRecords(org: OrgContext, user: DmlUser, objectName: string, records: ApiRecord[], options: DmlOptions = {}): SaveResult[] {
  return executeDml(org, user, records.map((record) => ({ op: 'update', objectName, record })), options);
}

/** Deletes records of one object (moves them to the Recycle Bin); pass Ids or records with `Id`. */
export function deleteRecords(
  org: OrgContext,
  user: DmlUser,
  objectName: string,
  records: (string | ApiRecord)[],
  options: DmlOptions = {},
): SaveResult[] {
  return executeDml(
    org,
    user,
    records.map((r) => ({ op: 'delete', objectName, id: typeof r === 'string' ? r : String(idOf(r) ?? '') })),
    options,
  );
}

/** Runs a batch of operations (objects may differ) with one allOrNone scope. */
export function executeDml(org: OrgContext, user: DmlUser, ops: DmlOperation[], options: DmlOptions = {}): SaveResult[] {
  const actor: Actor = user === 'system' ? { userId: org.systemUserId } : { user, userId: user.userId };
  const results: SaveResult[] = [];
  let accessChanged = false;
  // Each record in its own savepoint, so a failure leaves none of its writes behind.
  const one = org.db.transaction((op: DmlOperation) => perform(org, actor, op));
  const batch = org.db.transaction(() => {
    for (const op of ops) {
      try {
        const done = one(op);
        results.push(done.result);
        accessChanged ||= done.accessChanged;
      } catch (err) {
        if (!(err instanceof RecordFailure)) throw err;
        results.push({ id: err.id, success: false, errors: err.errors });
      }
    }
    if (options.allOrNone && results.some((r) => !r.success)) throw new RollbackAll();
  });
  try {
    batch();
  } catch (err) {
    if (!(err instanceof RollbackAll)) throw err;
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.success) results[i] = { id: ops[i]!.op === 'insert' ? null : r.id, success: false, errors: [{ ...ALL_OR_NONE_ERROR }] };
    }
  }
  if (accessChanged) org.access.invalidate();
  return results;
}

function perform(org: OrgContext, actor: Actor, op: DmlOperation): Performed {
  switch (op.op) {
    case 'insert':
      return performInsert(org, actor, objectFor(org, op.objectName), op.record);
    case 'update': {
      const rawId = idOf(op.record);
      return performUpdate(org, actor, objectFor(org, op.objectName, rawId), op.record, rawId);
    }
    case 'delete':
      return performDelete(org, actor, op.objectName, op.id);
  }
}

/** The record's Id from `Id`/`id` (any case). */
export function idOf(record: ApiRecord): string | undefined {
  for (const [k, v] of Object.entries(record)) {
    if (k.toLowerCase() === 'id' && v !== null && v !== undefined && v !== '') return String(v);
  }
  return undefined;
}

function objectFor(org: OrgContext, objectName: string, id?: string | null): ObjectDef {
  const o = org.schema.get(objectName);
  if (!o || o.toolingOnly) fail('INVALID_TYPE', `sObject type '${objectName}' is not supported.`, [], id ?? null);
  return o;
}

// ---------------------------------------------------------------------------------------------
// insert

function performInsert(org: OrgContext, actor: Actor, o: ObjectDef, record: ApiRecord): Performed {
  if (!o.createable) fail('INVALID_TYPE_FOR_OPERATION', `entity type cannot be inserted: ${o.label}`);
  if (actor.user && !actor.user.objectAccess(o.name).create) fail('INSUFFICIENT_ACCESS_OR_READONLY', INSUFFICIENT_ACCESS_MESSAGE);
  const entries = resolveFields(org, actor, o, record, 'insert', null);
  const values = coerceAll(entries, null);
  const missing = o.fields.filter((fd) => isRequiredOnInsert(fd) && (values[fd.name] === null || values[fd.name] === undefined)).map((fd) => fd.name);
  if (missing.length) fail('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
  checkReferences(org, actor, entries, values, undefined, null);
  const owner = values.OwnerId;
  if (o.hasOwner && typeof owner === 'string' && !sameId(owner, actor.userId)) checkNewOwner(org, o, owner, null);
  checkControllingParent(org, actor, o, values, undefined, null);
  checkUnique(org, o, values, null, null);
  const id = org.store.insert(o, values, actor.userId);
  if (actor.user) touchRecentItem(org.db, actor.user.userId, o.name, id);
  return { result: { id, success: true, errors: [] }, accessChanged: ACCESS_OBJECTS.has(o.name.toLowerCase()) };
}

function isRequiredOnInsert(fd: FieldDef): boolean {
  return !fd.nillable && !fd.defaultedOnCreate && fd.createable && fd.type !== 'boolean' && !fd.computed && !fd.calculated;
}

// ---------------------------------------------------------------------------------------------
// update

function performUpdate(org: OrgContext, actor: Actor, o: ObjectDef, record: ApiRecord, rawId: string | undefined): Performed {
  if (!rawId) fail('MISSING_ARGUMENT', 'Id not specified in an update call');
  if (!isValidId(rawId) || rawId.slice(0, 3) !== o.keyPrefix) fail('MALFORMED_ID', `${o.label} ID: id value of incorrect type: ${rawId}`, ['Id'], rawId);
  const id = to18(rawId);
  if (!o.updateable) fail('INVALID_TYPE_FOR_OPERATION', `entity type cannot be updated: ${o.label}`, [], id);
  if (actor.user && !actor.user.objectAccess(o.name).edit) fail('INSUFFICIENT_ACCESS_OR_READONLY', INSUFFICIENT_ACCESS_MESSAGE, [], id);
  const current = org.store.get(o, id);
  if (!current) fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [], id);
  if (current.IsDeleted === 1) fail('ENTITY_IS_DELETED', 'entity is deleted', [], id);
  if (actor.user && !recordAccess(org, actor.user, o, id).edit) fail('INSUFFICIENT_ACCESS_OR_READONLY', INSUFFICIENT_ACCESS_MESSAGE, [], id);

  const entries = resolveFields(org, actor, o, record, 'update', id);
  const values = coerceAll(entries, id);
  const missing = entries
    .filter(([fd]) => !fd.nillable && fd.type !== 'boolean' && (values[fd.name] === null || values[fd.name] === undefined))
    .map(([fd]) => fd.name);
  if (missing.length) fail('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing, id);
  checkReferences(org, actor, entries, values, current, id);
  if (o.hasOwner && 'OwnerId' in values && !sameId(String(values.OwnerId), String(current.OwnerId ?? ''))) {
    if (actor.user) {
      const oa = actor.user.objectAccess(o.name);
      const ownsOrAbove = actor.user.hierarchyUserIds.some((u) => sameId(u, String(current.OwnerId ?? '')));
      if (!oa.modifyAll && !ownsOrAbove) fail('INSUFFICIENT_ACCESS_OR_READONLY', INSUFFICIENT_ACCESS_MESSAGE, [], id);
    }
    checkNewOwner(org, o, String(values.OwnerId), id);
  }
  checkControllingParent(org, actor, o, values, current, id);
  checkUnique(org, o, values, id, id);
  org.store.update(o, id, values, actor.userId);
  if (actor.user) touchRecentItem(org.db, actor.user.userId, o.name, id);
  return { result: { id, success: true, errors: [] }, accessChanged: ACCESS_OBJECTS.has(o.name.toLowerCase()) };
}

// ---------------------------------------------------------------------------------------------
// delete

function performDelete(org: OrgContext, actor: Actor, objectName: string | undefined, rawId: string): Performed {
  if (!rawId || !isValidId(rawId)) fail('MALFORMED_ID', `malformed id ${rawId}`, [], rawId || null);
  const id = to18(rawId);
  const byPrefix = org.schema.byKeyPrefix(id.slice(0, 3));
  let o: ObjectDef | undefined = byPrefix;
  if (objectName) {
    o = objectFor(org, objectName, id);
    if (id.slice(0, 3) !== o.keyPrefix) fail('MALFORMED_ID', `${o.label} ID: id value of incorrect type: ${rawId}`, ['Id'], id);
  }
  if (!o || o.toolingOnly) fail('MALFORMED_ID', `malformed id ${rawId}`, [], id);
  if (!o.deletable || UNDELETABLE.has(o.name.toLowerCase())) fail('INVALID_TYPE_FOR_OPERATION', `entity type cannot be deleted: ${o.label}`, [], id);
  const oa = actor.user?.objectAccess(o.name);
  if (actor.user && !oa!.delete) fail('INSUFFICIENT_ACCESS_OR_READONLY', INSUFFICIENT_ACCESS_MESSAGE, [], id);
  const current = org.store.get(o, id);
  if (!current || current.IsDeleted === 1) fail('ENTITY_IS_DELETED', 'entity is deleted', [], id);
  if (actor.user) {
    const access = recordAccess(org, actor.user, o, id);
    // Deleting needs full access: ownership (or a role above the owner) unless Modify All.
    const needsOwnership = o.hasOwner && !o.setup && o.sharingModel !== 'ControlledByParent' && !oa!.modifyAll;
    const ownsOrAbove = actor.user.hierarchyUserIds.some((u) => sameId(u, String(current.OwnerId ?? '')));
    if (!access.edit || (needsOwnership && !ownsOrAbove)) fail('INSUFFICIENT_ACCESS_OR_READONLY', INSUFFICIENT_ACCESS_MESSAGE, [], id);
  }
  let accessChanged = ACCESS_OBJECTS.has(o.name.toLowerCase());
  accessChanged = cascadeDelete(org, o, id, actor.userId, 0) || accessChanged;
  org.store.softDelete(o, id, actor.userId);
  return { result: { id, success: true, errors: [] }, accessChanged };
}

/** Moves the master-detail (cascade-delete) children of a record to the Recycle Bin with it. */
function cascadeDelete(org: OrgContext, parent: ObjectDef, parentId: string, actingUserId: string, depth: number): boolean {
  if (depth > MAX_CASCADE_DEPTH) return false;
  let accessChanged = false;
  for (const rel of org.schema.childRelationships(parent.name)) {
    if (!rel.cascadeDelete) continue;
    const child = org.schema.get(rel.childSObject);
    if (!child) continue;
    const rows = org.db.prepare(`SELECT Id FROM ${q(child.name)} WHERE ${q(rel.field)} = ? AND IsDeleted = 0`).all(parentId) as { Id: string }[];
    for (const { Id } of rows) {
      accessChanged = cascadeDelete(org, child, Id, actingUserId, depth + 1) || accessChanged;
      org.store.softDelete(child, Id, actingUserId);
      accessChanged ||= ACCESS_OBJECTS.has(child.name.toLowerCase());
    }
  }
  return accessChanged;
}

// ---------------------------------------------------------------------------------------------
// shared checks

/** Maps body keys to fields: unknown or FLS-hidden → INVALID_FIELD; not writable → INVALID_FIELD_FOR_INSERT_UPDATE. */
function resolveFields(org: OrgContext, actor: Actor, o: ObjectDef, record: ApiRecord, mode: 'insert' | 'update', id: string | null): [FieldDef, unknown][] {
  const entries = new Map<string, [FieldDef, unknown]>();
  const readOnly: string[] = [];
  for (const [key, raw] of Object.entries(record)) {
    if (key === 'attributes') continue;
    if (key.toLowerCase() === 'id') {
      if (mode === 'insert' && raw !== null && raw !== undefined && raw !== '') fail('INVALID_FIELD', 'cannot specify Id in an insert call', ['Id']);
      continue;
    }
    const fd = org.schema.field(o.name, key);
    const fls = fd && actor.user ? actor.user.fieldAccess(o.name, fd.name) : undefined;
    if (!fd || (actor.user && !fls!.read)) fail('INVALID_FIELD', `No such column '${key}' on sobject of type ${o.name}`, [], id);
    const systemWritable = (mode === 'insert' ? fd.createable : fd.updateable) && !fd.computed && !fd.calculated;
    if (!systemWritable || (fls && !fls.edit)) {
      if (!readOnly.includes(fd.name)) readOnly.push(fd.name);
      continue;
    }
    entries.set(fd.name, [fd, raw]);
  }
  if (readOnly.length) {
    fail(
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      `Unable to create/update fields: ${readOnly.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      readOnly,
      id,
    );
  }
  return [...entries.values()];
}

function coerceAll(entries: [FieldDef, unknown][], id: string | null): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [fd, raw] of entries) {
    const c = coerceValue(fd, raw);
    if (!c.ok) throw new RecordFailure([c.error], id);
    values[fd.name] = c.value;
  }
  return values;
}

/**
 * Lookups: the value must be an Id of a target object, of an existing record the user can read.
 * Values are normalised to 18 characters. OwnerId's target is checked in checkNewOwner.
 */
function checkReferences(
  org: OrgContext,
  actor: Actor,
  entries: [FieldDef, unknown][],
  values: Record<string, unknown>,
  current: Row | undefined,
  id: string | null,
): void {
  for (const [fd] of entries) {
    if (fd.type !== 'reference') continue;
    const value = values[fd.name];
    if (typeof value !== 'string' || value === '') continue;
    if (!isValidId(value)) fail('MALFORMED_ID', `${fd.label}: id value of incorrect type: ${value}`, [fd.name], id);
    const ref = to18(value);
    values[fd.name] = ref;
    const target = org.schema.byKeyPrefix(ref.slice(0, 3));
    if (!target || !(fd.referenceTo ?? []).some((r) => r.toLowerCase() === target.name.toLowerCase())) {
      fail('FIELD_INTEGRITY_EXCEPTION', `${fd.label}: id value of incorrect type: ${value}`, [fd.name], id);
    }
    // An unchanged lookup is not re-validated (the platform only checks values being written).
    if (current && sameId(String(current[fd.name] ?? ''), ref)) continue;
    const row = org.db.prepare(`SELECT IsDeleted FROM ${q(target.name)} WHERE Id = ?`).get(ref) as { IsDeleted: number } | undefined;
    if (!row) fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [fd.name], id);
    if (row.IsDeleted === 1) fail('ENTITY_IS_DELETED', 'entity is deleted', [fd.name], id);
    if (actor.user && fd.name !== 'OwnerId' && !canRead(org, actor.user, target, ref)) {
      fail('INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY', `insufficient access rights on cross-reference id: ${ref.slice(0, 15)}`, [], id);
    }
  }
}

/** A new owner must be an active user who can read the object. */
function checkNewOwner(org: OrgContext, o: ObjectDef, ownerId: string, id: string | null): void {
  const owner = org.db.prepare('SELECT Id, IsActive FROM "User" WHERE Id = ? AND IsDeleted = 0').get(to18(ownerId)) as { Id: string; IsActive: number } | undefined;
  if (!owner) fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['OwnerId'], id);
  if (owner.IsActive !== 1) {
    fail('INACTIVE_OWNER_OR_USER', `operation performed with inactive user [${owner.Id.slice(0, 15)}] as owner of ${o.label.toLowerCase()}`, [], id);
  }
  const ownerAccess = org.access.forUser(owner.Id);
  if (!ownerAccess?.objectAccess(o.name).read) fail('TRANSFER_REQUIRES_READ', 'The new owner must have read permission', ['OwnerId'], id);
}

/**
 * Controlled-by-parent objects (Contact, master-detail children): creating a record under a parent,
 * or moving it to another parent, needs edit access to that parent.
 */
function checkControllingParent(org: OrgContext, actor: Actor, o: ObjectDef, values: Record<string, unknown>, current: Row | undefined, id: string | null): void {
  if (!actor.user || o.sharingModel !== 'ControlledByParent' || !o.sharingParentField) return;
  const pf = org.schema.field(o.name, o.sharingParentField);
  if (!pf || !(pf.name in values)) return;
  const parentId = values[pf.name];
  if (typeof parentId !== 'string' || !parentId) return;
  if (current && sameId(String(current[pf.name] ?? ''), parentId)) return;
  const parent = org.schema.byKeyPrefix(parentId.slice(0, 3));
  if (!parent) return;
  if (!recordAccess(org, actor.user, parent, parentId).edit) {
    fail('INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY', `insufficient access rights on cross-reference id: ${parentId.slice(0, 15)}`, [], id);
  }
}

/** Field combinations that identify a record (one assignment of a permission set per user). */
const UNIQUE_KEYS: Record<string, string[]> = { permissionsetassignment: ['AssigneeId', 'PermissionSetId'] };

function checkUnique(org: OrgContext, o: ObjectDef, values: Record<string, unknown>, selfId: string | null, id: string | null): void {
  const key = UNIQUE_KEYS[o.name.toLowerCase()];
  if (key && key.every((k) => typeof values[k] === 'string')) {
    const other = org.db
      .prepare(`SELECT Id FROM ${q(o.name)} WHERE ${key.map((k) => `${q(k)} = ?`).join(' AND ')} AND IsDeleted = 0 AND Id <> ?`)
      .get(...key.map((k) => values[k] as string), selfId ?? '') as { Id: string } | undefined;
    if (other) fail('DUPLICATE_VALUE', `duplicate value found: ${key.join(', ')} duplicates value on record with id: ${other.Id.slice(0, 15)}`, key, id);
  }
  for (const fd of o.fields) {
    if (!fd.unique || values[fd.name] === null || values[fd.name] === undefined) continue;
    const other = org.db
      .prepare(`SELECT Id FROM ${q(o.name)} WHERE ${q(fd.name)} = ? AND IsDeleted = 0 AND Id <> ?`)
      .get(values[fd.name] as string | number, selfId ?? '') as { Id: string } | undefined;
    if (other) fail('DUPLICATE_VALUE', `duplicate value found: ${fd.name} duplicates value on record with id: ${other.Id.slice(0, 15)}`, [fd.name], id);
  }
}

/** Whether the user can read a record (object access + sharing). */
export function canRead(org: OrgContext, user: UserContext, o: ObjectDef, id: string): boolean {
  if (!user.objectAccess(o.name).read) return false;
  return recordAccess(org, user, o, id).read;
}

/** The user's record-level access to one record (sharing only; object CRUD is checked separately). */
export function recordAccess(org: OrgContext, user: UserContext, o: ObjectDef, id: string): { exists: boolean; read: boolean; edit: boolean } {
  const r = readPredicate(org.schema, user, o.name, 't');
  const e = editPredicate(org.schema, user, o.name, 't');
  const row = org.db
    .prepare(
      `SELECT ${r ? `CASE WHEN ${r.sql} THEN 1 ELSE 0 END` : '1'} AS r, ${e ? `CASE WHEN ${e.sql} THEN 1 ELSE 0 END` : '1'} AS e
       FROM ${q(o.name)} t WHERE t.Id = ?`,
    )
    .get(...(r?.params ?? []), ...(e?.params ?? []), to18(id)) as { r: number; e: number } | undefined;
  if (!row) return { exists: false, read: false, edit: false };
  return { exists: true, read: row.r === 1, edit: row.e === 1 && row.r === 1 };
}
