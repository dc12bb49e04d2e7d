/**
 * API Catalog Connect API, MCP servers (platform.md §6.5), read side:
 *
 *   GET /services/data/vXX.X/api-catalog/mcp-servers[?label=&type=&status=]
 *   GET /services/data/vXX.X/api-catalog/mcp-servers/{id}
 *   GET /services/data/vXX.X/api-catalog/mcp-servers/{id}/assets
 *
 * Lists the standard SObject servers (fixed tool sets, platform.md §4.1) and the custom servers
 * deployed as McpServerDefinition, each with its activation state from McpServerAccess. Servers are
 * created by deploying metadata and activated through the Tooling API, so the catalog's write
 * methods are not served (405).
 *
 * Shapes: `id, name, label, description, type: "PLATFORM", source: "STANDARD"|"CUSTOM", active,
 * serverUrl, createdById, createdDate` come from platform.md §6.5; `status` and the list key
 * `mcpServers` from forcedotcom/agents' API Catalog client types; asset keys `id, name, label,
 * description, kind, active` from the same client. The list is returned under both `mcpServers`
 * and `servers`; a server by id is returned bare (as that client types it). Everything else —
 * `namespace`, `apiName`, `accessRecordId`, and the asset extras a client needs to serve a tool
 * (`toolName`, `toolTitle`, `apiIdentifier`, `apiSource`, `operation`, `annotations`,
 * `descriptionOverride`, `returnDirect`, and `parameters` of named-query tools) — is UNCONFIRMED.
 *
 * `serverUrl` points at the ForceGate MCP server (config `mcpServerUrl`, default
 * http://127.0.0.1:6102): `<base>/platform/mcp/v1/platform/sobject-reads`,
 * `<base>/platform/mcp/v1/custom/<ApiName>`, with `/v1/sandbox/…` when Organization.IsSandbox.
 * Any API user may read the catalog (a local-org choice: an MCP server checks activation with its
 * caller's token; the platform's permission for these reads is UNCONFIRMED).
 */
import { createHash } from 'node:crypto';
import { to18 } from '../ids.ts';
import { ApiError, errors } from '../http/errors.ts';
import type { Router } from '../http/router.ts';
import { storedComponents } from '../metadata/apply.ts';
import { parseApiIdentifier, parseMcpServerDefinition, STANDARD_SERVERS, type CustomMcpServer, type StandardServer } from '../metadata/mcp-servers.ts';
import { list, parseMetadataXml, text, type XmlNode } from '../metadata/xml.ts';
import { DEFAULT_MCP_SERVER_URL } from '../org/config.ts';
import type { OrgContext } from '../org/context.ts';
import { formatDatetime } from '../storage/record-store.ts';
import { requireVersion } from './versions.ts';

interface AccessRow {
  Id: string;
  DeveloperName: string;
  Active: number;
  McpServerId: string | null;
  LastModifiedDate: string;
  LastModifiedById: string;
}

export interface CatalogServer {
  id: string;
  name: string;
  label: string;
  description: string | null;
  type: 'PLATFORM';
  source: 'STANDARD' | 'CUSTOM';
  active: boolean;
  status: 'ACTIVE' | 'INACTIVE';
  serverUrl: string;
  namespace: string;
  apiName: string;
  accessRecordId: string | null;
  createdById: string;
  createdDate: string;
  lastModifiedById: string;
  lastModifiedDate: string;
}

export interface CatalogAsset {
  id: string;
  name: string;
  label: string;
  description: string;
  kind: 'MCP_TOOL' | 'MCP_PROMPT';
  active: boolean;
  toolName?: string;
  toolTitle?: string;
  apiIdentifier?: string;
  apiSource?: string;
  operation?: string;
  descriptionOverride?: string | null;
  returnDirect?: boolean;
  annotations?: { readOnly: boolean; destructive: boolean; idempotent: boolean; openWorld: boolean };
  promptTemplateName?: string;
  /** Named-query tools: the query's parameters (`apiNamedQueryParameters`). */
  parameters?: { name: string; label: string | null; description: string | null }[];
}

/** Stable Id for a standard server (`0Mx…`, one per server, the same in every local org). */
function standardServerId(index: number): string {
  return to18(`0Mx5g${String(index + 1).padStart(10, '0')}`);
}

/** Stable asset Id: derived from the server Id and the asset name. */
function assetId(serverId: string, kind: string, name: string): string {
  const digest = createHash('sha256').update(`${serverId}/${kind}/${name}`).digest();
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let body = '';
  for (let i = 0; i < 10; i++) body += alphabet[digest[i]! % 62];
  return to18(`${kind === 'MCP_PROMPT' ? '0Mp' : '0Mt'}5g${body}`);
}

export class ApiCatalog {
  constructor(private readonly org: OrgContext) {}

  private base(): string {
    const configured = this.org.config.mcpServerUrl ?? DEFAULT_MCP_SERVER_URL;
    return configured.replace(/\/+$/, '');
  }

