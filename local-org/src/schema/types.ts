/**
 * The org's data model: sObject and field definitions, as the describe API exposes them.
 *
 * Standard objects are declared in `standard-objects.ts`; custom objects and fields come from the
 * project's `force-app` (and, later, from metadata deploys). Names are kept with their API casing;
 * lookups through the registry are case-insensitive, as they are in SOQL and REST paths.
 */

/** Field `type` values as they appear in a describe. */
export type FieldType =
  | 'id'
  | 'boolean'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'multipicklist'
  | 'combobox'
  | 'reference'
  | 'currency'
  | 'double'
  | 'percent'
  | 'int'
  | 'long'
  | 'date'
  | 'datetime'
  | 'time'
  | 'email'
  | 'phone'
  | 'url'
  | 'address'
  | 'base64'
  | 'encryptedstring'
  | 'anyType';

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
}

export interface FieldDef {
  /** API name, e.g. `AccountId` or `Health_Score__c`. */
  name: string;
  label: string;
  type: FieldType;
  /** Text length (string, textarea, picklist, email, phone, url); 0 otherwise. */
  length?: number;
  /** Total digits for number types. */
  precision?: number;
  scale?: number;
  /** Target objects of a reference field. */
  referenceTo?: string[];
  /** Parent relationship name of a reference field (`Account` for `AccountId`, `Account__r` for `Account__c`). */
  relationshipName?: string;
  picklistValues?: PicklistValue[];
  restrictedPicklist?: boolean;
  /** Can be null (a required field is `nillable: false` and not `defaultedOnCreate`). */
  nillable: boolean;
  /** System-level: the field can ever be set on insert / update (FLS narrows this per user). */
  createable: boolean;
  updateable: boolean;
  defaultedOnCreate: boolean;
  custom: boolean;
  nameField?: boolean;
  externalId?: boolean;
  unique?: boolean;
  calculated?: boolean;
  /** Formula text of a calculated field (not evaluated by the local org in part 1). */
  calculatedFormula?: string;
  defaultValue?: string | number | boolean | null;
  filterable?: boolean;
  sortable?: boolean;
  groupable?: boolean;
  /** Master-detail: deleting the parent deletes this record. */
  cascadeDelete?: boolean;
  inlineHelpText?: string;
  description?: string;
  /**
   * Field-level security applies to this field (custom fields and most standard fields).
   * System fields such as Id, CreatedDate, OwnerId and the Name field are always readable.
   */
  permissionable: boolean;
  /** Derived fields the store computes (e.g. Contact.Name from FirstName/LastName). */
  computed?: 'contactName' | 'userName';
  /** Stored as JSON text, rendered as a JSON value (Tooling `ApexCodeCoverage.Coverage`). */
  json?: boolean;
}

/** Org-wide sharing default of an object (`sharingModel` in object metadata). */
export type SharingModel = 'Private' | 'Read' | 'ReadWrite' | 'ControlledByParent' | 'FullAccess' | 'ReadSelect';

export interface ChildRelationshipDef {
  childSObject: string;
  field: string;
  relationshipName: string;
  cascadeDelete: boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  /** Three-character Id prefix (`001` Account, `a00`… for custom objects). */
  keyPrefix: string;
  custom: boolean;
  /** Fields by API name, in describe order. */
  fields: FieldDef[];
  sharingModel: SharingModel;
  /** For `ControlledByParent`: the reference field pointing at the parent that controls access. */
  sharingParentField?: string;
  /** Has an OwnerId field (records are owned by a user). */
  hasOwner: boolean;
  queryable: boolean;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  searchable: boolean;
  /** Setup objects (User, Profile, PermissionSet…) are not subject to record sharing the same way. */
  setup?: boolean;
  /** Served by the Tooling API only (e.g. McpServerAccess). */
  toolingOnly?: boolean;
  description?: string;
}

/** Read-only view of every object the org knows. Lookups are case-insensitive. */
export interface SchemaRegistry {
  objects(): readonly ObjectDef[];
  get(name: string): ObjectDef | undefined;
  field(objectName: string, fieldName: string): FieldDef | undefined;
  byKeyPrefix(prefix: string): ObjectDef | undefined;
  childRelationships(objectName: string): ChildRelationshipDef[];
  /** The reference field on `objectName` whose relationshipName is `relationshipName`. */
  fieldByRelationshipName(objectName: string, relationshipName: string): FieldDef | undefined;
}
