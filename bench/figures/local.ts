/**
 * P2 (per-call token validation against a cached JWKS) and P6 (local org SOQL on many Accounts as a
 * sharing-bound user vs the same SELECT on the SQLite table).
 */
import { startLocalOrg, type LocalOrg } from '../../local-org/src/local-org.ts';
import { runQuery } from '../../local-org/src/soql/index.ts';
import { mcpToken } from '../../local-org/test/helpers/oauth.ts';
import { repoRoot } from '../../local-org/test/helpers/sf.ts';
import { OrgTokenVerifier } from '../../mcp-server/src/auth/verifier.ts';
import { figure, interleave, median, RequestCounter, round, type BenchContext, type FigureSet } from '../lib.ts';

function userId(local: LocalOrg, username: string): string {
  const row = local.org.db.prepare('SELECT Id FROM "User" WHERE Username = ?').get(username) as { Id: string } | undefined;
  if (!row) throw new Error(`no user ${username}`);
  return row.Id;
}

export async function benchTokenValidation(ctx: BenchContext): Promise<FigureSet> {
  const local = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
  const counter = new RequestCounter(local.server);
  try {
    const resource = 'http://127.0.0.1:1/platform/mcp/v1/platform/sobject-reads';
    const tokens = await Promise.all(['rep@forcegate.local', 'auditor@forcegate.local'].map((u) => mcpToken(local.url, u, { resource })));
    const full = new OrgTokenVerifier({ orgUrl: local.url, memoize: false });
    const memo = new OrgTokenVerifier({ orgUrl: local.url });
    // First calls load discovery + JWKS (and fill the memo); they are not measured.
    for (const t of tokens) {
      await full.verify(t, resource);
      await memo.verify(t, resource);
    }
    counter.reset();
    const n = ctx.quick ? 200 : 5000;
    let i = 0;
    const s = await interleave(
      n,
      () => full.verify(tokens[i++ % tokens.length]!, resource),
      () => memo.verify(tokens[i % tokens.length]!, resource),
    );
    const fetches = counter.count;
    return {
      figures: [
        figure({ id: 'P2a', name: 'token validation per call (same token again: memoised verification)', measured: round(median(s.b), 4), unit: 'ms', target: 0.2, kind: 'max', detail: `n=${n}` }),
        figure({ id: 'P2b', name: 'token validation, full RS256 + claims check (new token, cached JWKS)', measured: round(median(s.a), 4), unit: 'ms', target: 0.2, kind: 'max', detail: `n=${n}; ${round(median(s.a) / median(s.b), 1)}× the memoised path` }),
        figure({ id: 'P2c', name: `org requests during ${2 * n} validations`, measured: fetches, unit: 'requests', target: 0, kind: 'max' }),
      ],
    };
  } finally {
    counter.dispose();
    await local.close();
  }
}

export async function benchLocalSoql(ctx: BenchContext): Promise<FigureSet> {
  const local = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
  try {
    const { org } = local;
    const rows = ctx.quick ? 2000 : 100_000;
    const owners = ['rep@forcegate.local', 'rep2@forcegate.local', 'manager@forcegate.local', 'admin@forcegate.local'].map((u) => userId(local, u));
    const account = org.schema.get('Account')!;
    ctx.log(`P6: inserting ${rows} Accounts and ${rows} Opportunities`);
    org.db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        org.store.insert(account, { Name: `Bench P6 ${String(i).padStart(6, '0')}`, Industry: i % 2 ? 'Technology' : 'Energy', OwnerId: owners[i % owners.length] }, owners[i % owners.length]!);
      }
    })();
    const opportunity = org.schema.get('Opportunity')!;
    org.db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        const owner = owners[i % owners.length]!;
        org.store.insert(opportunity, { Name: `Bench P6 Opp ${String(i).padStart(6, '0')}`, StageName: 'Prospecting', CloseDate: '2026-12-31', OwnerId: owner }, owner);
      }
    })();
    const user = org.access.forUser(owners[0]!);
    if (!user) throw new Error('no user context for rep');
    const n = ctx.quick ? 200 : 5000;
    let k = 0;
    // Names of records the rep can see (rows i with i % 4 === 0 are the rep's own).
    const pick = (prefix: string): string => `${prefix} ${String(((k++ * 7919) % Math.floor(rows / 4)) * 4).padStart(6, '0')}`;
    const pair = (object: string, prefix: string, fields: string): { engine: () => Promise<void>; sqlite: () => Promise<void> } => {
      const direct = org.db.prepare(`SELECT ${fields} FROM "${object}" WHERE Name = ? AND IsDeleted = 0`);
      return {
        engine: async () => {
          const r = runQuery(org, `SELECT ${fields} FROM ${object} WHERE Name = '${pick(prefix)}'`, { user, apiVersion: '66.0' });
          if (r.totalSize !== 1) throw new Error(`P6 engine returned ${r.totalSize} ${object} rows`);
        },
        sqlite: async () => {
          const r = direct.all(pick(prefix));
          if (r.length !== 1) throw new Error(`P6 SQLite returned ${r.length} ${object} rows`);
        },
      };
    };
    const acc = pair('Account', 'Bench P6', 'Id, Name, Industry, OwnerId');
    const opp = pair('Opportunity', 'Bench P6 Opp', 'Id, Name, StageName, OwnerId');
    await interleave(50, acc.engine, acc.sqlite);
    await interleave(50, opp.engine, opp.sqlite);
    const a = await interleave(n, acc.engine, acc.sqlite);
    const o = await interleave(n, opp.engine, opp.sqlite);
    const count = rows.toLocaleString('en-US');
    return {
      figures: [
        figure({
          id: 'P6a',
          name: `local org SOQL as a sales rep vs SQLite directly, ${count} Accounts, Name = literal (Account OWD Read: no sharing predicate applies)`,
          measured: round(median(a.a) / median(a.b), 2),
          unit: '×',
          target: 3,
          kind: 'max',
          detail: `median ${round(median(a.a), 4)} vs ${round(median(a.b), 4)} ms, n=${n}`,
        }),
        figure({
          id: 'P6b',
          name: `the same on ${count} Opportunities (OWD Private: the rep's sharing predicate applies)`,
          measured: round(median(o.a) / median(o.b), 2),
          unit: '×',
          target: 3,
          kind: 'max',
          detail: `median ${round(median(o.a), 4)} vs ${round(median(o.b), 4)} ms, n=${n}`,
        }),
      ],
    };
  } finally {
    await local.close();
  }
}
