/**
 * MCP conformance (issue 8, item 7): the official suite, @modelcontextprotocol/conformance 0.1.16, in
 * `server` mode against ForceGate's MCP servers as served by this repository — a real local org in
 * memory and the real MCP HTTP server on 127.0.0.1 (mcp-server/test/helpers/harness.ts) — for the
 * standard `platform/sobject-all` server and the two custom servers deployed from force-app
 * (`ForceGate_Read`, `ForceGate_Service`). test/conformance/README.md explains the set-up.
 *
 * - The suite runs as its own CLI process on this machine's Node (20.19+): node20-register.mjs gives it
 *   the `fs.globSync` Node 20 lacks (only `tier-check` uses it).
 * - The suite's server mode cannot send a bearer token, and ForceGate has no unauthenticated mode. A
 *   transparent proxy (auth-proxy.ts) forwards every request unchanged — Host and Origin included —
 *   and adds only `Authorization: Bearer <mcp_api token>` obtained through the org's PKCE flow for the
 *   proxy's own URL (the server derives its resource URL from Host, so the token's audience matches).
 *   So the DNS-rebinding scenario still exercises the server's own Host/Origin checks.
 * - `--suite all` (active + pending scenarios) with `--expected-failures baseline.yml`: the CLI exits
 *   non-zero on a failure not in the baseline and on a baseline entry that now passes. The test also
 *   reads every scenario's checks.json, so it fails if an applicable scenario did not run, did not
 *   pass, or if a scenario appears that nobody has classified.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { mcpToken } from '../../local-org/test/helpers/oauth.ts';
import { repoRoot, startHarness, type Harness } from '../../mcp-server/test/helpers/harness.ts';
import { startBearerProxy, type BearerProxy } from './auth-proxy.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(repoRoot, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const NODE20_HOOK = join(HERE, 'node20-register.mjs');
const BASELINE = join(HERE, 'baseline.yml');

/** The persona whose token the proxy adds (has ForceGate_MCP_Access and sees tools on every server below). */
const PERSONA = 'sales-rep';
const SERVERS = ['platform/sobject-all', 'custom/ForceGate_Read', 'custom/ForceGate_Service'];

/** Scenarios that test what ForceGate does; each must run and pass (≥ 1 SUCCESS, no FAILURE/WARNING). */
const APPLICABLE = [
  'server-initialize',
  'ping',
  'logging-set-level', // ForceGate declares the logging capability
  'tools-list',
  'tools-call-error', // a failing call is a result with isError: true and a message (here: an unknown tool)
  'server-sse-multiple-streams', // concurrent POST SSE streams on one session
  'dns-rebinding-protection',
];
/**
 * Passes, but proves nothing about ForceGate: it calls the fixture `test_simple_text`, and the suite
 * accepts any text content — here the "Tool test_simple_text not found" error result. Neither required
 * nor baselined (a baseline entry that passes is itself a failure).
 */
const INCIDENTAL = ['tools-call-simple-text'];

/** The conformance suite's rule for tool names (TOOL_NAME_MAX_LENGTH = 64). */
const TOOL_NAME = /^[A-Za-z0-9_./-]{1,64}$/;

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | string;
  errorMessage?: string;
  details?: Record<string, unknown>;
}

