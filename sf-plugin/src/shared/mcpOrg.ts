/**
 * The org side of Hosted MCP, seen through one user's connection:
 * - activation: Tooling sObject `McpServerAccess` (one row per activated server; platform.md §5.2),
 * - custom servers: Tooling sObject `McpServerDefinition`,
 * - tools: the API Catalog (`/api-catalog/mcp-servers`, `…/{id}/assets`) and invocable action describes,
 * - the org's kind (Organization.IsSandbox / TrialExpirationDate) for the endpoint URL form.
 */
import type { Connection } from '@salesforce/core';
import { SfError } from '@salesforce/core';
import { apiErrorMessage, isAccessDenied, isMissingType, noMcpSupport, unknownServer } from './errors.js';
import {
  STANDARD_SERVERS,
  STANDARD_TOOLS,
  endpointUrl,
  findStandardServer,
  isDestructive,
  type ServerType,
  type ToolAnnotations,
  type ToolInput,
} from './servers.js';

export type McpServerAccessRecord = {
  Id: string;
  DeveloperName: string;
  MasterLabel: string;
  Active: boolean;
  McpServerId: string | null;
};

export type McpServerDefinitionRecord = {
  Id: string;
  DeveloperName: string;
  MasterLabel: string;
};

/** A server in the API catalog (`GET /api-catalog/mcp-servers`). */
export type CatalogServer = {
  id: string;
  name: string;
  label?: string;
  description?: string;
  type?: string;
  source?: string;
  active?: boolean;
  serverUrl?: string;
};

/** An asset of a catalog server (`GET /api-catalog/mcp-servers/{id}/assets`); only the fields the plugin reads. */
export type CatalogAsset = Record<string, unknown> & { name?: string; kind?: string };

export type ServerState = {
  name: string;
  label: string;
  type: ServerType;
  namespace?: string;
  /** McpServerAccess DeveloperName. */
  developerName: string;
  /** McpServerDefinition Id (custom servers). */
  definitionId?: string;
  /** API catalog id, when the catalog lists the server. */
  catalogId?: string;
  /** McpServerAccess Id, when the server has an access record. */
  accessId?: string;
  active: boolean;
};

export type ToolBacking = {
  /** `standard`, `apex`, `flow`, `namedQuery`, `apexRest`, `auraEnabled`, `prompt`, `connectApi` or `other`. */
  type: string;
  name: string;
  /** The apiIdentifier as stored in the server definition (e.g. `aa:apex-CreateSupportCase`). */
  identifier?: string;
};

export type ToolInfo = {
  name: string;
  title?: string;
  description?: string;
  backing: ToolBacking;
  annotations: ToolAnnotations;
  destructive: boolean;
  inputs: ToolInput[];
  /** Whether the target-org user can run the backing action (describe succeeded). */
  available: boolean;
  unavailableReason?: string;
};

export type OrgKind = { sandbox: boolean; scratch: boolean };

export class McpOrg {
  private catalogCache?: CatalogServer[] | null;
  private assetsCache = new Map<string, CatalogAsset[] | null>();

  public constructor(
    public readonly conn: Connection,
    public readonly username: string,
  ) {}

  private get dataPath(): string {
    return `/services/data/v${this.conn.getApiVersion()}`;
  }

  /** Sandbox and scratch orgs use the `/sandbox/` endpoint form. */
  public async orgKind(): Promise<OrgKind> {
    const result = await this.conn.query<{ IsSandbox?: boolean; TrialExpirationDate?: string | null }>(
      'SELECT IsSandbox, TrialExpirationDate FROM Organization',
    );
    const row = result.records[0] ?? {};
    return { sandbox: row.IsSandbox === true, scratch: Boolean(row.TrialExpirationDate) };
  }

  public async accessRecords(): Promise<McpServerAccessRecord[]> {
    try {
      const result = await this.conn.tooling.query<McpServerAccessRecord>(
        'SELECT Id, DeveloperName, MasterLabel, Active, McpServerId FROM McpServerAccess',
      );
      return result.records.map((r) => ({ ...r, Active: r.Active === true || String(r.Active) === 'true' }));
    } catch (error) {
      if (isMissingType(error)) throw noMcpSupport(this.username, error);
      throw error;
    }
  }

