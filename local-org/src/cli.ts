/**
 * `npm run local-org -- --port <port> --data <dir|:memory:> [--project <dir>]`
 * Prints a line with the org's URL when it is ready; SIGTERM/SIGINT stop it cleanly.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startLocalOrg } from './local-org.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '6101' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string', default: '.local-org' },
    project: { type: 'string', default: process.cwd() },
  },
});

const dataDir = values.data === ':memory:' ? ':memory:' : resolve(values.data!);
const local = await startLocalOrg({ port: Number(values.port), host: values.host, dataDir, projectDir: resolve(values.project!) });
console.log(`Local org ready at ${local.url} (org ${local.org.orgId}, data ${dataDir})`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`Local org stopping (${signal})`);
  void local.close().then(() => process.exit(0));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
