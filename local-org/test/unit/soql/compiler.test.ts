/**
 * The SOQL compiler's output (SQL text and parameters) and its pure building blocks: date literals,
 * the WHERE tree, literal lifting, value conversion and positional error messages.
 */
import { expect } from 'chai';
import { parseQuery } from '@jetstreamapp/soql-parser-js';
import { dateLiteralRange } from '../../../src/soql/date-literals.ts';
import { compile, prepared } from '../../../src/soql/engine.ts';
import { locate, positionalMessage } from '../../../src/soql/errors.ts';
import { liftLiterals, PARSE_OPTIONS } from '../../../src/soql/parse.ts';
import { coerceBind, normalizeDatetime, unquote } from '../../../src/soql/values.ts';
import { whereTree } from '../../../src/soql/where-tree.ts';
import { ADMIN, REP, startFixture, type Fixture } from './fixture.ts';

describe('SOQL compiler', function () {
  this.timeout(60_000);

  describe('date literals (UTC, weeks start on Sunday)', () => {
    const now = new Date('2026-05-14T18:30:00Z'); // a Thursday
    const cases: [string, number | undefined, string, string][] = [
      ['TODAY', undefined, '2026-05-14', '2026-05-15'],
      ['YESTERDAY', undefined, '2026-05-13', '2026-05-14'],
      ['TOMORROW', undefined, '2026-05-15', '2026-05-16'],
      ['THIS_WEEK', undefined, '2026-05-10', '2026-05-17'],
      ['LAST_WEEK', undefined, '2026-05-03', '2026-05-10'],
      ['NEXT_WEEK', undefined, '2026-05-17', '2026-05-24'],
      ['THIS_MONTH', undefined, '2026-05-01', '2026-06-01'],
      ['LAST_MONTH', undefined, '2026-04-01', '2026-05-01'],
      ['NEXT_MONTH', undefined, '2026-06-01', '2026-07-01'],
      ['LAST_90_DAYS', undefined, '2026-02-13', '2026-05-15'],
      ['NEXT_90_DAYS', undefined, '2026-05-15', '2026-08-13'],
      ['LAST_N_DAYS', 7, '2026-05-07', '2026-05-15'],
      ['NEXT_N_DAYS', 7, '2026-05-15', '2026-05-22'],
      ['N_DAYS_AGO', 3, '2026-05-11', '2026-05-12'],
      ['LAST_N_WEEKS', 2, '2026-04-26', '2026-05-10'],
      ['NEXT_N_WEEKS', 1, '2026-05-17', '2026-05-24'],
      ['LAST_N_MONTHS', 2, '2026-03-01', '2026-05-01'],
      ['NEXT_N_MONTHS', 2, '2026-06-01', '2026-08-01'],
      ['N_MONTHS_AGO', 1, '2026-04-01', '2026-05-01'],
      ['THIS_QUARTER', undefined, '2026-04-01', '2026-07-01'],
      ['LAST_QUARTER', undefined, '2026-01-01', '2026-04-01'],
      ['NEXT_QUARTER', undefined, '2026-07-01', '2026-10-01'],
      ['LAST_N_QUARTERS', 2, '2025-10-01', '2026-04-01'],
      ['THIS_YEAR', undefined, '2026-01-01', '2027-01-01'],
      ['LAST_YEAR', undefined, '2025-01-01', '2026-01-01'],
      ['NEXT_N_YEARS', 2, '2027-01-01', '2029-01-01'],
      ['N_YEARS_AGO', 1, '2025-01-01', '2026-01-01'],
      ['THIS_FISCAL_YEAR', undefined, '2026-01-01', '2027-01-01'],
      ['LAST_N_FISCAL_QUARTERS', 1, '2026-01-01', '2026-04-01'],
    ];
    for (const [literal, n, start, end] of cases) {
      it(`${literal}${n === undefined ? '' : `:${n}`} = [${start}, ${end})`, () => {
        expect(dateLiteralRange(literal, n, now)).to.deep.equal({ start, end });
      });
    }
    it('crosses year boundaries', () => {
      expect(dateLiteralRange('NEXT_MONTH', undefined, new Date('2026-12-31T23:59:59Z'))).to.deep.equal({ start: '2027-01-01', end: '2027-02-01' });
      expect(dateLiteralRange('LAST_QUARTER', undefined, new Date('2026-02-01T00:00:00Z'))).to.deep.equal({ start: '2025-10-01', end: '2026-01-01' });
    });
  });

  describe('WHERE tree', () => {
    const tree = (soql: string) => whereTree(parseQuery(soql, PARSE_OPTIONS).where);
    const shape = (n: ReturnType<typeof tree>): unknown => {
      if (!n) return null;
      if (n.kind === 'cond') return (n.cond as { field: string }).field;
      if (n.kind === 'not') return ['NOT', shape(n.operand)];
      return [n.kind.toUpperCase(), ...n.operands.map(shape)];
    };
    it('rebuilds precedence from the parser\'s parenthesis counts', () => {
      expect(shape(tree("SELECT Id FROM A WHERE (a = 1 OR b = 2) AND NOT c = 3"))).to.deep.equal(['AND', ['OR', 'a', 'b'], ['NOT', 'c']]);
      expect(shape(tree("SELECT Id FROM A WHERE a = 1 AND (NOT (b = 1 OR c = 2))"))).to.deep.equal(['AND', 'a', ['NOT', ['OR', 'b', 'c']]]);
      expect(shape(tree("SELECT Id FROM A WHERE ((a = 1))"))).to.deep.equal('a');
      expect(shape(tree("SELECT Id FROM A WHERE (NOT a = 1)"))).to.deep.equal(['NOT', 'a']);
      expect(shape(tree("SELECT Id FROM A WHERE NOT ((a = 1) OR b = 2)"))).to.deep.equal(['NOT', ['OR', 'a', 'b']]);
    });
    it('refuses AND and OR mixed at one level, as SOQL does', () => {
      expect(() => tree('SELECT Id FROM A WHERE a = 1 AND b = 2 OR c = 3')).to.throw("unexpected token: 'OR'");
    });
  });

  describe('values', () => {
    it('unquotes SOQL strings; LIKE keeps \\% and \\_ escaped', () => {
      expect(unquote("'O\\'Brien'")).to.equal("O'Brien");
      expect(unquote("'a\\nb\\\\c'")).to.equal('a\nb\\c');
      expect(unquote("'50\\%'", true)).to.equal('50\\%');
      expect(unquote("'50\\%'")).to.equal('50%');
    });
    it('normalises datetimes to the stored ISO form', () => {
      expect(normalizeDatetime('2024-01-02T03:04:05Z')).to.equal('2024-01-02T03:04:05.000Z');
      expect(normalizeDatetime('2024-01-02T03:04:05.000+0000')).to.equal('2024-01-02T03:04:05.000Z');
      expect(normalizeDatetime('2024-01-02T03:04:05-08:00')).to.equal('2024-01-02T11:04:05.000Z');
      expect(normalizeDatetime('nope')).to.equal(undefined);
    });
    it('coerces bind values to the column form', () => {
      const fd = (type: string) => ({ name: 'X', type }) as never;
      expect(coerceBind(fd('date'), new Date('2024-03-04T10:00:00Z'))).to.equal('2024-03-04');
      expect(coerceBind(fd('datetime'), new Date('2024-03-04T10:00:00Z'))).to.equal('2024-03-04T10:00:00.000Z');
      expect(coerceBind(fd('boolean'), true)).to.equal(1);
      expect(coerceBind(fd('id'), '001000000000001')).to.equal('001000000000001AAA');
      expect(coerceBind(fd('string'), "'; DROP TABLE Account; --")).to.equal("'; DROP TABLE Account; --");
    });
    it('lifts string literals so queries that differ only in literals share one plan', () => {
      expect(liftLiterals("SELECT Id FROM A WHERE Name = 'x\\'y' AND B IN ('p', 'q')")).to.deep.equal({
        text: "SELECT Id FROM A WHERE Name = '~0~' AND B IN ('~1~', '~2~')",
        literals: ["'x\\'y'", "'p'", "'q'"],
      });
    });
  });

  describe('positional messages', () => {
    it('finds tokens outside string literals, case-insensitively', () => {
      expect(locate("SELECT Id FROM Account WHERE Name = 'Foo' AND foo = 1", 'Foo')).to.equal(46);
      expect(positionalMessage('SELECT Foo FROM Account', 7, 'x')).to.equal('\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nx');
    });
  });

  describe('SQL', () => {
    let fx: Fixture;
    before(async () => {
      fx = await startFixture();
    });
    after(() => fx?.local.close());

    it('puts every literal in a parameter, never in the SQL text', () => {
      const c = compile(fx.local.org, "SELECT Id FROM Account WHERE Name = 'Robert\\'); DROP TABLE Account;--' AND AnnualRevenue > 1000 AND Industry IN ('Banking', 'Energy')", {
        user: fx.user(ADMIN),
      });
      expect(c.sql).not.to.contain('DROP');
      expect(c.sql).not.to.contain('Banking');
      expect(c.sql).not.to.contain('1000');
      expect(c.params).to.include.members(["Robert'); DROP TABLE Account;--", 'Banking', 'Energy', 1000]);
    });

    it('passes bind variables as parameters; an injection attempt is inert', () => {
      const injection = "x' OR '1'='1";
      const c = compile(fx.local.org, 'SELECT Id FROM Account WHERE Name = :name AND Id IN :ids', {
        user: fx.user(ADMIN),
        binds: { name: injection, ids: ['001000000000001'] },
      });
      expect(c.sql).not.to.contain('1=');
      expect(c.params).to.include(injection);
      expect(c.params).to.include(JSON.stringify(['001000000000001AAA']));
      expect(c.sql).to.match(/IN \(SELECT value FROM json_each\(\?\)\)/);
    });

    it('adds the sharing predicate of every object level (root, parents, children)', () => {
      const rep = fx.user(REP);
      const c = compile(fx.local.org, 'SELECT Id, Parent.Subject, Owner.Name, (SELECT Subject FROM Cases) FROM Case', { user: rep });
      expect(c.sql).to.match(/^SELECT .* FROM "Case" t0 LEFT JOIN "Case" t1 ON t1\."Id" = t0\."ParentId" AND t1\."IsDeleted" = 0 AND \(t1\."OwnerId" IN \(\?\)\) LEFT JOIN "User" t2/);
      expect(c.sql).to.match(/WHERE \(t0\."IsDeleted" = 0\) AND \(t0\."OwnerId" IN \(\?\)\)$/);
      expect(c.params.filter((p) => p === rep.userId)).to.have.length(2);
      expect(c.children[0]!.relationshipName).to.equal('Cases');
      expect(c.children[0]!.sql).to.match(/"ParentId" IN \(SELECT value FROM json_each\(\?\)\)\) AND \(t3\."OwnerId" IN \(\?\)\)$/);
      // An admin (View All Data) has no predicate at all.
      expect(compile(fx.local.org, 'SELECT Id FROM Case', { user: fx.user(ADMIN) }).sql).to.equal('SELECT t0."Id", t0."Id" FROM "Case" t0 WHERE (t0."IsDeleted" = 0)');
    });

    it('compiles COUNT(), aggregates and semi-joins to one statement', () => {
      const admin = fx.user(ADMIN);
      expect(compile(fx.local.org, 'SELECT COUNT() FROM Account', { user: admin }).sql).to.equal('SELECT COUNT(*) FROM "Account" t0 WHERE (t0."IsDeleted" = 0)');
      expect(compile(fx.local.org, 'SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry HAVING COUNT(Id) > 1', { user: admin }).sql).to.equal(
        'SELECT t0."Industry", COUNT(t0."Id") FROM "Account" t0 WHERE (t0."IsDeleted" = 0) GROUP BY t0."Industry" HAVING COUNT(t0."Id") > ?',
      );
      expect(compile(fx.local.org, 'SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact)', { user: admin }).sql).to.contain(
        't0."Id" IN (SELECT t1."AccountId" FROM "Contact" t1 WHERE (t1."AccountId" IS NOT NULL) AND (t1."IsDeleted" = 0))',
      );
    });

    it('caches prepared statements by SQL text', () => {
      const { db } = fx.local.org;
      expect(prepared(db, 'SELECT 1')).to.equal(prepared(db, 'SELECT 1'));
    });
  });
});
