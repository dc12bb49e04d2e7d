/**
 * `GET /services/data/vXX.X/query?q=`, `/queryAll?q=`, `/query/{locator}`, `/queryAll/{locator}`,
 * and the Tooling API's `/tooling/query` (same engine; objects marked toolingOnly are queryable there).
 * `&columns=true` answers the query's column metadata instead of its rows (soql/columns.ts).
 *
 * REST always runs as the session's user: CRUD, FLS and sharing apply, and `WITH SYSTEM_MODE` in the
 * query text does not lift them (the platform's REST API never runs in system mode).
 */
import { ApiError } from '../http/errors.ts';
import type { RequestContext, Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { queryColumns } from '../soql/columns.ts';
import { DEFAULT_BATCH_SIZE, executeQuery, queryMoreWithEntity } from '../soql/engine.ts';
import { requireVersion } from './versions.ts';

export const MIN_BATCH_SIZE = 200;

/** `Sforce-Query-Options: batchSize=N` (a hint, clamped to 200–2000 as the platform does). */
export function batchSizeFrom(ctx: RequestContext): number | undefined {
  const header = String(ctx.req.headers['sforce-query-options'] ?? '');
  const m = /(?:^|[,;\s])batchSize\s*=\s*(\d+)/i.exec(header);
  if (!m) return undefined;
  return Math.min(DEFAULT_BATCH_SIZE, Math.max(MIN_BATCH_SIZE, Number(m[1])));
}

/** The FROM object named in a query, for the audit row of a query that fails before compiling. */
function fromName(soql: string): string | undefined {
  return /\bFROM\s+([A-Za-z][A-Za-z0-9_]*)/i.exec(soql)?.[1];
}

export function registerQuery(router: Router, org: OrgContext): void {
  const run = (includeDeleted: boolean, tooling: boolean) => (ctx: RequestContext) => {
    const apiVersion = requireVersion(ctx.apiVersion);
    const { user } = ctx.requireSession();
    const soql = ctx.query.get('q');
    if (soql === null || soql.trim() === '') {
      if (ctx.query.has('explain')) throw new ApiError(400, 'MALFORMED_QUERY', 'The local org does not support query plans (explain)');
      throw new ApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    }
    const named = fromName(soql);
    if (named) ctx.audit.entityName = org.schema.get(named)?.name ?? named;
    if (ctx.query.get('columns') === 'true') {
      // The query-columns mode `sf data query` uses to lay out its table.
      const cols = queryColumns(org, soql, { user, mode: 'user', includeDeleted, tooling });
      ctx.audit.entityName = cols.entityName;
      return { json: cols };
    }
    const { result, entityName } = executeQuery(org, soql, { user, mode: 'user', apiVersion, includeDeleted, tooling, batchSize: batchSizeFrom(ctx) });
    ctx.audit.entityName = entityName;
    return { json: result };
  };

  const more = (ctx: RequestContext) => {
    const apiVersion = requireVersion(ctx.apiVersion);
    const { user } = ctx.requireSession();
    const { result, entityName } = queryMoreWithEntity(org, ctx.params.locator!, { user, apiVersion, batchSize: batchSizeFrom(ctx) });
    ctx.audit.entityName = entityName;
    return { json: result };
  };

  router.add('GET', '/services/data/:version/query', run(false, false), { auth: 'api' });
  router.add('GET', '/services/data/:version/queryAll', run(true, false), { auth: 'api' });
  router.add('GET', '/services/data/:version/query/:locator', more, { auth: 'api' });
  router.add('GET', '/services/data/:version/queryAll/:locator', more, { auth: 'api' });
  router.add('GET', '/services/data/:version/tooling/query', run(false, true), { auth: 'api', family: 'Tooling' });
  router.add('GET', '/services/data/:version/tooling/query/:locator', more, { auth: 'api', family: 'Tooling' });
}
