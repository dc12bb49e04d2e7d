/**
 * Who is calling, and what the org lets them do.
 *
 * Access is the union of every permission set the user holds, including the one owned by their
 * profile (the platform models profiles as permission sets with IsOwnedByProfile = true).
 */

export interface ObjectAccess {
  read: boolean;
  create: boolean;
  edit: boolean;
  delete: boolean;
  viewAll: boolean;
  modifyAll: boolean;
}

export interface FieldAccess {
  read: boolean;
  edit: boolean;
}

/** System permissions the local org checks (API names as in PermissionSet metadata). */
export type SystemPermission =
  | 'ApiEnabled'
  | 'ViewAllData'
  | 'ModifyAllData'
  | 'ViewSetup'
  | 'ManageUsers'
  | 'CustomizeApplication'
  | 'ViewEventLogFiles'
  | 'AuthorApex'
  | 'ModifyMetadata';

export interface UserContext {
  userId: string;
  username: string;
  orgId: string;
  profileId: string;
  profileName: string;
  roleId: string | null;
  /** Ids of permission sets held (profile-owned one included). */
  permissionSetIds: string[];
  /** Permission set API names held (profile-owned one excluded). */
  permissionSetNames: string[];
  isActive: boolean;
  /** The user plus every user in a role below theirs: whose records they see through the hierarchy. */
  hierarchyUserIds: string[];
  hasPermission(permission: SystemPermission): boolean;
  objectAccess(objectName: string): ObjectAccess;
  fieldAccess(objectName: string, fieldName: string): FieldAccess;
}

/** The authenticated session behind an API request. */
export interface Session {
  user: UserContext;
  /** OAuth client id (consumer key) the token was issued to. */
  clientId: string;
  /** Display name of the app (CONNECTED_APP_NAME in event logs). */
  appName: string;
  scopes: string[];
  /** `jwt` or `opaque`. */
  tokenFormat: 'jwt' | 'opaque';
}
