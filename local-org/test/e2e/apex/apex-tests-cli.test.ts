/**
 * `sf apex run test` (the real CLI, @salesforce/apex-node) against the local org: synchronous runs
 * through `tooling/runTestsSynchronous`, asynchronous RunLocalTests through
 * `tooling/runTestsAsynchronous` and the CLI's polling of ApexTestRunResult / ApexTestQueueItem /
 * ApexTestResult, with coverage from ApexCodeCoverage / ApexCodeCoverageAggregate /
 * ApexOrgWideCoverage. Only users with Author Apex / Modify All Data may run tests.
 */
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { personaToken } from '../../helpers/oauth.ts';
import { startTestOrg } from '../../helpers/org.ts';
import { SfCli } from '../../helpers/sf.ts';

const V = '66.0';
const ADMIN = 'admin@forcegate.local';
const REP = 'rep@forcegate.local';

interface TestRunOutput {
  summary: {
    outcome: string;
    testsRan: number;
    passing: number;
    failing: number;
    testRunId: string;
    testRunCoverage?: string;
    orgWideCoverage?: string;
  };
  tests: { FullName: string; Outcome: string; MethodName: string; ApexClass: { Name: string } }[];
  coverage?: { coverage: { name: string; totalLines: number; totalCovered: number; coveredPercent: number; lines: Record<string, number> }[] };
}

