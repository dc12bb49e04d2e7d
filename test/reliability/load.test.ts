/**
 * Load: N concurrent MCP sessions (spread over the five personas that may use MCP) × M mixed tool
 * calls each against one server → zero errors, exactly one audit line per call, and the org's
 * ApiTotalUsage rows for ForceGate equal to the org calls the audit log reports.
 *
 * npm test: 10 × 20. FORCEGATE_LONG_TESTS=1: 50 × 1000 (the figure).
 */
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHarness, type Harness } from '../../mcp-server/test/helpers/harness.ts';
import { LONG, soql, textOf, withTimeout } from '../security/helpers.ts';

const SESSIONS = Number(process.env.FORCEGATE_LOAD_SESSIONS ?? (LONG ? 50 : 10));
const CALLS = Number(process.env.FORCEGATE_LOAD_CALLS ?? (LONG ? 1000 : 20));
const USERS = ['admin@forcegate.local', 'rep@forcegate.local', 'rep2@forcegate.local', 'manager@forcegate.local', 'auditor@forcegate.local'];
const SERVER = 'platform/sobject-all';

interface UsageRow {
  http_method: string;
  api_resource: string;
}
const lastSeq = (h: Harness): number => (h.org.org.db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM _api_usage').get() as { n: number }).n;
const forceGateRowsSince = (h: Harness, seq: number): UsageRow[] =>
  h.org.org.db.prepare("SELECT http_method, api_resource FROM _api_usage WHERE client_name = 'ForceGate' AND seq > ?").all(seq) as UsageRow[];
/** The change watcher polls each open server's catalog with a user's token at most every 30 s (a few GETs per poll). */
const WATCHER_POLL_MS = 30_000;

describe(`reliability: load (${SESSIONS} sessions × ${CALLS} calls)`, function () {
  this.timeout(LONG ? 3_600_000 : 120_000);
  let h: Harness;

  before(async () => {
    // No background activation re-reads; catalog polls (at most every 30 s) only in the long run.
    h = await startHarness({ activationTtlMs: 3_600_000, pollIntervalMs: WATCHER_POLL_MS });
    await h.setActive(SERVER, true);
  });
  after(async () => h?.close());

  it('zero errors; audit lines = calls; ApiTotalUsage ForceGate rows = org calls of the audited tool calls', async () => {
    const clients: { user: string; client: Client; accountId: string }[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const user = USERS[i % USERS.length]!;
      const client = await h.connect(user, SERVER);
      clients.push({ user, client, accountId: '' });
    }
    // Warm each user's describe caches and find an Account they can see (setup calls, not counted).
    for (const c of clients) c.accountId = (await soql(c.client, 'SELECT Id FROM Account ORDER BY Name LIMIT 1'))[0]!.Id;
    await h.audit.flush();
    const auditBefore = (await h.auditLines()).length;
    const seqBefore = lastSeq(h);

    const mix = (c: (typeof clients)[number], i: number): { name: string; arguments: Record<string, unknown> } => {
      switch (i % 7) {
        case 0:
          return { name: 'getUserInfo', arguments: {} };
        case 1:
          return { name: 'soqlQuery', arguments: { q: 'SELECT Id, Name, StageName FROM Opportunity ORDER BY Name LIMIT 20' } };
        case 2:
          return { name: 'find', arguments: { q: 'Acme', 'sobject-names': ['Account', 'Contact'] } };
        case 3:
          return { name: 'getObjectSchema', arguments: { 'object-name': 'Case' } };
        case 4:
          return { name: 'listRecentSobjectRecords', arguments: { 'sobject-name': 'Account', limit: 5 } };
        case 5:
          return { name: 'getRelatedRecords', arguments: { 'sobject-name': 'Account', id: c.accountId, 'relationship-path': 'Contacts' } };
        default:
          // A write for those who may create Cases; a read for the Read Only auditor.
          return c.user.startsWith('auditor')
            ? { name: 'soqlQuery', arguments: { q: 'SELECT Id FROM Case LIMIT 5' } }
            : { name: 'createSobjectRecord', arguments: { 'sobject-name': 'Task', body: { Subject: `load ${i}`, Status: 'Not Started', Priority: 'Normal' } } };
      }
    };

    const errors: string[] = [];
    let creates = 0;
    const t0 = performance.now();
    const latencies: number[] = [];
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < CALLS; i++) {
          const req = mix(c, i);
          if (req.name === 'createSobjectRecord') creates++;
          const s = performance.now();
          try {
            const r = await withTimeout(c.client.callTool(req), 30_000, `${c.user} ${req.name}`);
            if (r.isError) errors.push(`${c.user} ${req.name}: ${textOf(r).slice(0, 200)}`);
          } catch (e) {
            errors.push(`${c.user} ${req.name}: ${String(e).slice(0, 200)}`);
          }
          latencies.push(performance.now() - s);
        }
      }),
    );
    const elapsed = performance.now() - t0;
    const total = SESSIONS * CALLS;
    latencies.sort((a, b) => a - b);
    const p = (q: number): string => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
    console.log(`      ${total} calls in ${(elapsed / 1000).toFixed(1)} s (${(total / (elapsed / 1000)).toFixed(0)}/s), p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, p99 ${p(0.99)} ms`);

    expect(errors, errors.slice(0, 5).join('\n')).to.deep.equal([]);
    const lines = (await h.auditLines()).slice(auditBefore);
    expect(lines).to.have.length(total);
    expect(lines.every((l) => l.event === 'tool_call' && l.outcome === 'success')).to.equal(true);
    for (const u of USERS) expect(lines.filter((l) => l.username === u).length).to.equal(clients.filter((c) => c.user === u).length * CALLS);
    const orgCalls = lines.reduce((n, l) => n + (l.orgCalls as number), 0);
    expect(orgCalls).to.be.at.least(total - lines.filter((l) => l.tool === 'getUserInfo' || l.tool === 'getObjectSchema').length);
    // Every org call of an audited tool call has its ApiTotalUsage row; the only other ForceGate rows
    // are the change watcher's reads of activation and the catalog (Tooling / API Catalog), which no
    // standard tool calls — all GETs, a few per poll. (The org's REST responses carry no request id to
    // match rows one by one: real orgs send none either, as far as the reference knows.)
    const rows = forceGateRowsSince(h, seqBefore);
    const background = rows.filter((r) => /\/tooling\/|\/api-catalog\//.test(r.api_resource));
    expect(rows.length - background.length, 'ApiTotalUsage rows of tool calls = org calls in the audit log').to.equal(orgCalls);
    expect(background.filter((r) => r.http_method !== 'GET'), 'no write outside a tool call').to.deep.equal([]);
    const polls = Math.ceil(elapsed / WATCHER_POLL_MS) + 1;
    expect(background.length, 'background reads stay within the watcher\'s polls').to.be.at.most(polls * 5);
    expect((h.org.org.db.prepare("SELECT COUNT(*) AS n FROM Task WHERE Subject LIKE 'load %'").get() as { n: number }).n).to.equal(creates);
  });
});
