/**
 * P1 (soqlQuery through the MCP server vs the same query with jsforce) and P4 (50 concurrent users ×
 * 20 calls, MCP vs direct) on one local org with 200 benchmark Accounts.
 *
 * A third arm measures the floor: the same jsforce calls through a bare pass-through HTTP proxy in its
 * own process (bench/passthrough-proxy.ts). Any layer between client and org — MCP or not — pays at
 * least that hop; P1c/P4c print it so P1a/P4a can be read against what is physically possible here.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsforce from 'jsforce';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startLocalOrg } from '../../local-org/src/local-org.ts';
import { mcpToken, personaToken } from '../../local-org/test/helpers/oauth.ts';
import { repoRoot } from '../../local-org/test/helpers/sf.ts';
import { figure, median, p99, rotate, round, type BenchContext, type FigureSet } from '../lib.ts';
import { activatePlatform, startChild, startChildServer } from './sessions.ts';

const V = '66.0';
/** A same-region round trip to a Salesforce org is tens of milliseconds; 50 ms is a middling one. */
const ORG_RTT_MS = 50;
export const QUERY = "SELECT Id, Name, Industry, AnnualRevenue FROM Account WHERE Name LIKE 'Bench P1 %' ORDER BY Name";
const KEY = 'platform/sobject-reads';
const USERS = ['rep@forcegate.local', 'rep2@forcegate.local', 'manager@forcegate.local', 'admin@forcegate.local', 'auditor@forcegate.local'];

async function seed(orgUrl: string, adminToken: string, n: number): Promise<void> {
  const conn = new jsforce.Connection({ instanceUrl: orgUrl, accessToken: adminToken, version: V });
  for (let i = 0; i < n; i += 200) {
    const batch = Array.from({ length: Math.min(200, n - i) }, (_, j) => ({
      Name: `Bench P1 ${String(i + j).padStart(4, '0')}`,
      Industry: 'Technology',
      AnnualRevenue: (i + j) * 1000,
    }));
    const res = await conn.sobject('Account').create(batch, { allOrNone: true });
    const failed = (Array.isArray(res) ? res : [res]).filter((r) => !r.success);
    if (failed.length) throw new Error(`seeding failed: ${JSON.stringify(failed[0])}`);
  }
}

async function mcpQuery(client: Client, expected: number): Promise<void> {
  const res = await client.callTool({ name: 'soqlQuery', arguments: { q: QUERY } });
  if (res.isError) throw new Error(`soqlQuery failed: ${JSON.stringify(res.content)}`);
  const total = (res.structuredContent as { totalSize?: number } | undefined)?.totalSize;
  if (total !== expected) throw new Error(`soqlQuery returned ${total} rows, expected ${expected}`);
}

async function directQuery(conn: jsforce.Connection, expected: number): Promise<void> {
  const res = await conn.query(QUERY);
  if (res.totalSize !== expected) throw new Error(`jsforce returned ${res.totalSize} rows, expected ${expected}`);
}

/** The same call as raw JSON-RPC to bench/minimal-mcp.ts (the floor of an MCP answer, no SDK). */
async function minimalQuery(url: string, token: string, expected: number): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'soqlQuery', arguments: { q: QUERY } } }),
  });
  const msg = (await res.json()) as { result?: { structuredContent?: { totalSize?: number } } };
  const total = msg.result?.structuredContent?.totalSize;
  if (total !== expected) throw new Error(`minimal MCP returned ${total} rows, expected ${expected}`);
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

/**
 * The MCP server runs in its own process, as deployed (the org and the client share this one), so
 * on a 2-core machine its work is not serialised with the org's on one event loop.
 */
