/**
 * Builds a user's effective access from the org's permission data: the profile-owned permission set
 * plus every assigned one (union), the role hierarchy below the user, and the system permissions
 * that override record access (View All Data, Modify All Data).
 *
 * Results are cached per user and dropped whenever any permission, assignment, user or role record
 * changes (`invalidate()`), so a change takes effect on the next call.
 */
import type { OrgSchema } from '../schema/registry.ts';
import type { Db } from '../storage/database.ts';
import type { FieldAccess, ObjectAccess, SystemPermission, UserContext } from './types.ts';

/** Objects whose records describe the org itself; any API user may read them (the sf CLI queries Organization first). */
const SETUP_READABLE = new Set(['organization', 'profile', 'userrole', 'permissionset', 'permissionsetassignment', 'objectpermissions', 'fieldpermissions']);
/** Setup objects an admin edits through the API. */
const SETUP_ADMIN_WRITE: Record<string, SystemPermission> = {
  permissionsetassignment: 'ManageUsers',
  user: 'ManageUsers',
  permissionset: 'ManageUsers',
  objectpermissions: 'ManageUsers',
  fieldpermissions: 'ManageUsers',
  userrole: 'ManageUsers',
};

/**
 * Tooling objects (schema/tooling-objects.ts): the metadata views need View Setup and Configuration;
 * MCP server activation records and definitions are readable by every API user (so an MCP server can
 * check activation with its caller's token — a local-org choice, UNCONFIRMED on the platform) and
 * McpServerAccess is written with Customize Application. Nothing else is writable.
 */
const TOOLING_READ: Record<string, SystemPermission | 'any'> = {
  apexclass: 'ViewSetup',
  flowdefinitionview: 'ViewSetup',
  apinamedquery: 'ViewSetup',
  mcpserverdefinition: 'any',
  mcpserveraccess: 'any',
};
const TOOLING_WRITE: Record<string, SystemPermission> = { mcpserveraccess: 'CustomizeApplication' };

const NO_ACCESS: ObjectAccess = { read: false, create: false, edit: false, delete: false, viewAll: false, modifyAll: false };

export const SYSTEM_PERMISSIONS: SystemPermission[] = [
  'ApiEnabled',
  'ViewAllData',
  'ModifyAllData',
  'ViewSetup',
  'ManageUsers',
  'CustomizeApplication',
  'ViewEventLogFiles',
  'AuthorApex',
  'ModifyMetadata',
];

interface UserRow {
  Id: string;
  Username: string;
  ProfileId: string;
  UserRoleId: string | null;
  IsActive: number;
}

export class AccessService {
  private cache = new Map<string, UserContext>();

  constructor(
    private readonly db: Db,
    private readonly schema: OrgSchema,
    private readonly orgId: () => string,
  ) {}

  /** Drops every cached context: call after any change to permissions, assignments, users or roles. */
  invalidate(): void {
    this.cache.clear();
  }

  /** The user's context, or undefined when no such user exists. */
  forUser(userId: string): UserContext | undefined {
    const cached = this.cache.get(userId);
    if (cached) return cached;
    const ctx = this.load(userId);
    if (ctx) this.cache.set(userId, ctx);
    return ctx;
  }

