/**
 * Describes as one user sees them (the org leaves out objects and fields the user cannot read), so
 * the cache key always carries the org and user. Entries live a few minutes and are dropped when the
 * watcher sees the org change.
 */
import type { OrgClient } from './client.ts';
import { TtlCache } from './cache.ts';

export interface PicklistValue {
  value: string;
  label?: string;
  active?: boolean;
  defaultValue?: boolean;
}

export interface FieldDescribe {
  name: string;
  label: string;
  type: string;
  length?: number;
  nillable?: boolean;
  createable?: boolean;
  updateable?: boolean;
  defaultedOnCreate?: boolean;
  nameField?: boolean;
  calculated?: boolean;
  autoNumber?: boolean;
  picklistValues?: PicklistValue[];
  referenceTo?: string[];
  relationshipName?: string | null;
  inlineHelpText?: string | null;
}

export interface ChildRelationship {
  childSObject: string;
  field: string;
  relationshipName: string | null;
  cascadeDelete?: boolean;
}

export interface SObjectDescribe {
  name: string;
  label: string;
  labelPlural?: string;
  keyPrefix?: string | null;
  custom?: boolean;
  queryable?: boolean;
  createable?: boolean;
  updateable?: boolean;
  deletable?: boolean;
  searchable?: boolean;
  fields: FieldDescribe[];
  childRelationships?: ChildRelationship[];
}

export interface GlobalSObject {
  name: string;
  label: string;
  custom?: boolean;
  queryable?: boolean;
  createable?: boolean;
  updateable?: boolean;
  deletable?: boolean;
  searchable?: boolean;
  keyPrefix?: string | null;
}

const shared = new TtlCache<unknown>(5 * 60_000);

export class OrgSchemaCache {
  constructor(
    private readonly org: OrgClient,
    /** `<orgKey>|<userId>` */
    private readonly scope: string,
    private readonly cache: TtlCache<unknown> = shared,
  ) {}

  static invalidateAll(prefix = ''): void {
    shared.invalidate(prefix);
  }

  describeGlobal(): Promise<GlobalSObject[]> {
    return this.cache.get(`${this.scope}|global`, async () => {
      const body = await this.org.get<{ sobjects: GlobalSObject[] }>('/sobjects');
      return body.sobjects;
    }) as Promise<GlobalSObject[]>;
  }

  describe(objectName: string): Promise<SObjectDescribe> {
    return this.cache.get(`${this.scope}|sobject|${objectName.toLowerCase()}`, () =>
      this.org.get<SObjectDescribe>(`/sobjects/${encodeURIComponent(objectName)}/describe`),
    ) as Promise<SObjectDescribe>;
  }
}
