/**
 * describeGlobal entries and full sObject describes, as one user sees them: objects the user
 * cannot read are absent, fields hidden by field-level security are absent, read-only fields are
 * `createable:false, updateable:false`, and child relationships to unreadable objects are left out.
 * Key sets follow wire.md §3.3 / §3.5 (the v38 capture plus the keys newer versions and jsforce's
 * types add).
 */
import type { OrgContext } from '../org/context.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';
import type { UserContext } from '../security/types.ts';

export const MASTER_RECORD_TYPE_ID = '012000000000000AAA';

/** Objects the user can see through the data API (describeGlobal, describe, records). */
export function visibleObjects(org: OrgContext, user: UserContext): ObjectDef[] {
  return org.schema
    .objects()
    .filter((o) => !o.toolingOnly && user.objectAccess(o.name).read)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The object by name (any case) if it exists in the data API and the user can read it. */
export function visibleObject(org: OrgContext, user: UserContext, name: string): ObjectDef | undefined {
  const o = org.schema.get(name);
  if (!o || o.toolingOnly || !user.objectAccess(o.name).read) return undefined;
  return o;
}

const FEED_ENABLED = new Set(['account', 'contact', 'opportunity', 'case', 'user']);
const MERGEABLE = new Set(['account', 'contact']);

function objectUrls(o: ObjectDef, version: string, full: boolean, baseUrl: string): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${o.name}`;
  if (!full) return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
  return {
    compactLayouts: `${base}/describe/compactLayouts`,
    rowTemplate: `${base}/{ID}`,
    approvalLayouts: `${base}/describe/approvalLayouts`,
    uiDetailTemplate: `${baseUrl}/{ID}`,
    uiEditTemplate: `${baseUrl}/{ID}/e`,
    defaultValues: `${base}/defaultValues?recordTypeId&fields`,
    describe: `${base}/describe`,
    uiNewRecord: `${baseUrl}/${o.keyPrefix}/e`,
    quickActions: `${base}/quickActions`,
    layouts: `${base}/describe/layouts`,
    sobject: base,
  };
}

/** Object-level flags shared by describeGlobal, basic info and describe (user-adjusted). */
function objectFlags(o: ObjectDef, user: UserContext): Record<string, unknown> {
  const access = user.objectAccess(o.name);
  const key = o.name.toLowerCase();
  const dataObject = !o.setup;
  return {
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    createable: o.createable && access.create,
    custom: o.custom,
    customSetting: false,
    dataTranslationEnabled: false,
    deepCloneable: false,
    deletable: o.deletable && access.delete,
    deprecatedAndHidden: false,
    feedEnabled: FEED_ENABLED.has(key),
    hasSubtypes: false,
    idEnabled: true,
    isInterface: false,
    isSubtype: false,
    keyPrefix: o.keyPrefix,
    label: o.label,
    labelPlural: o.labelPlural,
    layoutable: dataObject || key === 'user',
    mergeable: MERGEABLE.has(key) && access.edit && access.delete,
    mruEnabled: dataObject || key === 'user',
    name: o.name,
    queryable: o.queryable,
    replicateable: true,
    retrieveable: true,
    searchable: o.searchable,
    triggerable: dataObject || key === 'user',
    undeletable: dataObject && o.deletable && access.delete,
    updateable: o.updateable && access.edit,
  };
}

/** One `sobjects[]` entry of describeGlobal (also `objectDescribe` of basic info). */
export function globalEntry(org: OrgContext, user: UserContext, o: ObjectDef, version: string): Record<string, unknown> {
  return { ...objectFlags(o, user), urls: objectUrls(o, version, o.custom, org.baseUrl) };
}

const SOAP_TYPES: Record<string, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  boolean: 'xsd:boolean',
  currency: 'xsd:double',
  double: 'xsd:double',
  percent: 'xsd:double',
  int: 'xsd:int',
  long: 'xsd:long',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
  time: 'xsd:time',
  base64: 'xsd:base64Binary',
  address: 'urn:address',
  anyType: 'xsd:anyType',
};

const TEXT_TYPES = new Set(['string', 'textarea', 'picklist', 'multipicklist', 'combobox', 'email', 'phone', 'url', 'encryptedstring']);
const PERSON_NAME_FIELDS = new Set(['FirstName', 'LastName', 'Salutation', 'Name']);

function compoundFieldName(o: ObjectDef, fd: FieldDef): string | null {
  const m = /^(Billing|Shipping|Mailing|Other)(Street|City|State|PostalCode|Country)$/.exec(fd.name);
  if (m) return `${m[1]}Address`;
  if ((o.name === 'Contact' || o.name === 'User') && ['FirstName', 'LastName', 'Salutation'].includes(fd.name)) return 'Name';
  return null;
}

/** One `fields[]` entry of a describe, with the user's field-level security applied. */
export function describeField(o: ObjectDef, fd: FieldDef, user: UserContext): Record<string, unknown> {
  const access = user.objectAccess(o.name);
  const fls = user.fieldAccess(o.name, fd.name);
  const text = TEXT_TYPES.has(fd.type);
  const length = text ? (fd.length ?? 0) : fd.type === 'id' || fd.type === 'reference' ? 18 : fd.type === 'base64' ? (fd.length ?? 0) : 0;
  const numeric = ['double', 'currency', 'percent'].includes(fd.type);
  const autoNumber = Boolean(fd.nameField && fd.type === 'string' && !fd.createable && !fd.computed && !fd.calculated);
  const isOwner = fd.name === 'OwnerId';
  const referenceTo = fd.type === 'reference' ? (fd.referenceTo ?? []) : [];
  const masterDetail = Boolean(fd.custom && fd.cascadeDelete);
  return {
    aggregatable: fd.type !== 'textarea' || (fd.length ?? 0) <= 255,
    aiPredictionField: false,
    autoNumber,
    byteLength: text ? length * 3 : length,
    calculated: Boolean(fd.calculated),
    calculatedFormula: fd.calculatedFormula ?? null,
    cascadeDelete: masterDetail,
    caseSensitive: false,
    compoundFieldName: compoundFieldName(o, fd),
    controllerName: null,
    createable: fd.createable && !fd.computed && fls.edit && access.create,
    custom: fd.custom,
    defaultValue: fd.type === 'boolean' ? Boolean(fd.defaultValue) : fd.type === 'picklist' ? null : (fd.defaultValue ?? null),
    defaultValueFormula: null,
    defaultedOnCreate: fd.defaultedOnCreate,
    dependentPicklist: false,
    deprecatedAndHidden: false,
    digits: fd.type === 'int' ? (fd.precision ?? 9) : 0,
    displayLocationInDecimal: false,
    encrypted: false,
    externalId: Boolean(fd.externalId),
    extraTypeInfo:
      fd.type === 'textarea' ? 'plaintextarea' : (o.name === 'Contact' || o.name === 'User') && PERSON_NAME_FIELDS.has(fd.name) ? 'personname' : null,
    filterable: fd.filterable ?? true,
    filteredLookupInfo: null,
    formulaTreatNullNumberAsZero: false,
    groupable: fd.groupable ?? true,
    highScaleNumber: false,
    htmlFormatted: false,
    idLookup: fd.type === 'id' || Boolean(fd.nameField && fd.type === 'string') || Boolean(fd.externalId) || (fd.type === 'email' && !fd.custom) || fd.name === 'Username',
    inlineHelpText: fd.inlineHelpText ?? null,
    label: fd.label,
    length,
    mask: null,
    maskType: null,
    name: fd.name,
    nameField: Boolean(fd.nameField),
    namePointing: isOwner || referenceTo.length > 1,
    nillable: fd.nillable,
    permissionable: fd.permissionable,
    picklistValues: (fd.picklistValues ?? []).map((p) => ({ active: p.active, defaultValue: p.defaultValue, label: p.label, validFor: null, value: p.value })),
    polymorphicForeignKey: referenceTo.length > 1,
    precision: numeric ? (fd.precision ?? 18) : 0,
    queryByDistance: false,
    referenceTargetField: null,
    referenceTo,
    relationshipName: fd.relationshipName ?? null,
    relationshipOrder: masterDetail ? 0 : null,
    restrictedDelete: false,
    restrictedPicklist: Boolean(fd.restrictedPicklist),
    scale: numeric ? (fd.scale ?? 0) : 0,
    searchPrefilterable: false,
    soapType: SOAP_TYPES[fd.type] ?? 'xsd:string',
    sortable: fd.sortable ?? true,
    type: fd.type,
    unique: Boolean(fd.unique),
    updateable: fd.updateable && !fd.computed && fls.edit && access.edit,
    writeRequiresMasterRead: false,
  };
}

/** Fields of an object the user can read, in describe order. */
export function readableFields(o: ObjectDef, user: UserContext): FieldDef[] {
  return o.fields.filter((fd) => user.fieldAccess(o.name, fd.name).read);
}

/** The full describe of an object for one user (wire.md §3.5). */
export function describeSObject(org: OrgContext, user: UserContext, o: ObjectDef, version: string): Record<string, unknown> {
  const base = `/services/data/v${version}/sobjects/${o.name}`;
  const childRelationships = org.schema
    .childRelationships(o.name)
    .filter((rel) => user.objectAccess(rel.childSObject).read && user.fieldAccess(rel.childSObject, rel.field).read)
    .map((rel) => ({
      cascadeDelete: rel.cascadeDelete,
      childSObject: rel.childSObject,
      deprecatedAndHidden: false,
      field: rel.field,
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: rel.relationshipName,
      restrictedDelete: false,
    }));
  const plural = o.labelPlural.toLowerCase();
  const supportedScopes = [{ label: `All ${plural}`, name: 'everything' }];
  if (o.hasOwner) supportedScopes.push({ label: `My ${plural}`, name: 'mine' });
  const flags = objectFlags(o, user);
  return {
    actionOverrides: [],
    ...flags,
    childRelationships,
    compactLayoutable: !o.setup,
    defaultImplementation: null,
    fields: readableFields(o, user).map((fd) => describeField(o, fd, user)),
    implementedBy: null,
    implementsInterfaces: null,
    listviewable: null,
    lookupLayoutable: null,
    namedLayoutInfos: [],
    networkScopeFieldName: null,
    recordTypeInfos: [
      {
        active: true,
        available: true,
        defaultRecordTypeMapping: true,
        developerName: 'Master',
        master: true,
        name: 'Master',
        recordTypeId: MASTER_RECORD_TYPE_ID,
        urls: { layout: `${base}/describe/layouts/${MASTER_RECORD_TYPE_ID}` },
      },
    ],
    searchLayoutable: !o.setup,
    sobjectDescribeOption: 'FULL',
    supportedScopes,
    urls: objectUrls(o, version, true, org.baseUrl),
  };
}
