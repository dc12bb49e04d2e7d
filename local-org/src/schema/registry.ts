/**
 * The org's live object model: standard objects plus whatever custom objects and fields the project
 * deployed. Mutations happen only while metadata is applied (start-up or a deploy).
 */
import { standardObjects } from './standard-objects.ts';
import { toolingObjects } from './tooling-objects.ts';
import type { ChildRelationshipDef, FieldDef, ObjectDef, SchemaRegistry, SharingModel } from './types.ts';

export class OrgSchema implements SchemaRegistry {
  private readonly byName = new Map<string, ObjectDef>();
  private readonly byPrefix = new Map<string, ObjectDef>();
  private childCache: Map<string, ChildRelationshipDef[]> | undefined;
  private readonly fieldIndex = new Map<string, Map<string, FieldDef>>();
  private readonly relationshipIndex = new Map<string, Map<string, FieldDef>>();
  /** Bumped on every change so caches keyed on the schema can tell they are stale. */
  version = 0;

  constructor(objects: ObjectDef[] = [...standardObjects(), ...toolingObjects()]) {
    for (const o of objects) this.putObject(o);
  }

  objects(): readonly ObjectDef[] {
    return [...this.byName.values()];
  }

  get(name: string): ObjectDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  field(objectName: string, fieldName: string): FieldDef | undefined {
    return this.fieldIndex.get(objectName.toLowerCase())?.get(fieldName.toLowerCase());
  }

  fieldByRelationshipName(objectName: string, relationshipName: string): FieldDef | undefined {
    return this.relationshipIndex.get(objectName.toLowerCase())?.get(relationshipName.toLowerCase());
  }

  byKeyPrefix(prefix: string): ObjectDef | undefined {
    return this.byPrefix.get(prefix);
  }

  childRelationships(objectName: string): ChildRelationshipDef[] {
    if (!this.childCache) {
      const cache = new Map<string, ChildRelationshipDef[]>();
      for (const child of this.byName.values()) {
        for (const fd of child.fields) {
          if (fd.type !== 'reference' || !fd.referenceTo) continue;
          const relationshipName = childRelationshipName(child, fd);
          if (!relationshipName) continue;
          for (const parent of fd.referenceTo) {
            const list = cache.get(parent.toLowerCase()) ?? [];
            list.push({ childSObject: child.name, field: fd.name, relationshipName, cascadeDelete: Boolean(fd.cascadeDelete) });
            cache.set(parent.toLowerCase(), list);
          }
        }
      }
      this.childCache = cache;
    }
    return this.childCache.get(objectName.toLowerCase()) ?? [];
  }

  /** Adds or replaces an object definition. */
  putObject(o: ObjectDef): void {
    const previous = this.get(o.name);
    if (previous) this.byPrefix.delete(previous.keyPrefix);
    this.byName.set(o.name.toLowerCase(), o);
    this.byPrefix.set(o.keyPrefix, o);
    this.reindex(o);
  }

  /** Adds or replaces one field of an existing object. */
  putField(objectName: string, fd: FieldDef): void {
    const o = this.get(objectName);
    if (!o) throw new Error(`unknown object ${objectName}`);
    const i = o.fields.findIndex((x) => x.name.toLowerCase() === fd.name.toLowerCase());
    if (i >= 0) o.fields[i] = fd;
    else {
      // Custom fields go before the audit fields, as describe lists them.
      const audit = o.fields.findIndex((x) => x.name === 'CreatedDate');
      o.fields.splice(audit >= 0 ? audit : o.fields.length, 0, fd);
    }
    this.reindex(o);
  }

  /** Replaces every definition at once (rolls back the in-memory side of a failed deploy). */
  replaceAll(objects: ObjectDef[]): void {
    this.byName.clear();
    this.byPrefix.clear();
    this.fieldIndex.clear();
    this.relationshipIndex.clear();
    for (const o of objects) this.putObject(o);
  }

  setSharingModel(objectName: string, model: SharingModel, parentField?: string): void {
    const o = this.get(objectName);
    if (!o) throw new Error(`unknown object ${objectName}`);
    o.sharingModel = model;
    if (parentField) o.sharingParentField = parentField;
    this.version++;
  }

  /** The next free custom-object key prefix (`a00`, `a01`, …). */
  nextCustomKeyPrefix(): string {
    for (let n = 0; n < 36 * 36; n++) {
      const p = 'a' + n.toString(36).padStart(2, '0');
      if (!this.byPrefix.has(p)) return p;
    }
    throw new Error('no custom key prefix left');
  }

  private reindex(o: ObjectDef): void {
    const fields = new Map<string, FieldDef>();
    const relationships = new Map<string, FieldDef>();
    for (const fd of o.fields) {
      fields.set(fd.name.toLowerCase(), fd);
      if (fd.relationshipName) relationships.set(fd.relationshipName.toLowerCase(), fd);
    }
    this.fieldIndex.set(o.name.toLowerCase(), fields);
    this.relationshipIndex.set(o.name.toLowerCase(), relationships);
    this.childCache = undefined;
    this.version++;
  }
}

/** Plural child relationship names as the platform names them for standard lookups. */
const STANDARD_CHILD_NAMES: Record<string, string> = {
  'Contact.AccountId': 'Contacts',
  'Opportunity.AccountId': 'Opportunities',
  'Case.AccountId': 'Cases',
  'Case.ContactId': 'Cases',
  'Case.ParentId': 'Cases',
  'Task.WhatId': 'Tasks',
  'Task.WhoId': 'Tasks',
  'Account.ParentId': 'ChildAccounts',
  'Contact.ReportsToId': 'ReportsTo',
  'PermissionSetAssignment.AssigneeId': 'PermissionSetAssignments',
  'PermissionSetAssignment.PermissionSetId': 'Assignments',
  'ObjectPermissions.ParentId': 'ObjectPerms',
  'FieldPermissions.ParentId': 'FieldPerms',
  'User.ManagerId': 'ManagedUsers',
};

function childRelationshipName(child: ObjectDef, fd: FieldDef): string | undefined {
  if (fd.custom) {
    // Custom lookups: the child relationship is the plural label without spaces plus `__r`,
    // unless metadata gave one (stored in description-free `relationshipName` of the parent side).
    const explicit = (fd as FieldDef & { childRelationshipName?: string }).childRelationshipName;
    return explicit ? `${explicit}__r` : `${child.labelPlural.replace(/[^A-Za-z0-9]/g, '_')}__r`;
  }
  return STANDARD_CHILD_NAMES[`${child.name}.${fd.name}`];
}