describe('apex: sf apex run test', function () {
  this.timeout(300_000);
  let local: LocalOrg;
  let sf: SfCli;
  const tokens: Record<string, string> = {};
  const query = async (soql: string) =>
    (await (await fetch(`${local.url}/services/data/v${V}/tooling/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${tokens[ADMIN]}` } })).json()) as {
      records: Record<string, unknown>[];
    };

  before(async () => {
    local = await startTestOrg();
    for (const u of [ADMIN, REP]) tokens[u] = await personaToken(local.url, u);
    sf = new SfCli();
    for (const [u, alias] of [[ADMIN, 'admin'], [REP, 'rep']] as const) {
      const login = await sf.loginWithToken(local.url, tokens[u]!, alias);
      expect(login.code, login.stderr + login.stdout).to.equal(0);
    }
  });
  after(async () => {
    sf?.dispose();
    await local?.close();
  });

  it('runs one class synchronously with coverage', async () => {
    const r = await sf.run<TestRunOutput>(['apex', 'run', 'test', '--synchronous', '--class-names', 'CreateSupportCaseTest', '--code-coverage', '-o', 'admin', '--json']);
    expect(r.json, r.stdout + r.stderr).to.not.equal(undefined);
    const result = r.json!.result;
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(result.summary.outcome).to.equal('Passed');
    expect(result.summary.testsRan).to.be.greaterThan(5);
    expect(result.summary.failing).to.equal(0);
    expect(result.tests.every((t) => t.Outcome === 'Pass' && t.ApexClass.Name === 'CreateSupportCaseTest')).to.equal(true);
    expect(result.summary.testRunCoverage).to.match(/^\d+%$/);
    expect(parseInt(result.summary.testRunCoverage!, 10)).to.be.greaterThan(50);
    expect(result.summary.orgWideCoverage).to.match(/^\d+%$/);
    const covered = result.coverage!.coverage.find((c) => c.name === 'CreateSupportCase')!;
    expect(covered.totalLines).to.be.greaterThan(50);
    expect(covered.totalCovered).to.be.greaterThan(50);
    // Per-method coverage, as the CLI reads it (its JSON output leaves perClassCoverage out).
    const perMethod = await query(
      "SELECT ApexTestClass.Name, TestMethodName, ApexClassOrTrigger.Name, NumLinesCovered, NumLinesUncovered, Coverage FROM ApexCodeCoverage WHERE TestMethodName = 'createsCaseWithDefaults'",
    );
    expect(perMethod.records).to.have.length.greaterThan(0);
    const row = perMethod.records.find((x) => (x.ApexClassOrTrigger as { Name: string }).Name === 'CreateSupportCase')!;
    expect((row.ApexTestClass as { Name: string }).Name).to.equal('CreateSupportCaseTest');
    expect((row.Coverage as { coveredLines: number[] }).coveredLines).to.have.length(row.NumLinesCovered as number);
  });

  it('runs a single method synchronously with --tests Class.method', async () => {
    const r = await sf.run<TestRunOutput>(['apex', 'run', 'test', '--synchronous', '--tests', 'CreateSupportCaseTest.createsCaseWithDefaults', '--code-coverage', '-o', 'admin', '--json']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.json!.result.summary.testsRan).to.equal(1);
    expect(r.json!.result.tests.map((t) => t.FullName)).to.deep.equal(['CreateSupportCaseTest.createsCaseWithDefaults']);
  });

  it('runs RunLocalTests asynchronously: all 37 force-app test methods pass, with coverage', async () => {
    const r = await sf.run<TestRunOutput>(['apex', 'run', 'test', '--test-level', 'RunLocalTests', '--code-coverage', '--wait', '5', '-o', 'admin', '--json']);
    expect(r.json, r.stdout + r.stderr).to.not.equal(undefined);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const result = r.json!.result;
    expect(result.summary.testRunId).to.match(/^707/);
    expect(result.summary.outcome).to.equal('Passed');
    expect(result.summary.testsRan).to.equal(37);
    expect(result.summary.passing).to.equal(37);
    expect(result.tests.filter((t) => t.Outcome !== 'Pass').map((t) => t.FullName)).to.deep.equal([]);
    expect(new Set(result.tests.map((t) => t.ApexClass.Name)).size).to.equal(5);
    expect(parseInt(result.summary.testRunCoverage!, 10)).to.be.greaterThan(50);
    expect(parseInt(result.summary.orgWideCoverage!, 10)).to.be.greaterThan(50);
    // The run's records are in the Tooling API.
    const q = query;
    const job = await q(`SELECT Id, Status, JobType FROM AsyncApexJob WHERE Id = '${result.summary.testRunId}'`);
    expect(job.records[0]).to.include({ Status: 'Completed', JobType: 'TestRequest' });
    const items = await q(`SELECT Id, Status, ApexClass.Name FROM ApexTestQueueItem WHERE ParentJobId = '${result.summary.testRunId}'`);
    expect(items.records).to.have.length(5);
    const agg = await q("SELECT ApexClassOrTrigger.Name, NumLinesCovered, NumLinesUncovered, Coverage FROM ApexCodeCoverageAggregate WHERE ApexClassOrTrigger.Name = 'CreateSupportCase'");
    const cov = agg.records[0]!.Coverage as { coveredLines: number[]; uncoveredLines: number[] };
    expect(cov.coveredLines.length).to.equal(agg.records[0]!.NumLinesCovered);
    expect(cov.uncoveredLines.length).to.equal(agg.records[0]!.NumLinesUncovered);
  });

  it('refuses a user without Author Apex', async () => {
    const r = await sf.run(['apex', 'run', 'test', '--synchronous', '--class-names', 'CreateSupportCaseTest', '-o', 'rep', '--json']);
    expect(r.code).to.not.equal(0);
    expect(`${r.json?.name ?? ''} ${r.json?.message ?? ''}`).to.match(/INSUFFICIENT_ACCESS|Author Apex/);
    const a = await sf.run(['apex', 'run', 'test', '--test-level', 'RunLocalTests', '--wait', '1', '-o', 'rep', '--json']);
    expect(a.code).to.not.equal(0);
    expect(`${a.json?.name ?? ''} ${a.json?.message ?? ''}`).to.match(/INSUFFICIENT_ACCESS|Author Apex/);
    const direct = await fetch(`${local.url}/services/data/v${V}/tooling/runTestsAsynchronous`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[REP]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ testLevel: 'RunLocalTests' }),
    });
    expect(direct.status).to.equal(403);
    expect(((await direct.json()) as { errorCode: string }[])[0]!.errorCode).to.equal('INSUFFICIENT_ACCESS');
  });
});
