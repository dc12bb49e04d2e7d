/**
 * What the plugin knows about Hosted MCP servers without asking the org: the standard servers of the
 * `platform` namespace, how server names are written on the command line, and the endpoint URL forms
 * (production vs sandbox/scratch, standard vs custom).
 */

export type ServerType = 'standard' | 'custom';

/** MCP tool annotations (the hints an MCP client shows before running a tool). */
export type ToolAnnotations = {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
};

export type ToolInput = {
  name: string;
  type: string;
  required: boolean;
  description?: string;
};

/** A standard server's fixed tool set (standard servers cannot be changed by an admin). */
export type StandardServerSpec = {
  /** URL name, e.g. `sobject-reads`. */
  name: string;
  namespace: string;
  /** McpServerAccess DeveloperName, e.g. `platform_sobject_reads`. */
  developerName: string;
  label: string;
  description: string;
  tools: string[];
};

const READ_TOOLS = ['getObjectSchema', 'soqlQuery', 'find', 'getUserInfo', 'listRecentSobjectRecords', 'getRelatedRecords'];
const MUTATION_TOOLS = ['createSobjectRecord', 'updateSobjectRecord', 'updateRelatedRecord'];
const DELETE_TOOLS = ['deleteSobjectRecord', 'deleteRelatedRecord'];

export const STANDARD_SERVERS: readonly StandardServerSpec[] = [
  {
    name: 'sobject-reads',
    namespace: 'platform',
    developerName: 'platform_sobject_reads',
    label: 'SObject Reads',
    description: 'Read-only access to standard and custom objects.',
    tools: READ_TOOLS,
  },
  {
    name: 'sobject-mutations',
    namespace: 'platform',
    developerName: 'platform_sobject_mutations',
    label: 'SObject Mutations',
    description: 'Read, create and update records.',
    tools: [...READ_TOOLS, ...MUTATION_TOOLS],
  },
  {
    name: 'sobject-deletes',
    namespace: 'platform',
    developerName: 'platform_sobject_deletes',
    label: 'SObject Deletes',
    description: 'Read and delete records.',
    tools: [...READ_TOOLS, ...DELETE_TOOLS],
  },
  {
    name: 'sobject-all',
    namespace: 'platform',
    developerName: 'platform_sobject_all',
    label: 'SObject All',
    description: 'Read, create, update and delete records.',
    tools: [...READ_TOOLS, ...MUTATION_TOOLS, ...DELETE_TOOLS],
  },
];

