/**
 * P7: the same SOQL through @salesforce/mcp's `run_soql_query` and ForceGate's stdio `soqlQuery`,
 * both authenticated to the local org through the sf CLI (isolated HOME, `sf org login
 * access-token`), both as the same user. Start-up = spawn → initialize → tools/list answered.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import jsforce from 'jsforce';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startLocalOrg } from '../../local-org/src/local-org.ts';
import { personaToken } from '../../local-org/test/helpers/oauth.ts';
import { SfCli, repoRoot } from '../../local-org/test/helpers/sf.ts';
import { figure, interleave, median, round, type BenchContext, type FigureSet } from '../lib.ts';

const QUERY = "SELECT Id, Name, Industry, AnnualRevenue FROM Account WHERE Name LIKE 'Bench P7 %' ORDER BY Name";
const ALIAS = 'fg-bench';
const ROWS = 200;

function salesforceMcpBin(): string | undefined {
  const file = join(repoRoot, 'node_modules', '@salesforce', 'mcp', 'bin', 'run.js');
  if (existsSync(file)) return file;
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@salesforce/mcp')), '..', 'bin', 'run.js');
  } catch {
    return undefined;
  }
}

interface Side {
  start(): Promise<Client>;
  call(c: Client): Promise<void>;
}

function spawnClient(args: string[], env: Record<string, string>): { client: Client; transport: StdioClientTransport; stderr: () => string } {
  const transport = new StdioClientTransport({ command: process.execPath, args, env, cwd: repoRoot, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { client: new Client({ name: 'bench', version: '1' }), transport, stderr: () => err };
}

export async function benchStdio(ctx: BenchContext): Promise<FigureSet> {
  const bin = salesforceMcpBin();
  if (!bin) {
    return { figures: [], blocked: [{ id: 'P7', name: '@salesforce/mcp run_soql_query vs ForceGate stdio soqlQuery', reason: '@salesforce/mcp is not installed' }] };
  }
  const local = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
  const sf = new SfCli();
  const auditDir = mkdtempSync(join(tmpdir(), 'forcegate-bench-p7-'));
  const open: Client[] = [];
  try {
    const admin = await personaToken(local.url, 'admin');
    const conn = new jsforce.Connection({ instanceUrl: local.url, accessToken: admin, version: '66.0' });
    const rows = Array.from({ length: ROWS }, (_, i) => ({ Name: `Bench P7 ${String(i).padStart(4, '0')}`, Industry: 'Technology', AnnualRevenue: i * 1000 }));
    await conn.sobject('Account').create(rows, { allOrNone: true });
    const act = await fetch(`${local.url}/services/data/v66.0/tooling/sobjects/McpServerAccess`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ DeveloperName: 'platform_sobject_reads', MasterLabel: 'platform_sobject_reads', Active: true }),
    });
    if (act.status >= 300) throw new Error(`activation: ${act.status}`);
    const login = await sf.loginWithToken(local.url, await personaToken(local.url, 'rep@forcegate.local'), ALIAS);
    if (login.code !== 0) throw new Error(`sf org login failed: ${login.stderr}${login.stdout}`);
    const env = sf.env({ SF_DISABLE_TELEMETRY: 'true' }) as Record<string, string>;

    const forcegate: Side = {
      async start() {
        const s = spawnClient([join(repoRoot, 'mcp-server/bin/forcegate-mcp.js'), '--stdio', '--target-org', ALIAS, '--server', 'platform/sobject-reads', '--audit-log', join(auditDir, 'a.jsonl'), '--api-version', '66.0'], env);
        await s.client.connect(s.transport).catch((e: Error) => {
          throw new Error(`${e.message}: ${s.stderr()}`);
        });
        await s.client.listTools();
        return s.client;
      },
      async call(c) {
        const r = await c.callTool({ name: 'soqlQuery', arguments: { q: QUERY } });
        const total = (r.structuredContent as { totalSize?: number } | undefined)?.totalSize;
        if (r.isError || total !== ROWS) throw new Error(`ForceGate soqlQuery: ${JSON.stringify(r.content).slice(0, 300)}`);
      },
    };
    const salesforce: Side = {
      async start() {
        const s = spawnClient([bin, '--orgs', ALIAS, '--toolsets', 'data', '--no-telemetry'], env);
        await s.client.connect(s.transport).catch((e: Error) => {
          throw new Error(`${e.message}: ${s.stderr()}`);
        });
        await s.client.listTools();
        return s.client;
      },
      async call(c) {
        const r = await c.callTool({ name: 'run_soql_query', arguments: { query: QUERY, usernameOrAlias: ALIAS, directory: repoRoot } });
        const text = JSON.stringify(r.content);
        if (r.isError || !text.includes('Bench P7 0199')) throw new Error(`@salesforce/mcp run_soql_query: ${text.slice(0, 300)}`);
      },
    };

    const starts = ctx.quick ? 1 : 5;
    let fg: Client | undefined;
    let sfm: Client | undefined;
    const startup = await interleave(
      starts,
      async () => {
        if (fg) await fg.close().catch(() => undefined);
        open.push((fg = await forcegate.start()));
      },
      async () => {
        if (sfm) await sfm.close().catch(() => undefined);
        open.push((sfm = await salesforce.start()));
      },
    );
    // The servers of the last start-up sample serve the per-call comparison.
    const n = ctx.quick ? 5 : 200;
    await interleave(ctx.quick ? 2 : 10, () => forcegate.call(fg!), () => salesforce.call(sfm!));
    const calls = await interleave(n, () => forcegate.call(fg!), () => salesforce.call(sfm!));
    return {
      figures: [
        figure({ id: 'P7a', name: 'stdio, same SOQL (200 rows): ForceGate soqlQuery / @salesforce/mcp run_soql_query — per call (median)', measured: round(median(calls.a) / median(calls.b)), unit: '×', target: 0.5, kind: 'max', detail: `${round(median(calls.a), 2)} vs ${round(median(calls.b), 2)} ms, n=${n}` }),
        figure({ id: 'P7b', name: 'stdio start-up (spawn → tools/list): ForceGate / @salesforce/mcp', measured: round(median(startup.a) / median(startup.b)), unit: '×', target: 1, kind: 'max', detail: `${round(median(startup.a), 0)} vs ${round(median(startup.b), 0)} ms, n=${starts} (target: informational, not from the issue)` }),
      ],
    };
  } finally {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    sf.dispose();
    await local.close();
    rmSync(auditDir, { recursive: true, force: true });
  }
}
