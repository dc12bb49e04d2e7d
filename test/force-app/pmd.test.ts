/**
 * PMD through Salesforce Code Analyzer core (@salesforce/code-analyzer-core 0.52.0 with
 * @salesforce/code-analyzer-pmd-engine 0.46.0; Java 17 from PATH), the offline route described in
 * the toolchain notes, since the sf code-analyzer plugin does not install from this registry.
 *
 * One run covers force-app plus a deliberately insecure fixture class written next to it, so the
 * same run proves that the engine really analyzed Apex and that the security rules fire
 * (ApexCRUDViolation, ApexSharingViolations, ApexSOQLInjection) before it asserts that force-app
 * itself has zero violations of the Security rules, and zero of the Recommended rules.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CodeAnalyzer, CodeAnalyzerConfig, type RunResults, type Violation } from '@salesforce/code-analyzer-core';
import { createEnginePlugin } from '@salesforce/code-analyzer-pmd-engine';
import { FORCE_APP, PROJECT_DIR, listFiles, rel } from './support.ts';

// Per process, so parallel runs do not delete each other's fixture; test-artifacts/ is git-ignored.
const FIXTURE_DIR = join(PROJECT_DIR, 'test-artifacts', `pmd-fixture-${process.pid}`);
const FIXTURE_CLASS = join(FIXTURE_DIR, 'InsecureFixture.cls');
const FIXTURE_SOURCE = `/**
 * @description Deliberately insecure: no sharing keyword, system-mode SOQL and DML, and a
 * query string built from user input.
 */
public class InsecureFixture {
    /**
     * @description Renames an account found by name.
     * @param name account name from the caller
     */
    public static void rename(String name) {
        List<Account> accounts = Database.query('SELECT Id FROM Account WHERE Name = \\'' + name + '\\'');
        for (Account a : accounts) {
            a.Name = a.Name + ' (renamed)';
        }
        update accounts;
    }
}
`;

/** Security rules the analysis must include (a subset of pmd:Security). */
const REQUIRED_SECURITY_RULES = [
  'ApexCRUDViolation',
  'ApexSharingViolations',
  'ApexSOQLInjection',
  'ApexXSSFromURLParam',
  'ApexOpenRedirect',
  'ApexInsecureEndpoint',
  'ApexBadCrypto',
  'ApexDangerousMethods',
  'ApexSuggestUsingNamedCred',
];

function describeViolation(v: Violation): string {
  const location = v.getCodeLocations()[0];
  const where = location?.getFile() ? `${rel(location.getFile()!)}:${location.getStartLine() ?? '?'}` : '?';
  return `${v.getRule().getName()} (sev ${v.getRule().getSeverityLevel()}) ${where} ${v.getMessage()}`;
}

function fileOf(v: Violation): string {
  return v.getCodeLocations()[0]?.getFile() ?? '';
}

describe('force-app: PMD Security and Recommended rules (Code Analyzer core)', function () {
  let results: RunResults;
  let selectedRules: string[];
  let securityRules: string[];
  let targetedApexFiles: string[];

  before(async function () {
    this.timeout(300_000); // PMD starts a JVM; the first run on a busy machine can take a while.
    mkdirSync(FIXTURE_DIR, { recursive: true });
    writeFileSync(FIXTURE_CLASS, FIXTURE_SOURCE);
    const analyzer = new CodeAnalyzer(CodeAnalyzerConfig.withDefaults());
    await analyzer.addEnginePlugin(createEnginePlugin());
    const workspace = await analyzer.createWorkspace([FORCE_APP, FIXTURE_DIR]);
    targetedApexFiles = (await workspace.getTargetedFiles()).filter((f) => f.endsWith('.cls'));
    const selection = await analyzer.selectRules(['pmd:Security', 'pmd:Recommended'], { workspace });
    const rules = selection.getRulesFor('pmd');
    selectedRules = rules.map((r) => r.getName());
    securityRules = rules.filter((r) => r.getTags().includes('Security')).map((r) => r.getName());
    results = await analyzer.run(selection, { workspace });
  });

  after(() => {
    rmSync(FIXTURE_DIR, { recursive: true, force: true });
  });

  it('targets every Apex class of force-app (plus the fixture)', () => {
    const classes = listFiles(FORCE_APP).filter((f) => f.endsWith('.cls'));
    expect(classes.length).to.be.at.least(10);
    expect([...targetedApexFiles].sort()).to.deep.equal([...classes, FIXTURE_CLASS].sort());
  });

  it('selects the PMD security rules', () => {
    expect(selectedRules.length, 'rules selected').to.be.at.least(50);
    expect(securityRules).to.include.members(REQUIRED_SECURITY_RULES);
  });

  it('finds the planted CRUD, sharing and SOQL-injection problems in the fixture (the engine really ran)', () => {
    const fixtureRules = results.getViolations().filter((v) => fileOf(v) === FIXTURE_CLASS).map((v) => v.getRule().getName());
    expect(fixtureRules).to.include.members(['ApexCRUDViolation', 'ApexSharingViolations', 'ApexSOQLInjection']);
  });

  it('reports zero Security violations in force-app', () => {
    const violations = results
      .getViolations()
      .filter((v) => fileOf(v).startsWith(FORCE_APP))
      .filter((v) => v.getRule().getTags().includes('Security') || REQUIRED_SECURITY_RULES.includes(v.getRule().getName()));
    expect(violations.map(describeViolation)).to.deep.equal([]);
  });

  it('reports zero Recommended violations in force-app', () => {
    const violations = results.getViolations().filter((v) => fileOf(v).startsWith(FORCE_APP));
    expect(violations.map(describeViolation)).to.deep.equal([]);
  });
});
