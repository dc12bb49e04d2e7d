/**
 * Record-level access (sharing) as SQL predicates: the org-wide default of the object, record
 * ownership, the role hierarchy (a manager sees what their subordinates own), and View All /
 * Modify All (object or system level). ControlledByParent objects inherit the parent's access.
 *
 * Both the SOQL engine and the DML layer use these, so what a user can query and what they can
 * change can never disagree.
 */
import type { SchemaRegistry } from '../schema/types.ts';
import { q } from '../storage/database.ts';
import type { UserContext } from './types.ts';

export interface Predicate {
  sql: string;
  params: string[];
}

type Mode = 'read' | 'edit';

/** SQL condition on `alias` limiting rows to those the user can read; undefined = no restriction. */
export function readPredicate(schema: SchemaRegistry, user: UserContext, objectName: string, alias: string): Predicate | undefined {
  return predicate(schema, user, objectName, alias, 'read', 0);
}

/** SQL condition on `alias` limiting rows to those the user can edit or delete; undefined = no restriction. */
export function editPredicate(schema: SchemaRegistry, user: UserContext, objectName: string, alias: string): Predicate | undefined {
  return predicate(schema, user, objectName, alias, 'edit', 0);
}

function predicate(schema: SchemaRegistry, user: UserContext, objectName: string, alias: string, mode: Mode, depth: number): Predicate | undefined {
  const o = schema.get(objectName);
  if (!o) return { sql: '0', params: [] };
  const access = user.objectAccess(o.name);
  if (mode === 'read' ? access.viewAll : access.modifyAll) return undefined;
  if (o.setup) return undefined;
  const owned = (): Predicate => ({
    sql: `${alias}.${q('OwnerId')} IN (${user.hierarchyUserIds.map(() => '?').join(',')})`,
    params: [...user.hierarchyUserIds],
  });
  switch (o.sharingModel) {
    case 'ReadWrite':
    case 'FullAccess':
      return undefined;
    case 'Read':
    case 'ReadSelect':
      return mode === 'read' ? undefined : o.hasOwner ? owned() : undefined;
    case 'Private':
      return o.hasOwner ? owned() : undefined;
    case 'ControlledByParent': {
      const parentField = o.sharingParentField ? schema.field(o.name, o.sharingParentField) : undefined;
      const parentObject = parentField?.referenceTo?.[0];
      if (!parentField || !parentObject || depth > 3) return o.hasOwner ? owned() : undefined;
      const pAlias = `p${depth}`;
      const parent = predicate(schema, user, parentObject, pAlias, mode, depth + 1);
      if (!parent) return undefined;
      const col = `${alias}.${q(parentField.name)}`;
      const orphan = o.hasOwner ? owned() : { sql: '1', params: [] };
      return {
        sql: `((${col} IS NULL AND ${orphan.sql}) OR ${col} IN (SELECT ${pAlias}.Id FROM ${q(parentObject)} ${pAlias} WHERE ${parent.sql}))`,
        params: [...orphan.params, ...parent.params],
      };
    }
  }
}
