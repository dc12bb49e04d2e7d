/**
 * `npm start`: runs ForceGate on the embedded local org.
 * Starts the local org on 6101 with its data in ./.local-org (the project's force-app is deployed
 * into it at start) and the ForceGate MCP server on 6102 against it, then prints the endpoints, the
 * login users, the External Client Apps' consumer keys and ready-to-paste client configurations.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalOrg } from '../local-org/src/local-org.ts';
import type { LocalOrgConfig } from '../local-org/src/org/config.ts';
import { AuditLog } from '../mcp-server/src/audit/jsonl.ts';
import { startHttpServer } from '../mcp-server/src/http/app.ts';
import { STANDARD_SERVERS } from '../mcp-server/src/tools/standard/index.ts';
import { storedComponents } from '../local-org/src/metadata/apply.ts';

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const orgPort = Number(process.env.LOCAL_ORG_PORT ?? 6101);
const mcpPort = Number(process.env.MCP_SERVER_PORT ?? 6102);
const dataDir = resolve(process.env.LOCAL_ORG_DATA ?? join(projectDir, '.local-org'));
const auditFile = resolve(process.env.MCP_AUDIT_LOG ?? join(projectDir, '.forcegate', 'mcp-audit.jsonl'));

const local = await startLocalOrg({ port: orgPort, dataDir, projectDir });
const audit = new AuditLog(auditFile);
const mcp = await startHttpServer({ orgUrl: local.url, port: mcpPort, audit });
const config = JSON.parse(readFileSync(join(projectDir, 'config', 'local-org.json'), 'utf8')) as LocalOrgConfig;

const base = `${mcp.url}/platform/mcp/v1`;
const customServers = storedComponents(local.org.db, 'McpServerDefinition').map((c) => c.fullName);
const access = local.org.db.prepare('SELECT DeveloperName, Active, McpServerId FROM McpServerAccess WHERE IsDeleted = 0').all() as {
  DeveloperName: string;
  Active: number;
}[];
const isActive = (developerName: string): boolean => access.some((a) => a.DeveloperName.toLowerCase() === developerName.toLowerCase() && a.Active === 1);
const endpoints = [
  ...STANDARD_SERVERS.map((s) => ({ url: `${base}/platform/${s.name}`, name: s.name, active: isActive(s.accessName) })),
  ...customServers.map((n) => ({ url: `${base}/custom/${n}`, name: n, active: isActive(n) })),
];
const key = (eca: string): string => config.clients[eca]?.consumerKey ?? '(see config/local-org.json)';
const reads = `${base}/platform/sobject-reads`;

const lines = [
  '',
  `ForceGate local org ready at ${local.url}  (org ${local.org.orgId}, data in ${dataDir})`,
  `ForceGate MCP server ready at ${mcp.url}  (Streamable HTTP, OAuth 2.1 + PKCE with the org as authorization server)`,
  `Audit log: ${auditFile}`,
  '',
  'MCP servers (a server answers only once an admin has activated it):',
  ...endpoints.map((e) => `  ${e.active ? 'active  ' : 'inactive'}  ${e.url}`),
  '',
  'Activate a server (as an admin):',
  `  in Setup: ${local.url}/lightning/setup/McpServers/home      (log in as admin@forcegate.local)`,
  '  or with the sf CLI and the ForceGate plugin:',
  '    npm run build:plugin && npx sf plugins link sf-plugin --no-install',
  `    npx sf org login web --instance-url ${local.url} --alias forcegate-local`,
  '    npx sf mcp server activate --name sobject-reads --target-org forcegate-local',
  '',
  'Users (development only):',
  ...config.users.map((u) => `  ${u.persona.padEnd(10)} ${u.username.padEnd(28)} ${u.password}`),
  '',
  'External Client Apps (OAuth client ids; no secret, PKCE required, scope "mcp_api refresh_token"):',
  ...Object.entries(config.clients).map(([name, c]) => `  ${name.padEnd(22)} ${c.consumerKey}`),
  '',
  'MCP Inspector (npx @modelcontextprotocol/inspector): Transport "Streamable HTTP",',
  `  URL ${reads}`,
  `  Authentication → OAuth client id ${key('ForceGate_Local_Tools')} (redirect http://localhost:6274/oauth/callback), scope "mcp_api refresh_token"`,
  '',
  'Cursor (~/.cursor/mcp.json):',
  JSON.stringify({ mcpServers: { 'forcegate-sobject-reads': { url: reads } } }, null, 2)
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n'),
  `  Cursor signs in through the org with client id ${key('ForceGate_Cursor')}.`,
  '',
  'Claude Desktop (claude_desktop_config.json; the local org is on this machine, so Claude runs the stdio server with your sf CLI login):',
  JSON.stringify(
    {
      mcpServers: {
        'forcegate-sobject-reads': {
          command: 'node',
          args: [join(projectDir, 'mcp-server', 'bin', 'forcegate-mcp.js'), '--stdio', '--target-org', 'forcegate-local', '--server', 'platform/sobject-reads'],
          cwd: projectDir,
        },
      },
    },
    null,
    2,
  )
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n'),
  `  For a server Claude reaches over HTTPS, add a custom connector with its URL and client id ${key('ForceGate_Claude')}.`,
  '',
  'OpenID configuration of the org (the authorization server):',
  `  ${local.url}/.well-known/openid-configuration`,
  '',
  'Stop with Ctrl+C.',
];
console.log(lines.join('\n'));

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void mcp
    .close()
    .then(() => audit.close())
    .then(() => local.close())
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
