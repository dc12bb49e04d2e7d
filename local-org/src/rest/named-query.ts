/**
 * `GET /services/data/vXX.X/named/query/{name}?param=value…` (platform.md §7): runs a deployed
 * ApiNamedQuery as the caller (CRUD, FLS and sharing through the SOQL engine in user mode) with
 * typed, bound parameters (actions/named-query.ts). The result is a query result
 * `{totalSize, done, records, nextRecordsUrl?}` (page size: 2000, or the `Sforce-Query-Options`
 * batchSize hint); further pages come from `/query/{locator}`.
 *
 * - API versions below 65.0: 404 NOT_FOUND (the resource does not exist there).
 * - The caller needs "View Setup and Configuration" (ViewSetup), as the platform documents:
 *   403 INSUFFICIENT_ACCESS_OR_READONLY otherwise (errorCode and text UNCONFIRMED).
 * - Unknown name: 400 (the platform answers 400, not 404; errorCode NOT_FOUND is UNCONFIRMED).
 * - Missing, unknown, repeated or mistyped parameters: 400 (MALFORMED_QUERY /
 *   INVALID_QUERY_FILTER_OPERATOR; texts UNCONFIRMED).
 */
import { ApiError, errors } from '../http/errors.ts';
import type { Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { executeQuery } from '../soql/engine.ts';
import { NAMED_QUERY_MIN_VERSION, findNamedQuery, prepareNamedQuery } from '../actions/named-query.ts';
import { batchSizeFrom } from './query.ts';
import { requireVersion } from './versions.ts';

export function registerNamedQueries(router: Router, org: OrgContext): void {
  router.add(
    'GET',
    '/services/data/:version/named/query/:name',
    (ctx) => {
      const version = requireVersion(ctx.apiVersion);
      if (Number(version) < NAMED_QUERY_MIN_VERSION) throw errors.notFound();
      const { user } = ctx.requireSession();
      const name = ctx.params.name!;
      ctx.audit.entityName = name;
      if (!user.hasPermission('ViewSetup')) {
        throw new ApiError(403, 'INSUFFICIENT_ACCESS_OR_READONLY', 'Running a named query requires the "View Setup and Configuration" permission.', []);
      }
      const nq = findNamedQuery(org.db, name);
      if (!nq) throw new ApiError(400, 'NOT_FOUND', `No named query called ${name} exists.`);
      ctx.audit.entityName = nq.name;
      const { soql, binds } = prepareNamedQuery(org.schema, nq, ctx.query);
      const { result } = executeQuery(org, soql, { user, mode: 'user', apiVersion: version, binds, batchSize: batchSizeFrom(ctx) });
      return { json: result };
    },
    { auth: 'api' },
  );
}
