/**
 * Tooling API objects the local org serves (`toolingOnly: true`: the Tooling API's query and
 * sobject endpoints find them; the data API does not).
 *
 * - `McpServerAccess`: activation records of MCP servers (platform.md §5.2), runtime data written
 *   through `POST/PATCH /tooling/sobjects/McpServerAccess`.
 * - `ApexClass`, `FlowDefinitionView`, `ApiNamedQuery`, `McpServerDefinition`: read-only views of
 *   the deployed metadata, rewritten on every deploy (metadata/tooling-sync.ts) with the component's
 *   `_metadata` Id and dates, so `LastModifiedDate` tells a client that something changed.
 *   (ApexClass and FlowDefinitionView are data-API objects too on the platform; the local org serves
 *   them through the Tooling API only.)
 *
 * Key prefixes other than ApexClass's `01p` and FlowDefinition's `300` are UNCONFIRMED.
 * ApiNamedQuery has no DeveloperName column on the platform (platform.md §7, [3P]); its API name is
 * exposed here as `Name` (UNCONFIRMED).
 */
import { apexTestObjects } from './apex-test-objects.ts';
import { field as f, systemFields } from './field-builders.ts';
import type { FieldDef, ObjectDef } from './types.ts';

export function toolingObject(d: { name: string; label: string; labelPlural: string; keyPrefix: string; writable?: boolean; fields: FieldDef[] }): ObjectDef {
  const { head, tail } = systemFields();
  // Setup-style objects: no field-level security.
  const own = d.fields.map((x) => ({ ...x, permissionable: false, ...(d.writable ? {} : { createable: false, updateable: false }) }));
  return {
    name: d.name,
    label: d.label,
    labelPlural: d.labelPlural,
    keyPrefix: d.keyPrefix,
    custom: false,
    fields: [...head, ...own, ...tail],
    sharingModel: 'ReadWrite',
    hasOwner: false,
    queryable: true,
    createable: Boolean(d.writable),
    updateable: Boolean(d.writable),
    deletable: Boolean(d.writable),
    searchable: false,
    setup: true,
    toolingOnly: true,
  };
}

const LANGUAGES = ['en_US', 'de', 'es', 'fr', 'it', 'ja', 'ko', 'pt_BR', 'zh_CN', 'zh_TW'];

export function toolingObjects(): ObjectDef[] {
  return [
    toolingObject({
      name: 'McpServerAccess',
      label: 'MCP Server Access',
      labelPlural: 'MCP Server Accesses',
      keyPrefix: '0Ms',
      writable: true,
      fields: [
        { ...f.text('DeveloperName', 'Developer Name', 80), nillable: false },
        { ...f.text('MasterLabel', 'Master Label', 80), nillable: false },
        f.bool('Active', 'Active'),
        f.lookup('McpServerId', 'MCP Server ID', ['McpServerDefinition'], 'McpServer'),
        f.picklist('Language', 'Language', LANGUAGES, { defaultPick: 'en_US' }),
        f.readonly(f.text('NamespacePrefix', 'Namespace Prefix', 15)),
      ],
    }),
    toolingObject({
      name: 'McpServerDefinition',
      label: 'MCP Server Definition',
      labelPlural: 'MCP Server Definitions',
      keyPrefix: '0Mx',
      fields: [
        f.text('DeveloperName', 'Developer Name', 80),
        f.text('MasterLabel', 'Master Label', 80),
        f.textarea('Description', 'Description', 1000),
        f.text('NamespacePrefix', 'Namespace Prefix', 15),
        f.text('Language', 'Language', 40),
      ],
    }),
    toolingObject({
      name: 'ApexClass',
      label: 'Apex Class',
      labelPlural: 'Apex Classes',
      keyPrefix: '01p',
      fields: [
        f.text('Name', 'Name', 255),
        f.textarea('Body', 'Body', 1000000),
        f.double('ApiVersion', 'API Version', 18, 1),
        f.picklist('Status', 'Status', ['Active', 'Inactive', 'Deleted']),
        f.bool('IsValid', 'Is Valid'),
        f.int('LengthWithoutComments', 'Size Without Comments'),
        f.text('NamespacePrefix', 'Namespace Prefix', 15),
      ],
    }),
    toolingObject({
      name: 'FlowDefinitionView',
      label: 'Flow Definition View',
      labelPlural: 'Flow Definition Views',
      keyPrefix: '300',
      fields: [
        f.text('ApiName', 'API Name', 80),
        f.text('Label', 'Label', 255),
        f.textarea('Description', 'Description', 4000),
        f.text('DurableId', 'Durable ID', 18),
        f.text('ActiveVersionId', 'Active Version ID', 18),
        f.text('LatestVersionId', 'Latest Version ID', 18),
        f.text('ProcessType', 'Process Type', 40),
        f.text('TriggerType', 'Trigger Type', 40),
        f.bool('IsActive', 'Is Active'),
        f.bool('IsTemplate', 'Is Template'),
        f.text('NamespacePrefix', 'Namespace Prefix', 15),
        f.double('ApiVersion', 'API Version', 18, 1),
      ],
    }),
    toolingObject({
      name: 'ApiNamedQuery',
      label: 'API Named Query',
      labelPlural: 'API Named Queries',
      keyPrefix: '0NQ',
      fields: [
        f.text('Name', 'API Name', 80),
        f.text('MasterLabel', 'Label', 80),
        f.textarea('Description', 'Description', 1000),
        f.double('ApiVersion', 'API Version', 18, 1),
        f.text('NamespacePrefix', 'Namespace Prefix', 15),
      ],
    }),
    ...apexTestObjects(),
  ];
}
