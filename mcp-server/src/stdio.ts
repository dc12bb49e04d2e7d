/**
 * stdio transport: the same servers and tools for one local user, authenticated with the sf CLI's
 * stored auth for `--target-org` (read through @salesforce/core, refreshed by it on a 401). Per the
 * MCP spec, stdio servers take credentials from the environment rather than OAuth; nothing is
 * written to stdout but JSON-RPC (logs go to stderr).
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { AuditLog } from './audit/jsonl.ts';
import type { Caller } from './auth/verifier.ts';
import { OrgClient, type OrgCallRecord } from './org/client.ts';
import { newestApiVersion } from './org/discovery.ts';
import { OrgSchemaCache } from './org/schema-cache.ts';
import { invalidateActionDescribes } from './org/actions.ts';
import { ForceGateMcpServer, type ToolRuntime } from './mcp/server.ts';
import { CatalogBuilder } from './servers/catalog.ts';
import { parseServerPath } from './servers/paths.ts';
import { ServerRegistry } from './servers/registry.ts';

export interface StdioOptions {
  targetOrg: string;
  /** `platform/sobject-reads` (default) or `custom/<ApiName>`. */
  server: string;
  audit: AuditLog;
  apiVersion?: string;
  orgTimeoutMs?: number;
  pollIntervalMs?: number;
}

export async function runStdio(options: StdioOptions): Promise<{ close(): Promise<void> }> {
  const log = (m: string): void => void process.stderr.write(`[forcegate-mcp] ${m}\n`);
  const ref = parseServerPath(options.server.replace(/^\/?platform\/mcp\/v1\//, ''));
  if (!ref) throw new Error(`--server must be platform/<server> or custom/<ApiName>, not ${options.server}`);

  const { Org } = await import('@salesforce/core');
  const org = await Org.create({ aliasOrUsername: options.targetOrg });
  const conn = org.getConnection();
  const fields = conn.getAuthInfoFields();
  const instanceUrl = (fields.instanceUrl ?? conn.instanceUrl).replace(/\/+$/, '');
  const apiVersion = options.apiVersion ?? (await newestApiVersion(instanceUrl).catch(() => '66.0'));
  let accessToken = conn.accessToken ?? fields.accessToken ?? '';
  const refresh = async (): Promise<string> => {
    await org.refreshAuth();
    accessToken = conn.accessToken ?? accessToken;
    return accessToken;
  };
  const client = (extra: { onCall?: (r: OrgCallRecord) => void; signal?: AbortSignal } = {}): OrgClient =>
    new OrgClient({ instanceUrl, apiVersion, accessToken, timeoutMs: options.orgTimeoutMs ?? 20_000, refreshAccessToken: refresh, ...extra });

  let userId = fields.userId;
  const orgId = fields.orgId;
  if (!userId) {
    const info = await client().get<{ user_id: string }>('/services/oauth2/userinfo');
    userId = info.user_id;
  }
  const caller: Caller = {
    userId: userId!,
    ...(orgId ? { orgId } : {}),
    username: fields.username ?? org.getUsername(),
    clientId: fields.clientId ?? 'PlatformCLI',
    scopes: [],
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
  const orgKey = instanceUrl;
  const runtime: ToolRuntime = {
    caller: () => caller,
    org: (_auth, opts) => client(opts),
    scope: (c) => `${orgKey}|${c.userId}`,
  };

  const registry = new ServerRegistry();
  const catalogs = new CatalogBuilder();
  const resolution = await registry.resolve(ref, client(), orgKey);
  if (resolution.status !== 'active') {
    throw new Error(`${resolution.reason} Activate it with: sf mcp server activate --name ${ref.name} --target-org ${options.targetOrg}`);
  }
  const catalog = await catalogs.get(resolution, client(), caller, orgKey);
  const server = new ForceGateMcpServer({ key: ref.key, label: resolution.label, description: resolution.description }, runtime, options.audit, 'stdio');
  server.sync(catalog.tools);
  const transport = new StdioServerTransport();
  await server.connect(transport, () => undefined);
  log(`serving ${ref.key} (${catalog.tools.length} tools) for ${caller.username} on ${instanceUrl} over stdio`);

  // Same change detection as HTTP mode: poll, rebuild, let the SDK send tools/list_changed.
  let fingerprint = catalog.fingerprint;
  let busy = false;
  const timer = setInterval(
    () => {
      if (busy) return;
      busy = true;
      void (async () => {
        const fresh = await registry.resolve(ref, client(), orgKey, { fresh: true });
        if (fresh.status !== 'active') {
          if (fingerprint !== fresh.status) {
            fingerprint = fresh.status;
            server.sync([]);
            log(`${ref.key} is no longer active`);
          }
          return;
        }
        const next = await catalogs.get(fresh, client(), caller, orgKey, { fresh: true });
        if (next.fingerprint !== fingerprint) {
          fingerprint = next.fingerprint;
          invalidateActionDescribes(`${orgKey}|`);
          OrgSchemaCache.invalidateAll(`${orgKey}|`);
          server.sync(next.tools);
          log(`${ref.key} changed in the org; tools updated`);
        }
      })()
        .catch((err: Error) => log(`watch: ${err.message}`))
        .finally(() => (busy = false));
    },
    Math.min(options.pollIntervalMs ?? 15_000, 30_000),
  );
  timer.unref();

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    await server.close();
    await options.audit.flush();
  };
  server.mcp.server.onclose = () => void close();
  return { close };
}