/** Built-in description of the standard tools (used when the org's API catalog does not list them). */
export const STANDARD_TOOLS: Record<string, { title: string; description: string; annotations: ToolAnnotations; inputs: ToolInput[] }> = {
  getObjectSchema: {
    title: 'Get Object Schema',
    description: 'Without arguments, the queryable objects; with object names, their fields and relationships.',
    annotations: readOnly(),
    inputs: [{ name: 'object-name', type: 'string', required: false, description: 'Object API name(s).' }],
  },
  soqlQuery: {
    title: 'SOQL Query',
    description: 'Runs a SOQL query as the user.',
    annotations: readOnly(),
    inputs: [{ name: 'q', type: 'string', required: true, description: 'The SOQL query.' }],
  },
  find: {
    title: 'Find (SOSL)',
    description: 'Runs a SOSL search as the user (at most 2,000 results).',
    annotations: readOnly(),
    inputs: [{ name: 'q', type: 'string', required: true, description: 'The SOSL search.' }],
  },
  getUserInfo: {
    title: 'Get User Info',
    description: "The user's id, name, email, role, profile, manager, local time and time zone.",
    annotations: readOnly(),
    inputs: [],
  },
  listRecentSobjectRecords: {
    title: 'List Recent Records',
    description: 'Records of an object the user viewed or changed recently.',
    annotations: readOnly(),
    inputs: [{ name: 'sobject-name', type: 'string', required: true, description: 'Object API name.' }],
  },
  getRelatedRecords: {
    title: 'Get Related Records',
    description: 'Records reached from a record through a relationship path.',
    annotations: readOnly(),
    inputs: [
      { name: 'sobject-name', type: 'string', required: true, description: 'Object API name.' },
      { name: 'id', type: 'string', required: true, description: 'Record id.' },
      { name: 'relationship-path', type: 'string', required: true, description: 'Relationship path, e.g. Contacts.' },
    ],
  },
  createSobjectRecord: {
    title: 'Create Record',
    description: 'Creates a record.',
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    inputs: [
      { name: 'sobject-name', type: 'string', required: true, description: 'Object API name.' },
      { name: 'body', type: 'object', required: true, description: 'Field values.' },
    ],
  },
  updateSobjectRecord: {
    title: 'Update Record',
    description: 'Updates a record; omitted fields are left unchanged.',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    inputs: [
      { name: 'sobject-name', type: 'string', required: true, description: 'Object API name.' },
      { name: 'id', type: 'string', required: true, description: 'Record id.' },
      { name: 'body', type: 'object', required: true, description: 'Field values.' },
    ],
  },
  updateRelatedRecord: {
    title: 'Update Related Record',
    description: 'Updates a record reached through a relationship path.',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    inputs: [
      { name: 'sobject-name', type: 'string', required: true, description: 'Object API name.' },
      { name: 'id', type: 'string', required: true, description: 'Record id.' },
      { name: 'relationship-path', type: 'string', required: true, description: 'Relationship path.' },
      { name: 'body', type: 'object', required: true, description: 'Field values.' },
    ],
  },
  deleteSobjectRecord: {
    title: 'Delete Record',
    description: 'Deletes a record (to the Recycle Bin).',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    inputs: [
      { name: 'sobject-name', type: 'string', required: true, description: 'Object API name.' },
      { name: 'id', type: 'string', required: true, description: 'Record id.' },
    ],
  },
  deleteRelatedRecord: {
    title: 'Delete Related Record',
    description: 'Deletes a record reached through a relationship path.',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    inputs: [
      { name: 'sobject-name', type: 'string', required: true, description: 'Object API name.' },
      { name: 'id', type: 'string', required: true, description: 'Record id.' },
      { name: 'relationship-path', type: 'string', required: true, description: 'Relationship path.' },
    ],
  },
};

function readOnly(): ToolAnnotations {
  return { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
}

/**
 * A tool counts as destructive unless it says otherwise: MCP's default for `destructiveHint` is
 * true when `readOnlyHint` is not true.
 */
export function isDestructive(annotations: ToolAnnotations): boolean {
  if (annotations.readOnlyHint === true) return false;
  return annotations.destructiveHint !== false;
}

/** The standard server a command-line name means: `sobject-reads`, `platform/sobject-reads` or `platform_sobject_reads`. */
export function findStandardServer(name: string): StandardServerSpec | undefined {
  const n = name.trim().toLowerCase();
  return STANDARD_SERVERS.find(
    (s) => n === s.name || n === `${s.namespace}/${s.name}` || n === s.developerName.toLowerCase(),
  );
}

/** The URL an MCP client connects to for a server (platform.md §3.1). */
export function endpointUrl(
  baseUrl: string,
  server: { type: ServerType; name: string; namespace?: string },
  sandbox: boolean,
): string {
  const root = `${baseUrl.replace(/\/+$/, '')}/platform/mcp/v1${sandbox ? '/sandbox' : ''}`;
  return server.type === 'standard' ? `${root}/${server.namespace ?? 'platform'}/${server.name}` : `${root}/custom/${server.name}`;
}

/** Hosted MCP for real orgs; the ForceGate MCP server's default address for a local org on loopback. */
export function defaultMcpBaseUrl(instanceUrl: string | undefined): string {
  try {
    const host = new URL(instanceUrl ?? '').hostname;
    if (host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1') return 'http://127.0.0.1:6102';
  } catch {
    // not a URL: fall through
  }
  return 'https://api.salesforce.com';
}
