/**
 * The Tooling API's test runner, as `sf apex run test` (@salesforce/apex-node) uses it:
 *
 * - `POST /services/data/vXX.X/tooling/runTestsSynchronous` `{tests: [{className|classId, testMethods?}],
 *   testLevel?, skipCodeCoverage?}` → the platform's RunTestsResult (numTestsRun, numFailures,
 *   totalTime, successes, failures, codeCoverage, codeCoverageWarnings, apexLogId). The CLI then
 *   reads per-method coverage from `ApexCodeCoverage`, totals from `ApexCodeCoverageAggregate` and
 *   `ApexOrgWideCoverage`, so those are written by synchronous runs too.
 * - `POST /services/data/vXX.X/tooling/runTestsAsynchronous` `{tests? | classNames? | classids?,
 *   testLevel?, skipCodeCoverage?}` → the `707` AsyncApexJob Id as a JSON string. The job, its
 *   ApexTestRunResult and one ApexTestQueueItem per class are written Queued before the reply; the
 *   run executes right after the reply (setImmediate) and writes ApexTestResult rows and coverage,
 *   then marks everything Completed. The CLI polls `ApexTestRunResult` / `ApexTestQueueItem` through
 *   `/tooling/query` (apex-node's `runTests` polls; only `sf apex get test` uses the Streaming API).
 *
 * Each test method runs on its own (apex/runtime.ts `runApexTests` with one method: @TestSetup,
 * SeeAllData=false, rollback) so coverage is known per test method, as ApexCodeCoverage reports it.
 * Running tests needs Author Apex or Modify All Data (INSUFFICIENT_ACCESS otherwise; the platform's
 * exact message is UNCONFIRMED). Test suites (`suiteNames`) are not supported.
 */
import { ApiError } from '../http/errors.ts';
import type { Router } from '../http/router.ts';
import { newId } from '../ids.ts';
import type { OrgContext } from '../org/context.ts';
import { requireVersion } from '../rest/versions.ts';
import type { FieldDef } from '../schema/types.ts';
import type { UserContext } from '../security/types.ts';
import { q } from '../storage/database.ts';
import { toStored } from '../storage/record-store.ts';
import { ApexCompileError, type MethodDecl } from './ast.ts';
import { programFor, type ClassInfo, type Program } from './program.ts';
import { runApexTests, testClasses, type TestMethodResult } from './runtime.ts';

interface TestItem {
  className?: string;
  classId?: string;
  namespace?: string;
  testMethods?: string[];
}

interface RunRequest {
  tests?: TestItem[];
  classNames?: string;
  classids?: string;
  suiteNames?: string;
  suiteids?: string;
  testLevel?: string;
  skipCodeCoverage?: boolean;
}

interface Selection {
  cls: ClassInfo;
  classId: string;
  methods: MethodDecl[];
}

interface MethodRun extends TestMethodResult {
  classId: string;
  startedAt: string;
  /** Covered class name → covered lines, for this method only. */
  covered: Map<string, Set<number>>;
}

interface RunOutcome {
  runs: MethodRun[];
  /** Covered class name → lines covered by any method of the run. */
  covered: Map<string, Set<number>>;
  totalMs: number;
}

function isTestMethod(m: MethodDecl): boolean {
  return m.isStatic && (m.annotations.some((a) => a.name === 'istest') || m.modifiers.includes('testmethod'));
}

function classIds(org: OrgContext): Map<string, string> {
  const rows = org.db.prepare("SELECT full_name, id FROM _metadata WHERE type = 'ApexClass'").all() as { full_name: string; id: string }[];
  return new Map(rows.map((r) => [r.full_name.toLowerCase(), r.id]));
}

function requireTestPermission(user: UserContext): void {
  if (!user.hasPermission('AuthorApex') && !user.hasPermission('ModifyAllData')) {
    throw new ApiError(403, 'INSUFFICIENT_ACCESS', 'You do not have the Author Apex permission, which is required to run Apex tests.');
  }
}

function loadProgram(org: OrgContext): Program {
  try {
    return programFor(org);
  } catch (e) {
    if (e instanceof ApexCompileError) throw new ApiError(400, 'COMPILE_ERROR', e.message);
    throw e;
  }
}

