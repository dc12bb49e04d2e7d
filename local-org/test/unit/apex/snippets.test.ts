/**
 * Apex semantics, snippet by snippet, through anonymous Apex on an in-memory org: null handling,
 * Integer/Long overflow, Decimal scale, String/Id comparison, collection ordering, exceptions,
 * governor limits, and refusal of constructs outside the subset.
 */
import { expect } from 'chai';
import { executeAnonymous, runApexTests, testClasses, type AnonymousResult } from '../../../src/apex/runtime.ts';
import { programFor } from '../../../src/apex/program.ts';
import { checkApexSubset } from '../../../src/apex/parse.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';
import type { LocalOrg } from '../../../src/local-org.ts';

describe('apex: snippet semantics', function () {
  this.timeout(120_000);
  let local: LocalOrg;
  const run = (code: string): AnonymousResult => {
    const admin = local.org.access.forUser(userId(local, 'admin@forcegate.local'))!;
    return executeAnonymous(local.org, admin, code, '66.0');
  };
  /** The USER_DEBUG lines of a successful run. */
  const debug = (code: string): string[] => {
    const r = run(code);
    expect(r.success, `${r.compileProblem ?? ''} ${r.exceptionMessage ?? ''}`).to.equal(true);
    return r.logs
      .split('\n')
      .filter((l) => l.includes('|USER_DEBUG|'))
      .map((l) => l.split('|').slice(4).join('|'));
  };

  before(async () => {
    local = await startTestOrg();
  });
  after(async () => local?.close());

  it('wraps Integer and Long overflow; integer division truncates; Decimal keeps its scale', () => {
    expect(
      debug(`Integer i = 2147483647; i++; System.debug(i);
        Long l = 9223372036854775807L; l += 1; System.debug(l);
        System.debug(-7 / 2); Decimal d = 1.10; d += 2; System.debug(d);
        System.debug(10.0 / 4); System.debug((1.005).setScale(2)); System.debug(Integer.valueOf('42') * 2);`),
    ).to.deep.equal(['-2147483648', '-9223372036854775808', '-3', '3.10', '2.5', '1.00', '84']);
  });

  it('null: concatenation prints null, de-referencing throws NullPointerException, numeric comparison with null is false', () => {
    expect(
      debug(`String s; System.debug('x' + s); Integer n; System.debug(n < 5); System.debug(n == null);
        try { s.length(); } catch (NullPointerException e) { System.debug(e.getMessage()); System.debug(e.getTypeName()); }
        try { Integer k = n + 1; } catch (Exception e) { System.debug(e.getTypeName()); }`),
    ).to.deep.equal(['xnull', 'false', 'true', 'Attempt to de-reference a null object', 'System.NullPointerException', 'System.NullPointerException']);
  });

  it('compares Strings case-insensitively with == but not with equals; Ids 15/18 alike; invalid Id strings throw', () => {
    const acct = (local.org.db.prepare('SELECT Id FROM Account LIMIT 1').get() as { Id: string }).Id;
    expect(
      debug(`System.debug('Apex' == 'APEX'); System.debug('Apex'.equals('APEX'));
        Id full = '${acct}'; Id short = '${acct.slice(0, 15)}'; System.debug(full == short); System.debug(String.valueOf(short).length());
        System.debug(full == '${acct.slice(0, 15)}');
        try { Id bad = 'nope'; } catch (StringException e) { System.debug(e.getMessage()); }`),
    ).to.deep.equal(['true', 'false', 'true', '18', 'true', 'Invalid id: nope']);
  });

  it('keeps Set and Map insertion order; String map keys are case-sensitive; switch on String is case-sensitive', () => {
    expect(
      debug(`Map<String, Integer> m = new Map<String, Integer>{ 'b' => 1, 'a' => 2 }; m.put('B', 3);
        System.debug(m.keySet()); System.debug(m.get('b')); System.debug(m.containsKey('A'));
        Set<Integer> s = new Set<Integer>{ 3, 1, 3, 2 }; System.debug(s); List<Integer> l = new List<Integer>(s); l.sort(); System.debug(l);
        switch on 'Low' { when 'low' { System.debug('lower'); } when 'Low' { System.debug('exact'); } }`),
    ).to.deep.equal(['{b, a, B}', '1', 'false', '{3, 1, 2}', '(1, 2, 3)', 'exact']);
  });

  it('custom exceptions, finally, list bounds, and an uncaught exception rolls the transaction back', () => {
    expect(
      debug(`class MyEx extends Exception {}
        try { throw new MyEx('boom'); } catch (MyEx e) { System.debug(e.getMessage() + ' ' + e.getTypeName()); } finally { System.debug('finally'); }
        try { new List<Integer>()[1] = 2; } catch (ListException e) { System.debug(e.getMessage()); }`),
    ).to.deep.equal(['boom MyEx', 'finally', 'List index out of bounds: 1']);
    const before = (local.org.db.prepare('SELECT COUNT(*) AS n FROM Account').get() as { n: number }).n;
    const r = run(`insert new Account(Name = 'Rolled Back Co'); Integer x = 1 / 0;`);
    expect(r).to.deep.include({ success: false, compiled: true, exceptionMessage: 'System.MathException: Divide by 0', line: 1 });
    expect((local.org.db.prepare('SELECT COUNT(*) AS n FROM Account').get() as { n: number }).n).to.equal(before);
  });

  it('enforces governor limits with an uncatchable LimitException', () => {
    const r = run(`try { for (Integer i = 0; i < 101; i++) { List<Account> a = [SELECT Id FROM Account LIMIT 1]; } } catch (Exception e) { System.debug('caught'); }`);
    expect(r.success).to.equal(false);
    expect(r.exceptionMessage).to.equal('System.LimitException: Too many SOQL queries: 101');
    expect(r.logs).to.not.include('|USER_DEBUG|');
  });

  it('runs inline SOQL with binds and single-row assignment; DML sets Ids and reports DmlException messages', () => {
    expect(
      debug(`String name = 'Acme Corporation'; Account a = [SELECT Id, Name FROM Account WHERE Name = :name WITH USER_MODE LIMIT 1];
        System.debug(a.Name);
        try { Account none = [SELECT Id FROM Account WHERE Name = 'No Such Co']; } catch (QueryException e) { System.debug(e.getMessage()); }
        Contact c = new Contact(FirstName = 'Ada'); try { insert c; } catch (DmlException e) { System.debug(e.getDmlStatusCode(0)); }
        Account n = new Account(Name = 'Snippet Co'); insert n; System.debug(n.Id != null);`),
    ).to.deep.equal(['Acme Corporation', 'List has no rows for assignment to SObject', 'REQUIRED_FIELD_MISSING', 'true']);
  });

  it('refuses constructs outside the subset with a compile problem naming the construct, line and column', () => {
    const r = run(`Integer a = 1;\nInteger b = a << 2;`);
    expect(r).to.deep.include({ compiled: false, success: false, line: 2, column: 13 });
    expect(r.compileProblem).to.match(/Unsupported Apex construct: bitwise and shift operators/);
    expect(run(`List<List<Account>> x = [FIND 'a' IN ALL FIELDS RETURNING Account];`).compileProblem).to.match(/inline SOSL/);
    expect(run('Integer x = ;').compileProblem).to.match(/Unexpected token/);
  });

  it('gives the Metadata API deploy a compile problem for a class outside the subset', () => {
    expect(checkApexSubset('public class Ok { public static Integer twice(Integer x) { return x * 2; } }')).to.deep.equal([]);
    expect(checkApexSubset('public class Bits {\n  public static Integer f(Integer x) {\n    return x >> 1;\n  }\n}')).to.deep.equal([
      { line: 3, column: 12, problem: "Unsupported Apex construct: bitwise and shift operators (the local org's Apex runtime does not support it)" },
    ]);
  });

  it('runs every force-app test class with isolation and coverage', () => {
    const admin = local.org.access.forUser(userId(local, 'admin@forcegate.local'))!;
    const classes = testClasses(programFor(local.org)).map((c) => ({ className: c.name }));
    const accounts = (local.org.db.prepare('SELECT COUNT(*) AS n FROM Account').get() as { n: number }).n;
    const r = runApexTests(local.org, admin, classes, '66.0');
    const failed = r.tests.filter((t) => t.outcome !== 'Pass').map((t) => `${t.className}.${t.methodName}`);
    expect(failed).to.deep.equal([]);
    expect(r.tests.length).to.equal(37);
    expect(r.coverage.get('CreateSupportCase')!.covered.size).to.be.greaterThan(50);
    expect((local.org.db.prepare('SELECT COUNT(*) AS n FROM Account').get() as { n: number }).n).to.equal(accounts);
  });
});
