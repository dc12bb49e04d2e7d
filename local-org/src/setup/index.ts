/**
 * The Setup web UI: server-rendered admin pages at `/lightning/setup/…`, behind a browser login
 * (setup/session.ts) open to administrators only. One module per page:
 *
 *   /lightning/setup                       → SetupOneHome (links to the pages)
 *   /lightning/setup/McpServers/home|page  MCP servers, activation, tools (setup/mcp-servers.ts)
 *   /lightning/setup/Flows/home|page       flows, versions, labels and descriptions (setup/flows.ts)
 *   /lightning/setup/ApiLogs/home|csv      ApiTotalUsage events, charts, CSV (setup/api-logs.ts)
 *   /lightning/setup/PermSets/home         permission set assignments (setup/permission-sets.ts)
 *
 * Charts are inline SVG from setup/charts.ts, which also renders the self-contained report of
 * `sf mcp logs --report` (`renderApiUsageReport`, re-exported here).
 */
import type { Router } from '../http/router.ts';
import type { OrgContext } from '../org/context.ts';
import { registerApiLogsPage } from './api-logs.ts';
import { attr, esc, redirect, SETUP_PAGES, setupPage } from './html.ts';
import { registerFlowsPage } from './flows.ts';
import { registerMcpServersPage } from './mcp-servers.ts';
import { registerPermissionSetsPage } from './permission-sets.ts';
import { SETUP_HOME, SetupSessions } from './session.ts';

export { renderApiUsageReport, type ApiUsageRow } from './charts.ts';
export { isSetupAdmin } from './session.ts';

const setupSessions = new WeakMap<OrgContext, SetupSessions>();

/** The Setup sessions of a running org (tests end sessions through it). */
export function setupSessionsOf(org: OrgContext): SetupSessions | undefined {
  return setupSessions.get(org);
}

export function registerSetup(router: Router, org: OrgContext): void {
  const sessions = new SetupSessions(org);
  setupSessions.set(org, sessions);
  sessions.register(router);
  router.add('GET', '/lightning/setup', sessions.guard(() => redirect(SETUP_HOME)), { auth: 'public' });
  router.add(
    'GET',
    SETUP_HOME,
    sessions.guard(({ username, csrf }) =>
      setupPage({
        title: 'Setup Home',
        username,
        csrf,
        body: `<ul>${SETUP_PAGES.map((p) => `<li><a href="${attr(p.href)}">${esc(p.label)}</a></li>`).join('')}</ul>`,
      }),
    ),
    { auth: 'public' },
  );
  registerMcpServersPage(router, org, sessions);
  registerFlowsPage(router, org, sessions);
  registerApiLogsPage(router, org, sessions);
  registerPermissionSetsPage(router, org, sessions);
}