  public async definitions(): Promise<McpServerDefinitionRecord[]> {
    try {
      const result = await this.conn.tooling.query<McpServerDefinitionRecord>(
        'SELECT Id, DeveloperName, MasterLabel FROM McpServerDefinition ORDER BY DeveloperName',
      );
      return result.records;
    } catch (error) {
      if (isMissingType(error)) throw noMcpSupport(this.username, error);
      throw error;
    }
  }

  /** The API catalog's MCP servers, or null when the org has no API catalog. */
  public async catalog(): Promise<CatalogServer[] | null> {
    if (this.catalogCache !== undefined) return this.catalogCache;
    try {
      const body = await this.conn.request<unknown>(`${this.dataPath}/api-catalog/mcp-servers`);
      this.catalogCache = listOf(body, ['servers', 'mcpServers', 'items', 'records']).map(toCatalogServer).filter(
        (s): s is CatalogServer => s !== undefined,
      );
    } catch (error) {
      if (isMissingType(error) || isAccessDenied(error)) this.catalogCache = null;
      else throw error;
    }
    return this.catalogCache;
  }

  /** A catalog server's assets (tools, prompts, resources), or null when they cannot be read. */
  public async assets(catalogId: string): Promise<CatalogAsset[] | null> {
    if (this.assetsCache.has(catalogId)) return this.assetsCache.get(catalogId)!;
    let assets: CatalogAsset[] | null;
    try {
      const body = await this.conn.request<unknown>(`${this.dataPath}/api-catalog/mcp-servers/${encodeURIComponent(catalogId)}/assets`);
      assets = listOf(body, ['assets', 'items', 'tools']) as CatalogAsset[];
    } catch (error) {
      if (isMissingType(error) || isAccessDenied(error)) assets = null;
      else throw error;
    }
    this.assetsCache.set(catalogId, assets);
    return assets;
  }

  /** Standard and custom servers with their activation state. */
  public async servers(): Promise<ServerState[]> {
    const [access, definitions, catalog] = await Promise.all([this.accessRecords(), this.definitions(), this.catalog()]);
    const accessByName = new Map(access.map((a) => [a.DeveloperName.toLowerCase(), a]));
    const accessByServerId = new Map(access.filter((a) => a.McpServerId).map((a) => [sameIdKey(a.McpServerId!), a]));

    const standard: ServerState[] = STANDARD_SERVERS.map((spec) => {
      const row = accessByName.get(spec.developerName.toLowerCase());
      const entry = catalog?.find((c) => matchesStandard(c, spec.name, spec.namespace));
      return {
        name: spec.name,
        label: spec.label,
        type: 'standard',
        namespace: spec.namespace,
        developerName: spec.developerName,
        catalogId: entry?.id,
        accessId: row?.Id,
        active: row?.Active ?? false,
      };
    });
    const custom: ServerState[] = definitions.map((d) => {
      const row = accessByServerId.get(sameIdKey(d.Id)) ?? accessByName.get(d.DeveloperName.toLowerCase());
      const entry = catalog?.find(
        (c) => sameIdKey(c.id) === sameIdKey(d.Id) || (c.name.toLowerCase() === d.DeveloperName.toLowerCase() && !isStandardEntry(c)),
      );
      return {
        name: d.DeveloperName,
        label: d.MasterLabel,
        type: 'custom',
        developerName: d.DeveloperName,
        definitionId: d.Id,
        catalogId: entry?.id,
        accessId: row?.Id,
        active: row?.Active ?? false,
      };
    });
    return [...standard, ...custom];
  }

  /** Resolves command-line names to servers; unknown names fail with the list of known ones. */
  public async resolve(names: string[], servers?: ServerState[]): Promise<ServerState[]> {
    const all = servers ?? (await this.servers());
    return names.map((name) => {
      const spec = findStandardServer(name);
      const found = spec
        ? all.find((s) => s.type === 'standard' && s.name === spec.name)
        : all.find((s) => s.type === 'custom' && s.name.toLowerCase() === name.trim().toLowerCase());
      if (!found) throw unknownServer(name, all.map((s) => s.name));
      return found;
    });
  }