  private isSandbox(): boolean {
    const row = this.org.db.prepare('SELECT IsSandbox FROM Organization LIMIT 1').get() as { IsSandbox: number } | undefined;
    return row?.IsSandbox === 1;
  }

  private orgCreated(): { date: string; by: string } {
    const row = this.org.db.prepare('SELECT CreatedDate, CreatedById FROM Organization LIMIT 1').get() as { CreatedDate: string; CreatedById: string } | undefined;
    return { date: row?.CreatedDate ?? new Date(0).toISOString(), by: row?.CreatedById ?? this.org.systemUserId };
  }

  private accessRows(): AccessRow[] {
    return this.org.db.prepare('SELECT Id, DeveloperName, Active, McpServerId, LastModifiedDate, LastModifiedById FROM McpServerAccess WHERE IsDeleted = 0').all() as AccessRow[];
  }

  /** Every server, standard first, with its activation state. */
  servers(): CatalogServer[] {
    const sandbox = this.isSandbox() ? 'sandbox/' : '';
    const base = `${this.base()}/platform/mcp/v1/${sandbox}`;
    const access = this.accessRows();
    const created = this.orgCreated();
    const pickAccess = (rows: AccessRow[]): AccessRow | undefined => rows.find((r) => r.Active === 1) ?? rows[0];
    const standard = STANDARD_SERVERS.map((s, i): CatalogServer => {
      const a = pickAccess(access.filter((r) => r.DeveloperName.toLowerCase() === s.developerName.toLowerCase()));
      return {
        id: standardServerId(i),
        name: s.developerName,
        label: s.label,
        description: s.description,
        type: 'PLATFORM',
        source: 'STANDARD',
        active: a?.Active === 1,
        status: a?.Active === 1 ? 'ACTIVE' : 'INACTIVE',
        serverUrl: `${base}${s.path}`,
        namespace: s.path.split('/')[0]!,
        apiName: s.path.split('/')[1]!,
        accessRecordId: a?.Id ?? null,
        createdById: created.by,
        createdDate: formatDatetime(created.date),
        lastModifiedById: a?.LastModifiedById ?? created.by,
        lastModifiedDate: formatDatetime(a?.LastModifiedDate ?? created.date),
      };
    });
    const rows = this.org.db.prepare('SELECT id, full_name, created_date, last_modified_date, last_modified_by_id FROM _metadata WHERE type = ? ORDER BY full_name').all('McpServerDefinition') as {
      id: string;
      full_name: string;
      created_date: string;
      last_modified_date: string;
      last_modified_by_id: string | null;
    }[];
    const custom = rows.map((r): CatalogServer => {
      const def = this.definition(r.full_name);
      const a = pickAccess(access.filter((x) => x.McpServerId === r.id));
      const by = r.last_modified_by_id ?? this.org.systemUserId;
      return {
        id: r.id,
        name: r.full_name,
        label: def?.masterLabel ?? r.full_name,
        description: def?.description ?? null,
        type: 'PLATFORM',
        source: 'CUSTOM',
        active: a?.Active === 1,
        status: a?.Active === 1 ? 'ACTIVE' : 'INACTIVE',
        serverUrl: `${base}custom/${r.full_name}`,
        namespace: 'custom',
        apiName: r.full_name,
        accessRecordId: a?.Id ?? null,
        createdById: by,
        createdDate: formatDatetime(r.created_date),
        lastModifiedById: by,
        lastModifiedDate: formatDatetime(later(r.last_modified_date, a?.LastModifiedDate)),
      };
    });
    return [...standard, ...custom];
  }

  private definition(name: string): CustomMcpServer | undefined {
    const c = storedComponents(this.org.db, 'McpServerDefinition').find((x) => x.fullName === name);
    if (!c) return undefined;
    try {
      return parseMcpServerDefinition(c.fullName, c.xml);
    } catch {
      return undefined;
    }
  }

  /** A named-query tool's parameters, and the query's own label and description (shown when the tool overrides neither). */
  private namedQuery(apiIdentifier: string, operation?: string): Pick<CatalogAsset, 'parameters'> & { label?: string; description?: string } {
    const target = parseApiIdentifier(apiIdentifier, operation);
    if (target?.kind !== 'named-query') return {};
    const c = storedComponents(this.org.db, 'ApiNamedQuery').find((x) => x.fullName.toLowerCase() === target.queryName.toLowerCase());
    if (!c) return {};
    try {
      const { body } = parseMetadataXml(c.xml, 'ApiNamedQuery');
      return {
        label: text(body.masterLabel),
        description: text(body.description),
        parameters: list<XmlNode>(body.apiNamedQueryParameters).map((p) => ({
          name: text(p.parameterName) ?? '',
          label: text(p.parameterLabel) ?? null,
          description: text(p.description) ?? null,
        })),
      };
    } catch {
      return {};
    }
  }

