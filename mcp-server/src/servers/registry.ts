/**
 * Which servers exist in the org and whether they are active, read with the caller's token.
 *
 * - Standard servers: fixed tool sets (tools/standard); active when their `McpServerAccess` row
 *   (`platform_sobject_reads`, …) says so.
 * - Custom servers: `McpServerDefinition`s, read from the org's API Catalog
 *   (`/api-catalog/mcp-servers`, `/…/{id}/assets`) or, when the org has no catalog, from the Tooling
 *   API (`McpServerDefinition` with its `Metadata`); active when their access row says so (or, with
 *   no row readable, the catalog's `active` flag).
 *
 * Activation is org-wide state, so the snapshot is cached per org for a short time (30 s by
 * default) and dropped by the watcher when it sees a change.
 */
import { soqlString, type OrgClient } from '../org/client.ts';
import { OrgApiError, OrgAuthError, OrgUnavailableError } from '../org/errors.ts';
import { TtlCache } from '../org/cache.ts';
import { standardServer, type StandardServer } from '../tools/standard/index.ts';
import type { ServerRef } from './paths.ts';

export interface CustomToolDefinition {
  toolName?: string;
  toolTitle?: string;
  description?: string;
  apiIdentifier: string;
  operation?: string;
  readOnly?: boolean;
  destructive?: boolean;
  idempotent?: boolean;
  openWorld?: boolean;
  /** Extra details an API Catalog asset may carry (input schema hints, parameters). */
  asset?: Record<string, unknown>;
}

export interface CustomServerDefinition {
  id?: string;
  apiName: string;
  label?: string;
  description?: string;
  tools: CustomToolDefinition[];
  /** Where the definition came from. */
  source: 'api-catalog' | 'tooling';
}

export type Resolution =
  | { status: 'active'; ref: ServerRef; label: string; description?: string; standard?: StandardServer; custom?: CustomServerDefinition }
  | { status: 'inactive' | 'unknown'; ref: ServerRef; label?: string; reason: string };

interface AccessRow {
  Id: string;
  DeveloperName: string;
  MasterLabel?: string;
  Active: boolean;
  McpServerId?: string | null;
}

interface CatalogServer {
  id: string;
  name: string;
  label?: string;
  description?: string;
  active?: boolean;
  source?: string;
  type?: string;
}

interface OrgServers {
  /** null: the caller's token could not read McpServerAccess. */
  access: AccessRow[] | null;
  /** Custom servers (API Catalog or Tooling). null: unreadable. */
  custom: CatalogServer[] | null;
  customSource: 'api-catalog' | 'tooling' | null;
  problems: string[];
}

/** The caller cannot read what decides whether the server is active. */
export class ActivationUnknownError extends Error {}

export class ServerRegistry {
  private readonly snapshots: TtlCache<OrgServers>;
  private readonly definitions: TtlCache<CustomServerDefinition>;

  constructor(ttlMs = 30_000) {
    this.snapshots = new TtlCache(ttlMs, 100);
    this.definitions = new TtlCache(ttlMs, 1000);
  }

  /** Forgets the cached state of one org (all when omitted). */
  invalidate(orgKey = ''): void {
    this.snapshots.invalidate(orgKey);
    this.definitions.invalidate(orgKey);
  }