  /**
   * Sets a server's McpServerAccess.Active. A missing record is created when activating (custom servers
   * carry their McpServerDefinition Id); deactivating a server without a record changes nothing.
   */
  public async setActive(server: ServerState, active: boolean): Promise<{ accessId?: string; created: boolean; changed: boolean }> {
    if (server.accessId) {
      if (server.active === active) return { accessId: server.accessId, created: false, changed: false };
      await this.conn.tooling.update('McpServerAccess', { Id: server.accessId, Active: active });
      return { accessId: server.accessId, created: false, changed: true };
    }
    if (!active) return { created: false, changed: false };
    const record: Record<string, unknown> = {
      DeveloperName: server.developerName,
      MasterLabel: server.type === 'standard' ? server.name : server.label,
      Active: true,
    };
    if (server.type === 'custom') record.McpServerId = server.definitionId;
    const result = await this.conn.tooling.create('McpServerAccess', record);
    if (!result.success) {
      const errors = (result as { errors?: Array<{ message?: string } | string> }).errors ?? [];
      throw new SfError(errors.map((e) => (typeof e === 'string' ? e : e.message)).join('; ') || 'Could not create McpServerAccess.');
    }
    return { accessId: result.id, created: true, changed: true };
  }

  /** Tool names and annotations only (no action describes): for counts and the destructive check. */
  public async toolSummaries(server: ServerState): Promise<Array<Pick<ToolInfo, 'name' | 'annotations' | 'destructive'>>> {
    const assets = server.catalogId ? await this.assets(server.catalogId) : null;
    if (assets) {
      return assets.filter(isToolAsset).map((a) => {
        const annotations = annotationsOf(a);
        return { name: toolNameOf(a), annotations, destructive: isDestructive(annotations) };
      });
    }
    if (server.type === 'standard') {
      const spec = STANDARD_SERVERS.find((s) => s.name === server.name)!;
      return spec.tools.map((t) => ({ name: t, annotations: STANDARD_TOOLS[t].annotations, destructive: isDestructive(STANDARD_TOOLS[t].annotations) }));
    }
    return [];
  }

  /** The tools as the connection's user gets them: names, backing actions, annotations and inputs. */
  public async tools(server: ServerState): Promise<ToolInfo[]> {
    const assets = server.catalogId ? await this.assets(server.catalogId) : null;
    if (!assets) {
      if (server.type === 'standard') return standardTools(server.name);
      return [];
    }
    return Promise.all(assets.filter(isToolAsset).map((a) => this.toolFromAsset(a, server)));
  }

  private async toolFromAsset(asset: CatalogAsset, server: ServerState): Promise<ToolInfo> {
    const name = toolNameOf(asset);
    const annotations = annotationsOf(asset);
    const backing = backingOf(asset, server);
    const tool: ToolInfo = {
      name,
      title: str(asset.title) ?? str(asset.toolTitle) ?? str(asset.label) ?? annotations.title,
      description: str(asset.description) ?? str(asset.descriptionOverride),
      backing,
      annotations,
      destructive: isDestructive(annotations),
      inputs: inputsFromSchema(asset.inputSchema) ?? [],
      available: true,
    };
    if (backing.type === 'standard' && STANDARD_TOOLS[backing.name] && tool.inputs.length === 0) {
      tool.inputs = STANDARD_TOOLS[backing.name].inputs;
    }
    if (backing.type === 'namedQuery' && !asset.inputSchema) {
      const query = await this.namedQuery(backing.name, asset);
      if (query) tool.inputs = query.inputs;
      else {
        tool.available = false;
        tool.unavailableReason = `Named Query ${backing.name} not found`;
      }
    }
    if (backing.type === 'apex' || backing.type === 'flow') {
      try {
        const describe = await this.conn.request<ActionDescribe>(
          `${this.dataPath}/actions/custom/${backing.type}/${encodeURIComponent(backing.name)}`,
        );
        if (!asset.inputSchema) tool.inputs = inputsFromDescribe(describe);
        tool.description ??= describe.description ?? undefined;
      } catch (error) {
        tool.available = false;
        tool.unavailableReason = apiErrorMessage(error);
      }
    }
    return tool;
  }