/** The test classes and methods a request names, in request order (all local test classes for RunLocalTests / RunAllTestsInOrg). */
export function resolveSelection(org: OrgContext, program: Program, req: RunRequest): Selection[] {
  const ids = classIds(org);
  const nameById = new Map([...ids].map(([name, id]) => [id.slice(0, 15), name]));
  if (req.suiteNames || req.suiteids) throw new ApiError(400, 'INVALID_INPUT', 'Apex test suites are not supported by the local org.');
  const items: TestItem[] = [...(req.tests ?? [])];
  for (const n of (req.classNames ?? '').split(',').map((s) => s.trim()).filter(Boolean)) items.push({ className: n });
  for (const id of (req.classids ?? '').split(',').map((s) => s.trim()).filter(Boolean)) items.push({ classId: id });
  const level = req.testLevel ?? (items.length ? 'RunSpecifiedTests' : undefined);
  if (level === 'RunLocalTests' || level === 'RunAllTestsInOrg') {
    return testClasses(program)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((cls) => ({ cls, classId: ids.get(cls.name.toLowerCase()) ?? '', methods: [...cls.methods.values()].flat().filter(isTestMethod) }));
  }
  if (level !== 'RunSpecifiedTests') throw new ApiError(400, 'INVALID_INPUT', `Invalid testLevel: ${String(level)}`);
  if (!items.length) throw new ApiError(400, 'INVALID_INPUT', 'No tests specified for RunSpecifiedTests.');
  const out: Selection[] = [];
  for (const item of items) {
    let name = item.className ?? (item.classId ? nameById.get(item.classId.slice(0, 15)) : undefined);
    if (name && item.namespace && name.startsWith(`${item.namespace}.`)) name = name.slice(item.namespace.length + 1);
    const cls = name ? program.classes.get(name.toLowerCase()) : undefined;
    const all = cls ? [...cls.methods.values()].flat().filter(isTestMethod) : [];
    if (!cls || !all.length) throw new ApiError(400, 'INVALID_INPUT', `No test class found: ${item.className ?? item.classId ?? ''}`);
    let methods = all;
    if (item.testMethods?.length) {
      const wanted = item.testMethods.map((m) => m.toLowerCase());
      methods = all.filter((m) => wanted.includes(m.name.toLowerCase()));
      const missing = item.testMethods.filter((m) => !all.some((x) => x.name.toLowerCase() === m.toLowerCase()));
      if (missing.length) throw new ApiError(400, 'INVALID_INPUT', `No test method found: ${cls.name}.${missing.join(', ')}`);
    }
    const existing = out.find((s) => s.cls === cls);
    if (existing) existing.methods = [...new Set([...existing.methods, ...methods])];
    else out.push({ cls, classId: ids.get(cls.name.toLowerCase()) ?? '', methods });
  }
  return out;
}

/** Runs every selected method on its own, so its coverage is its own. */
function execute(org: OrgContext, user: UserContext, selection: Selection[], apiVersion: string): RunOutcome {
  const t0 = Date.now();
  const runs: MethodRun[] = [];
  const covered = new Map<string, Set<number>>();
  for (const sel of selection) {
    for (const m of sel.methods) {
      const startedAt = new Date().toISOString();
      const r = runApexTests(org, user, [{ className: sel.cls.name, methods: [m.name] }], apiVersion);
      const mine = new Map<string, Set<number>>();
      for (const [name, c] of r.coverage) {
        if (!c.covered.size) continue;
        mine.set(name, c.covered);
        let all = covered.get(name);
        if (!all) covered.set(name, (all = new Set()));
        for (const l of c.covered) all.add(l);
      }
      for (const t of r.tests) runs.push({ ...t, classId: sel.classId, startedAt, covered: mine });
    }
  }
  return { runs, covered, totalMs: Date.now() - t0 };
}

// ---- Tooling rows ----------------------------------------------------------------------------

