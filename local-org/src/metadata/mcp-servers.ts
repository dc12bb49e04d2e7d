/**
 * MCP servers as the org knows them: the standard SObject servers every org has (platform.md §4,
 * tool matrix §4.1) and custom servers deployed as `McpServerDefinition` metadata (§6.3).
 * Shared by validation (deploy), the Tooling objects and the API Catalog.
 */
import { MetadataError } from './objects.ts';
import { bool, list, parseMetadataXml, text, type XmlNode } from './xml.ts';

export interface McpToolAnnotations {
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
  openWorld: boolean;
}

export interface CustomMcpTool extends McpToolAnnotations {
  toolName: string;
  toolTitle?: string;
  descriptionOverride?: string;
  apiIdentifier: string;
  apiSource?: string;
  operation?: string;
  returnDirect: boolean;
}

export interface CustomMcpPrompt {
  promptName: string;
  promptTemplateName?: string;
  promptTitle?: string;
  descriptionOverride?: string;
}

export interface CustomMcpServer {
  name: string;
  masterLabel: string;
  description?: string;
  tools: CustomMcpTool[];
  prompts: CustomMcpPrompt[];
}

export function parseMcpServerDefinition(name: string, xml: string): CustomMcpServer {
  const { body } = parseMetadataXml(xml, 'McpServerDefinition');
  const masterLabel = text(body.masterLabel);
  if (!masterLabel) throw new MetadataError('Required field is missing: masterLabel');
  const tools = list<XmlNode>(body.tools).map((t, i): CustomMcpTool => {
    const api = (t.apiDefinition ?? {}) as XmlNode;
    const toolName = text(t.toolName);
    const apiIdentifier = text(api.apiIdentifier);
    if (!toolName) throw new MetadataError(`Required field is missing: tools[${i}].toolName`);
    if (!apiIdentifier) throw new MetadataError(`Required field is missing: tools[${i}].apiDefinition.apiIdentifier`);
    return {
      toolName,
      toolTitle: text(t.toolTitle),
      descriptionOverride: text(t.descriptionOverride),
      apiIdentifier,
      apiSource: text(api.apiSource),
      operation: text(api.operation),
      readOnly: bool(t.readOnly),
      destructive: bool(t.destructive),
      idempotent: bool(t.idempotent),
      openWorld: bool(t.openWorld),
      returnDirect: bool(t.returnDirect),
    };
  });
  const prompts = list<XmlNode>(body.prompts).map((p, i): CustomMcpPrompt => {
    const promptName = text(p.promptName);
    if (!promptName) throw new MetadataError(`Required field is missing: prompts[${i}].promptName`);
    return { promptName, promptTemplateName: text(p.promptTemplateName), promptTitle: text(p.promptTitle), descriptionOverride: text(p.descriptionOverride) };
  });
  return { name, masterLabel, description: text(body.description), tools, prompts };
}

/** What a tool's `apiIdentifier` points at (platform.md §6.4). */
export type ApiTarget =
  | { kind: 'apex-invocable'; className: string }
  | { kind: 'flow'; flowName: string }
  | { kind: 'named-query'; queryName: string }
  | { kind: 'apex-aura'; className: string }
  | { kind: 'apex-rest'; className: string }
  | { kind: 'standard-tool'; server: string; operation: string }
  | { kind: 'connect'; identifier: string }
  | { kind: 'prompt-template'; identifier: string };

export function parseApiIdentifier(identifier: string, operation?: string): ApiTarget | undefined {
  const m = /^([a-z]+):(.*)$/.exec(identifier);
  if (!m) return undefined;
  const [, prefix, rest] = m as unknown as [string, string, string];
  switch (prefix) {
    case 'aa':
      return rest.startsWith('apex-') ? { kind: 'apex-invocable', className: rest.slice(5) } : undefined;
    case 'fa':
      return rest.startsWith('flow-') ? { kind: 'flow', flowName: rest.slice(5) } : undefined;
    case 'nq':
      return { kind: 'named-query', queryName: rest.replace(/_nquery$/, '') };
    case 'ae':
      return { kind: 'apex-aura', className: rest };
    case 'ar':
      return { kind: 'apex-rest', className: rest };
    case 'psmcps': {
      // psmcps:<ns>.<server>:<operation>
      const p = /^([^.]+)\.([^:]+)(?::(.+))?$/.exec(rest);
      return p ? { kind: 'standard-tool', server: `${p[1]}/${p[2]}`, operation: p[3] ?? operation ?? '' } : undefined;
    }
    case 'ct':
      return { kind: 'connect', identifier: rest };
    case 'pr':
      return { kind: 'prompt-template', identifier: rest };
    default:
      return undefined;
  }
}

export interface StandardTool extends McpToolAnnotations {
  name: string;
  title: string;
  description: string;
}

