/**
 * Applies metadata components to the org: keeps each component's source in `_metadata` (what a
 * retrieve returns and what a restart rebuilds from), and updates the live schema, tables and
 * permission records. Everything here runs inside the caller's transaction.
 */
import type { FieldDef } from '../schema/types.ts';
import { newId } from '../ids.ts';
import type { Db } from '../storage/database.ts';
import { ensureTable } from '../storage/record-store.ts';
import type { OrgContext } from '../org/context.ts';
import { applyObject, parseCustomField, parseCustomObject, type ParsedObject } from './objects.ts';
import { parsePermissionSet, type PermissionSetDef } from './permission-sets.ts';
import type { SourceComponent } from './source-tree.ts';
import { deactivateServerAccess, serverAssetsChanged, syncToolingObjects } from './tooling-sync.ts';
import { recordFlowDeploy } from '../actions/flow-versions.ts';
import { replaceSetupEntityAccess } from '../actions/setup-entity-access.ts';
import { parseMetadataXml } from './xml.ts';

export function ensureMetadataTable(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS _metadata (
    type TEXT NOT NULL,
    full_name TEXT NOT NULL,
    xml TEXT NOT NULL,
    body TEXT,
    id TEXT NOT NULL,
    created_date TEXT NOT NULL,
    last_modified_date TEXT NOT NULL,
    last_modified_by_id TEXT,
    PRIMARY KEY (type, full_name)
  )`);
}

export interface StoredComponent extends SourceComponent {
  id: string;
  lastModifiedDate: string;
}

/** Components of one type as stored (deployed). */
export function storedComponents(db: Db, type?: string): StoredComponent[] {
  const rows = (type
    ? db.prepare('SELECT * FROM _metadata WHERE type = ? ORDER BY full_name').all(type)
    : db.prepare('SELECT * FROM _metadata ORDER BY type, full_name').all()) as Record<string, string>[];
  return rows.map((r) => ({
    type: r.type!,
    fullName: r.full_name!,
    path: r.full_name!,
    xml: r.xml!,
    body: r.body ?? undefined,
    id: r.id!,
    lastModifiedDate: r.last_modified_date!,
  }));
}

/** Rebuilds the schema's custom objects and fields from stored components (at start-up). */
export function loadSchemaFromStore(org: OrgContext): void {
  applySchema(org, storedComponents(org.db).filter((c) => c.type === 'CustomObject' || c.type === 'CustomField'));
}

/** What applying one component did (the deploy result's created/changed flags). */
export interface AppliedComponent {
  type: string;
  fullName: string;
  id: string;
  created: boolean;
  changed: boolean;
  deleted?: boolean;
}

/**
 * Stores and applies components (a deploy, or the project's force-app at start-up). Components must
 * have been validated (metadata/validate.ts); run inside the caller's transaction. A component whose
 * content is unchanged keeps its LastModifiedDate.
 */
export function applyComponents(org: OrgContext, components: SourceComponent[], actingUserId: string): AppliedComponent[] {
  const now = new Date().toISOString();
  const find = org.db.prepare('SELECT * FROM _metadata WHERE type = ? AND full_name = ? COLLATE NOCASE');
  const insert = org.db.prepare(`INSERT INTO _metadata (type, full_name, xml, body, id, created_date, last_modified_date, last_modified_by_id)
    VALUES (@type, @fullName, @xml, @body, @id, @now, @now, @user)`);
  const update = org.db.prepare(`UPDATE _metadata SET full_name = @fullName, xml = @xml, body = @body, last_modified_date = @now, last_modified_by_id = @user
    WHERE type = @type AND full_name = @previous`);
  const results: AppliedComponent[] = [];
  const changedServers: { id: string; before: string; after: string }[] = [];
  for (const c of components) {
    const prior = find.get(c.type, c.fullName) as Record<string, string | null> | undefined;
    if (!prior) {
      const id = metadataId(c.type);
      insert.run({ type: c.type, fullName: c.fullName, xml: c.xml, body: c.body ?? null, id, now, user: actingUserId });
      results.push({ type: c.type, fullName: c.fullName, id, created: true, changed: false });
      continue;
    }
    const changed = !sameContent(prior.xml ?? '', prior.body ?? undefined, c.xml, c.body);
    if (changed || prior.full_name !== c.fullName) {
      update.run({ type: c.type, fullName: c.fullName, xml: c.xml, body: c.body ?? null, now: changed ? now : prior.last_modified_date, user: actingUserId, previous: prior.full_name });
    }
    if (changed && c.type === 'McpServerDefinition') changedServers.push({ id: prior.id!, before: prior.xml ?? '', after: c.xml });
    results.push({ type: c.type, fullName: c.fullName, id: prior.id!, created: false, changed });
  }
  // Flow versions: a changed flow becomes version n+1 (actions/flow-versions.ts).
  for (const c of components) if (c.type === 'Flow') recordFlowDeploy(org.db, c.fullName, c.xml, actingUserId);
  applySchema(org, components.filter((c) => c.type === 'CustomObject' || c.type === 'CustomField'));
  for (const c of components.filter((x) => x.type === 'PermissionSet')) {
    upsertPermissionSet(org, parsePermissionSet(c.fullName, c.xml), actingUserId);
  }
  for (const s of changedServers) {
    if (serverAssetsChanged(s.before, s.after)) deactivateServerAccess(org, s.id, actingUserId);
  }
  syncToolingObjects(org);
  syncProfileFieldPermissions(org, actingUserId);
  org.access.invalidate();
  return results;
}

/**
 * Removes components (destructiveChanges). Only types without schema or permission effects are
 * removable (validation refuses the others). Returns what was deleted.
 */
export function deleteComponents(org: OrgContext, deletions: { type: string; fullName: string }[], actingUserId: string): AppliedComponent[] {
  const results: AppliedComponent[] = [];
  for (const d of deletions) {
    const row = org.db.prepare('SELECT id, full_name FROM _metadata WHERE type = ? AND full_name = ? COLLATE NOCASE').get(d.type, d.fullName) as
      | { id: string; full_name: string }
      | undefined;
    if (!row) continue;
    org.db.prepare('DELETE FROM _metadata WHERE type = ? AND full_name = ?').run(d.type, row.full_name);
    if (d.type === 'McpServerDefinition') deactivateServerAccess(org, row.id, actingUserId);
    results.push({ type: d.type, fullName: row.full_name, id: row.id, created: false, changed: false, deleted: true });
  }
  if (results.length) syncToolingObjects(org);
  return results;
}

/** Whether two versions of a component have the same content (XML compared as parsed, so formatting does not count). */
export function sameContent(xmlA: string, bodyA: string | undefined, xmlB: string, bodyB: string | undefined): boolean {
  return (bodyA ?? '') === (bodyB ?? '') && canonicalXml(xmlA) === canonicalXml(xmlB);
}

function canonicalXml(xml: string): string {
  try {
    const { root, body } = parseMetadataXml(xml);
    return JSON.stringify([root, body]);
  } catch {
    return xml;
  }
}

function applySchema(org: OrgContext, components: SourceComponent[]): void {
  const objects = new Map<string, { parsed: ParsedObject; fields: FieldDef[] }>();
  const entry = (name: string) => {
    let e = objects.get(name.toLowerCase());
    if (!e) {
      e = { parsed: { name }, fields: [] };
      objects.set(name.toLowerCase(), e);
    }
    return e;
  };
  for (const c of components) {
    if (c.type === 'CustomObject') entry(c.fullName).parsed = parseCustomObject(c.fullName, c.xml);
  }
  for (const c of components) {
    if (c.type === 'CustomField') {
      const [objectName] = c.fullName.split('.');
      entry(objectName!).fields.push(parseCustomField(objectName!, c.xml));
    }
  }
  // Objects first, so lookups between new custom objects resolve.
  for (const { parsed, fields } of objects.values()) {
    const o = applyObject(org.schema, parsed, fields);
    ensureTable(org.db, o);
  }
}

/** Creates or updates a permission set and replaces its object and field permissions. */
export function upsertPermissionSet(org: OrgContext, def: PermissionSetDef, actingUserId: string, profileId?: string): string {
  const ps = org.schema.get('PermissionSet')!;
  const existing = org.db
    .prepare(`SELECT Id FROM PermissionSet WHERE Name = ? AND IsDeleted = 0`)
    .get(def.name) as { Id: string } | undefined;
  const values: Record<string, unknown> = {
    Name: def.name,
    Label: def.label,
    Description: def.description ?? null,
    IsOwnedByProfile: Boolean(profileId),
    ProfileId: profileId ?? null,
  };
  for (const p of ['ApiEnabled', 'ViewAllData', 'ModifyAllData', 'ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ViewEventLogFiles', 'AuthorApex', 'ModifyMetadata']) {
    values[`Permissions${p}`] = def.systemPermissions.includes(p as never);
  }
  let id: string;
  if (existing) {
    id = existing.Id;
    org.store.update(ps, id, values, actingUserId);
  } else {
    id = org.store.insert(ps, values, actingUserId);
  }
  org.db.prepare(`DELETE FROM ObjectPermissions WHERE ParentId = ?`).run(id);
  org.db.prepare(`DELETE FROM FieldPermissions WHERE ParentId = ?`).run(id);
  const op = org.schema.get('ObjectPermissions')!;
  for (const p of def.objectPermissions) {
    if (!org.schema.get(p.object)) continue;
    org.store.insert(
      op,
      {
        ParentId: id,
        SobjectType: org.schema.get(p.object)!.name,
        PermissionsRead: p.read || p.edit || p.delete || p.viewAll || p.modifyAll,
        PermissionsCreate: p.create,
        PermissionsEdit: p.edit || p.modifyAll,
        PermissionsDelete: p.delete || p.modifyAll,
        PermissionsViewAllRecords: p.viewAll || p.modifyAll,
        PermissionsModifyAllRecords: p.modifyAll,
      },
      actingUserId,
    );
  }
  const fp = org.schema.get('FieldPermissions')!;
  for (const p of def.fieldPermissions) {
    const [objectName, fieldName] = p.field.split('.');
    const fd = org.schema.field(objectName!, fieldName!);
    if (!fd) continue;
    org.store.insert(
      fp,
      { ParentId: id, SobjectType: org.schema.get(objectName!)!.name, Field: `${org.schema.get(objectName!)!.name}.${fd.name}`, PermissionsRead: p.readable || p.editable, PermissionsEdit: p.editable },
      actingUserId,
    );
  }
  // Apex class and flow access (SetupEntityAccess), see actions/setup-entity-access.ts.
  replaceSetupEntityAccess(org.db, id, def);
  return id;
}

/**
 * Standard profiles see every standard field of the objects they can read (as they do in a new
 * org); System Administrator also sees every custom field. Regenerated after each schema change.
 */
export function syncProfileFieldPermissions(org: OrgContext, actingUserId: string): void {
  const profiles = org.db
    .prepare(
      `SELECT ps.Id AS Id, f.all_fields AS allFields FROM PermissionSet ps JOIN _permission_set_flags f ON f.permission_set_id = ps.Id
       WHERE ps.IsOwnedByProfile = 1 AND ps.IsDeleted = 0`,
    )
    .all() as { Id: string; allFields: number }[];
  const fp = org.schema.get('FieldPermissions')!;
  for (const profile of profiles) {
    const objectRows = org.db
      .prepare(`SELECT SobjectType, PermissionsRead, PermissionsEdit, PermissionsCreate FROM ObjectPermissions WHERE ParentId = ? AND IsDeleted = 0`)
      .all(profile.Id) as { SobjectType: string; PermissionsRead: number; PermissionsEdit: number; PermissionsCreate: number }[];
    const have = new Set(
      (org.db.prepare(`SELECT Field FROM FieldPermissions WHERE ParentId = ?`).all(profile.Id) as { Field: string }[]).map((r) => r.Field.toLowerCase()),
    );
    const readable = new Map(objectRows.map((r) => [r.SobjectType.toLowerCase(), r]));
    for (const o of org.schema.objects()) {
      const objectPerm = readable.get(o.name.toLowerCase());
      if (!objectPerm && !profile.allFields) continue;
      for (const fd of o.fields) {
        if (!fd.permissionable || (fd.custom && !profile.allFields)) continue;
        const key = `${o.name}.${fd.name}`;
        if (have.has(key.toLowerCase())) continue;
        const edit = Boolean(profile.allFields || (objectPerm && (objectPerm.PermissionsEdit || objectPerm.PermissionsCreate))) && (fd.createable || fd.updateable);
        org.store.insert(fp, { ParentId: profile.Id, SobjectType: o.name, Field: key, PermissionsRead: true, PermissionsEdit: edit }, actingUserId);
      }
    }
  }
}

export function ensurePermissionFlagsTable(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS _permission_set_flags (permission_set_id TEXT PRIMARY KEY, all_fields INTEGER NOT NULL)`);
}

/** Tooling-style Ids for metadata components (`01p` ApexClass, `301` Flow, …). */
function metadataId(type: string): string {
  const prefix: Record<string, string> = { ApexClass: '01p', Flow: '301', PermissionSet: '0PS', CustomObject: '01I', CustomField: '00N', ApiNamedQuery: '0NQ', McpServerDefinition: '0Mx' };
  return newId(prefix[type] ?? '0Xx');
}
