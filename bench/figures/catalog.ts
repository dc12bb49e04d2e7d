/**
 * P3: tools/list of a custom server with 200 Named Query tools. The named queries and the
 * McpServerDefinition are generated into a temporary copy of the project and deployed by the local
 * org's start-up deploy (the same `deployComponents` path the Metadata API uses); the MCP server is
 * then started fresh for each cold sample, and org requests are counted at the org.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalOrg } from '../../local-org/src/local-org.ts';
import { mcpToken, personaToken } from '../../local-org/test/helpers/oauth.ts';
import { repoRoot } from '../../local-org/test/helpers/sf.ts';
import { AuditLog } from '../../mcp-server/src/audit/jsonl.ts';
import { startHttpServer } from '../../mcp-server/src/http/app.ts';
import { invalidateActionDescribes } from '../../mcp-server/src/org/actions.ts';
import { figure, median, openSession, RequestCounter, round, rpc, time, type BenchContext, type FigureSet } from '../lib.ts';

const SERVER = 'Bench_Catalog_200';

export function writeProject(dir: string, tools: number): void {
  for (const f of ['sfdx-project.json', 'config', 'force-app', 'scripts']) cpSync(join(repoRoot, f), join(dir, f), { recursive: true });
  const base = join(dir, 'force-app', 'main', 'default');
  mkdirSync(join(base, 'apiNamedQueries'), { recursive: true });
  const entries: string[] = [];
  for (let i = 0; i < tools; i++) {
    const name = `BenchQuery${String(i).padStart(3, '0')}`;
    writeFileSync(
      join(base, 'apiNamedQueries', `${name}.apiNamedQuery-meta.xml`),
      `<?xml version="1.0" encoding="UTF-8"?>
<ApiNamedQuery xmlns="http://soap.sforce.com/2006/04/metadata">
    <apiNamedQueryParameters>
        <description>Account name prefix ${i}.</description>
        <parameterLabel>Prefix</parameterLabel>
        <parameterName>prefix</parameterName>
    </apiNamedQueryParameters>
    <apiVersion>66.0</apiVersion>
    <body2>SELECT Id, Name, Industry FROM Account WHERE Name LIKE :prefix ORDER BY Name LIMIT ${10 + (i % 50)}</body2>
    <description>Benchmark query ${i}: accounts by name prefix.</description>
    <masterLabel>Bench Query ${i}</masterLabel>
</ApiNamedQuery>
`,
    );
    entries.push(`    <tools>
        <apiDefinition>
            <apiIdentifier>nq:${name}</apiIdentifier>
            <apiSource>API_CATALOG</apiSource>
            <operation>${name}</operation>
        </apiDefinition>
        <destructive>false</destructive>
        <idempotent>true</idempotent>
        <openWorld>false</openWorld>
        <readOnly>true</readOnly>
        <returnDirect>false</returnDirect>
        <toolName>bench_query_${i}</toolName>
    </tools>`);
  }
  writeFileSync(
    join(base, 'mcpServerDefinitions', `${SERVER}.mcpServerDefinition-meta.xml`),
    `<?xml version="1.0" encoding="UTF-8"?>
<McpServerDefinition xmlns="http://soap.sforce.com/2006/04/metadata">
    <description>Benchmark server with ${tools} named-query tools.</description>
    <masterLabel>Bench Catalog</masterLabel>
${entries.join('\n')}
</McpServerDefinition>
`,
  );
}

export async function activate(orgUrl: string, adminToken: string): Promise<void> {
  const base = `${orgUrl}/services/data/v66.0/tooling`;
  const headers = { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' };
  const q = await fetch(`${base}/query?q=${encodeURIComponent(`SELECT Id FROM McpServerDefinition WHERE DeveloperName = '${SERVER}'`)}`, { headers });
  const id = ((await q.json()) as { records?: { Id: string }[] }).records?.[0]?.Id;
  if (!id) throw new Error(`${SERVER} was not deployed`);
  const res = await fetch(`${base}/sobjects/McpServerAccess`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ DeveloperName: SERVER, MasterLabel: SERVER, Active: true, McpServerId: id }),
  });
  if (res.status >= 300) throw new Error(`activation failed: ${res.status} ${await res.text()}`);
}

export async function benchCatalog(ctx: BenchContext): Promise<FigureSet> {
  const tools = ctx.quick ? 20 : 200;
  const dir = mkdtempSync(join(tmpdir(), 'forcegate-bench-project-'));
  const auditDir = mkdtempSync(join(tmpdir(), 'forcegate-bench-audit-'));
  writeProject(dir, tools);
  ctx.log(`P3: deploying ${tools} named queries + ${SERVER}`);
  const local = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: dir });
  const counter = new RequestCounter(local.server);
  const audit = new AuditLog(join(auditDir, 'audit.jsonl'));
  try {
    await activate(local.url, await personaToken(local.url, 'admin'));
    const coldSamples = ctx.quick ? 1 : 5;
    const warmSamples = ctx.quick ? 20 : 300;
    const cold: number[] = [];
    const trips: number[] = [];
    const warm: number[] = [];
    for (let s = 0; s < coldSamples; s++) {
      // A fresh server: no activation, catalog, describe or JWKS cache (describes are cached per
      // module, so they are dropped too).
      invalidateActionDescribes();
      const mcp = await startHttpServer({ orgUrl: local.url, port: 0, audit, log: () => undefined, pollIntervalMs: 3_600_000, apiVersion: '66.0' });
      const url = `${mcp.url}/platform/mcp/v1/custom/${SERVER}`;
      const token = await mcpToken(local.url, 'rep@forcegate.local', { resource: url });
      // Raw JSON-RPC: the server's answer time, not the SDK client's per-list schema compilation.
      let sid = '';
      const list = async (): Promise<number> => ((await rpc(url, token, sid, 'tools/list')).tools as unknown[]).length;
      try {
        counter.reset();
        let listed = 0;
        cold.push(
          await time(async () => {
            sid = await openSession(url, token);
            listed = await list();
          }),
        );
        trips.push(counter.count);
        if (listed !== tools) throw new Error(`tools/list returned ${listed} tools, expected ${tools}: ${counter.paths.join(' ')}`);
        if (s === coldSamples - 1) {
          for (let i = 0; i < warmSamples; i++) warm.push(await time(list));
        }
      } finally {
        await mcp.close();
      }
    }
    return {
      figures: [
        figure({ id: 'P3a', name: `tools/list, ${tools} Named Query tools — cold (initialize + first list on a fresh server)`, measured: round(median(cold), 1), unit: 'ms', target: 300, kind: 'max', detail: `median of ${coldSamples} fresh servers` }),
        figure({ id: 'P3b', name: `tools/list, ${tools} tools — warm (same session)`, measured: round(median(warm), 2), unit: 'ms', target: 5, kind: 'max', detail: `n=${warmSamples}; ${round(median(cold) / median(warm), 0)}× faster than cold` }),
        figure({ id: 'P3c', name: `tools/list, ${tools} tools — org round trips when cold`, measured: Math.max(...trips), unit: 'requests', target: 10, kind: 'max', detail: `max of ${coldSamples}` }),
      ],
    };
  } finally {
    counter.dispose();
    await audit.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(auditDir, { recursive: true, force: true });
  }
}
