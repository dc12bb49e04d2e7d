/**
 * Apex class and flow access granted by permission sets (`classAccesses`, `flowAccesses`), stored
 * like the platform's SetupEntityAccess: one row per permission set and entity. Written by
 * metadata/apply.ts `upsertPermissionSet`; read through the user's permission set Ids.
 *
 * Entities are kept by API name (not by the ApexClass / FlowDefinition Id) so a permission set
 * may be deployed before the class or flow it grants.
 */
import type { Db } from '../storage/database.ts';
import type { UserContext } from '../security/types.ts';

export type SetupEntityType = 'ApexClass' | 'Flow';

const prepared = new WeakSet<Db>();

export function ensureSetupEntityAccessTable(db: Db): void {
  if (prepared.has(db)) return;
  db.exec(`CREATE TABLE IF NOT EXISTS _setup_entity_access (
    parent_id TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_name TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (parent_id, entity_type, entity_name)
  )`);
  prepared.add(db);
}

/** Replaces the class and flow access of one permission set. */
export function replaceSetupEntityAccess(db: Db, permissionSetId: string, access: { classAccesses: string[]; flowAccesses: string[] }): void {
  ensureSetupEntityAccessTable(db);
  db.prepare('DELETE FROM _setup_entity_access WHERE parent_id = ?').run(permissionSetId);
  const insert = db.prepare('INSERT OR IGNORE INTO _setup_entity_access (parent_id, entity_type, entity_name) VALUES (?, ?, ?)');
  for (const name of access.classAccesses) if (name) insert.run(permissionSetId, 'ApexClass', name);
  for (const name of access.flowAccesses) if (name) insert.run(permissionSetId, 'Flow', name);
}

/** Names of the entities of a type the user's permission sets (profile included) grant. */
export function grantedEntities(db: Db, user: UserContext, type: SetupEntityType): Set<string> {
  ensureSetupEntityAccessTable(db);
  if (user.permissionSetIds.length === 0) return new Set();
  const rows = db
    .prepare(
      `SELECT a.entity_name AS name FROM _setup_entity_access a JOIN PermissionSet ps ON ps.Id = a.parent_id AND ps.IsDeleted = 0
       WHERE a.entity_type = ? AND a.parent_id IN (${user.permissionSetIds.map(() => '?').join(',')})`,
    )
    .all(type, ...user.permissionSetIds) as { name: string }[];
  return new Set(rows.map((r) => r.name.toLowerCase()));
}

/**
 * Apex class access: a permission set's classAccesses, or the admin permissions that imply it
 * (Modify All Data; Author Apex), as Setup shows for System Administrator.
 */
export function canRunApexClass(db: Db, user: UserContext, className: string): boolean {
  if (user.hasPermission('ModifyAllData') || user.hasPermission('AuthorApex')) return true;
  return grantedEntities(db, user, 'ApexClass').has(className.toLowerCase());
}

/**
 * Flow access. The local org does not model the "Run Flows" user permission, so every flow is
 * treated as if "Override default behavior and restrict access to enabled profiles or permission
 * sets" were set: the user needs the flow in a permission set's flowAccesses, or Modify All Data
 * (standing in for Manage Flow).
 */
export function canRunFlow(db: Db, user: UserContext, flowName: string): boolean {
  if (user.hasPermission('ModifyAllData')) return true;
  return grantedEntities(db, user, 'Flow').has(flowName.toLowerCase());
}