  private load(userId: string): UserContext | undefined {
    const user = this.db.prepare('SELECT Id, Username, ProfileId, UserRoleId, IsActive FROM "User" WHERE Id = ?').get(userId) as UserRow | undefined;
    if (!user) return undefined;
    const profile = this.db.prepare('SELECT Name FROM Profile WHERE Id = ?').get(user.ProfileId) as { Name: string } | undefined;
    const permSets = this.db
      .prepare(
        `SELECT * FROM PermissionSet WHERE IsDeleted = 0 AND (
           (IsOwnedByProfile = 1 AND ProfileId = ?)
           OR Id IN (SELECT PermissionSetId FROM PermissionSetAssignment WHERE IsDeleted = 0 AND AssigneeId = ?))`,
      )
      .all(user.ProfileId, user.Id) as Record<string, unknown>[];
    const psIds = permSets.map((p) => String(p.Id));
    const system = new Set<SystemPermission>();
    for (const ps of permSets) for (const p of SYSTEM_PERMISSIONS) if (ps[`Permissions${p}`] === 1) system.add(p);

    const placeholders = psIds.map(() => '?').join(',') || "''";
    const objectRows = this.db
      .prepare(`SELECT * FROM ObjectPermissions WHERE IsDeleted = 0 AND ParentId IN (${placeholders})`)
      .all(...psIds) as Record<string, unknown>[];
    const objects = new Map<string, ObjectAccess>();
    for (const r of objectRows) {
      const key = String(r.SobjectType).toLowerCase();
      const a = objects.get(key) ?? { ...NO_ACCESS };
      a.read ||= r.PermissionsRead === 1;
      a.create ||= r.PermissionsCreate === 1;
      a.edit ||= r.PermissionsEdit === 1;
      a.delete ||= r.PermissionsDelete === 1;
      a.viewAll ||= r.PermissionsViewAllRecords === 1;
      a.modifyAll ||= r.PermissionsModifyAllRecords === 1;
      objects.set(key, a);
    }
    const fieldRows = this.db
      .prepare(`SELECT SobjectType, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE IsDeleted = 0 AND ParentId IN (${placeholders})`)
      .all(...psIds) as { SobjectType: string; Field: string; PermissionsRead: number; PermissionsEdit: number }[];
    const fields = new Map<string, FieldAccess>();
    for (const r of fieldRows) {
      const key = r.Field.toLowerCase();
      const a = fields.get(key) ?? { read: false, edit: false };
      a.read ||= r.PermissionsRead === 1 || r.PermissionsEdit === 1;
      a.edit ||= r.PermissionsEdit === 1;
      fields.set(key, a);
    }

    const hierarchyUserIds = this.hierarchyUsers(user);
    const schema = this.schema;
    const permissionSetNames = permSets.filter((p) => p.IsOwnedByProfile !== 1).map((p) => String(p.Name));

    const objectAccess = (objectName: string): ObjectAccess => {
      const key = objectName.toLowerCase();
      const def = schema.get(objectName);
      if (!def) return NO_ACCESS;
      if (key in TOOLING_READ) {
        const readPerm = TOOLING_READ[key]!;
        const read = readPerm === 'any' || system.has(readPerm) || system.has('ViewAllData');
        const writePerm = TOOLING_WRITE[key];
        const write = Boolean(writePerm && system.has(writePerm));
        return { read, create: write, edit: write, delete: write, viewAll: read, modifyAll: write };
      }
      const granted = objects.get(key) ?? { ...NO_ACCESS };
      const result = { ...granted };
      if (system.has('ViewAllData')) Object.assign(result, { read: true, viewAll: true });
      if (system.has('ModifyAllData')) Object.assign(result, { read: true, create: true, edit: true, delete: true, viewAll: true, modifyAll: true });
      if (SETUP_READABLE.has(key)) result.read = true;
      if (key === 'eventlogfile') {
        const canSee = system.has('ViewEventLogFiles') || system.has('ViewAllData');
        return { ...NO_ACCESS, read: canSee, viewAll: canSee };
      }
      const writePerm = SETUP_ADMIN_WRITE[key];
      if (writePerm && system.has(writePerm)) Object.assign(result, { read: true, create: true, edit: true, delete: key === 'permissionsetassignment' || result.delete });
      if (key === 'organization') Object.assign(result, { create: false, edit: false, delete: false });
      // Implied permissions, as in Setup: edit implies read, delete implies edit, modify-all implies view-all.
      if (result.modifyAll) Object.assign(result, { viewAll: true, delete: true });
      if (result.delete || result.create || result.edit || result.viewAll) result.read = true;
      return result;
    };

    const fieldAccess = (objectName: string, fieldName: string): FieldAccess => {
      const oa = objectAccess(objectName);
      if (!oa.read) return { read: false, edit: false };
      const fd = schema.field(objectName, fieldName);
      if (!fd) return { read: false, edit: false };
      const writable = oa.edit || oa.create;
      if (!fd.permissionable) return { read: true, edit: writable && (fd.createable || fd.updateable) };
      const def = schema.get(objectName)!;
      const granted = fields.get(`${def.name}.${fd.name}`.toLowerCase());
      if (!granted) return { read: false, edit: false };
      return { read: granted.read, edit: granted.edit && writable && (fd.createable || fd.updateable) };
    };

    return {
      userId: user.Id,
      username: user.Username,
      orgId: this.orgId(),
      profileId: user.ProfileId,
      profileName: profile?.Name ?? '',
      roleId: user.UserRoleId,
      permissionSetIds: psIds,
      permissionSetNames,
      isActive: user.IsActive === 1,
      hierarchyUserIds,
      hasPermission: (p) => system.has(p),
      objectAccess,
      fieldAccess,
    };
  }

  /** The user and everyone whose role sits below theirs. */
  private hierarchyUsers(user: UserRow): string[] {
    if (!user.UserRoleId) return [user.Id];
    const roles = this.db.prepare('SELECT Id, ParentRoleId FROM UserRole WHERE IsDeleted = 0').all() as { Id: string; ParentRoleId: string | null }[];
    const below = new Set<string>();
    const walk = (parent: string): void => {
      for (const r of roles) {
        if (r.ParentRoleId === parent && !below.has(r.Id)) {
          below.add(r.Id);
          walk(r.Id);
        }
      }
    };
    walk(user.UserRoleId);
    if (below.size === 0) return [user.Id];
    const ids = [...below];
    const users = this.db
      .prepare(`SELECT Id FROM "User" WHERE UserRoleId IN (${ids.map(() => '?').join(',')})`)
      .all(...ids) as { Id: string }[];
    return [user.Id, ...users.map((u) => u.Id)];
  }
}
