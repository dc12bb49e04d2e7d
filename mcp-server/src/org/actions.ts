/**
 * Invocable action describes (`/actions/custom/{apex|flow}/{name}`), fetched in batches through the
 * Composite API and cached per user (describe honours the user's Apex class and flow access).
 * Orgs without `/composite/batch` fall back to `/composite`, then to single GETs.
 */
import type { OrgClient } from './client.ts';
import { OrgApiError, isOrgUnavailable } from './errors.ts';
import { TtlCache } from './cache.ts';

export interface ActionParameter {
  name: string;
  label?: string | null;
  description?: string | null;
  type?: string | null;
  required?: boolean;
  maxOccurs?: number;
  picklistValues?: { value: string; label?: string; active?: boolean }[] | null;
  sobjectType?: string | null;
  defaultValue?: unknown;
}

export interface ActionDescribe {
  name: string;
  label?: string;
  description?: string | null;
  type?: string;
  inputs: ActionParameter[];
  outputs: ActionParameter[];
}

export type ActionKind = 'apex' | 'flow';

export interface ActionRef {
  kind: ActionKind;
  name: string;
}

export type DescribeOutcome = { ok: true; describe: ActionDescribe } | { ok: false; error: OrgApiError };

const BATCH_LIMIT = 25;
const cache = new TtlCache<DescribeOutcome>(5 * 60_000);
const mode = new Map<string, 'batch' | 'composite' | 'single'>();

export function invalidateActionDescribes(prefix = ''): void {
  cache.invalidate(prefix);
}

export function actionPath(ref: ActionRef): string {
  return `/actions/custom/${ref.kind}/${encodeURIComponent(ref.name)}`;
}

/**
 * Describes `refs` as the caller (`scope` = `<orgKey>|<userId>`). Failures per action (no access,
 * unknown action) are returned, not thrown; transport and auth failures are thrown.
 */
export async function describeActions(org: OrgClient, scope: string, refs: ActionRef[], opts: { fresh?: boolean } = {}): Promise<Map<string, DescribeOutcome>> {
  const key = (r: ActionRef): string => `${scope}|${r.kind}|${r.name.toLowerCase()}`;
  const out = new Map<string, DescribeOutcome>();
  const missing: ActionRef[] = [];
  for (const r of refs) {
    const hit = opts.fresh ? undefined : cache.peek(key(r));
    if (hit) out.set(refKey(r), await hit);
    else missing.push(r);
  }
  for (let i = 0; i < missing.length; i += BATCH_LIMIT) {
    const chunk = missing.slice(i, i + BATCH_LIMIT);
    const results = await fetchDescribes(org, chunk);
    chunk.forEach((r, j) => {
      const outcome = results[j]!;
      out.set(refKey(r), outcome);
      void cache.get(key(r), () => Promise.resolve(outcome));
    });
  }
  return out;
}

export function refKey(r: ActionRef): string {
  return `${r.kind}:${r.name.toLowerCase()}`;
}

async function fetchDescribes(org: OrgClient, refs: ActionRef[]): Promise<DescribeOutcome[]> {
  const m = mode.get(org.instanceUrl) ?? 'batch';
  if (m === 'batch' && refs.length > 1) {
    try {
      const body = await org.post<{ results: { statusCode: number; result: unknown }[] }>('/composite/batch', {
        haltOnError: false,
        batchRequests: refs.map((r) => ({ method: 'GET', url: `v${org.apiVersion}${actionPath(r)}` })),
      });
      return body.results.map((res) => outcome(res.statusCode, res.result));
    } catch (err) {
      if (!(err instanceof OrgApiError) || (err.status !== 404 && err.status !== 405)) throw err;
      mode.set(org.instanceUrl, 'composite');
    }
  }
  if ((mode.get(org.instanceUrl) ?? 'batch') === 'composite' && refs.length > 1) {
    try {
      const body = await org.post<{ compositeResponse: { httpStatusCode: number; body: unknown; referenceId: string }[] }>('/composite', {
        allOrNone: false,
        compositeRequest: refs.map((r, i) => ({ method: 'GET', url: org.dataPath(actionPath(r)), referenceId: `d${i}` })),
      });
      const byRef = new Map(body.compositeResponse.map((c) => [c.referenceId, c]));
      return refs.map((_, i) => {
        const c = byRef.get(`d${i}`);
        return c ? outcome(c.httpStatusCode, c.body) : outcome(500, [{ errorCode: 'UNKNOWN_EXCEPTION', message: 'missing composite response' }]);
      });
    } catch (err) {
      if (!(err instanceof OrgApiError) || (err.status !== 404 && err.status !== 405)) throw err;
      mode.set(org.instanceUrl, 'single');
    }
  }
  return Promise.all(
    refs.map(async (r) => {
      try {
        return { ok: true as const, describe: normalise(await org.get<ActionDescribe>(actionPath(r))) };
      } catch (err) {
        // The action refused (no access, unknown) or broke on its own (500): that tool is left out. The
        // org being unavailable (502/503/504) fails the whole catalog instead, so no partial tool list
        // is built and cached.
        if (err instanceof OrgApiError && err.status !== 401 && !isOrgUnavailable(err.status)) return { ok: false as const, error: err };
        throw err;
      }
    }),
  );
}

function outcome(status: number, body: unknown): DescribeOutcome {
  if (status >= 200 && status < 300 && body && typeof body === 'object' && !Array.isArray(body)) {
    return { ok: true, describe: normalise(body as ActionDescribe) };
  }
  const items = Array.isArray(body)
    ? (body as { errorCode?: string; message?: string }[]).map((e) => ({ errorCode: String(e.errorCode ?? `ERROR_HTTP_${status}`), message: String(e.message ?? '') }))
    : [{ errorCode: `ERROR_HTTP_${status}`, message: JSON.stringify(body).slice(0, 300) }];
  return { ok: false, error: new OrgApiError(status, items) };
}

function normalise(d: ActionDescribe): ActionDescribe {
  return { ...d, inputs: d.inputs ?? [], outputs: d.outputs ?? [] };
}