export interface StandardServer {
  /** McpServerAccess DeveloperName, e.g. `platform_sobject_reads`. */
  developerName: string;
  /** `<namespace>/<server>` URL path, e.g. `platform/sobject-reads`. */
  path: string;
  label: string;
  description: string;
  tools: StandardTool[];
  prompts: { name: string; title: string; description: string }[];
}

// Annotations follow the MCP spec's meaning (platform.md §4.1 says the platform ships accurate
// readOnly/destructive hints; the exact values per tool are UNCONFIRMED): reads are read-only and
// idempotent; create is additive; update and delete change existing data (destructive); nothing
// reaches outside the org (openWorld false).
const READ: McpToolAnnotations = { readOnly: true, destructive: false, idempotent: true, openWorld: false };
const tool = (name: string, title: string, description: string, a: McpToolAnnotations = READ): StandardTool => ({ name, title, description, ...a });

const READ_TOOLS: StandardTool[] = [
  tool('getObjectSchema', 'Get Object Schema', 'Without arguments: an index of the objects you can query. With object names: their fields, relationships and admin-authored guidance.'),
  tool('soqlQuery', 'SOQL Query', 'Runs a SOQL query as you, honouring your object permissions, field-level security and sharing.'),
  tool('find', 'Find (SOSL)', 'Searches records with SOSL (at most 2,000 results).'),
  tool('getUserInfo', 'Get User Info', 'Your user: id, name, email, role, profile, manager, local time and time zone.'),
  tool('listRecentSobjectRecords', 'List Recent Records', 'Records of an object you viewed or changed recently.'),
  tool('getRelatedRecords', 'Get Related Records', 'Records related to a record through a (multi-level) relationship path.'),
];
const MUTATION_TOOLS: StandardTool[] = [
  tool('createSobjectRecord', 'Create Record', 'Creates a record.', { readOnly: false, destructive: false, idempotent: false, openWorld: false }),
  tool('updateSobjectRecord', 'Update Record', 'Updates fields of a record; omitted fields are left unchanged.', { readOnly: false, destructive: true, idempotent: true, openWorld: false }),
  tool('updateRelatedRecord', 'Update Related Record', 'Updates a record reached through a relationship path.', { readOnly: false, destructive: true, idempotent: true, openWorld: false }),
];
const DELETE_TOOLS: StandardTool[] = [
  tool('deleteSobjectRecord', 'Delete Record', 'Moves a record to the Recycle Bin (there is no undelete tool).', { readOnly: false, destructive: true, idempotent: true, openWorld: false }),
  tool('deleteRelatedRecord', 'Delete Related Record', 'Moves a record reached through a relationship path to the Recycle Bin.', { readOnly: false, destructive: true, idempotent: true, openWorld: false }),
];

export const STANDARD_SERVERS: readonly StandardServer[] = [
  {
    developerName: 'platform_sobject_reads',
    path: 'platform/sobject-reads',
    label: 'SObject Reads',
    description: 'Read-only access to standard and custom objects: discover schema, query, search and traverse relationships. No create, update or delete.',
    tools: READ_TOOLS,
    prompts: [],
  },
  {
    developerName: 'platform_sobject_mutations',
    path: 'platform/sobject-mutations',
    label: 'SObject Mutations',
    description: 'Read, create and update standard and custom objects. No delete.',
    tools: [...READ_TOOLS, ...MUTATION_TOOLS],
    prompts: [],
  },
  {
    developerName: 'platform_sobject_deletes',
    path: 'platform/sobject-deletes',
    label: 'SObject Deletes',
    description: 'Read and delete standard and custom objects (deleted records go to the Recycle Bin).',
    tools: [...READ_TOOLS, ...DELETE_TOOLS],
    prompts: [],
  },
  {
    developerName: 'platform_sobject_all',
    path: 'platform/sobject-all',
    label: 'SObject All',
    description: 'Read, create, update and delete standard and custom objects.',
    tools: [...READ_TOOLS, ...MUTATION_TOOLS, ...DELETE_TOOLS],
    prompts: [
      { name: 'accountReviewBriefing', title: 'Account Review Briefing', description: 'Prepares a briefing for an account review.' },
      { name: 'revenueReconciliationAnalysis', title: 'Revenue Reconciliation Analysis', description: 'Analyses revenue reconciliation across opportunities.' },
    ],
  },
];

export function standardServerByDeveloperName(developerName: string): StandardServer | undefined {
  return STANDARD_SERVERS.find((s) => s.developerName.toLowerCase() === developerName.toLowerCase());
}

export function standardServerByPath(path: string): StandardServer | undefined {
  return STANDARD_SERVERS.find((s) => s.path.toLowerCase() === path.toLowerCase());
}