/** Scenario names of baseline.yml; every entry must carry a `#` comment (its reason) just above it. */
function readBaseline(): string[] {
  const lines = readFileSync(BASELINE, 'utf8').split('\n');
  const names: string[] = [];
  lines.forEach((line, i) => {
    const m = /^\s*-\s*([A-Za-z0-9_./:-]+)\s*$/.exec(line);
    if (!m) return;
    expect(lines[i - 1] ?? '', `baseline.yml: "${m[1]}" needs a comment with its reason on the line above`).to.match(/^\s*#\s*\S/);
    names.push(m[1]!);
  });
  return names;
}

function runConformance(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Our own process.execPath (Node 20.19+ or later); no tsx in the child: the CLI is plain JS.
    const child = spawn(process.execPath, ['--import', NODE20_HOOK, CLI, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** checks.json of each scenario under `dir` (`server-<scenario>-<timestamp>/checks.json`). */
function readResults(dir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  for (const entry of readdirSync(dir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
    if (!m) continue;
    expect(results.has(m[1]!), `scenario ${m[1]} ran twice`).to.equal(false);
    results.set(m[1]!, JSON.parse(readFileSync(join(dir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return results;
}

/** The end of the CLI's output (summary and baseline verdict), without its colour codes. */
// eslint-disable-next-line no-control-regex
const tail = (s: string, n = 30): string => s.replace(/\x1B\[[0-9;]*m/g, '').trimEnd().split('\n').slice(-n).join('\n');

/** One suite run against one server through the proxy; asserts the outcome scenario by scenario. */
async function conformanceRun(o: { proxy: BearerProxy; key: string; out: string; baselineFile: string; baseline: string[]; applicable: string[] }): Promise<void> {
  const { proxy, key, out, baselineFile, baseline, applicable } = o;
  const path = `/platform/mcp/v1/${key}`;
  const seenBefore = proxy.forwarded.length;
  const { code, output } = await runConformance(['server', '--url', `${proxy.url}${path}`, '--suite', 'all', '--expected-failures', baselineFile, '-o', out]);
  expect(code, `conformance CLI exit code (results in ${out}):\n${tail(output)}`).to.equal(0);
  expect(output).to.include('Baseline check passed');

  const results = readResults(out);
  const ran = [...results.keys()];
  // Every scenario of the suite is classified: applicable, incidental or baselined.
  const unclassified = ran.filter((s) => !applicable.includes(s) && !INCIDENTAL.includes(s) && !baseline.includes(s));
  expect(unclassified, 'scenarios nobody has classified (add to APPLICABLE or baseline.yml with a reason)').to.deep.equal([]);
  for (const s of [...applicable, ...INCIDENTAL, ...baseline]) expect(ran, `scenario ${s} did not run`).to.include(s);

  for (const s of applicable) {
    const checks = results.get(s)!;
    const bad = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
    expect(bad.map((c) => `${c.id}: ${c.status} ${c.errorMessage ?? ''}`), `${s} on ${key}`).to.deep.equal([]);
    expect(checks.filter((c) => c.status === 'SUCCESS').length, `${s} on ${key}: no successful check`).to.be.greaterThan(0);
  }
  for (const s of baseline) {
    expect(
      results.get(s)!.some((c) => c.status === 'FAILURE' || c.status === 'WARNING'),
      `${s} passes on ${key}: remove it from baseline.yml`,
    ).to.equal(true);
  }

  // tools-list passes on an empty list too: require tools, and the suite's tool-name rule.
  const names = (results.get('tools-list')!.find((c) => c.id === 'tools-list')?.details?.tools ?? []) as string[];
  expect(names.length, `${key}: tools seen by ${PERSONA}`).to.be.greaterThan(0);
  for (const n of names) expect(n, `tool name on ${key}`).to.match(TOOL_NAME);

  // The DNS-rebinding requests reached the real server with their Host unchanged and were refused
  // by it (the proxy never answers on the server's behalf), although they carried a valid token.
  const rebinding = proxy.forwarded.slice(seenBefore).filter((f) => f.host === 'evil.example.com');
  expect(rebinding.length, 'requests with Host evil.example.com').to.be.greaterThan(0);
  for (const f of rebinding) {
    expect(f.authorized).to.equal(true);
    expect(f.status, `${f.method} ${f.path} with Host evil.example.com`).to.be.within(400, 499);
  }
}

describe('conformance: @modelcontextprotocol/conformance server scenarios', function () {
  this.timeout(120_000);
  let h: Harness;
  let proxy: BearerProxy;
  let outRoot: string;
  let failed = false;
  const baseline = readBaseline();

  before(async () => {
    h = await startHarness();
    for (const key of SERVERS) await h.setActive(key, true);
    proxy = await startBearerProxy(h.mcp.url);
    await Promise.all(
      SERVERS.map(async (key) => {
        const path = `/platform/mcp/v1/${key}`;
        // A real mcp_api JWT from the org's authorization-code + PKCE flow, addressed (RFC 8707
        // resource → aud) to the URL the suite talks to: the proxy's.
        proxy.setToken(path, await mcpToken(h.org.url, PERSONA, { resource: `${proxy.url}${path}` }));
      }),
    );
    outRoot = mkdtempSync(join(tmpdir(), 'forcegate-conformance-'));
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(async () => {
    await proxy?.close();
    await h?.close();
    if (outRoot && !failed) rmSync(outRoot, { recursive: true, force: true });
    else if (outRoot) console.log(`      conformance results kept in ${outRoot}`);
  });

  it('baseline.yml lists only scenarios that are neither applicable nor incidental, each with a reason', () => {
    expect(baseline.length).to.be.greaterThan(0);
    expect(new Set(baseline).size, 'duplicate baseline entries').to.equal(baseline.length);
    for (const name of baseline) expect([...APPLICABLE, ...INCIDENTAL], `${name} is both baselined and expected to pass`).to.not.include(name);
  });

  it('the proxy adds a token only for the servers under test: the MCP server itself still refuses an unauthenticated request', async () => {
    const res = await fetch(`${proxy.url}/platform/mcp/v1/platform/sobject-reads`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer .*resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/platform\/mcp\/v1\/platform\/sobject-reads"/);
  });

  for (const key of SERVERS) {
    it(`${key}: every applicable scenario passes; only baselined scenarios fail`, async () => {
      await conformanceRun({ proxy, key, out: join(outRoot, key.replace('/', '_')), baselineFile: BASELINE, baseline, applicable: APPLICABLE });
    });
  }
});

/**
 * `--stateless` (scale-out mode: no session, a fresh server per POST, no GET stream). The same suite on
 * sobject-all; the one scenario that needs a session — concurrent SSE streams on one session — is
 * added to the baseline for this run only.
 */
describe('conformance: the same suite against a --stateless server', function () {
  this.timeout(120_000);
  let h: Harness;
  let proxy: BearerProxy;
  let outRoot: string;
  const key = 'platform/sobject-all';
  const extra = 'server-sse-multiple-streams';
  const baseline = [...readBaseline(), extra];
  const applicable = APPLICABLE.filter((s) => s !== extra);

  before(async () => {
    h = await startHarness({ stateless: true });
    await h.setActive(key, true);
    proxy = await startBearerProxy(h.mcp.url);
    const path = `/platform/mcp/v1/${key}`;
    proxy.setToken(path, await mcpToken(h.org.url, PERSONA, { resource: `${proxy.url}${path}` }));
    outRoot = mkdtempSync(join(tmpdir(), 'forcegate-conformance-stateless-'));
    writeFileSync(
      join(outRoot, 'baseline.yml'),
      `${readFileSync(BASELINE, 'utf8').trimEnd()}\n  # stateless: no session, so no concurrent SSE streams on one (each POST is answered as JSON by its own server)\n  - ${extra}\n`,
    );
  });
  after(async () => {
    await proxy?.close();
    await h?.close();
    if (outRoot) rmSync(outRoot, { recursive: true, force: true });
  });

  it(`${key} (stateless): every applicable scenario passes; only baselined scenarios fail`, async () => {
    await conformanceRun({ proxy, key, out: join(outRoot, 'results'), baselineFile: join(outRoot, 'baseline.yml'), baseline, applicable });
  });
});

