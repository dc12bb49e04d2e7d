/**
 * `npm run mcp-server -- --org-url <url> [--port 6102]`: serves an org's MCP servers over
 * Streamable HTTP (the org is the OAuth authorization server; every call runs with the caller's
 * token). `forcegate-mcp --stdio --target-org <alias> [--server platform/sobject-reads]`: one server
 * for one local user over stdio, with the sf CLI's stored auth.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { AuditLog } from './audit/jsonl.ts';
import { startHttpServer } from './http/app.ts';
import { MCP_BASE } from './servers/paths.ts';
import { STANDARD_SERVERS } from './tools/standard/index.ts';

const HELP = `forcegate-mcp — Salesforce MCP servers that act as the signed-in user

HTTP (Streamable HTTP, OAuth with the org as authorization server):
  --org-url <url>          the org's My Domain URL, or a local org (http://127.0.0.1:6101)  [required]
  --port <n>               port to listen on (default 6102; 0 = any free port)
  --host <h>               interface to bind (default 127.0.0.1)
  --public-url <url>       public base URL when behind a proxy (default: from the Host header)
  --allowed-hosts <a,b>    Host header names accepted (DNS-rebinding protection; default loopback names)
  --allowed-origins <a,b>  browser Origins accepted besides those on allowed hosts (others get 403)
  --accept-audience <url>  an extra token audience to accept (repeatable)
  --stateless              no sessions: a new server per request (scale-out; no tools/list_changed)
stdio (one local user, sf CLI auth):
  --stdio --target-org <alias|username> [--server platform/sobject-reads|custom/<ApiName>]
Common:
  --api-version <v>        REST API version (default: newest the org serves)
  --audit-log <file>       JSON-lines audit log (default .forcegate/mcp-audit.jsonl; "-" = stderr)
  --audit-arguments        also log argument values (off by default)
  --org-timeout <s>        upper bound for one org request (default 20)
  --poll-interval <s>      how often open servers are checked for changes (default 15, max 30)
  --activation-ttl <s>     how long activation state is cached (default 30)
  --session-idle <min>     idle sessions expire after this many minutes (default 30)
  --rate-limit <n>         at most n tool calls per minute per user (HTTP; default: no limit)
`;

const { values } = parseArgs({
  options: {
    'org-url': { type: 'string' },
    port: { type: 'string', default: '6102' },
    host: { type: 'string', default: '127.0.0.1' },
    'public-url': { type: 'string' },
    'allowed-hosts': { type: 'string' },
    'allowed-origins': { type: 'string' },
    'accept-audience': { type: 'string', multiple: true },
    stateless: { type: 'boolean', default: false },
    stdio: { type: 'boolean', default: false },
    'target-org': { type: 'string' },
    server: { type: 'string', default: 'platform/sobject-reads' },
    'api-version': { type: 'string' },
    'audit-log': { type: 'string', default: '.forcegate/mcp-audit.jsonl' },
    'audit-arguments': { type: 'boolean', default: false },
    'org-timeout': { type: 'string', default: '20' },
    'poll-interval': { type: 'string', default: '15' },
    'activation-ttl': { type: 'string', default: '30' },
    'session-idle': { type: 'string', default: '30' },
    'rate-limit': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const auditFile = values['audit-log'] === '-' ? '-' : resolve(values['audit-log']!);
const audit = new AuditLog(auditFile, { logArguments: values['audit-arguments'] });
const seconds = (v: string | undefined): number => Math.max(0.05, Number(v)) * 1000;

if (values.stdio) {
  if (!values['target-org']) {
    process.stderr.write('--stdio needs --target-org <alias|username> (an org authorized with the sf CLI)\n');
    process.exit(2);
  }
  const { runStdio } = await import('./stdio.ts');
  try {
    await runStdio({
      targetOrg: values['target-org'],
      server: values.server!,
      audit,
      apiVersion: values['api-version'],
      orgTimeoutMs: seconds(values['org-timeout']),
      pollIntervalMs: seconds(values['poll-interval']),
    });
  } catch (err) {
    process.stderr.write(`[forcegate-mcp] ${(err as Error).message}\n`);
    process.exit(1);
  }
} else {
  if (!values['org-url']) {
    process.stderr.write(`--org-url is required\n\n${HELP}`);
    process.exit(2);
  }
  const running = await startHttpServer({
    orgUrl: values['org-url'],
    apiVersion: values['api-version'],
    host: values.host,
    port: Number(values.port),
    publicUrl: values['public-url'],
    allowedHosts: values['allowed-hosts']?.split(',').map((h) => h.trim()).filter(Boolean),
    allowedOrigins: values['allowed-origins']?.split(',').map((h) => h.trim()).filter(Boolean),
    extraAudiences: values['accept-audience'],
    stateless: values.stateless,
    audit,
    orgTimeoutMs: seconds(values['org-timeout']),
    pollIntervalMs: seconds(values['poll-interval']),
    activationTtlMs: seconds(values['activation-ttl']),
    sessionIdleMs: Number(values['session-idle']) * 60_000,
    rateLimit: values['rate-limit'] ? { callsPerMinute: Number(values['rate-limit']) } : undefined,
  });
  // Behind a proxy (--public-url) the URL above is the public one; say where this process listens too
  // (with --port 0 there is no other way to learn the port).
  const bound = running.server.address() as AddressInfo;
  const listening = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  console.log(
    [
      `ForceGate MCP server ready at ${running.url} for org ${values['org-url']} (API v${running.apiVersion}${values.stateless ? ', stateless' : ''})`,
      ...(running.url === listening ? [] : [`  listening on ${listening}`]),
      ...STANDARD_SERVERS.map((s) => `  ${running.url}${MCP_BASE}/platform/${s.name}`),
      `  ${running.url}${MCP_BASE}/custom/<ServerApiName>`,
      `Audit log: ${auditFile}`,
    ].join('\n'),
  );
  // SIGTERM/SIGINT drain: stop accepting connections, let the POSTs in flight (tool calls) finish —
  // at most the org timeout plus a margin — then close. A replica taken out of a load balancer's pool
  // then does not cut calls it has already started (a write the org applied but the client never heard of).
  let inFlight = 0;
  let stopping = false;
  running.server.prependListener('request', (req, res) => {
    // While draining, every answer closes its connection: a kept-alive client (or a proxy's upstream
    // pool) must not send its next call on a connection that is about to be cut.
    if (stopping && !res.headersSent) res.setHeader('Connection', 'close');
    if (req.method !== 'POST') return;
    inFlight++;
    res.once('close', () => inFlight--);
  });
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    running.server.close();
    running.server.closeIdleConnections();
    const deadline = Date.now() + seconds(values['org-timeout']) + 5_000;
    void new Promise<void>((resolve) => {
      const check = (): unknown => (inFlight <= 0 || Date.now() > deadline ? resolve() : setTimeout(check, 50));
      check();
    })
      .then(() => running.close())
      .then(() => audit.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
