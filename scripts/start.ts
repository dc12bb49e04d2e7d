/**
 * `npm start`: runs ForceGate on the embedded local org.
 * Starts the local org on 6101 with its data in ./.local-org (the project's force-app is applied at
 * start) and prints how to log in and connect.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalOrg } from '../local-org/src/local-org.ts';
import type { LocalOrgConfig } from '../local-org/src/org/config.ts';

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const orgPort = Number(process.env.LOCAL_ORG_PORT ?? 6101);
const dataDir = resolve(process.env.LOCAL_ORG_DATA ?? join(projectDir, '.local-org'));

const local = await startLocalOrg({ port: orgPort, dataDir, projectDir });
const config = JSON.parse(readFileSync(join(projectDir, 'config', 'local-org.json'), 'utf8')) as LocalOrgConfig;

const lines = [
  '',
  `ForceGate local org ready at ${local.url}  (org ${local.org.orgId}, data in ${dataDir})`,
  '',
  'Users (development only):',
  ...config.users.map((u) => `  ${u.persona.padEnd(10)} ${u.username.padEnd(28)} ${u.password}`),
  '',
  'Log in with the sf CLI (opens a browser):',
  `  npx sf org login web --instance-url ${local.url} --alias forcegate-local`,
  'then, for example:',
  '  npx sf data query -q "SELECT Name, Owner.Name FROM Account" -o forcegate-local',
  '',
  'OpenID configuration:',
  `  ${local.url}/.well-known/openid-configuration`,
  '',
  'Stop with Ctrl+C.',
];
console.log(lines.join('\n'));

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void local.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