function insert(org: OrgContext, objectName: string, values: Record<string, unknown>, userId: string): string {
  const o = org.schema.get(objectName);
  if (!o) throw new Error(`no object ${objectName}`);
  const now = new Date().toISOString();
  const id = (values.Id as string | undefined) ?? newId(o.keyPrefix ?? '000');
  const all: Record<string, unknown> = {
    IsDeleted: false,
    CreatedDate: now,
    CreatedById: userId,
    LastModifiedDate: now,
    LastModifiedById: userId,
    SystemModstamp: now,
    ...values,
    Id: id,
  };
  const cols: { fd: FieldDef; value: unknown }[] = [];
  for (const [name, value] of Object.entries(all)) {
    const fd = o.fields.find((x) => x.name === name);
    if (fd) cols.push({ fd, value: fd.json ? JSON.stringify(value) : value });
  }
  org.db.prepare(`INSERT INTO ${q(o.name)} (${cols.map((c) => q(c.fd.name)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => toStored(c.fd, c.value)));
  return id;
}

function update(org: OrgContext, objectName: string, where: string, args: unknown[], values: Record<string, unknown>): void {
  const o = org.schema.get(objectName)!;
  const now = new Date().toISOString();
  const cols = Object.entries({ ...values, LastModifiedDate: now, SystemModstamp: now }).map(([name, value]) => ({ fd: o.fields.find((x) => x.name === name)!, value }));
  org.db.prepare(`UPDATE ${q(o.name)} SET ${cols.map((c) => `${q(c.fd.name)} = ?`).join(', ')} WHERE ${where}`).run(...cols.map((c) => toStored(c.fd, c.value)), ...args);
}

function coverageValue(covered: Set<number>, coverable: number[]): { coveredLines: number[]; uncoveredLines: number[] } {
  return { coveredLines: coverable.filter((l) => covered.has(l)), uncoveredLines: coverable.filter((l) => !covered.has(l)) };
}

/** ApexCodeCoverage per (test class, method, covered class), ApexCodeCoverageAggregate, ApexOrgWideCoverage. */
function writeCoverage(org: OrgContext, program: Program, outcome: RunOutcome, userId: string): void {
  const ids = classIds(org);
  const coverable = (name: string): number[] => program.classes.get(name.toLowerCase())?.lines ?? [];
  for (const run of outcome.runs) {
    org.db.prepare('DELETE FROM ApexCodeCoverage WHERE ApexTestClassId = ? AND TestMethodName = ?').run(run.classId, run.methodName);
    for (const [name, lines] of run.covered) {
      const cov = coverageValue(lines, coverable(name));
      insert(org, 'ApexCodeCoverage', {
        ApexTestClassId: run.classId,
        ApexClassOrTriggerId: ids.get(name.toLowerCase()) ?? null,
        TestMethodName: run.methodName,
        NumLinesCovered: cov.coveredLines.length,
        NumLinesUncovered: cov.uncoveredLines.length,
        Coverage: cov,
      }, userId);
    }
  }
  for (const [name, lines] of outcome.covered) {
    const classId = ids.get(name.toLowerCase());
    if (!classId) continue;
    const lineSet = coverable(name);
    const union = new Set(lines);
    const prior = org.db.prepare('SELECT Id, Coverage FROM ApexCodeCoverageAggregate WHERE ApexClassOrTriggerId = ?').get(classId) as { Id: string; Coverage: string | null } | undefined;
    if (prior?.Coverage) {
      // Coverage accumulates over runs while the class's coverable lines stay the same.
      const before = JSON.parse(prior.Coverage) as { coveredLines: number[]; uncoveredLines: number[] };
      const sameLines = JSON.stringify([...before.coveredLines, ...before.uncoveredLines].sort((a, b) => a - b)) === JSON.stringify(lineSet);
      if (sameLines) for (const l of before.coveredLines) union.add(l);
    }
    const cov = coverageValue(union, lineSet);
    const values = { NumLinesCovered: cov.coveredLines.length, NumLinesUncovered: cov.uncoveredLines.length, Coverage: JSON.stringify(cov) };
    if (prior) update(org, 'ApexCodeCoverageAggregate', 'Id = ?', [prior.Id], values);
    else insert(org, 'ApexCodeCoverageAggregate', { ApexClassOrTriggerId: classId, ...values, Coverage: cov }, userId);
  }
  // Org-wide: covered lines of the aggregates over the coverable lines of every non-test class.
  const aggregates = new Map((org.db.prepare('SELECT ApexClassOrTriggerId AS id, NumLinesCovered AS n FROM ApexCodeCoverageAggregate').all() as { id: string; n: number }[]).map((r) => [r.id, r.n]));
  let total = 0;
  let hit = 0;
  for (const cls of program.classes.values()) {
    if (cls.isTest) continue;
    total += cls.lines.length;
    hit += aggregates.get(ids.get(cls.name.toLowerCase()) ?? '') ?? 0;
  }
  const percent = total ? Math.round((hit / total) * 100) : 0;
  const wide = org.db.prepare('SELECT Id FROM ApexOrgWideCoverage LIMIT 1').get() as { Id: string } | undefined;
  if (wide) update(org, 'ApexOrgWideCoverage', 'Id = ?', [wide.Id], { PercentCovered: percent });
  else insert(org, 'ApexOrgWideCoverage', { PercentCovered: percent }, userId);
}

// ---- Synchronous -----------------------------------------------------------------------------

export function runTestsSynchronous(org: OrgContext, user: UserContext, req: RunRequest, apiVersion: string): Record<string, unknown> {
  requireTestPermission(user);
  const program = loadProgram(org);
  const selection = resolveSelection(org, program, req);
  const outcome = execute(org, user, selection, apiVersion);
  if (!req.skipCodeCoverage) org.db.transaction(() => writeCoverage(org, program, outcome, user.userId))();
  const ids = classIds(org);
  const successes = outcome.runs
    .filter((r) => r.outcome === 'Pass')
    .map((r) => ({ id: r.classId, methodName: r.methodName, name: r.className, namespace: null, seeAllData: false, time: r.runTimeMs }));
  const failures = outcome.runs
    .filter((r) => r.outcome !== 'Pass')
    .map((r) => ({ id: r.classId, message: r.message ?? '', methodName: r.methodName, name: r.className, namespace: null, seeAllData: false, stackTrace: r.stackTrace ?? '', time: r.runTimeMs, type: 'Class' }));
  const codeCoverage = req.skipCodeCoverage
    ? []
    : [...outcome.covered].map(([name, lines]) => {
        const cov = coverageValue(lines, program.classes.get(name.toLowerCase())?.lines ?? []);
        return {
          id: ids.get(name.toLowerCase()) ?? '',
          locationsNotCovered: cov.uncoveredLines.map((line) => ({ column: 0, line, numExecutions: 0, time: -1 })),
          name,
          namespace: null,
          numLocations: cov.coveredLines.length + cov.uncoveredLines.length,
          numLocationsNotCovered: cov.uncoveredLines.length,
          type: 'Class',
        };
      });
  return {
    apexLogId: null,
    codeCoverage,
    codeCoverageWarnings: [],
    failures,
    flowCoverage: [],
    flowCoverageWarnings: [],
    numFailures: failures.length,
    numTestsRun: outcome.runs.length,
    successes,
    totalTime: outcome.totalMs,
  };
}

// ---- Asynchronous ----------------------------------------------------------------------------

/** Enqueues the run (job, run result, queue items written Queued) and returns the 707 job Id; `start` runs it. */
export function enqueueTestRun(org: OrgContext, user: UserContext, req: RunRequest, apiVersion: string): { jobId: string; start: () => void } {
  requireTestPermission(user);
  const program = loadProgram(org);
  const selection = resolveSelection(org, program, req);
  const now = new Date().toISOString();
  const methodCount = selection.reduce((n, s) => n + s.methods.length, 0);
  const queueIds = new Map<Selection, string>();
  let jobId = '';
  let runResultId = '';
  org.db.transaction(() => {
    jobId = insert(org, 'AsyncApexJob', { JobType: 'TestRequest', Status: 'Queued', JobItemsProcessed: 0, TotalJobItems: selection.length, NumberOfErrors: 0 }, user.userId);
    runResultId = insert(org, 'ApexTestRunResult', {
      AsyncApexJobId: jobId,
      Status: 'Queued',
      ClassesCompleted: 0,
      ClassesEnqueued: selection.length,
      MethodsCompleted: 0,
      MethodsEnqueued: methodCount,
      MethodsFailed: 0,
      StartTime: now,
      TestTime: 0,
      TestSetupTime: 0,
      UserId: user.userId,
      IsAllTests: req.testLevel === 'RunAllTestsInOrg',
      Source: 'REST',
    }, user.userId);
    for (const sel of selection) {
      queueIds.set(sel, insert(org, 'ApexTestQueueItem', { ApexClassId: sel.classId, Status: 'Queued', ParentJobId: jobId, TestRunResultId: runResultId, ShouldSkipCodeCoverage: Boolean(req.skipCodeCoverage) }, user.userId));
    }
  })();
  const start = (): void => {
    try {
      update(org, 'AsyncApexJob', 'Id = ?', [jobId], { Status: 'Processing' });
      update(org, 'ApexTestRunResult', 'Id = ?', [runResultId], { Status: 'Processing' });
      const outcome = execute(org, user, selection, apiVersion);
      org.db.transaction(() => {
        for (const run of outcome.runs) {
          const sel = selection.find((s) => s.cls.name === run.className)!;
          insert(org, 'ApexTestResult', {
            ApexClassId: run.classId,
            AsyncApexJobId: jobId,
            QueueItemId: queueIds.get(sel),
            ApexTestRunResultId: runResultId,
            MethodName: run.methodName,
            Outcome: run.outcome,
            Message: run.message,
            StackTrace: run.stackTrace,
            RunTime: run.runTimeMs,
            TestTimestamp: run.startedAt,
            ApexLogId: null,
            IsTestSetup: false,
          }, user.userId);
        }
        if (!req.skipCodeCoverage) writeCoverage(org, program, outcome, user.userId);
        const end = new Date().toISOString();
        const failed = outcome.runs.filter((r) => r.outcome !== 'Pass').length;
        update(org, 'ApexTestQueueItem', 'ParentJobId = ?', [jobId], { Status: 'Completed' });
        update(org, 'ApexTestRunResult', 'Id = ?', [runResultId], {
          Status: 'Completed',
          ClassesCompleted: selection.length,
          MethodsCompleted: outcome.runs.length,
          MethodsFailed: failed,
          EndTime: end,
          TestTime: outcome.totalMs,
        });
        update(org, 'AsyncApexJob', 'Id = ?', [jobId], { Status: 'Completed', JobItemsProcessed: selection.length, NumberOfErrors: failed, CompletedDate: end });
      })();
    } catch (e) {
      const detail = (e as Error).message.slice(0, 255);
      try {
        update(org, 'ApexTestQueueItem', 'ParentJobId = ?', [jobId], { Status: 'Failed', ExtendedStatus: detail });
        update(org, 'ApexTestRunResult', 'Id = ?', [runResultId], { Status: 'Failed', EndTime: new Date().toISOString() });
        update(org, 'AsyncApexJob', 'Id = ?', [jobId], { Status: 'Failed', ExtendedStatus: detail, CompletedDate: new Date().toISOString() });
      } catch {
        // the org was closed while the run was pending
      }
    }
  };
  return { jobId, start };
}

export function registerApexTestRunner(router: Router, org: OrgContext): void {
  router.add(
    'POST',
    '/services/data/:version/tooling/runTestsSynchronous',
    async (ctx) => {
      const v = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      requireTestPermission(user);
      const req = await ctx.json<RunRequest>();
      return { json: runTestsSynchronous(org, user, req ?? {}, v) };
    },
    { auth: 'api', family: 'Tooling' },
  );
  router.add(
    'POST',
    '/services/data/:version/tooling/runTestsAsynchronous',
    async (ctx) => {
      const v = requireVersion(ctx.apiVersion);
      const { user } = ctx.requireSession();
      requireTestPermission(user);
      const req = await ctx.json<RunRequest>();
      const { jobId, start } = enqueueTestRun(org, user, req ?? {}, v);
      setImmediate(start);
      return { json: jobId };
    },
    { auth: 'api', family: 'Tooling' },
  );
}
