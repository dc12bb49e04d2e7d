/**
 * Writes survive: a clean restart on the same data directory, and a `kill -9` of the CLI process
 * right after N acknowledged creates (each write commits together with its ApiTotalUsage row).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { personaToken } from '../../helpers/oauth.ts';
import { repoRoot, startTestOrg, tempDataDir } from '../../helpers/org.ts';

const V = '65.0';

async function createCase(orgUrl: string, token: string, subject: string): Promise<string> {
  const res = await fetch(`${orgUrl}/services/data/v${V}/sobjects/Case`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ Subject: subject }),
  });
  const body = (await res.json()) as { id: string };
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

describe('durability of sObject writes', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('records and their audit rows are there after a restart', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    let local = await startTestOrg({ dataDir });
    const token = await personaToken(local.url, 'rep@forcegate.local');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await createCase(local.url, token, `restart ${i}`));
    const patch = await fetch(`${local.url}/services/data/v${V}/sobjects/Case/${ids[0]}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Subject: 'restart 0 (edited)' }),
    });
    expect(patch.status).to.equal(204);
    await local.close();

    local = await startTestOrg({ dataDir });
    try {
      const rows = local.org.db.prepare(`SELECT Id, Subject FROM "Case" WHERE Id IN (${ids.map(() => '?').join(',')}) ORDER BY Subject`).all(...ids);
      expect(rows).to.have.length(3);
      expect(rows.map((r) => (r as { Subject: string }).Subject)).to.deep.equal(['restart 0 (edited)', 'restart 1', 'restart 2']);
      const audit = local.org.db
        .prepare(`SELECT http_method, status_code, entity_name FROM _api_usage WHERE api_resource LIKE '/sobjects/Case%' ORDER BY seq`)
        .all();
      expect(audit).to.deep.equal([
        ...ids.map(() => ({ http_method: 'POST', status_code: 201, entity_name: 'Case' })),
        { http_method: 'PATCH', status_code: 204, entity_name: 'Case' },
      ]);
    } finally {
      await local.close();
    }
  });

  it('kill -9 after N acknowledged creates loses none of them nor their ApiTotalUsage rows', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const N = 40;
    const child: ChildProcess = spawn('npx', ['tsx', 'local-org/src/cli.ts', '--port', '0', '--data', dataDir], {
      cwd: repoRoot,
      detached: true, // its own process group: npx → tsx → node all get the SIGKILL
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the CLI did not start: ${stderr}`)), 120_000);
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const m = /Local org ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`the CLI exited (${code}): ${stderr}`)));
      });
      const token = await personaToken(url, 'rep@forcegate.local');
      const acknowledged: string[] = [];
      for (let batch = 0; batch < N / 10; batch++) {
        acknowledged.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => createCase(url, token, `kill ${batch * 10 + i}`)))));
      }
      // More writes in flight while the process dies: they may or may not land, but never half.
      const inFlight = Array.from({ length: 10 }, (_, i) => createCase(url, token, `in flight ${i}`).catch(() => undefined));
      killGroup();
      await Promise.all(inFlight);
      await new Promise((r) => setTimeout(r, 200));
      expect(acknowledged).to.have.length(N);

      const local = await startTestOrg({ dataDir });
      try {
        const found = local.org.db
          .prepare(`SELECT COUNT(*) AS n FROM "Case" WHERE Id IN (${acknowledged.map(() => '?').join(',')})`)
          .get(...acknowledged) as { n: number };
        expect(found.n).to.equal(N);
        const cases = (local.org.db.prepare(`SELECT COUNT(*) AS n FROM "Case" WHERE Subject LIKE 'kill %' OR Subject LIKE 'in flight %'`).get() as { n: number }).n;
        const audits = (
          local.org.db
            .prepare(`SELECT COUNT(*) AS n FROM _api_usage WHERE api_resource = '/sobjects/Case' AND http_method = 'POST' AND status_code = 201`)
            .get() as { n: number }
        ).n;
        expect(cases).to.be.at.least(N);
        expect(audits, 'one audit row per committed create').to.equal(cases);
      } finally {
        await local.close();
      }
    } finally {
      killGroup();
    }
  });
});
