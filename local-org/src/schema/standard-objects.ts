/**
 * The standard objects of the local org, with their real API names, labels, types and key prefixes
 * (a subset of each object's fields: the ones ForceGate, its tools and the sf CLI touch).
 * Org-wide sharing defaults here are the platform's defaults; force-app object metadata overrides them.
 */
import { field as f, systemFields } from './field-builders.ts';
import type { FieldDef, ObjectDef, SharingModel } from './types.ts';

interface Declaration {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  sharingModel?: SharingModel;
  sharingParentField?: string;
  owner?: boolean;
  setup?: boolean;
  toolingOnly?: boolean;
  readonlyObject?: boolean;
  searchable?: boolean;
  fields: FieldDef[];
}

function sobject(d: Declaration): ObjectDef {
  const { head, tail } = systemFields({ owner: d.owner });
  const own = d.fields.filter((x) => !['Id', 'IsDeleted', 'OwnerId'].includes(x.name));
  return {
    name: d.name,
    label: d.label,
    labelPlural: d.labelPlural,
    keyPrefix: d.keyPrefix,
    custom: false,
    fields: [...head, ...own, ...tail],
    sharingModel: d.sharingModel ?? 'ReadWrite',
    sharingParentField: d.sharingParentField,
    hasOwner: Boolean(d.owner),
    queryable: true,
    createable: !d.readonlyObject,
    updateable: !d.readonlyObject,
    deletable: !d.readonlyObject,
    searchable: d.searchable ?? false,
    setup: d.setup,
    toolingOnly: d.toolingOnly,
  };
}

const ro = f.readonly;
const address = (prefix: string, label: string): FieldDef[] => [
  f.textarea(`${prefix}Street`, `${label} Street`, 255),
  f.text(`${prefix}City`, `${label} City`, 40),
  f.text(`${prefix}State`, `${label} State/Province`, 80),
  f.text(`${prefix}PostalCode`, `${label} Zip/Postal Code`, 20),
  f.text(`${prefix}Country`, `${label} Country`, 80),
];

const industries = [
  'Agriculture', 'Apparel', 'Banking', 'Biotechnology', 'Chemicals', 'Communications', 'Construction', 'Consulting',
  'Education', 'Electronics', 'Energy', 'Engineering', 'Entertainment', 'Environmental', 'Finance', 'Food & Beverage',
  'Government', 'Healthcare', 'Hospitality', 'Insurance', 'Machinery', 'Manufacturing', 'Media', 'Not For Profit',
  'Recreation', 'Retail', 'Shipping', 'Technology', 'Telecommunications', 'Transportation', 'Utilities', 'Other',
];
const stages = [
  'Prospecting', 'Qualification', 'Needs Analysis', 'Value Proposition', 'Id. Decision Makers', 'Perception Analysis',
  'Proposal/Price Quote', 'Negotiation/Review', 'Closed Won', 'Closed Lost',
];