  async resolve(ref: ServerRef, org: OrgClient, orgKey: string, opts: { fresh?: boolean } = {}): Promise<Resolution> {
    if (opts.fresh) this.invalidate(`${orgKey}|`);
    if (ref.kind === 'platform') {
      const std = standardServer(ref.name);
      if (!std) return { status: 'unknown', ref, reason: `There is no standard MCP server named ${ref.name}.` };
      const state = await this.snapshot(org, orgKey);
      if (state.access === null) {
        throw new ActivationUnknownError(`Cannot read the activation of ${ref.key}: ${state.problems.join('; ')}`);
      }
      const row = state.access.find((r) => r.DeveloperName.toLowerCase() === std.accessName);
      if (!row?.Active) {
        return { status: 'inactive', ref, label: std.label, reason: `The ${std.label} server (${ref.key}) is not active in this org.` };
      }
      return { status: 'active', ref, label: std.label, description: std.description, standard: std };
    }
    const state = await this.snapshot(org, orgKey);
    if (state.custom === null) throw new ActivationUnknownError(`Cannot read the custom MCP servers: ${state.problems.join('; ')}`);
    const server = state.custom.find((s) => s.name.toLowerCase() === ref.name.toLowerCase());
    if (!server) return { status: 'unknown', ref, reason: `There is no MCP server named ${ref.name} in this org.` };
    const row = state.access?.find((r) => (r.McpServerId && sameId(r.McpServerId, server.id)) || r.DeveloperName.toLowerCase() === server.name.toLowerCase());
    const active = row ? row.Active : state.access === null || state.customSource === 'api-catalog' ? server.active === true : false;
    if (!active) {
      return { status: 'inactive', ref, label: server.label ?? server.name, reason: `The ${server.label ?? server.name} server (${ref.key}) is not active in this org.` };
    }
    const def = await this.definitions.get(`${orgKey}|def|${server.id}`, () => this.loadDefinition(org, server, state.customSource!));
    return { status: 'active', ref, label: def.label ?? server.name, description: def.description, custom: def };
  }

  private async snapshot(org: OrgClient, orgKey: string): Promise<OrgServers> {
    const key = `${orgKey}|servers`;
    const state = await this.snapshots.get(key, () => readOrgServers(org));
    // What one caller could not read is not cached for the others.
    if (state.problems.length) this.snapshots.invalidate(key);
    return state;
  }

  private async loadDefinition(org: OrgClient, server: CatalogServer, source: 'api-catalog' | 'tooling'): Promise<CustomServerDefinition> {
    if (source === 'api-catalog') {
      const body = await org.get<unknown>(`/api-catalog/mcp-servers/${encodeURIComponent(server.id)}/assets`);
      const assets = firstArray(body, ['assets', 'tools', 'items']) ?? [];
      const tools = assets.map((a) => assetToTool(a as Record<string, unknown>)).filter((t): t is CustomToolDefinition => t !== undefined);
      // A catalog whose assets do not say what backs each tool is completed from the metadata.
      if (tools.length === assets.filter((a) => isToolAsset(a as Record<string, unknown>)).length) {
        return { id: server.id, apiName: server.name, label: server.label, description: server.description, tools, source };
      }
    }
    const { records } = await org.query<{ Id: string; DeveloperName: string; MasterLabel?: string; Description?: string; Metadata?: Record<string, unknown> }>(
      `SELECT Id, DeveloperName, MasterLabel, Description, Metadata FROM McpServerDefinition WHERE Id = ${soqlString(server.id)}`,
      { tooling: true },
    );
    const rec = records[0];
    if (!rec) throw new OrgApiError(404, [{ errorCode: 'NOT_FOUND', message: `McpServerDefinition ${server.name} not found` }]);
    const meta = rec.Metadata ?? {};
    const rawTools = Array.isArray(meta.tools) ? (meta.tools as Record<string, unknown>[]) : [];
    return {
      id: rec.Id,
      apiName: rec.DeveloperName,
      label: (meta.masterLabel as string | undefined) ?? rec.MasterLabel,
      description: (meta.description as string | undefined) ?? rec.Description,
      tools: rawTools.map(metadataToTool).filter((t): t is CustomToolDefinition => t !== undefined),
      source: 'tooling',
    };
  }
}

