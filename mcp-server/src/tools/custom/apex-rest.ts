/**
 * `ar:` tools: an Apex REST (`@RestResource`) method. The class's URL mapping and the HTTP verb of the
 * operation come from the API Catalog asset (`urlMapping`/`path`, `method`) or from the class source
 * (Tooling `ApexClass.Body`: `@RestResource(urlMapping=…)` and the `@HttpGet`/`@HttpPost`/… annotation
 * on the named method). A `*` in the mapping is filled from the `path` argument.
 */
import { z } from 'zod';
import { soqlString, type OrgClient } from '../../org/client.ts';
import { OrgApiError } from '../../org/errors.ts';
import type { CustomToolDefinition } from '../../servers/registry.ts';
import type { ToolSpec } from '../types.ts';
import { definitionAnnotations } from './invocable.ts';

export interface ApexRestInfo {
  className: string;
  urlMapping: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
}

const VERBS: Record<string, ApexRestInfo['method']> = { HttpGet: 'GET', HttpPost: 'POST', HttpPut: 'PUT', HttpPatch: 'PATCH', HttpDelete: 'DELETE' };

export async function loadApexRest(org: OrgClient, className: string, operation: string | undefined, asset?: Record<string, unknown>): Promise<ApexRestInfo> {
  const assetMapping = (asset?.urlMapping ?? asset?.path) as string | undefined;
  const assetMethod = String(asset?.method ?? asset?.httpMethod ?? '').toUpperCase();
  if (assetMapping && assetMethod in { GET: 1, POST: 1, PUT: 1, PATCH: 1, DELETE: 1 }) {
    return { className, urlMapping: assetMapping, method: assetMethod as ApexRestInfo['method'] };
  }
  const { records } = await org.query<{ Body?: string }>(`SELECT Id, Name, Body FROM ApexClass WHERE Name = ${soqlString(className)}`, { tooling: true });
  const body = records[0]?.Body;
  if (!body) throw new OrgApiError(404, [{ errorCode: 'NOT_FOUND', message: `Apex class ${className} not found` }]);
  const mapping = /@RestResource\s*\(\s*urlMapping\s*=\s*'([^']+)'\s*\)/i.exec(body)?.[1];
  if (!mapping) throw new OrgApiError(400, [{ errorCode: 'INVALID_TYPE', message: `${className} is not an @RestResource class` }]);
  let method: ApexRestInfo['method'] | undefined;
  const verbOf = /@(HttpGet|HttpPost|HttpPut|HttpPatch|HttpDelete)\b[^;{]*?\b(\w+)\s*\(/gi;
  for (const m of body.matchAll(verbOf)) {
    const verb = Object.entries(VERBS).find(([k]) => k.toLowerCase() === m[1]!.toLowerCase())?.[1];
    if (!operation || m[2]!.toLowerCase() === operation.toLowerCase()) {
      method = verb;
      break;
    }
  }
  if (!method && operation) method = VERBS[`Http${operation.replace(/^do/i, '').replace(/^\w/, (c) => c.toUpperCase())}`];
  if (!method) throw new OrgApiError(400, [{ errorCode: 'INVALID_OPERATION', message: `${className} has no @Http method ${operation ?? ''}` }]);
  return { className, urlMapping: mapping, method };
}

export function apexRestTool(name: string, def: CustomToolDefinition, info: ApexRestInfo): ToolSpec {
  const wildcard = info.urlMapping.includes('*');
  const shape: z.ZodRawShape = {};
  if (wildcard) shape.path = z.string().regex(/^[A-Za-z0-9_.\-/]*$/, 'must be URL path segments').describe(`Replaces * in ${info.urlMapping}.`);
  shape.parameters = z.record(z.string()).optional().describe('Query string parameters.');
  if (info.method !== 'GET' && info.method !== 'DELETE') shape.body = z.record(z.unknown()).optional().describe('JSON request body.');
  const title = def.toolTitle || `${info.className} ${info.method}`;
  const readOnly = def.readOnly ?? info.method === 'GET';
  return {
    name,
    title,
    description: def.description || `Calls the Apex REST resource ${info.urlMapping} (${info.method}).`,
    inputSchema: z.object(shape).strict(),
    annotations: definitionAnnotations({ ...def, readOnly }, title),
    async run(args, { org }) {
      const path = wildcard ? info.urlMapping.replace('*', String(args.path ?? '')) : info.urlMapping;
      const res = await org.request<unknown>(info.method, `/services/apexrest${path.startsWith('/') ? '' : '/'}${path}`, {
        query: args.parameters as Record<string, string> | undefined,
        body: args.body,
      });
      return res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? (res.body as Record<string, unknown>) : { result: res.body ?? null };
    },
  };
}
