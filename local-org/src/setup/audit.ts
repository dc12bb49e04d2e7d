/**
 * Setup changes are recorded like any other call in the org's ApiTotalUsage log: one row per
 * change, attributed to the admin, with API_CLIENT_CATEGORY `LIGHTNING_UI` (the category the
 * platform gives calls made by its own UI), CONNECTED_APP_NAME `Salesforce Setup`, the Setup path
 * as API_RESOURCE and the changed entity as ENTITY_NAME. The row is written in the same transaction
 * as the change (see `setupChange`). Page views are not recorded (the platform's ApiTotalUsage does
 * not log UI page loads either).
 */
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import type { UserContext } from '../security/types.ts';

export const SETUP_APP_NAME = 'Salesforce Setup';

export interface SetupChange {
  entity: string;
  /** What was done, e.g. `activate` (appended to the path as API_RESOURCE). */
  action: string;
  status?: number;
}

/** Runs `fn` and the change's audit row in one SQLite transaction. */
export function setupChange<T>(org: OrgContext, ctx: RequestContext, user: UserContext, change: SetupChange, fn: () => T): T {
  return org.db.transaction(() => {
    const result = fn();
    recordSetupChange(org, ctx, user, change);
    return result;
  })();
}

export function recordSetupChange(org: OrgContext, ctx: RequestContext, user: UserContext, change: SetupChange): void {
  org.usage.record({
    requestId: randomBytes(12).toString('base64url'),
    timestamp: new Date(),
    orgId: org.orgId,
    userId: user.userId,
    username: user.username,
    apiFamily: 'REST',
    apiVersion: '',
    apiResource: `${ctx.path}#${change.action}`,
    httpMethod: ctx.method,
    statusCode: change.status ?? 200,
    entityName: change.entity,
    connectedAppId: '',
    connectedAppName: SETUP_APP_NAME,
    clientName: '',
    category: 'LIGHTNING_UI',
    clientIp: ctx.req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '',
  });
}
