/**
 * What `mcp server activate` and `mcp server deactivate` share: picking the servers and flipping their
 * McpServerAccess records.
 */
import type { McpOrg, ServerState } from './mcpOrg.js';

export type ServerActivationItem = {
  name: string;
  type: 'standard' | 'custom';
  developerName: string;
  /** Active after the command. */
  active: boolean;
  previouslyActive: boolean;
  /** The record was changed (or created). */
  changed: boolean;
  /** A McpServerAccess record was created. */
  created: boolean;
  /** The user declined the confirmation; nothing was changed. */
  skipped: boolean;
  accessId?: string;
  destructiveTools: string[];
};

/** The servers named on the command line, or every custom server with --all-custom. */
export async function selectServers(mcp: McpOrg, names: string[] | undefined, allCustom: boolean): Promise<ServerState[]> {
  const servers = await mcp.servers();
  if (allCustom) return servers.filter((s) => s.type === 'custom');
  const picked = await mcp.resolve(names ?? [], servers);
  // the same server named twice (e.g. sobject-reads and platform_sobject_reads) is flipped once
  return picked.filter((s, i) => picked.findIndex((o) => o.type === s.type && o.name === s.name) === i);
}

export async function flip(
  mcp: McpOrg,
  server: ServerState,
  active: boolean,
  destructiveTools: string[],
): Promise<ServerActivationItem> {
  const outcome = await mcp.setActive(server, active);
  const item: ServerActivationItem = {
    name: server.name,
    type: server.type,
    developerName: server.developerName,
    active: outcome.changed ? active : server.active,
    previouslyActive: server.active,
    changed: outcome.changed,
    created: outcome.created,
    skipped: false,
    destructiveTools,
  };
  if (outcome.accessId) item.accessId = outcome.accessId;
  return item;
}

export function skipped(server: ServerState, destructiveTools: string[]): ServerActivationItem {
  const item: ServerActivationItem = {
    name: server.name,
    type: server.type,
    developerName: server.developerName,
    active: server.active,
    previouslyActive: server.active,
    changed: false,
    created: false,
    skipped: true,
    destructiveTools,
  };
  if (server.accessId) item.accessId = server.accessId;
  return item;
}
