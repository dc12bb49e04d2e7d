/**
 * Invocable actions over REST (wire.md §7, platform.md §8):
 *
 *   GET  /services/data/vXX.X/actions                        {"standard": url, "custom": url}
 *   GET  …/actions/standard                                  {"actions": []} (the local org has none)
 *   GET  …/actions/custom                                    {"apex": url, "flow": url}
 *   GET  …/actions/custom/{apex|flow}                        {"actions":[{label,name,type,url}]}
 *   GET  …/actions/custom/{apex|flow}/{name}                 the action's describe (If-Modified-Since → 304)
 *   POST …/actions/custom/{apex|flow}/{name}  {"inputs":[…]} one result per input; 400 when any failed
 *
 * Only actions the caller may run are listed, described or invoked (actions/invocable.ts). Each
 * request is one ApiTotalUsage row (written by the front door) whose ENTITY_NAME is the action.
 * Flow interviews commit per input item, so these routes do not use `ctx.atomic`.
 *
 * The custom type map lists only the types the local org serves (apex, flow); the platform's
 * other types (quickAction, emailAlert, …) answer 404 Invalid Action Type here.
 */
import { ApiError, errors } from '../http/errors.ts';
import type { Reply, RequestContext, Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import {
  CUSTOM_ACTION_TYPES,
  actionType,
  describeApexAction,
  describeFlowAction,
  findApexAction,
  findFlowAction,
  invokeApexAction,
  invokeFlowAction,
  listActions,
  type ActionResult,
} from '../actions/invocable.ts';
import { requireVersion } from './versions.ts';

const api = { auth: 'api' } as const;

export function registerActions(router: Router, org: OrgContext): void {
  const base = '/services/data/:version/actions';

  router.add(
    'GET',
    base,
    (ctx) => {
      const v = requireVersion(ctx.apiVersion);
      ctx.requireSession();
      return { json: { standard: `/services/data/v${v}/actions/standard`, custom: `/services/data/v${v}/actions/custom` } };
    },
    api,
  );

  router.add(
    'GET',
    `${base}/standard`,
    (ctx) => {
      requireVersion(ctx.apiVersion);
      ctx.requireSession();
      return { json: { actions: [] } };
    },
    api,
  );

  router.add(
    'GET',
    `${base}/custom`,
    (ctx) => {
      const v = requireVersion(ctx.apiVersion);
      ctx.requireSession();
      return { json: Object.fromEntries(CUSTOM_ACTION_TYPES.map((t) => [t, `/services/data/v${v}/actions/custom/${t}`])) };
    },
    api,
  );

  router.add(
    'GET',
    `${base}/custom/:type`,
    (ctx) => {
      const v = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const type = actionType(ctx.params.type!);
      return { json: { actions: listActions(org, user, type, v) } };
    },
    api,
  );

  router.add('GET', `${base}/custom/:type/:name`, (ctx) => describe(org, ctx), api);
  router.add('POST', `${base}/custom/:type/:name`, (ctx) => invoke(org, ctx), api);
}

function describe(org: OrgContext, ctx: RequestContext): Reply {
  requireVersion(ctx.apiVersion);
  const { user } = ctx.requireSession();
  const type = actionType(ctx.params.type!);
  const name = ctx.params.name!;
  ctx.audit.entityName = name;
  let body: unknown;
  let lastModified: string;
  if (type === 'apex') {
    const action = findApexAction(org, user, name);
    ctx.audit.entityName = action.component.fullName;
    body = describeApexAction(action);
    lastModified = action.component.lastModifiedDate;
  } else {
    const action = findFlowAction(org, user, name);
    ctx.audit.entityName = action.definition.developerName;
    body = describeFlowAction(action);
    lastModified = maxDate(action.definition.lastModifiedDate, action.version.createdDate);
  }
  const modified = new Date(lastModified);
  const headers = { 'Last-Modified': modified.toUTCString() };
  const since = ctx.req.headers['if-modified-since'];
  if (typeof since === 'string') {
    const t = Date.parse(since);
    // HTTP dates have one-second precision.
    if (!Number.isNaN(t) && Math.floor(modified.getTime() / 1000) <= Math.floor(t / 1000)) return { status: 304, headers };
  }
  return { json: body, headers };
}

function maxDate(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

async function invoke(org: OrgContext, ctx: RequestContext): Promise<Reply> {
  const v = requireVersion(ctx.apiVersion);
  const { user } = ctx.requireSession();
  const type = actionType(ctx.params.type!);
  const name = ctx.params.name!;
  ctx.audit.entityName = name;
  // Resolve the action (404s) before reading the body, as a describe would.
  const apex = type === 'apex' ? findApexAction(org, user, name) : undefined;
  const flow = type === 'flow' ? findFlowAction(org, user, name) : undefined;
  ctx.audit.entityName = apex?.component.fullName ?? flow!.definition.developerName;
  const inputs = await readInputs(ctx);
  const results: ActionResult[] = apex ? invokeApexAction(org, user, apex, inputs, v) : invokeFlowAction(org, user, flow!, inputs, v);
  return { status: results.every((r) => r.isSuccess) ? 200 : 400, json: results };
}

/**
 * The `inputs` array of an invocation body. UNCONFIRMED: the platform's exact error for a body
 * without `inputs`; the local org answers 400 JSON_PARSER_ERROR naming the missing key.
 */
async function readInputs(ctx: RequestContext): Promise<Record<string, unknown>[]> {
  const text = (await ctx.text()).trim();
  if (!text) throw errors.jsonParser('The request body is empty: send {"inputs":[{…}]} with one object per invocation.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw errors.jsonParser(`Unexpected character: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('inputs' in body)) {
    throw errors.jsonParser('Missing required key "inputs": the request body must be {"inputs":[{…}]}, one object per invocation.');
  }
  const inputs = (body as { inputs: unknown }).inputs;
  if (!Array.isArray(inputs)) throw errors.jsonParser('"inputs" must be an array of objects, one per invocation.');
  inputs.forEach((input, i) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new ApiError(400, 'JSON_PARSER_ERROR', `inputs[${i}] must be an object of input parameter values.`);
    }
  });
  return inputs as Record<string, unknown>[];
}