  /**
   * A Named Query's parameters (every one required, sent as URL literals): from the catalog asset
   * when it lists them, else from the Tooling ApiNamedQuery's Metadata. Undefined when the query
   * does not exist; no inputs when the org does not expose its parameters.
   */
  private async namedQuery(name: string, asset: CatalogAsset): Promise<{ inputs: ToolInput[] } | undefined> {
    const toInputs = (params: Array<Record<string, unknown>>): ToolInput[] =>
      params.map((p) => ({
        name: String(p.name ?? p.parameterName),
        type: 'string',
        required: true,
        description: str(p.description) ?? str(p.label) ?? str(p.parameterLabel),
      }));
    if (Array.isArray(asset.parameters)) return { inputs: toInputs(asset.parameters as Array<Record<string, unknown>>) };
    const literal = `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    for (const select of ['Id, Metadata', 'Id']) {
      try {
        const { records } = await this.conn.tooling.query<{ Id: string; Metadata?: { apiNamedQueryParameters?: unknown } | null }>(
          `SELECT ${select} FROM ApiNamedQuery WHERE Name = ${literal}`,
        );
        if (records.length === 0) return undefined;
        const raw = records[0].Metadata?.apiNamedQueryParameters;
        const params = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Array<Record<string, unknown>>;
        return { inputs: toInputs(params) };
      } catch (error) {
        if (!isMissingType(error)) throw error;
      }
    }
    return { inputs: [] };
  }

  /** The endpoint URL of a server for this org's kind. */
  public static url(baseUrl: string, server: ServerState, kind: OrgKind): string {
    return endpointUrl(baseUrl, server, kind.sandbox || kind.scratch);
  }
}

type ActionDescribe = {
  description?: string | null;
  inputs?: Array<{ name: string; type?: string | null; required?: boolean; description?: string | null; label?: string | null; maxOccurs?: number }>;
};

function standardTools(serverName: string): ToolInfo[] {
  const spec = STANDARD_SERVERS.find((s) => s.name === serverName)!;
  return spec.tools.map((t) => {
    const def = STANDARD_TOOLS[t];
    return {
      name: t,
      title: def.title,
      description: def.description,
      backing: { type: 'standard', name: t, identifier: `psmcps:${spec.namespace}.${spec.name}:${t}` },
      annotations: def.annotations,
      destructive: isDestructive(def.annotations),
      inputs: def.inputs,
      available: true,
    };
  });
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** Finds the array in a response: the body itself or the first listed key holding an array. */
function listOf(body: unknown, keys: string[]): Array<Record<string, unknown>> {
  if (Array.isArray(body)) return body as Array<Record<string, unknown>>;
  if (body && typeof body === 'object') {
    for (const k of keys) {
      const v = (body as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v as Array<Record<string, unknown>>;
    }
  }
  return [];
}

function toCatalogServer(raw: Record<string, unknown>): CatalogServer | undefined {
  const s = (raw.server && typeof raw.server === 'object' ? raw.server : raw) as Record<string, unknown>;
  const id = str(s.id);
  const name = str(s.name) ?? str(s.apiName) ?? str(s.developerName);
  if (!id || !name) return undefined;
  return {
    id,
    name,
    label: str(s.label),
    description: str(s.description),
    type: str(s.type),
    source: str(s.source),
    active: bool(s.active),
    serverUrl: str(s.serverUrl),
  };
}

function isStandardEntry(c: CatalogServer): boolean {
  return (c.source ?? '').toUpperCase() === 'STANDARD' || c.name.includes('/');
}

function matchesStandard(c: CatalogServer, name: string, namespace: string): boolean {
  const n = c.name.toLowerCase();
  return n === `${namespace}/${name}` || n === `${namespace}_${name.replace(/-/g, '_')}` || (n === name && isStandardEntry(c));
}

/** Ids compare case-sensitively on their first 15 characters. */
function sameIdKey(id: string): string {
  return id.slice(0, 15);
}

function isToolAsset(a: CatalogAsset): boolean {
  const kind = (str(a.kind) ?? str(a.type) ?? 'MCP_TOOL').toUpperCase();
  return kind === 'MCP_TOOL' || kind === 'TOOL';
}

function toolNameOf(a: CatalogAsset): string {
  return str(a.toolName) ?? str(a.name) ?? str(a.label) ?? '(unnamed)';
}

function annotationsOf(a: CatalogAsset): ToolAnnotations {
  const nested = (a.annotations && typeof a.annotations === 'object' ? a.annotations : {}) as Record<string, unknown>;
  const pick = (hint: string, flat: string): boolean | undefined =>
    bool(nested[hint]) ?? bool(nested[flat]) ?? bool(a[hint]) ?? bool(a[flat]);
  const out: ToolAnnotations = {};
  const title = str(nested.title);
  if (title) out.title = title;
  const readOnlyHint = pick('readOnlyHint', 'readOnly');
  const destructiveHint = pick('destructiveHint', 'destructive');
  const idempotentHint = pick('idempotentHint', 'idempotent');
  const openWorldHint = pick('openWorldHint', 'openWorld');
  if (readOnlyHint !== undefined) out.readOnlyHint = readOnlyHint;
  if (destructiveHint !== undefined) out.destructiveHint = destructiveHint;
  if (idempotentHint !== undefined) out.idempotentHint = idempotentHint;
  if (openWorldHint !== undefined) out.openWorldHint = openWorldHint;
  return out;
}

/** Reads the backing action from an asset's apiIdentifier (platform.md §6.4) or explicit fields. */
export function backingOf(a: CatalogAsset, server?: ServerState): ToolBacking {
  const def = (a.apiDefinition && typeof a.apiDefinition === 'object' ? a.apiDefinition : {}) as Record<string, unknown>;
  const identifier = str(def.apiIdentifier) ?? str(a.apiIdentifier);
  const operation = str(def.operation) ?? str(a.operation);
  if (identifier) return parseApiIdentifier(identifier, operation);
  const backingType = str(a.backingType) ?? str(a.actionType);
  const backingName = str(a.backingName) ?? str(a.actionName) ?? operation;
  if (backingType && backingName) return { type: backingType.toLowerCase() === 'namedquery' ? 'namedQuery' : backingType.toLowerCase(), name: backingName };
  if (server?.type === 'standard') return { type: 'standard', name: toolNameOf(a) };
  return { type: 'other', name: operation ?? toolNameOf(a) };
}

export function parseApiIdentifier(identifier: string, operation?: string): ToolBacking {
  const m = /^([a-z]+):(.*)$/.exec(identifier);
  if (!m) return { type: 'other', name: operation ?? identifier, identifier };
  const [, prefix, rest] = m;
  switch (prefix) {
    case 'aa':
      return { type: 'apex', name: rest.replace(/^apex-/, ''), identifier };
    case 'fa':
      return { type: 'flow', name: rest.replace(/^flow-/, ''), identifier };
    case 'nq':
      return { type: 'namedQuery', name: operation ?? rest.replace(/_nquery$/, ''), identifier };
    case 'ae':
      return { type: 'auraEnabled', name: rest, identifier };
    case 'ar':
      return { type: 'apexRest', name: rest, identifier };
    case 'pr':
      return { type: 'prompt', name: rest, identifier };
    case 'ct':
      return { type: 'connectApi', name: operation ?? rest, identifier };
    case 'psmcps':
      return { type: 'standard', name: operation ?? rest.split(':').pop() ?? rest, identifier };
    default:
      return { type: 'other', name: operation ?? rest, identifier };
  }
}

function inputsFromDescribe(d: ActionDescribe): ToolInput[] {
  return (d.inputs ?? []).map((i) => ({
    name: i.name,
    type: (i.type ?? 'STRING').toLowerCase() + ((i.maxOccurs ?? 1) > 1 ? '[]' : ''),
    required: i.required === true,
    description: i.description ?? i.label ?? undefined,
  }));
}

/** Inputs from a JSON schema (`{type:'object', properties, required}`), when the catalog carries one. */
function inputsFromSchema(schema: unknown): ToolInput[] | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as { properties?: Record<string, { type?: string; description?: string }>; required?: string[] };
  if (!s.properties) return undefined;
  const required = new Set(s.required ?? []);
  return Object.entries(s.properties).map(([name, p]) => ({
    name,
    type: p.type ?? 'string',
    required: required.has(name),
    description: p.description,
  }));
}
