/**
 * Apex through the platform's own entry points, as each persona: invocable actions
 * (`/actions/custom/apex/<Class>`), Apex REST (`/services/apexrest/…`), anonymous Apex over the
 * Tooling API and through the real `sf apex run` (Apex SOAP executeAnonymous).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { startTestOrg } from '../../helpers/org.ts';
import { SfCli } from '../../helpers/sf.ts';

const V = '66.0';
const ADMIN = 'admin@forcegate.local';
const REP = 'rep@forcegate.local';
const REP2 = 'rep2@forcegate.local';
const AUDITOR = 'auditor@forcegate.local';

interface ActionResult {
  actionName: string;
  isSuccess: boolean;
  errors: { statusCode: string; message: string; fields: string[] }[] | null;
  outputValues: Record<string, unknown> | null;
}

describe('apex: entry points', function () {
  this.timeout(240_000);
  let local: LocalOrg;
  const tokens: Record<string, string> = {};
  let acme: string;
  const call = async (user: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${local.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as unknown };
  };
  const invoke = (user: string, action: string, inputs: unknown[]) => call(user, 'POST', `/services/data/v${V}/actions/custom/apex/${action}`, { inputs });
  const count = (sql: string, ...args: unknown[]) => (local.org.db.prepare(sql).get(...args) as { n: number }).n;

  before(async () => {
    local = await startTestOrg();
    for (const u of [ADMIN, REP, REP2, AUDITOR]) tokens[u] = await personaToken(local.url, u);
    acme = (local.org.db.prepare("SELECT Id FROM Account WHERE Name = 'Acme Corporation'").get() as { Id: string }).Id;
  });
  after(async () => local?.close());

  it('runs an invocable action as the caller: per-item results with the caller’s own counts', async () => {
    const rep = await invoke(REP, 'AccountHealthSummary', [{ accountId: acme }]);
    expect(rep.status).to.equal(200);
    const [r] = rep.json as ActionResult[];
    expect(r).to.deep.include({ actionName: 'AccountHealthSummary', isSuccess: true, errors: null });
    expect(r!.outputValues).to.include({ accountId: acme, accountName: 'Acme Corporation' });
    const admin = ((await invoke(ADMIN, 'AccountHealthSummary', [{ accountId: acme }])).json as ActionResult[])[0]!;
    // Case and Opportunity OWDs are Private: the admin sees at least what the rep sees.
    expect(admin.outputValues!.openCaseCount as number).to.be.at.least(r!.outputValues!.openCaseCount as number);
    const rep2 = ((await invoke(REP2, 'AccountHealthSummary', [{ accountId: acme }])).json as ActionResult[])[0]!;
    expect(rep2.isSuccess).to.equal(true);
  });

  it('turns an uncaught custom exception into the item error, answers 400 and writes nothing', async () => {
    const before = count('SELECT COUNT(*) AS n FROM "Case"');
    const r = await invoke(REP, 'CreateSupportCase', [
      { accountId: acme, subject: 'Printer on fire' },
      { accountId: acme, subject: 'Bad priority', priority: 'Urgent' },
    ]);
    expect(r.status).to.equal(400);
    const results = r.json as ActionResult[];
    expect(results).to.have.length(2);
    for (const x of results) {
      expect(x.isSuccess).to.equal(false);
      expect(x.errors![0]!.statusCode).to.equal('UNKNOWN_EXCEPTION');
      expect(x.errors![0]!.message).to.equal('An Apex error occurred: ForceGateActionException: priority "Urgent" is not allowed. Use one of: Low, Medium, High.');
    }
    expect(count('SELECT COUNT(*) AS n FROM "Case"')).to.equal(before);
  });

  it('writes in user mode: the rep creates a Case and logs a call; the read-only auditor is refused', async () => {
    const ok = await invoke(REP, 'CreateSupportCase', [{ accountId: acme, subject: 'Invoices not syncing', priority: 'High' }]);
    expect(ok.status, JSON.stringify(ok.json)).to.equal(200);
    const out = (ok.json as ActionResult[])[0]!.outputValues!;
    const row = local.org.db.prepare('SELECT Subject, Priority, OwnerId, CaseNumber FROM "Case" WHERE Id = ?').get(out.caseId) as Record<string, string>;
    expect(row).to.include({ Subject: 'Invoices not syncing', Priority: 'High', CaseNumber: out.caseNumber });
    const owner = (local.org.db.prepare('SELECT Id FROM "User" WHERE Username = ?').get(REP) as { Id: string }).Id;
    expect(row.OwnerId).to.equal(owner);
    const call = await invoke(REP, 'LogCallActivity', [{ recordId: out.caseId, callOutcome: 'Connected', callDate: new Date().toISOString().slice(0, 10), durationMinutes: 5 }]);
    expect(call.status, JSON.stringify(call.json)).to.equal(200);
    // The auditor has no class access to the write actions: not found, as on the platform.
    expect((await invoke(AUDITOR, 'CreateSupportCase', [{ accountId: acme, subject: 'x' }])).status).to.equal(404);
  });

  it('serves the @RestResource class at /services/apexrest with its own status codes', async () => {
    const ok = await call(REP, 'GET', `/services/apexrest/forcegate/accounts/${acme}`);
    expect(ok.status).to.equal(200);
    expect(ok.json).to.deep.include({ success: true, accountId: acme, name: 'Acme Corporation' });
    const bad = await call(REP, 'GET', '/services/apexrest/forcegate/accounts/not-an-id');
    expect(bad.status).to.equal(400);
    expect(bad.json).to.deep.include({ success: false, errorCode: 'INVALID_ID' });
    expect((await call(REP, 'GET', '/services/apexrest/forcegate/nothing-here')).status).to.equal(404);
  });

  it('runs anonymous Apex over the Tooling API for users with Author Apex only', async () => {
    const body = encodeURIComponent("Account a = [SELECT Name FROM Account WHERE Name = 'Acme Corporation' LIMIT 1];\nSystem.assertEquals('Acme Corporation', a.Name);");
    const ok = await call(ADMIN, 'GET', `/services/data/v${V}/tooling/executeAnonymous/?anonymousBody=${body}`);
    expect(ok.json).to.deep.equal({ line: -1, column: -1, compiled: true, success: true, compileProblem: null, exceptionStackTrace: null, exceptionMessage: null });
    const broken = await call(ADMIN, 'GET', `/services/data/v${V}/tooling/executeAnonymous/?anonymousBody=${encodeURIComponent('Integer i = ;')}`);
    expect(broken.json).to.deep.include({ compiled: false, success: false, line: 1 });
    expect((await call(REP, 'GET', `/services/data/v${V}/tooling/executeAnonymous/?anonymousBody=${body}`)).status).to.equal(403);
  });

  it('sf apex run executes a file and returns its debug log', async () => {
    const sf = new SfCli();
    try {
      const login = await sf.loginWithToken(local.url, tokens[ADMIN]!, 'admin');
      expect(login.code, login.stderr + login.stdout).to.equal(0);
      const file = join(sf.home, 'hello.apex');
      writeFileSync(file, "System.debug('hello from ' + UserInfo.getUserName());\n");
      const r = await sf.run<{ success: boolean; compiled: boolean; logs: string }>(['apex', 'run', '--file', file, '-o', 'admin', '--json']);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.json!.result).to.deep.include({ success: true, compiled: true });
      expect(r.json!.result.logs).to.include(`hello from ${ADMIN}`);
    } finally {
      sf.dispose();
    }
  });
});
