/**
 * Deploy helpers: the component responses of a Metadata API deploy, and the MCP servers an
 * McpServerDefinition source file defines.
 */
import { relative } from 'node:path';
import type { ComponentSet, FileResponse, SourceComponent } from '@salesforce/source-deploy-retrieve';
import { parseApiIdentifier, type ToolBacking } from './mcpOrg.js';

export type DeployedComponent = {
  type: string;
  fullName: string;
  /** Created, Changed, Unchanged, Deleted or Failed. */
  state: string;
  filePath?: string;
  problem?: string;
  problemType?: string;
  lineNumber?: number;
  columnNumber?: number;
};

export type DefinedTool = {
  name: string;
  title?: string;
  backing: ToolBacking;
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
  openWorld: boolean;
};

export type DefinedServer = {
  name: string;
  label: string;
  description?: string;
  tools: DefinedTool[];
};

export function toDeployedComponents(responses: FileResponse[], cwd = process.cwd()): DeployedComponent[] {
  const seen = new Set<string>();
  const out: DeployedComponent[] = [];
  for (const r of responses) {
    const key = `${r.type}:${r.fullName}:${r.state}:${'error' in r ? r.error : ''}`;
    // a component with several files (e.g. an Apex class and its -meta.xml) is reported once
    if (seen.has(key)) continue;
    seen.add(key);
    const c: DeployedComponent = { type: r.type, fullName: r.fullName, state: String(r.state) };
    if (r.filePath) c.filePath = relative(cwd, r.filePath);
    if (r.state === 'Failed') {
      c.problem = r.error;
      c.problemType = r.problemType;
      if (r.lineNumber !== undefined) c.lineNumber = Number(r.lineNumber);
      if (r.columnNumber !== undefined) c.columnNumber = Number(r.columnNumber);
    }
    out.push(c);
  }
  return out;
}

function asArray<T>(v: T | T[] | undefined): T[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function asBool(v: unknown): boolean {
  return v === true || v === 'true';
}

function asText(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The McpServerDefinitions of a component set, read from their source XML. */
export async function definedServers(cs: ComponentSet): Promise<DefinedServer[]> {
  const components = cs
    .getSourceComponents()
    .toArray()
    .filter((c: SourceComponent) => c.type.name === 'McpServerDefinition');
  const servers = await Promise.all(
    components.map(async (c): Promise<DefinedServer> => {
      const parsed = (await c.parseXml()) as { McpServerDefinition?: Record<string, unknown> };
      const body = parsed.McpServerDefinition ?? {};
      const tools = asArray(body.tools as Array<Record<string, unknown>> | Record<string, unknown> | undefined).map((t): DefinedTool => {
        const api = (t.apiDefinition ?? {}) as Record<string, unknown>;
        const identifier = asText(api.apiIdentifier) ?? '';
        const tool: DefinedTool = {
          name: asText(t.toolName) ?? '',
          backing: parseApiIdentifier(identifier, asText(api.operation)),
          readOnly: asBool(t.readOnly),
          destructive: asBool(t.destructive),
          idempotent: asBool(t.idempotent),
          openWorld: asBool(t.openWorld),
        };
        const title = asText(t.toolTitle);
        if (title) tool.title = title;
        return tool;
      });
      const server: DefinedServer = { name: c.fullName, label: asText(body.masterLabel) ?? c.fullName, tools };
      const description = asText(body.description);
      if (description) server.description = description;
      return server;
    }),
  );
  return servers.sort((a, b) => a.name.localeCompare(b.name));
}
