/**
 * `POST /composite` (compositeRequest with referenceIds, `@{ref.path}` substitution and allOrNone)
 * and `POST /composite/batch` (independent sub-requests, haltOnError). Sub-requests are dispatched
 * through the org's router to the same handlers a direct call reaches (sObjects, collections, query
 * …), with the caller's session; they do not write audit rows of their own: the composite request
 * is one API call and one ApiTotalUsage row.
 *
 * The whole request runs in one SQLite transaction that also holds the audit row; each sub-request
 * runs in a savepoint. With allOrNone the transaction is rolled back at the first failure and every
 * other sub-request reports PROCESSING_HALTED. Sub-request handlers are synchronous database work
 * (their `await`s are on already-available values), so no other request runs while the transaction
 * is open.
 */
import { ApiError, errors } from '../http/errors.ts';
import { errorReply, type Reply, type RequestContext, type Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { isPlainObject } from './records.ts';
import { requireVersion } from './versions.ts';

/** Sub-requests per composite or batch request. */
export const MAX_SUBREQUESTS = 25;

const api = { auth: 'api' } as const;

interface SubResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export function registerComposite(router: Router, org: OrgContext): void {
  router.add('POST', '/services/data/:version/composite', (ctx) => composite(router, org, ctx), api);
  router.add('POST', '/services/data/:version/composite/batch', (ctx) => batch(router, org, ctx), api);
}

const ROLLED_BACK = [
  { errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' },
];

class ReferenceError_ extends Error {}

async function composite(router: Router, org: OrgContext, ctx: RequestContext): Promise<Reply> {
  requireVersion(ctx.apiVersion);
  ctx.requireSession();
  const body = await ctx.json<unknown>();
  if (!isPlainObject(body) || !Array.isArray(body.compositeRequest)) {
    throw errors.jsonParser('Cannot deserialize the request: expected {"allOrNone": …, "compositeRequest": […]}');
  }
  const requests = body.compositeRequest as unknown[];
  if (requests.length === 0) throw new ApiError(400, 'INVALID_INPUT', 'compositeRequest: at least one subrequest is required');
  if (requests.length > MAX_SUBREQUESTS) throw new ApiError(400, 'INVALID_INPUT', `compositeRequest: a composite request can have at most ${MAX_SUBREQUESTS} subrequests`);
  const seen = new Set<string>();
  const subs = requests.map((r, i) => {
    if (!isPlainObject(r) || typeof r.method !== 'string' || typeof r.url !== 'string' || typeof r.referenceId !== 'string') {
      throw errors.jsonParser(`compositeRequest[${i}]: method, url and referenceId are required`);
    }
    if (!/^[A-Za-z0-9_]+$/.test(r.referenceId)) throw new ApiError(400, 'INVALID_INPUT', `Invalid referenceId '${r.referenceId}': use letters, digits and underscores`);
    if (seen.has(r.referenceId)) throw new ApiError(400, 'INVALID_INPUT', `Duplicate referenceId '${r.referenceId}'`);
    seen.add(r.referenceId);
    return { method: r.method.toUpperCase(), url: r.url, referenceId: r.referenceId, body: r.body };
  });
  const allOrNone = body.allOrNone === true;

  return inTransaction(org, ctx, async (rollback) => {
    const outcomes: (SubResponse & { referenceId: string })[] = [];
    const done = new Map<string, SubResponse>();
    let failedAt = -1;
    for (const [i, sub] of subs.entries()) {
      if (allOrNone && failedAt >= 0) {
        outcomes.push({ referenceId: sub.referenceId, status: 400, body: ROLLED_BACK, headers: {} });
        continue;
      }
      let res: SubResponse;
      try {
        const url = substituteUrl(sub.url, done);
        const subBody = sub.body === undefined ? undefined : substituteValue(sub.body, done);
        res = await dispatch(router, org, ctx, sub.method, url, subBody);
      } catch (err) {
        if (!(err instanceof ReferenceError_)) throw err;
        res = { status: 400, body: [{ errorCode: 'PROCESSING_HALTED', message: err.message }], headers: {} };
      }
      done.set(sub.referenceId, res);
      outcomes.push({ referenceId: sub.referenceId, ...res });
      if (res.status >= 400 && allOrNone) failedAt = i;
    }
    if (allOrNone && failedAt >= 0) {
      rollback();
      for (let i = 0; i < outcomes.length; i++) {
        if (i !== failedAt) outcomes[i] = { referenceId: outcomes[i]!.referenceId, status: 400, body: ROLLED_BACK, headers: {} };
      }
    }
    return {
      json: {
        compositeResponse: outcomes.map((o) => ({ body: o.body, httpHeaders: o.headers, httpStatusCode: o.status, referenceId: o.referenceId })),
      },
    };
  });
}

async function batch(router: Router, org: OrgContext, ctx: RequestContext): Promise<Reply> {
  requireVersion(ctx.apiVersion);
  ctx.requireSession();
  const body = await ctx.json<unknown>();
  if (!isPlainObject(body) || !Array.isArray(body.batchRequests)) {
    throw errors.jsonParser('Cannot deserialize the request: expected {"batchRequests": […], "haltOnError": …}');
  }
  const requests = body.batchRequests as unknown[];
  if (requests.length === 0) throw new ApiError(400, 'INVALID_INPUT', 'batchRequests: at least one subrequest is required');
  if (requests.length > MAX_SUBREQUESTS) throw new ApiError(400, 'INVALID_INPUT', `batchRequests: a batch request can have at most ${MAX_SUBREQUESTS} subrequests`);
  const subs = requests.map((r, i) => {
    if (!isPlainObject(r) || typeof r.method !== 'string' || typeof r.url !== 'string') throw errors.jsonParser(`batchRequests[${i}]: method and url are required`);
    const url = r.url.startsWith('/') ? r.url : `/services/data/${r.url}`;
    return { method: r.method.toUpperCase(), url, body: r.richInput };
  });
  const haltOnError = body.haltOnError === true;

  return inTransaction(org, ctx, async () => {
    const results: { statusCode: number; result: unknown }[] = [];
    let halted = false;
    for (const sub of subs) {
      if (halted) {
        results.push({ statusCode: 412, result: [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }] });
        continue;
      }
      const res = await dispatch(router, org, ctx, sub.method, sub.url, sub.body);
      results.push({ statusCode: res.status, result: res.body });
      if (res.status >= 400 && haltOnError) halted = true;
    }
    return { json: { hasErrors: results.some((r) => r.statusCode >= 400), results } };
  });
}

/**
 * Runs `fn` inside one transaction that also receives the request's audit row; `rollback()`
 * discards everything written so far (the audit row is written afterwards either way).
 */
async function inTransaction(org: OrgContext, ctx: RequestContext, fn: (rollback: () => void) => Promise<Reply>): Promise<Reply> {
  const db = org.db;
  if (db.inTransaction) throw new ApiError(400, 'INVALID_INPUT', 'Composite requests cannot be nested');
  db.exec('BEGIN');
  let open = true;
  try {
    const reply = await fn(() => {
      db.exec('ROLLBACK');
      db.exec('BEGIN');
    });
    ctx.atomic(() => undefined, reply.status ?? 200);
    db.exec('COMMIT');
    open = false;
    return reply;
  } finally {
    if (open && db.inTransaction) db.exec('ROLLBACK');
  }
}

/** Sends one sub-request through the router as the caller, without an audit row of its own. */
async function dispatch(router: Router, org: OrgContext, parent: RequestContext, method: string, url: string, body: unknown): Promise<SubResponse> {
  let reply: Reply;
  try {
    const full = new URL(url.replace(/^\/+/, '/'), org.baseUrl || 'http://127.0.0.1');
    const path = full.pathname.replace(/\/{2,}/g, '/');
    if (!/^\/services\/data\/v\d+\.\d\//.test(path)) throw new ApiError(400, 'INVALID_INPUT', `Invalid subrequest url '${url}': it must start with /services/data/vXX.X/`);
    if (/\/composite(\/batch)?\/?$/i.test(path)) throw new ApiError(400, 'INVALID_INPUT', 'Composite requests cannot be nested');
    const match = router.match(method, path);
    if ('status' in match) {
      if (match.status === 405) throw errors.methodNotAllowed(method, [...new Set(['HEAD', ...match.allowed])].join(','));
      throw errors.notFound();
    }
    const text = body === undefined ? '' : JSON.stringify(body);
    const sub: RequestContext = {
      ...parent,
      method,
      path,
      url: full,
      query: full.searchParams,
      params: match.params,
      apiVersion: match.params.version,
      audit: { apiFamily: parent.audit.apiFamily },
      raw: async () => Buffer.from(text, 'utf8'),
      text: async () => text,
      json: async <T>() => {
        if (body === undefined) throw errors.jsonParser('No content to map due to end-of-input');
        return JSON.parse(text) as T;
      },
      form: async () => new URLSearchParams(text),
      atomic: <T>(fn: () => T): T => org.db.transaction(fn)(),
      requireSession: () => parent.requireSession(),
    };
    reply = (await match.route.handler(sub)) ?? { status: 204 };
    if ((reply.status ?? 200) === 201 && method === 'POST' && isPlainObject(reply.json) && typeof reply.json.id === 'string') {
      const m = /^\/services\/data\/v(\d+\.\d)\/sobjects\/([^/]+)\/?$/.exec(path);
      if (m) reply = { ...reply, headers: { ...reply.headers, Location: `/services/data/v${m[1]}/sobjects/${m[2]}/${reply.json.id}` } };
    }
  } catch (err) {
    reply = errorReply(err);
  }
  const status = reply.status ?? 200;
  const responseBody = reply.json !== undefined ? reply.json : reply.body !== undefined ? String(reply.body) : null;
  return { status, body: status === 204 ? null : responseBody, headers: reply.headers ?? {} };
}

// ---------------------------------------------------------------------------------------------
// `@{referenceId.path}` substitution

const REFERENCE = /@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}/g;

function resolveReference(refId: string, path: string, done: Map<string, SubResponse>): unknown {
  const expr = `${refId}${path}`;
  const res = done.get(refId);
  if (!res || res.status >= 400) {
    throw new ReferenceError_(`Invalid reference specified. No value for ${expr} found in ${refId}. Provided referenceId ('${refId}') must refer to an earlier subrequest that succeeded.`);
  }
  let value: unknown = res.body;
  for (const step of path.matchAll(/\.([A-Za-z0-9_]+)|\[(\d+)\]/g)) {
    if (value === null || value === undefined || typeof value !== 'object') {
      value = undefined;
      break;
    }
    value = step[1] !== undefined ? (value as Record<string, unknown>)[step[1]] : (value as unknown[])[Number(step[2])];
  }
  if (value === undefined) throw new ReferenceError_(`Invalid reference specified. No value for ${expr} found in ${refId}.`);
  return value;
}

function substituteText(text: string, done: Map<string, SubResponse>): string {
  return text.replace(REFERENCE, (_, refId: string, path: string) => {
    const v = resolveReference(refId, path, done);
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/** A reference in a URL, also when the client percent-encoded it (`%40%7BAcc.id%7D`). */
const URL_REFERENCE = /(?:@|%40)(?:\{|%7B)([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\]|%5B\d+%5D)*)(?:\}|%7D)/gi;

function substituteUrl(url: string, done: Map<string, SubResponse>): string {
  return url.replace(URL_REFERENCE, (match: string, refId: string, path: string) => {
    const v = resolveReference(refId, path.replace(/%5B/gi, '[').replace(/%5D/gi, ']'), done);
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return match.startsWith('@') ? text : encodeURIComponent(text);
  });
}

function substituteValue(value: unknown, done: Map<string, SubResponse>): unknown {
  if (typeof value === 'string') {
    const whole = /^@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}$/.exec(value);
    if (whole) return resolveReference(whole[1]!, whole[2] ?? '', done);
    return substituteText(value, done);
  }
  if (Array.isArray(value)) return value.map((v) => substituteValue(v, done));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteValue(v, done)]));
  return value;
}
