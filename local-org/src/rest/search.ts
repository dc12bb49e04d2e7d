/**
 * `GET /services/data/vXX.X/search?q=<SOSL>` → `{"searchRecords":[…]}` and
 * `GET /services/data/vXX.X/parameterizedSearch?q=…&sobject=…` (same engine, see soql/sosl.ts).
 * Both run as the session's user (CRUD, FLS, sharing).
 */
import { ApiError } from '../http/errors.ts';
import type { Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { runParameterizedSearch, runSearch } from '../soql/sosl.ts';
import { requireVersion } from './versions.ts';

export function registerSearch(router: Router, org: OrgContext): void {
  router.add(
    'GET',
    '/services/data/:version/search',
    (ctx) => {
      const apiVersion = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      const sosl = ctx.query.get('q');
      if (sosl === null || sosl.trim() === '') throw new ApiError(400, 'MALFORMED_SEARCH', 'A search string has to be specified');
      return { json: runSearch(org, sosl, { user, mode: 'user', apiVersion }) };
    },
    { auth: 'api' },
  );
  router.add(
    'GET',
    '/services/data/:version/parameterizedSearch',
    (ctx) => {
      const apiVersion = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      return { json: runParameterizedSearch(org, ctx.query, { user, mode: 'user', apiVersion }) };
    },
    { auth: 'api' },
  );
}