export function standardObjects(): ObjectDef[] {
  return [
    sobject({
      name: 'Organization', label: 'Organization', labelPlural: 'Organizations', keyPrefix: '00D', setup: true, readonlyObject: true,
      fields: [
        ro(f.name('Name', 80)),
        ro(f.text('InstanceName', 'Instance Name', 5)),
        ro(f.bool('IsSandbox', 'Is Sandbox')),
        ro(f.datetime('TrialExpirationDate', 'Trial Expiration Date')),
        ro(f.text('NamespacePrefix', 'Namespace Prefix', 15)),
        ro(f.picklist('OrganizationType', 'Edition', ['Developer Edition', 'Enterprise Edition', 'Unlimited Edition', 'Professional Edition'])),
        ro(f.text('Division', 'Division', 80)),
        ro(f.text('LanguageLocaleKey', 'Locale', 40)),
        ro(f.text('TimeZoneSidKey', 'Default Time Zone', 40)),
        ro(f.text('DefaultLocaleSidKey', 'Default Locale', 40)),
        ro(f.text('Country', 'Country', 80)),
        ro(f.bool('IsReadOnly', 'Is Read Only')),
      ].map((x) => ({ ...x, permissionable: false })),
    }),
    sobject({
      name: 'Profile', label: 'Profile', labelPlural: 'Profiles', keyPrefix: '00e', setup: true,
      fields: [
        f.name('Name', 255),
        f.text('UserType', 'User Type', 40),
        f.textarea('Description', 'Description', 255),
        f.lookup('UserLicenseId', 'User License ID', ['UserLicense'], 'UserLicense'),
      ].map((x) => ({ ...x, permissionable: false })),
    }),
    sobject({
      name: 'UserRole', label: 'Role', labelPlural: 'Roles', keyPrefix: '00E', setup: true,
      fields: [
        f.name('Name', 80),
        f.text('DeveloperName', 'Developer Name', 80),
        f.lookup('ParentRoleId', 'Parent Role ID', ['UserRole'], 'ParentRole'),
        f.text('RollupDescription', 'Description', 80),
      ].map((x) => ({ ...x, permissionable: false })),
    }),
    sobject({
      name: 'User', label: 'User', labelPlural: 'Users', keyPrefix: '005', setup: true, sharingModel: 'Read', searchable: true,
      fields: [
        f.text('Username', 'Username', 80, { nillable: false, unique: true, permissionable: false }),
        f.text('LastName', 'Last Name', 80, { nillable: false, permissionable: false }),
        f.text('FirstName', 'First Name', 40, { permissionable: false }),
        { ...ro(f.name('Full Name', 121)), computed: 'userName' },
        f.text('Alias', 'Alias', 8, { nillable: false }),
        f.email('Email', 'Email', { nillable: false, permissionable: false }),
        f.text('CommunityNickname', 'Nickname', 40),
        f.text('Title', 'Title', 80),
        f.text('Department', 'Department', 80),
        f.text('CompanyName', 'Company Name', 80),
        f.phone('Phone', 'Phone'),
        f.phone('MobilePhone', 'Mobile'),
        f.bool('IsActive', 'Active', { defaultValue: true, permissionable: false }),
        f.lookup('ProfileId', 'Profile ID', ['Profile'], 'Profile', { nillable: false, permissionable: false }),
        f.lookup('UserRoleId', 'Role ID', ['UserRole'], 'UserRole', { permissionable: false }),
        f.lookup('ManagerId', 'Manager ID', ['User'], 'Manager'),
        f.picklist('UserType', 'User Type', ['Standard', 'PowerPartner', 'CsnOnly', 'Guest'], { defaultPick: 'Standard', permissionable: false }),
        f.text('TimeZoneSidKey', 'Time Zone', 40, { nillable: false, permissionable: false }),
        f.text('LocaleSidKey', 'Locale', 40, { nillable: false, permissionable: false }),
        f.text('LanguageLocaleKey', 'Language', 40, { nillable: false, permissionable: false }),
        f.text('EmailEncodingKey', 'Email Encoding', 40, { nillable: false, permissionable: false }),
        ro(f.datetime('LastLoginDate', 'Last Login')),
      ],
    }),
    sobject({
      name: 'PermissionSet', label: 'Permission Set', labelPlural: 'Permission Sets', keyPrefix: '0PS', setup: true,
      fields: [
        f.text('Name', 'Name', 80, { nillable: false, nameField: true, permissionable: false }),
        f.text('Label', 'Label', 80, { nillable: false, permissionable: false }),
        f.textarea('Description', 'Description', 255, { permissionable: false }),
        ro(f.bool('IsOwnedByProfile', 'Is Owned By Profile', { permissionable: false })),
        ro(f.lookup('ProfileId', 'Profile ID', ['Profile'], 'Profile', { permissionable: false })),
        ro(f.text('NamespacePrefix', 'Namespace Prefix', 15, { permissionable: false })),
        ...['ApiEnabled', 'ViewAllData', 'ModifyAllData', 'ViewSetup', 'ManageUsers', 'CustomizeApplication', 'ViewEventLogFiles', 'AuthorApex', 'ModifyMetadata'].map(
          (p) => f.bool(`Permissions${p}`, p.replace(/([a-z])([A-Z])/g, '$1 $2'), { permissionable: false }),
        ),
      ],
    }),
    sobject({
      name: 'PermissionSetAssignment', label: 'Permission Set Assignment', labelPlural: 'Permission Set Assignments', keyPrefix: '0Pa', setup: true,
      fields: [
        f.lookup('AssigneeId', 'Assignee ID', ['User'], 'Assignee', { nillable: false, updateable: false, permissionable: false }),
        f.lookup('PermissionSetId', 'Permission Set ID', ['PermissionSet'], 'PermissionSet', { nillable: false, updateable: false, permissionable: false }),
        ro(f.bool('IsActive', 'Is Active', { defaultValue: true, permissionable: false })),
      ],
    }),
    sobject({
      name: 'ObjectPermissions', label: 'Object Permissions', labelPlural: 'Object Permissions', keyPrefix: '110', setup: true,
      fields: [
        f.lookup('ParentId', 'Parent ID', ['PermissionSet'], 'Parent', { nillable: false, updateable: false, permissionable: false }),
        f.text('SobjectType', 'Sobject Type Name', 40, { nillable: false, updateable: false, permissionable: false }),
        ...['Read', 'Create', 'Edit', 'Delete', 'ViewAllRecords', 'ModifyAllRecords'].map((p) => f.bool(`Permissions${p}`, p, { permissionable: false })),
      ],
    }),
    sobject({
      name: 'FieldPermissions', label: 'Field Permissions', labelPlural: 'Field Permissions', keyPrefix: '01k', setup: true,
      fields: [
        f.lookup('ParentId', 'Parent ID', ['PermissionSet'], 'Parent', { nillable: false, updateable: false, permissionable: false }),
        f.text('SobjectType', 'Sobject Type Name', 40, { nillable: false, updateable: false, permissionable: false }),
        f.text('Field', 'Field Name', 255, { nillable: false, updateable: false, permissionable: false }),
        f.bool('PermissionsRead', 'Read Access', { permissionable: false }),
        f.bool('PermissionsEdit', 'Edit Access', { permissionable: false }),
      ],
    }),
    sobject({
      name: 'Account', label: 'Account', labelPlural: 'Accounts', keyPrefix: '001', owner: true, searchable: true,
      fields: [
        f.name('Account Name', 255),
        f.picklist('Type', 'Account Type', ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Channel Partner / Reseller', 'Installation Partner', 'Technology Partner', 'Other']),
        f.lookup('ParentId', 'Parent Account ID', ['Account'], 'Parent'),
        ...address('Billing', 'Billing'),
        ...address('Shipping', 'Shipping'),
        f.phone('Phone', 'Account Phone'),
        f.phone('Fax', 'Account Fax'),
        f.text('AccountNumber', 'Account Number', 40),
        f.url('Website', 'Website'),
        f.picklist('Industry', 'Industry', industries),
        f.currency('AnnualRevenue', 'Annual Revenue', 18, 0),
        f.int('NumberOfEmployees', 'Employees', 8),
        f.picklist('Ownership', 'Ownership', ['Public', 'Private', 'Subsidiary', 'Other']),
        f.picklist('Rating', 'Account Rating', ['Hot', 'Warm', 'Cold']),
        f.text('Site', 'Account Site', 80),
        f.textarea('Description', 'Account Description', 32000),
        ro(f.date('LastActivityDate', 'Last Activity')),
      ],
    }),
    sobject({
      name: 'Contact', label: 'Contact', labelPlural: 'Contacts', keyPrefix: '003', owner: true, searchable: true,
      sharingModel: 'ControlledByParent', sharingParentField: 'AccountId',
      fields: [
        // Deleting an account deletes its contacts, opportunities and activities (cascadeDelete in describe).
        f.lookup('AccountId', 'Account ID', ['Account'], 'Account', { cascadeDelete: true }),
        f.text('LastName', 'Last Name', 80, { nillable: false }),
        f.text('FirstName', 'First Name', 40),
        f.picklist('Salutation', 'Salutation', ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.']),
        { ...ro(f.name('Full Name', 121)), computed: 'contactName' },
        ...address('Mailing', 'Mailing'),
        f.phone('Phone', 'Business Phone'),
        f.phone('MobilePhone', 'Mobile Phone'),
        f.email('Email', 'Email'),
        f.text('Title', 'Title', 128),
        f.text('Department', 'Department', 80),
        f.picklist('LeadSource', 'Lead Source', ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']),
        f.date('Birthdate', 'Birthdate'),
        f.lookup('ReportsToId', 'Reports To ID', ['Contact'], 'ReportsTo'),
        f.bool('HasOptedOutOfEmail', 'Email Opt Out'),
        f.textarea('Description', 'Contact Description', 32000),
        ro(f.date('LastActivityDate', 'Last Activity')),
      ],
    }),
    sobject({
      name: 'Opportunity', label: 'Opportunity', labelPlural: 'Opportunities', keyPrefix: '006', owner: true, searchable: true,
      fields: [
        f.lookup('AccountId', 'Account ID', ['Account'], 'Account', { cascadeDelete: true }),
        f.name('Name', 120),
        f.textarea('Description', 'Description', 32000),
        f.picklist('StageName', 'Stage', stages, { nillable: false }),
        f.currency('Amount', 'Amount'),
        f.percent('Probability', 'Probability (%)'),
        f.date('CloseDate', 'Close Date', { nillable: false }),
        f.picklist('Type', 'Opportunity Type', ['Existing Customer - Upgrade', 'Existing Customer - Replacement', 'Existing Customer - Downgrade', 'New Customer']),
        f.text('NextStep', 'Next Step', 255),
        f.picklist('LeadSource', 'Lead Source', ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']),
        ro(f.bool('IsClosed', 'Closed')),
        ro(f.bool('IsWon', 'Won')),
        f.picklist('ForecastCategoryName', 'Forecast Category', ['Omitted', 'Pipeline', 'Best Case', 'Commit', 'Closed']),
        ro(f.date('LastActivityDate', 'Last Activity')),
      ],
    }),
    sobject({
      name: 'Case', label: 'Case', labelPlural: 'Cases', keyPrefix: '500', owner: true, searchable: true,
      fields: [
        ro({ ...f.text('CaseNumber', 'Case Number', 30), nameField: true, permissionable: false }),
        f.lookup('ContactId', 'Contact ID', ['Contact'], 'Contact'),
        f.lookup('AccountId', 'Account ID', ['Account'], 'Account'),
        f.lookup('ParentId', 'Parent Case ID', ['Case'], 'Parent'),
        f.text('SuppliedName', 'Web Name', 80),
        f.email('SuppliedEmail', 'Web Email'),
        f.phone('SuppliedPhone', 'Web Phone'),
        f.picklist('Type', 'Case Type', ['Mechanical', 'Electrical', 'Electronic', 'Structural', 'Other']),
        f.picklist('Status', 'Status', ['New', 'Working', 'Escalated', 'Closed'], { defaultPick: 'New', defaultedOnCreate: true }),
        f.picklist('Reason', 'Case Reason', ['Installation', 'Equipment Complexity', 'Performance', 'Breakdown', 'Equipment Design', 'Feedback', 'Other']),
        f.picklist('Origin', 'Case Origin', ['Phone', 'Email', 'Web']),
        f.text('Subject', 'Subject', 255),
        f.picklist('Priority', 'Priority', ['High', 'Medium', 'Low'], { defaultPick: 'Medium', defaultedOnCreate: true }),
        f.textarea('Description', 'Description', 32000),
        ro(f.bool('IsClosed', 'Closed')),
        ro(f.datetime('ClosedDate', 'Closed Date')),
        f.bool('IsEscalated', 'Escalated'),
      ],
    }),
    sobject({
      name: 'Task', label: 'Task', labelPlural: 'Tasks', keyPrefix: '00T', owner: true, searchable: true, sharingModel: 'Private',
      fields: [
        f.lookup('WhoId', 'Name ID', ['Contact'], 'Who', { cascadeDelete: true }),
        f.lookup('WhatId', 'Related To ID', ['Account', 'Opportunity', 'Case'], 'What', { cascadeDelete: true }),
        f.text('Subject', 'Subject', 255),
        f.date('ActivityDate', 'Due Date Only'),
        f.picklist('Status', 'Status', ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'], { defaultPick: 'Not Started', nillable: false, defaultedOnCreate: true }),
        f.picklist('Priority', 'Priority', ['High', 'Normal', 'Low'], { defaultPick: 'Normal', nillable: false, defaultedOnCreate: true }),
        f.picklist('TaskSubtype', 'Task Subtype', ['Task', 'Email', 'List Email', 'Cadence', 'Call']),
        f.picklist('Type', 'Type', ['Call', 'Email', 'Meeting', 'Other']),
        f.textarea('Description', 'Description', 32000),
        ro(f.bool('IsClosed', 'Closed')),
        f.int('CallDurationInSeconds', 'Call Duration'),
        f.picklist('CallType', 'Call Type', ['Internal', 'Inbound', 'Outbound']),
        f.text('CallDisposition', 'Call Result', 255),
      ],
    }),
    sobject({
      name: 'EventLogFile', label: 'Event Log File', labelPlural: 'Event Log Files', keyPrefix: '0AT', setup: true, readonlyObject: true,
      fields: [
        f.text('EventType', 'Event Type', 128),
        f.datetime('LogDate', 'Log Date'),
        f.int('LogFileLength', 'Log File Length', 18),
        { ...f.text('LogFile', 'Log File', 255), type: 'base64' as const },
        f.text('LogFileContentType', 'Log File Content Type', 64),
        f.textarea('LogFileFieldNames', 'Log File Field Names', 2000),
        f.textarea('LogFileFieldTypes', 'Log File Field Types', 2000),
        f.picklist('Interval', 'Interval', ['Daily', 'Hourly']),
        f.int('Sequence', 'Sequence'),
        f.double('ApiVersion', 'API Version', 18, 1),
      ].map((x) => ({ ...ro(x), permissionable: false })),
    }),
  ];
}
