/**
 * The tools one user sees on one server. Standard servers have fixed tool sets; a custom server's
 * tools are built from its definition and the describes of the actions behind them, fetched with
 * that user's token (a tool whose action the user cannot describe is left out, with the reason
 * logged). Catalogs are cached per org, server and user until the watcher sees a change.
 */
import { createHash } from 'node:crypto';
import type { Caller } from '../auth/verifier.ts';
import { describeActions, refKey, type ActionRef, type DescribeOutcome } from '../org/actions.ts';
import { TtlCache } from '../org/cache.ts';
import type { OrgClient } from '../org/client.ts';
import { OrgApiError, isOrgUnavailable } from '../org/errors.ts';
import { apexRestTool, loadApexRest } from '../tools/custom/apex-rest.ts';
import { invocableTool } from '../tools/custom/invocable.ts';
import { loadNamedQuery, namedQueryTool } from '../tools/custom/named-query.ts';
import { ALL_STANDARD_TOOLS } from '../tools/standard/index.ts';
import { TOOL_NAME, toolName, type ToolSpec } from '../tools/types.ts';
import type { CustomToolDefinition, Resolution } from './registry.ts';

export interface ToolCatalog {
  tools: ToolSpec[];
  skipped: { tool: string; reason: string }[];
  /** Hash of everything a client sees; equal hashes mean an unchanged tools/list. */
  fingerprint: string;
}

type Active = Extract<Resolution, { status: 'active' }>;

type Target =
  | { kind: 'apex' | 'flow'; name: string }
  | { kind: 'named-query'; name: string }
  | { kind: 'apex-rest'; className: string; operation?: string }
  | { kind: 'standard'; operation: string };

export function parseTarget(def: CustomToolDefinition): Target | undefined {
  const m = /^([a-z]+):(.+)$/.exec(def.apiIdentifier);
  if (!m) return undefined;
  const [, prefix, rest] = m as unknown as [string, string, string];
  switch (prefix) {
    case 'aa':
      return { kind: 'apex', name: def.operation ?? rest.replace(/^apex-/, '') };
    case 'fa':
      return { kind: 'flow', name: def.operation ?? rest.replace(/^flow-/, '') };
    case 'nq':
      return { kind: 'named-query', name: (def.operation ?? rest).replace(/_nquery$/, '') };
    case 'ar':
      return { kind: 'apex-rest', className: rest, operation: def.operation };
    case 'psmcps': {
      const op = /:([^:]+)$/.exec(rest)?.[1] ?? def.operation;
      return op ? { kind: 'standard', operation: op } : undefined;
    }
    default:
      return undefined;
  }
}

export class CatalogBuilder {
  private readonly cache = new TtlCache<ToolCatalog>(10 * 60_000, 5000);

  invalidate(prefix = ''): void {
    this.cache.invalidate(prefix);
  }

  get(res: Active, org: OrgClient, caller: Caller, orgKey: string, opts: { fresh?: boolean } = {}): Promise<ToolCatalog> {
    const key = `${orgKey}|${res.ref.key}|${caller.userId}`;
    if (opts.fresh) this.cache.invalidate(key);
    return this.cache.get(key, () => this.build(res, org, `${orgKey}|${caller.userId}`, opts.fresh ?? false));
  }

