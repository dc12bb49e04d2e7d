/**
 * `nq:` tools: a Named Query (`GET /named/query/<Name>?param=value…`). Every parameter is required
 * (the org refuses a call that leaves one out); values are sent as URL literals, so strings,
 * numbers and booleans are accepted. Parameter names and descriptions come from the query's
 * metadata (Tooling `ApiNamedQuery`) or from the API Catalog asset when it carries them.
 */
import { z } from 'zod';
import { soqlString, type OrgClient } from '../../org/client.ts';
import { OrgApiError, isOrgUnavailable } from '../../org/errors.ts';
import type { CustomToolDefinition } from '../../servers/registry.ts';
import type { ToolSpec } from '../types.ts';
import { definitionAnnotations } from './invocable.ts';

export interface NamedQueryParameter {
  name: string;
  label?: string;
  description?: string;
}

export interface NamedQueryInfo {
  name: string;
  label?: string;
  description?: string;
  parameters: NamedQueryParameter[];
}

/** Reads the query's definition with the caller's token. */
export async function loadNamedQuery(org: OrgClient, name: string, asset?: Record<string, unknown>): Promise<NamedQueryInfo> {
  const fromAsset = asset && (Array.isArray(asset.parameters) ? asset.parameters : undefined);
  if (fromAsset) {
    return {
      name,
      label: asset.label as string | undefined,
      description: asset.description as string | undefined,
      parameters: (fromAsset as Record<string, unknown>[]).map((p) => ({
        name: String(p.name ?? p.parameterName),
        label: (p.label ?? p.parameterLabel) as string | undefined,
        description: p.description as string | undefined,
      })),
    };
  }
  // Tooling exposes the query's metadata (with its parameters) as `Metadata`; the API name column is
  // `Name` in some orgs and `DeveloperName` in others, so both are tried.
  let rec: { MasterLabel?: string; Description?: string; Metadata?: Record<string, unknown> } | undefined;
  let lastError: unknown;
  for (const column of ['Name', 'DeveloperName']) {
    try {
      const { records } = await org.query<{ MasterLabel?: string; Description?: string; Metadata?: Record<string, unknown> }>(
        `SELECT Id, MasterLabel, Description, Metadata FROM ApiNamedQuery WHERE ${column} = ${soqlString(name)}`,
        { tooling: true },
      );
      rec = records[0];
      if (rec) break;
    } catch (err) {
      if (!(err instanceof OrgApiError) || err.status === 401 || isOrgUnavailable(err.status)) throw err;
      lastError = err;
    }
  }
  if (!rec) {
    if (lastError) {
      throw new OrgApiError(400, [
        { errorCode: 'NAMED_QUERY_PARAMETERS_UNAVAILABLE', message: `Cannot read the parameters of Named Query ${name} (${(lastError as Error).message.split('\n')[0]})` },
      ]);
    }
    throw new OrgApiError(404, [{ errorCode: 'NOT_FOUND', message: `Named Query ${name} not found` }]);
  }
  const meta = rec.Metadata ?? {};
  const raw = meta.apiNamedQueryParameters;
  const params = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Record<string, unknown>[];
  return {
    name,
    label: (meta.masterLabel as string | undefined) ?? rec.MasterLabel,
    description: (meta.description as string | undefined) ?? rec.Description,
    parameters: params.map((p) => ({
      name: String(p.parameterName),
      label: p.parameterLabel as string | undefined,
      description: p.description as string | undefined,
    })),
  };
}

const value = z.union([z.string(), z.number(), z.boolean()]);

export function namedQueryTool(name: string, def: CustomToolDefinition, q: NamedQueryInfo): ToolSpec {
  const shape: z.ZodRawShape = {};
  for (const p of q.parameters) {
    const text = p.description ?? p.label;
    shape[p.name] = text ? value.describe(text) : value;
  }
  const title = def.toolTitle || q.label || q.name;
  return {
    name,
    title,
    description: def.description || q.description || q.label || `Named Query ${q.name}`,
    inputSchema: z.object(shape).strict(),
    outputSchema: z.object({ totalSize: z.number(), done: z.boolean(), records: z.array(z.object({}).passthrough()) }).passthrough(),
    annotations: definitionAnnotations({ ...def, readOnly: def.readOnly ?? true }, title),
    async run(args, { org }) {
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(args)) query[k] = String(v);
      const res = await org.get<{ totalSize: number; done?: boolean; records: unknown[]; nextRecordsUrl?: string }>(
        `/named/query/${encodeURIComponent(q.name)}`,
        query,
      );
      return { totalSize: res.totalSize, done: res.done ?? true, records: res.records ?? [], ...(res.nextRecordsUrl ? { nextRecordsUrl: res.nextRecordsUrl } : {}) };
    },
  };
}
