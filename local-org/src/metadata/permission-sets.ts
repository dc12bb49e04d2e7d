/**
 * PermissionSet metadata, and the standard profiles every org has (modelled, as the platform does,
 * as permission sets owned by a profile).
 */
import type { SystemPermission } from '../security/types.ts';
import { MetadataError } from './objects.ts';
import { bool, list, parseMetadataXml, text, type XmlNode } from './xml.ts';

export interface ObjectPermissionDef {
  object: string;
  read: boolean;
  create: boolean;
  edit: boolean;
  delete: boolean;
  viewAll: boolean;
  modifyAll: boolean;
}

export interface FieldPermissionDef {
  /** `Object.Field` */
  field: string;
  readable: boolean;
  editable: boolean;
}

export interface PermissionSetDef {
  name: string;
  label: string;
  description?: string;
  systemPermissions: SystemPermission[];
  objectPermissions: ObjectPermissionDef[];
  fieldPermissions: FieldPermissionDef[];
  classAccesses: string[];
  flowAccesses: string[];
  /** Standard profiles see every standard field of the objects they can read (not custom ones). */
  allStandardFields?: boolean;
  /** System Administrator also sees every custom field. */
  allFields?: boolean;
}

export function parsePermissionSet(name: string, xml: string): PermissionSetDef {
  const { body } = parseMetadataXml(xml, 'PermissionSet');
  const label = text(body.label);
  if (!label) throw new MetadataError(`PermissionSet ${name} has no label`);
  return {
    name,
    label,
    description: text(body.description),
    systemPermissions: list<XmlNode>(body.userPermissions)
      .filter((p) => bool(p.enabled))
      .map((p) => text(p.name) as SystemPermission),
    objectPermissions: list<XmlNode>(body.objectPermissions).map((p) => {
      const object = text(p.object);
      if (!object) throw new MetadataError(`PermissionSet ${name}: objectPermissions without object`);
      return {
        object,
        read: bool(p.allowRead),
        create: bool(p.allowCreate),
        edit: bool(p.allowEdit),
        delete: bool(p.allowDelete),
        viewAll: bool(p.viewAllRecords),
        modifyAll: bool(p.modifyAllRecords),
      };
    }),
    fieldPermissions: list<XmlNode>(body.fieldPermissions).map((p) => {
      const field = text(p.field);
      if (!field || !field.includes('.')) throw new MetadataError(`PermissionSet ${name}: fieldPermissions needs Object.Field`);
      return { field, readable: bool(p.readable), editable: bool(p.editable) };
    }),
    classAccesses: list<XmlNode>(body.classAccesses)
      .filter((c) => bool(c.enabled))
      .map((c) => text(c.apexClass) ?? ''),
    flowAccesses: list<XmlNode>(body.flowAccesses)
      .filter((c) => bool(c.enabled))
      .map((c) => text(c.flow) ?? ''),
  };
}

const SALES_SERVICE = ['Account', 'Contact', 'Opportunity', 'Case', 'Task'];
const crud = (object: string, c: Partial<ObjectPermissionDef>): ObjectPermissionDef => ({
  object,
  read: false,
  create: false,
  edit: false,
  delete: false,
  viewAll: false,
  modifyAll: false,
  ...c,
});

export interface StandardProfile {
  name: string;
  userType: string;
  description: string;
  permissions: PermissionSetDef;
}

/** The standard profiles of a scratch org, reduced to what the local org enforces. */
export function standardProfiles(): StandardProfile[] {
  const all = { read: true, create: true, edit: true, delete: true, viewAll: true, modifyAll: true };
  const base = { fieldPermissions: [], classAccesses: [], flowAccesses: [] };
  return [
    {
      name: 'System Administrator',
      userType: 'Standard',
      description: 'Full access to the org: every object, every field, View All Data and Modify All Data.',
      permissions: {
        name: 'X00eSystemAdministrator',
        label: 'System Administrator',
        systemPermissions: ['ApiEnabled', 'ViewAllData', 'ModifyAllData', 'ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ViewEventLogFiles', 'AuthorApex', 'ModifyMetadata'],
        objectPermissions: [...SALES_SERVICE, 'User', 'EventLogFile'].map((o) => crud(o, all)),
        allStandardFields: true,
        allFields: true,
        ...base,
      },
    },
    {
      name: 'Standard User',
      userType: 'Standard',
      description: 'Works on sales and service records they own or that are shared with them.',
      permissions: {
        name: 'X00eStandardUser',
        label: 'Standard User',
        systemPermissions: ['ApiEnabled'],
        objectPermissions: [
          crud('Account', { read: true, create: true, edit: true }),
          ...['Contact', 'Opportunity', 'Case', 'Task'].map((o) => crud(o, { read: true, create: true, edit: true, delete: true })),
          crud('User', { read: true }),
        ],
        allStandardFields: true,
        ...base,
      },
    },
    {
      name: 'Read Only',
      userType: 'Standard',
      description: 'Reads sales and service records; creates and edits nothing.',
      permissions: {
        name: 'X00eReadOnly',
        label: 'Read Only',
        systemPermissions: ['ApiEnabled'],
        objectPermissions: [...SALES_SERVICE, 'User'].map((o) => crud(o, { read: true })),
        allStandardFields: true,
        ...base,
      },
    },
    {
      name: 'Minimum Access - Salesforce',
      userType: 'Standard',
      description: 'Can log in and call the API; sees no records until a permission set grants access.',
      permissions: {
        name: 'X00eMinimumAccessSalesforce',
        label: 'Minimum Access - Salesforce',
        systemPermissions: ['ApiEnabled'],
        objectPermissions: [crud('User', { read: true })],
        allStandardFields: true,
        ...base,
      },
    },
  ];
}