  private async build(res: Active, org: OrgClient, scope: string, fresh: boolean): Promise<ToolCatalog> {
    if (res.standard) return finish(res.standard.tools.map((t) => ({ ...t, signature: `std:${t.name}` })), [], `active:${res.ref.key}`);
    const def = res.custom!;
    const skipped: ToolCatalog['skipped'] = [];
    const targets = def.tools.map((t) => ({ def: t, target: parseTarget(t) }));
    const refs: ActionRef[] = targets.flatMap(({ target }) => (target && (target.kind === 'apex' || target.kind === 'flow') ? [{ kind: target.kind, name: target.name }] : []));
    const describes = refs.length ? await describeActions(org, scope, refs, { fresh }) : new Map<string, DescribeOutcome>();
    const tools: ToolSpec[] = [];
    const used = new Set<string>();
    for (const { def: t, target } of targets) {
      const label = t.toolName ?? t.apiIdentifier;
      if (!target) {
        skipped.push({ tool: label, reason: `unsupported apiIdentifier ${t.apiIdentifier}` });
        continue;
      }
      const name = uniqueName(t, target, used);
      try {
        const spec = await this.buildOne(name, t, target, describes, org);
        tools.push({ ...spec, signature: `${JSON.stringify(t)}|${spec.signature ?? ''}` });
        used.add(name);
      } catch (err) {
        // A tool the org refuses (4xx) or fails on by itself (500) is left out; the org being unavailable
        // (502/503/504) fails the catalog (no partial list).
        if (err instanceof OrgApiError && err.status !== 401 && !isOrgUnavailable(err.status)) skipped.push({ tool: label, reason: err.message });
        else throw err;
      }
    }
    return finish(tools, skipped, `active:${res.ref.key}|${def.label ?? ''}|${def.description ?? ''}`);
  }

  private async buildOne(
    name: string,
    t: CustomToolDefinition,
    target: Target,
    describes: Map<string, DescribeOutcome>,
    org: OrgClient,
  ): Promise<ToolSpec> {
    switch (target.kind) {
      case 'apex':
      case 'flow': {
        const d = describes.get(refKey({ kind: target.kind, name: target.name }));
        if (!d) throw new OrgApiError(404, [{ errorCode: 'NOT_FOUND', message: `no describe for ${target.name}` }]);
        if (!d.ok) throw d.error;
        return { ...invocableTool(name, t, target.kind, d.describe), signature: JSON.stringify(d.describe) };
      }
      case 'named-query': {
        const q = await loadNamedQuery(org, target.name, t.asset);
        return { ...namedQueryTool(name, t, q), signature: JSON.stringify(q) };
      }
      case 'apex-rest': {
        const info = await loadApexRest(org, target.className, target.operation, t.asset);
        return { ...apexRestTool(name, t, info), signature: JSON.stringify(info) };
      }
      case 'standard': {
        const std = ALL_STANDARD_TOOLS.find((s) => s.name.toLowerCase() === target.operation.toLowerCase());
        if (!std) throw new OrgApiError(404, [{ errorCode: 'NOT_FOUND', message: `no standard tool ${target.operation}` }]);
        const title = t.toolTitle ?? std.title;
        // Re-served standard tools keep their own (truthful) hints; only the wording can change.
        return { ...std, name, title, description: t.description ?? std.description, annotations: { ...std.annotations, ...(title ? { title } : {}) } };
      }
    }
  }
}

function uniqueName(t: CustomToolDefinition, target: Target, used: Set<string>): string {
  const fallback =
    target.kind === 'apex' || target.kind === 'flow' || target.kind === 'named-query'
      ? `${t.operation ?? target.name}${t.apiIdentifier.split(':')[1]?.replace(/[^A-Za-z0-9]/g, '_') ?? ''}`
      : target.kind === 'standard'
        ? target.operation
        : target.kind === 'apex-rest'
          ? `${target.className}_${target.operation ?? 'call'}`
          : target.name;
  const wanted = t.toolName && TOOL_NAME.test(t.toolName) ? t.toolName : toolName(t.toolName ?? fallback);
  let name = wanted;
  for (let i = 2; used.has(name); i++) name = `${wanted.slice(0, 60)}_${i}`;
  return name;
}

function finish(tools: ToolSpec[], skipped: ToolCatalog['skipped'], head: string): ToolCatalog {
  const hash = createHash('sha256').update(head);
  for (const t of tools) hash.update(`\n${t.name}|${t.title ?? ''}|${t.description}|${JSON.stringify(t.annotations)}|${t.signature ?? ''}`);
  return { tools, skipped, fingerprint: hash.digest('hex').slice(0, 32) };
}