export async function benchMcpVsDirect(ctx: BenchContext): Promise<FigureSet> {
  const local = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
  const dir = mkdtempSync(join(tmpdir(), 'forcegate-bench-p1-'));
  let child: ChildProcess | undefined;
  let proxyChild: ChildProcess | undefined;
  let minimalChild: ChildProcess | undefined;
  let farChild: ChildProcess | undefined;
  let farMcpChild: ChildProcess | undefined;
  const clients: Client[] = [];
  try {
    const rows = 200;
    const admin = await personaToken(local.url, 'admin');
    await activatePlatform(local.url, admin, 'platform_sobject_reads');
    await seed(local.url, admin, rows);
    const started = await startChildServer(local.url, join(dir, 'audit.jsonl'));
    child = started.child;
    const url = `${started.url}/platform/mcp/v1/${KEY}`;
    const repToken = await mcpToken(local.url, 'rep@forcegate.local', { resource: url });
    const proxy = await startChild(join(repoRoot, 'bench/passthrough-proxy.ts'), [local.url]);
    proxyChild = proxy.child;
    const minimal = await startChild(join(repoRoot, 'bench/minimal-mcp.ts'), [local.url]);
    minimalChild = minimal.child;
    const client = await connect(url, repToken);
    clients.push(client);
    // Same user, same token, same org: the only difference is the MCP hop (or the bare proxy hop).
    const conn = new jsforce.Connection({ instanceUrl: local.url, accessToken: repToken, version: V });
    const proxied = new jsforce.Connection({ instanceUrl: proxy.url, accessToken: repToken, version: V });

    // ---- P1 --------------------------------------------------------------------------------------
    const warm = ctx.quick ? 3 : 30;
    const n = ctx.quick ? 10 : 400;
    const arms = [() => mcpQuery(client, rows), () => directQuery(conn, rows), () => directQuery(proxied, rows), () => minimalQuery(minimal.url, repToken, rows)];
    await rotate(warm, arms);
    ctx.log(`P1: ${n} rotations of MCP / direct / bare proxy / minimal MCP`);
    const [p1Mcp, p1Direct, p1Proxy, p1Minimal] = (await rotate(n, arms)) as [number[], number[], number[], number[]];
    const medRatio = median(p1Mcp) / median(p1Direct);
    const p99Ratio = p99(p1Mcp) / p99(p1Direct);

    // ---- P1d: the same with the org at a realistic distance ------------------------------------
    // A delay proxy adds ORG_RTT_MS to every org round trip, for both arms alike (the token is minted
    // through it too, so the issuer both sides see is the proxy's URL). Informational: what the MCP
    // hop costs a user whose org is a network away, not a figure from the issue.
    const far = await startChild(join(repoRoot, 'bench/passthrough-proxy.ts'), [local.url, String(ORG_RTT_MS)]);
    farChild = far.child;
    const farServer = await startChildServer(far.url, join(dir, 'audit-far.jsonl'));
    farMcpChild = farServer.child;
    const farUrl = `${farServer.url}/platform/mcp/v1/${KEY}`;
    const farToken = await mcpToken(far.url, 'rep@forcegate.local', { resource: farUrl });
    const farClient = await connect(farUrl, farToken);
    clients.push(farClient);
    const farConn = new jsforce.Connection({ instanceUrl: far.url, accessToken: farToken, version: V });
    const nFar = ctx.quick ? 4 : 60;
    const farArms = [() => mcpQuery(farClient, rows), () => directQuery(farConn, rows)];
    await rotate(2, farArms);
    ctx.log(`P1d: ${nFar} rotations with ${ORG_RTT_MS} ms per org round trip`);
    const [p1FarMcp, p1FarDirect] = (await rotate(nFar, farArms)) as [number[], number[]];

    // ---- P4 --------------------------------------------------------------------------------------
    const users = ctx.quick ? 5 : 50;
    const calls = ctx.quick ? 2 : 20;
    const rounds = ctx.quick ? 1 : 3;
    ctx.log(`P4: minting ${users} tokens and opening ${users} sessions`);
    const tokens: string[] = [];
    for (let i = 0; i < users; i++) tokens.push(await mcpToken(local.url, USERS[i % USERS.length]!, { resource: url }));
    const userClients: Client[] = [];
    for (const token of tokens) userClients.push(await connect(url, token));
    clients.push(...userClients);
    const conns = tokens.map((t) => new jsforce.Connection({ instanceUrl: local.url, accessToken: t, version: V }));
    const proxiedConns = tokens.map((t) => new jsforce.Connection({ instanceUrl: proxy.url, accessToken: t, version: V }));
    // Row counts differ by user only if sharing hid Accounts; Account OWD is Read, so all see 200.
    let mcpErrors = 0;
    let directErrors = 0;
    const runMcp = async (): Promise<number> => {
      const t0 = performance.now();
      await Promise.all(
        userClients.map(async (c) => {
          for (let i = 0; i < calls; i++) await mcpQuery(c, rows).catch(() => mcpErrors++);
        }),
      );
      return performance.now() - t0;
    };
    const runDirect = async (via: jsforce.Connection[]): Promise<number> => {
      const t0 = performance.now();
      await Promise.all(
        via.map(async (c) => {
          for (let i = 0; i < calls; i++) await directQuery(c, rows).catch(() => directErrors++);
        }),
      );
      return performance.now() - t0;
    };
    let mcpMs = 0;
    let directMs = 0;
    let proxyMs = 0;
    let minimalMs = 0;
    const runMinimal = async (): Promise<number> => {
      const t0 = performance.now();
      await Promise.all(
        tokens.map(async (t) => {
          for (let i = 0; i < calls; i++) await minimalQuery(minimal.url, t, rows).catch(() => directErrors++);
        }),
      );
      return performance.now() - t0;
    };
    for (let r = 0; r < rounds; r++) {
      const order: (() => Promise<void>)[] = [
        async () => void (mcpMs += await runMcp()),
        async () => void (directMs += await runDirect(conns)),
        async () => void (proxyMs += await runDirect(proxiedConns)),
        async () => void (minimalMs += await runMinimal()),
      ];
      for (let k = 0; k < order.length; k++) await order[(r + k) % order.length]!();
    }
    const total = users * calls * rounds;
    const mcpTput = total / (mcpMs / 1000);
    const directTput = total / (directMs / 1000);
    const proxyTput = total / (proxyMs / 1000);
    const minimalTput = total / (minimalMs / 1000);
    return {
      figures: [
        figure({ id: 'P1a', name: 'soqlQuery via MCP / jsforce direct, 200 rows — median ratio', measured: round(medRatio), unit: '×', target: 1.1, kind: 'max', detail: `median ${round(median(p1Mcp), 2)} vs ${round(median(p1Direct), 2)} ms, n=${n}; MCP costs ${round(median(p1Mcp) - median(p1Direct), 2)} ms over direct, ${round(median(p1Mcp) - median(p1Proxy), 2)} ms over the bare proxy` }),
        figure({ id: 'P1b', name: 'soqlQuery via MCP / jsforce direct, 200 rows — p99 ratio', measured: round(p99Ratio), unit: '×', target: 1.25, kind: 'max', detail: `p99 ${round(p99(p1Mcp), 2)} vs ${round(p99(p1Direct), 2)} ms` }),
        figure({ id: 'P1c', name: 'floor: jsforce through a bare pass-through proxy / jsforce direct — median ratio (no MCP; what any extra hop costs here)', measured: round(median(p1Proxy) / median(p1Direct)), unit: '×', target: 1.1, kind: 'max', detail: `median ${round(median(p1Proxy), 2)} ms, p99 ratio ${round(p99(p1Proxy) / p99(p1Direct))}× (informational: shows whether P1a's target is reachable by any proxy on this org)` }),
        figure({ id: 'P1e', name: 'floor: a minimal MCP answer (bench/minimal-mcp.ts: no SDK, no checks, result as structuredContent + JSON text) / jsforce direct — median ratio', measured: round(median(p1Minimal) / median(p1Direct)), unit: '×', target: 1.1, kind: 'max', detail: `median ${round(median(p1Minimal), 2)} ms (informational: the least any MCP server answering in the spec's shape costs here)` }),
        figure({ id: 'P1d', name: `informational: P1a with the org ${ORG_RTT_MS} ms away (a delay proxy in front of it for both arms) — median ratio`, measured: round(median(p1FarMcp) / median(p1FarDirect)), unit: '×', target: 1.1, kind: 'max', detail: `median ${round(median(p1FarMcp), 2)} vs ${round(median(p1FarDirect), 2)} ms, n=${nFar}; not a figure from the issue: P1a is` }),
        figure({ id: 'P4a', name: `${users} concurrent users × ${calls} calls — MCP / direct throughput`, measured: round(mcpTput / directTput), unit: '×', target: 0.8, kind: 'min', detail: `${round(mcpTput, 1)} vs ${round(directTput, 1)} calls/s, ${rounds} interleaved rounds` }),
        figure({ id: 'P4c', name: `floor: ${users} users × ${calls} calls through a bare pass-through proxy / direct — throughput`, measured: round(proxyTput / directTput), unit: '×', target: 0.8, kind: 'min', detail: `${round(proxyTput, 1)} calls/s (informational: no MCP work at all)` }),
        figure({ id: 'P4d', name: `floor: ${users} users × ${calls} calls to a minimal MCP answer (no SDK, no checks) / direct — throughput`, measured: round(minimalTput / directTput), unit: '×', target: 0.8, kind: 'min', detail: `${round(minimalTput, 1)} calls/s (informational: the least any MCP server answering in the spec's shape costs here)` }),
        figure({ id: 'P4b', name: `${users} concurrent users × ${calls} calls — errors (MCP + direct)`, measured: mcpErrors + directErrors, unit: 'errors', target: 0, kind: 'max', detail: `MCP ${mcpErrors}, direct ${directErrors} of ${total} each` }),
      ],
    };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const c of [child, proxyChild, minimalChild, farChild, farMcpChild]) {
      if (c && c.exitCode === null) {
        c.kill('SIGTERM');
        await new Promise((r) => c.once('exit', r));
      }
    }
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
