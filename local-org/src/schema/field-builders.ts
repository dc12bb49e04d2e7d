/**
 * Small constructors for field definitions, so object declarations read like a field list.
 */
import type { FieldDef, PicklistValue } from './types.ts';

type Opts = Partial<FieldDef>;

function base(name: string, label: string, type: FieldDef['type'], opts: Opts = {}): FieldDef {
  const custom = name.endsWith('__c');
  return {
    name,
    label,
    type,
    nillable: true,
    createable: true,
    updateable: true,
    defaultedOnCreate: false,
    custom,
    permissionable: true,
    filterable: type !== 'textarea' || (opts.length ?? 0) <= 255,
    sortable: type !== 'textarea' || (opts.length ?? 0) <= 255,
    groupable: !['double', 'currency', 'percent', 'datetime', 'textarea', 'address'].includes(type),
    ...opts,
  };
}

/** A field every record has and nobody can write (Id, audit fields). */
function system(name: string, label: string, type: FieldDef['type'], opts: Opts = {}): FieldDef {
  return base(name, label, type, {
    createable: false,
    updateable: false,
    nillable: false,
    defaultedOnCreate: true,
    permissionable: false,
    ...opts,
  });
}

export const field = {
  id: (): FieldDef => system('Id', 'Record ID', 'id', { length: 18, groupable: true }),
  isDeleted: (): FieldDef => system('IsDeleted', 'Deleted', 'boolean'),
  createdDate: (): FieldDef => system('CreatedDate', 'Created Date', 'datetime'),
  createdById: (): FieldDef =>
    system('CreatedById', 'Created By ID', 'reference', { referenceTo: ['User'], relationshipName: 'CreatedBy', length: 18 }),
  lastModifiedDate: (): FieldDef => system('LastModifiedDate', 'Last Modified Date', 'datetime'),
  lastModifiedById: (): FieldDef =>
    system('LastModifiedById', 'Last Modified By ID', 'reference', {
      referenceTo: ['User'],
      relationshipName: 'LastModifiedBy',
      length: 18,
    }),
  systemModstamp: (): FieldDef => system('SystemModstamp', 'System Modstamp', 'datetime'),
  ownerId: (referenceTo: string[] = ['User']): FieldDef =>
    base('OwnerId', 'Owner ID', 'reference', {
      referenceTo,
      relationshipName: 'Owner',
      length: 18,
      nillable: false,
      defaultedOnCreate: true,
      permissionable: false,
    }),
  text: (name: string, label: string, length: number, opts: Opts = {}): FieldDef => base(name, label, 'string', { length, ...opts }),
  name: (label: string, length = 80, opts: Opts = {}): FieldDef =>
    base('Name', label, 'string', { length, nameField: true, nillable: false, permissionable: false, ...opts }),
  textarea: (name: string, label: string, length: number, opts: Opts = {}): FieldDef =>
    base(name, label, 'textarea', { length, ...opts }),
  email: (name: string, label: string, opts: Opts = {}): FieldDef => base(name, label, 'email', { length: 80, ...opts }),
  phone: (name: string, label: string, opts: Opts = {}): FieldDef => base(name, label, 'phone', { length: 40, ...opts }),
  url: (name: string, label: string, opts: Opts = {}): FieldDef => base(name, label, 'url', { length: 255, ...opts }),
  bool: (name: string, label: string, opts: Opts = {}): FieldDef =>
    base(name, label, 'boolean', { nillable: false, defaultedOnCreate: true, defaultValue: false, ...opts }),
  int: (name: string, label: string, precision = 9, opts: Opts = {}): FieldDef =>
    base(name, label, 'int', { precision, scale: 0, ...opts }),
  double: (name: string, label: string, precision = 18, scale = 0, opts: Opts = {}): FieldDef =>
    base(name, label, 'double', { precision, scale, ...opts }),
  currency: (name: string, label: string, precision = 18, scale = 2, opts: Opts = {}): FieldDef =>
    base(name, label, 'currency', { precision, scale, ...opts }),
  percent: (name: string, label: string, precision = 3, scale = 0, opts: Opts = {}): FieldDef =>
    base(name, label, 'percent', { precision, scale, ...opts }),
  date: (name: string, label: string, opts: Opts = {}): FieldDef => base(name, label, 'date', opts),
  datetime: (name: string, label: string, opts: Opts = {}): FieldDef => base(name, label, 'datetime', opts),
  picklist: (name: string, label: string, values: string[], opts: Opts & { defaultPick?: string } = {}): FieldDef => {
    const { defaultPick, ...rest } = opts;
    return base(name, label, 'picklist', { length: 255, picklistValues: picklist(values, defaultPick), ...rest });
  },
  lookup: (name: string, label: string, referenceTo: string[], relationshipName: string, opts: Opts = {}): FieldDef =>
    base(name, label, 'reference', { referenceTo, relationshipName, length: 18, ...opts }),
  /** A read-only field the platform maintains. */
  readonly: (f: FieldDef): FieldDef => ({ ...f, createable: false, updateable: false }),
};

export function picklist(values: string[], defaultValue?: string): PicklistValue[] {
  return values.map((value) => ({ value, label: value, active: true, defaultValue: value === defaultValue }));
}

/** Id, audit fields and (optionally) OwnerId — what every sObject starts with. */
export function systemFields(options: { owner?: boolean; ownerTypes?: string[] } = {}): {
  head: FieldDef[];
  tail: FieldDef[];
} {
  const head = [field.id(), field.isDeleted()];
  const tail = [field.createdDate(), field.createdById(), field.lastModifiedDate(), field.lastModifiedById(), field.systemModstamp()];
  if (options.owner) head.push(field.ownerId(options.ownerTypes));
  return { head, tail };
}