async function readOrgServers(org: OrgClient): Promise<OrgServers> {
  const problems: string[] = [];
  const soft = (what: string, err: unknown): void => {
    if (err instanceof OrgAuthError || err instanceof OrgUnavailableError) throw err;
    if (err instanceof OrgApiError) problems.push(`${what}: ${err.message}`);
    else throw err;
  };
  let access: AccessRow[] | null = null;
  try {
    const res = await org.query<AccessRow>('SELECT Id, DeveloperName, MasterLabel, Active, McpServerId FROM McpServerAccess', { tooling: true });
    access = res.records.map((r) => ({ ...r, Active: r.Active === true || (r.Active as unknown) === 'true' }));
  } catch (err) {
    soft('McpServerAccess', err);
  }
  let custom: CatalogServer[] | null = null;
  let customSource: OrgServers['customSource'] = null;
  try {
    const body = await org.get<unknown>('/api-catalog/mcp-servers');
    const list = (firstArray(body, ['servers', 'mcpServers', 'items', 'records']) ?? []) as Record<string, unknown>[];
    custom = list
      .filter((s) => String(s.source ?? 'CUSTOM').toUpperCase() === 'CUSTOM' && String(s.type ?? 'PLATFORM').toUpperCase() !== 'EXTERNAL')
      .map((s) => ({
        id: String(s.id),
        name: String(s.name ?? s.apiName ?? s.developerName),
        label: str(s.label),
        description: str(s.description),
        active: s.active === true || String(s.status ?? '').toUpperCase() === 'ACTIVE',
      }));
    customSource = 'api-catalog';
  } catch (err) {
    soft('API Catalog', err);
  }
  if (custom === null) {
    try {
      const res = await org.query<{ Id: string; DeveloperName: string; MasterLabel?: string; Description?: string }>(
        'SELECT Id, DeveloperName, MasterLabel, Description FROM McpServerDefinition',
        { tooling: true },
      );
      custom = res.records.map((r) => ({ id: r.Id, name: r.DeveloperName, label: r.MasterLabel, description: r.Description }));
      customSource = 'tooling';
    } catch (err) {
      soft('McpServerDefinition', err);
    }
  }
  return { access, custom, customSource, problems };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

function firstArray(body: unknown, keys: string[]): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') {
    for (const k of keys) {
      const v = (body as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v;
    }
  }
  return undefined;
}

function isToolAsset(a: Record<string, unknown>): boolean {
  return String(a.kind ?? a.type ?? 'MCP_TOOL').toUpperCase() === 'MCP_TOOL' && a.active !== false;
}

function assetToTool(a: Record<string, unknown>): CustomToolDefinition | undefined {
  if (!isToolAsset(a)) return undefined;
  const api = (a.apiDefinition ?? {}) as Record<string, unknown>;
  const annotations = (a.annotations ?? {}) as Record<string, unknown>;
  const apiIdentifier = str(a.apiIdentifier) ?? str(api.apiIdentifier);
  if (!apiIdentifier) return undefined;
  return {
    apiIdentifier,
    operation: str(a.operation) ?? str(api.operation),
    toolName: str(a.toolName) ?? str(a.name),
    toolTitle: str(a.toolTitle) ?? str(a.title) ?? str(a.label),
    description: str(a.descriptionOverride) ?? str(a.description),
    readOnly: bool(a.readOnly) ?? bool(annotations.readOnlyHint) ?? bool(annotations.readOnly),
    destructive: bool(a.destructive) ?? bool(annotations.destructiveHint) ?? bool(annotations.destructive),
    idempotent: bool(a.idempotent) ?? bool(annotations.idempotentHint) ?? bool(annotations.idempotent),
    openWorld: bool(a.openWorld) ?? bool(annotations.openWorldHint) ?? bool(annotations.openWorld),
    asset: a,
  };
}

function metadataToTool(t: Record<string, unknown>): CustomToolDefinition | undefined {
  const api = (t.apiDefinition ?? {}) as Record<string, unknown>;
  const apiIdentifier = str(api.apiIdentifier) ?? str(t.apiIdentifier);
  if (!apiIdentifier) return undefined;
  return {
    apiIdentifier,
    operation: str(api.operation) ?? str(t.operation),
    toolName: str(t.toolName),
    toolTitle: str(t.toolTitle),
    description: str(t.descriptionOverride),
    readOnly: bool(t.readOnly),
    destructive: bool(t.destructive),
    idempotent: bool(t.idempotent),
    openWorld: bool(t.openWorld),
  };
}

function sameId(a: string, b: string): boolean {
  return a.slice(0, 15) === b.slice(0, 15);
}