  server(id: string): CatalogServer | undefined {
    return this.servers().find((s) => s.id === id || (id.length === 15 && s.id.startsWith(id)));
  }

  assets(server: CatalogServer): CatalogAsset[] {
    if (server.source === 'STANDARD') {
      const s = STANDARD_SERVERS.find((x) => x.developerName === server.name)!;
      return standardAssets(server.id, s);
    }
    const def = this.definition(server.name);
    if (!def) return [];
    return [
      ...def.tools.map((t): CatalogAsset => {
        const { label, description, ...query } = this.namedQuery(t.apiIdentifier, t.operation);
        return {
          id: assetId(server.id, 'MCP_TOOL', t.toolName),
          name: t.toolName,
          label: t.toolTitle ?? label ?? t.toolName,
          description: t.descriptionOverride ?? description ?? '',
          kind: 'MCP_TOOL',
          active: true,
          toolName: t.toolName,
          toolTitle: t.toolTitle ?? t.operation ?? t.toolName,
          apiIdentifier: t.apiIdentifier,
          apiSource: t.apiSource,
          operation: t.operation,
          descriptionOverride: t.descriptionOverride ?? null,
          returnDirect: t.returnDirect,
          annotations: { readOnly: t.readOnly, destructive: t.destructive, idempotent: t.idempotent, openWorld: t.openWorld },
          ...query,
        };
      }),
      ...def.prompts.map((p): CatalogAsset => ({
        id: assetId(server.id, 'MCP_PROMPT', p.promptName),
        name: p.promptName,
        label: p.promptTitle ?? p.promptName,
        description: p.descriptionOverride ?? '',
        kind: 'MCP_PROMPT',
        active: true,
        descriptionOverride: p.descriptionOverride ?? null,
        promptTemplateName: p.promptTemplateName,
      })),
    ];
  }
}

function standardAssets(serverId: string, s: StandardServer): CatalogAsset[] {
  return [
    ...s.tools.map((t): CatalogAsset => ({
      id: assetId(serverId, 'MCP_TOOL', t.name),
      name: t.name,
      label: t.title,
      description: t.description,
      kind: 'MCP_TOOL',
      active: true,
      toolName: t.name,
      toolTitle: t.title,
      apiIdentifier: `psmcps:${s.path.replace('/', '.')}:${t.name}`,
      apiSource: 'STANDARD_MCP_SERVER',
      operation: t.name,
      descriptionOverride: null,
      returnDirect: false,
      annotations: { readOnly: t.readOnly, destructive: t.destructive, idempotent: t.idempotent, openWorld: t.openWorld },
    })),
    ...s.prompts.map((p): CatalogAsset => ({
      id: assetId(serverId, 'MCP_PROMPT', p.name),
      name: p.name,
      label: p.title,
      description: p.description,
      kind: 'MCP_PROMPT',
      active: true,
      descriptionOverride: null,
    })),
  ];
}

function later(a: string, b: string | undefined): string {
  return b && b > a ? b : a;
}

const STATUS_FILTERS = ['ACTIVE', 'DISCONNECTED'];

export function registerApiCatalog(router: Router, org: OrgContext): void {
  const catalog = new ApiCatalog(org);

  router.add(
    'GET',
    '/services/data/:version/api-catalog/mcp-servers',
    (ctx) => {
      requireVersion(ctx.apiVersion);
      ctx.requireSession();
      let servers = catalog.servers();
      const label = ctx.query.get('label');
      const type = ctx.query.get('type');
      const status = ctx.query.get('status');
      if (status !== null && !STATUS_FILTERS.includes(status)) {
        throw new ApiError(400, 'INVALID_INPUT', `Invalid status filter '${status}': use ACTIVE or DISCONNECTED`);
      }
      if (label) servers = servers.filter((s) => s.label.toLowerCase().includes(label.toLowerCase()));
      if (type) servers = servers.filter((s) => s.type === type.toUpperCase());
      if (status === 'ACTIVE') servers = servers.filter((s) => s.active);
      if (status === 'DISCONNECTED') servers = servers.filter((s) => !s.active);
      return { json: { mcpServers: servers, servers } };
    },
    { auth: 'api' },
  );

  router.add(
    'GET',
    '/services/data/:version/api-catalog/mcp-servers/:id',
    (ctx) => {
      requireVersion(ctx.apiVersion);
      ctx.requireSession();
      const server = catalog.server(ctx.params.id!);
      if (!server) throw errors.notFound();
      return { json: server };
    },
    { auth: 'api' },
  );

  router.add(
    'GET',
    '/services/data/:version/api-catalog/mcp-servers/:id/assets',
    (ctx) => {
      requireVersion(ctx.apiVersion);
      ctx.requireSession();
      const server = catalog.server(ctx.params.id!);
      if (!server) throw errors.notFound();
      return { json: { assets: catalog.assets(server) } };
    },
    { auth: 'api' },
  );
}
