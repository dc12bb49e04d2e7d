/**
 * The Flow formula evaluator: operators and precedence, merge fields, null handling, date
 * arithmetic, every supported function, result typing, and the errors for what it refuses.
 */
import { expect } from 'chai';
import { FormulaError, SUPPORTED_FUNCTIONS, evaluateFormula, formulaReferences, mergeText, parseFormula, type FormulaScope } from '../../../src/actions/formula.ts';
import { FlowDate, FlowRecord, type FlowValue } from '../../../src/actions/flow-values.ts';

const NOW = new Date('2026-03-15T18:30:00.000Z');

function scope(vars: Record<string, FlowValue> = {}): FormulaScope {
  return {
    resolve(ref) {
      const [root, field] = ref.split('.');
      const key = Object.keys(vars).find((k) => k.toLowerCase() === root!.toLowerCase());
      if (key === undefined) throw new Error(`unknown ${ref}`);
      const v = vars[key]!;
      return field ? (v as FlowRecord).get(field) : v;
    },
    today: () => new FlowDate(2026, 3, 15),
    now: () => NOW,
  };
}

const ev = (expr: string, vars: Record<string, FlowValue> = {}, type?: string): FlowValue => evaluateFormula(expr, scope(vars), type);

describe('Flow formulas', () => {
  describe('operators', () => {
    it('follows arithmetic precedence and parentheses', () => {
      expect(ev('1 + 2 * 3')).to.equal(7);
      expect(ev('(1 + 2) * 3')).to.equal(9);
      expect(ev('2 ^ 3 ^ 1')).to.equal(8);
      expect(ev('10 / 4')).to.equal(2.5);
      expect(ev('-3 + 5')).to.equal(2);
      expect(ev('7 - 2 - 1')).to.equal(4);
    });

    it('concatenates with & and + on text', () => {
      expect(ev('"a" & "b" & 1')).to.equal('ab1');
      expect(ev('"Case " + {!n}', { n: '42' })).to.equal('Case 42');
      expect(ev('"x" & {!missing}', { missing: null })).to.equal('x');
    });

    it('compares values with = == != <> < <= > >=', () => {
      expect(ev('1 = 1')).to.equal(true);
      expect(ev('1 == 2')).to.equal(false);
      expect(ev('"a" != "b"')).to.equal(true);
      expect(ev('"a" <> "a"')).to.equal(false);
      expect(ev('2 < 3 && 3 <= 3 && 4 > 3 && 4 >= 5')).to.equal(false);
      expect(ev('2 < 3 || false')).to.equal(true);
      expect(ev('!(1 = 2)')).to.equal(true);
    });

    it('treats blank and null as equal and null arithmetic as null', () => {
      expect(ev('{!a} = ""', { a: null })).to.equal(true);
      expect(ev('{!a} + 1', { a: null })).to.equal(null);
      expect(ev('1 / 0')).to.equal(null);
    });

    it('compares Ids 15/18-insensitively', () => {
      expect(ev('{!a} = {!b}', { a: '5005gNe4wkd70dC', b: '5005gNe4wkd70dCABQ' })).to.equal(true);
    });

    it('adds days to dates and subtracts dates', () => {
      expect(String(ev('{!d} + 20', { d: new FlowDate(2026, 1, 20) }))).to.equal('2026-02-09');
      expect(String(ev('{!d} - 1', { d: new FlowDate(2026, 3, 1) }))).to.equal('2026-02-28');
      expect(ev('{!a} - {!b}', { a: new FlowDate(2026, 3, 1), b: new FlowDate(2026, 2, 1) })).to.equal(28);
      expect((ev('{!t} + 0.5', { t: NOW }) as Date).toISOString()).to.equal('2026-03-16T06:30:00.000Z');
    });
  });

  describe('merge fields', () => {
    it('reads variables and record fields', () => {
      const rec = new FlowRecord('Case');
      rec.set('CaseNumber', '00001001', false);
      expect(ev('"Case " & {!c.CaseNumber}', { c: rec })).to.equal('Case 00001001');
      expect(formulaReferences(parseFormula('IF({!a}, {!b.Name}, {!$Flow.CurrentDate})'))).to.deep.equal(['a', 'b.Name', '$Flow.CurrentDate']);
    });

    it('fills text templates', () => {
      expect(mergeText('Hello {!name}, today is {!d}.', (r) => (r === 'name' ? 'Riley' : new FlowDate(2026, 3, 15)))).to.equal('Hello Riley, today is 2026-03-15.');
    });
  });

  describe('functions', () => {
    it('logical: IF, AND, OR, NOT, CASE (lazily)', () => {
      expect(ev('IF(1 > 0, "yes", 1/0)')).to.equal('yes');
      expect(ev('AND(true, 1 = 1, NOT(false))')).to.equal(true);
      expect(ev('OR(false, false)')).to.equal(false);
      expect(ev('CASE({!s}, "High", 3, "Medium", 2, 1)', { s: 'Medium' })).to.equal(2);
      expect(ev('CASE({!s}, "High", 3, "Medium", 2, 1)', { s: 'Other' })).to.equal(1);
      // AND stops at the first false: the unknown reference is never read.
      expect(ev('AND(false, {!nope})', {})).to.equal(false);
    });

    it('blank tests: ISBLANK, ISNULL, BLANKVALUE, NULLVALUE, ISPICKVAL', () => {
      expect(ev('ISBLANK({!a})', { a: '' })).to.equal(true);
      expect(ev('ISBLANK({!a})', { a: ' x' })).to.equal(false);
      expect(ev('ISBLANK({!a})', { a: [] })).to.equal(true);
      expect(ev('ISNULL({!a})', { a: null })).to.equal(true);
      expect(ev('BLANKVALUE({!a}, "dflt")', { a: '' })).to.equal('dflt');
      expect(ev('NULLVALUE({!a}, 5)', { a: null })).to.equal(5);
      expect(ev('ISPICKVAL({!p}, "High")', { p: 'High' })).to.equal(true);
    });

    it('text: TEXT, VALUE, LEN, UPPER, LOWER, TRIM, LEFT, RIGHT, MID, CONTAINS, BEGINS, FIND, SUBSTITUTE, LPAD, RPAD', () => {
      expect(ev('TEXT(5)')).to.equal('5');
      expect(ev('TEXT(2.50)')).to.equal('2.5');
      expect(ev('TEXT({!d})', { d: new FlowDate(2026, 1, 2) })).to.equal('2026-01-02');
      expect(ev('TEXT({!t})', { t: NOW })).to.equal('2026-03-15 18:30:00Z');
      expect(ev('VALUE("12.5") + 1')).to.equal(13.5);
      expect(ev('LEN(TRIM("  ab  "))')).to.equal(2);
      expect(ev('UPPER("ab") & LOWER("CD")')).to.equal('ABcd');
      expect(ev('LEFT("abcdef", 2) & RIGHT("abcdef", 2) & MID("abcdef", 3, 2)')).to.equal('abefcd');
      expect(ev('CONTAINS("hello world", "lo w")')).to.equal(true);
      expect(ev('BEGINS("hello", "he")')).to.equal(true);
      expect(ev('FIND("c", "abcabc")')).to.equal(3);
      expect(ev('FIND("z", "abc")')).to.equal(0);
      expect(ev('SUBSTITUTE("a-b-c", "-", "+")')).to.equal('a+b+c');
      expect(ev('LPAD("7", 3, "0") & RPAD("x", 3, ".")')).to.equal('007x..');
    });

    it('math: ROUND, ABS, FLOOR, CEILING, MOD, MAX, MIN, SQRT', () => {
      expect(ev('ROUND(2.345, 2)')).to.equal(2.35);
      expect(ev('ROUND(-2.5, 0)')).to.equal(-3);
      expect(ev('ABS(-4) + FLOOR(1.9) + CEILING(1.1) + MOD(7, 3)')).to.equal(8);
      expect(ev('MAX(1, 9, 3) - MIN(4, 2)')).to.equal(7);
      expect(ev('SQRT(16)')).to.equal(4);
      expect(ev('MOD(1, 0)')).to.equal(null);
    });

    it('dates: TODAY, NOW, DATE, DATEVALUE, DATETIMEVALUE, YEAR, MONTH, DAY, WEEKDAY, ADDMONTHS', () => {
      expect(String(ev('TODAY()'))).to.equal('2026-03-15');
      expect((ev('NOW()') as Date).toISOString()).to.equal(NOW.toISOString());
      expect(String(ev('DATE(2024, 2, 29)'))).to.equal('2024-02-29');
      expect(String(ev('DATEVALUE("2026-07-04")'))).to.equal('2026-07-04');
      expect(String(ev('DATEVALUE(NOW())'))).to.equal('2026-03-15');
      expect((ev('DATETIMEVALUE("2026-07-04 10:00:00")') as Date).toISOString()).to.equal('2026-07-04T10:00:00.000Z');
      expect(ev('YEAR(TODAY()) * 10000 + MONTH(TODAY()) * 100 + DAY(TODAY())')).to.equal(20260315);
      expect(ev('WEEKDAY(DATE(2026, 3, 15))')).to.equal(1); // a Sunday
      expect(String(ev('ADDMONTHS(DATE(2026, 1, 31), 1)'))).to.equal('2026-02-28');
      expect(String(ev('ADDMONTHS(DATE(2026, 1, 15), -13)'))).to.equal('2024-12-15');
      expect(() => ev('DATE(2026, 2, 30)')).to.throw(FormulaError, /not a valid date/);
    });
  });

  describe('result types', () => {
    it('converts to the formula resource type', () => {
      expect(ev('1 = 1', {}, 'String')).to.equal('true');
      expect(ev('"12.345"', {}, 'Number')).to.equal(12.345);
      expect(ev('2.345', {}, 'Currency')).to.equal(2.35);
      expect(ev('"true"', {}, 'Boolean')).to.equal(true);
      expect(String(ev('"2026-01-05"', {}, 'Date'))).to.equal('2026-01-05');
      expect(ev('{!x}', { x: null }, 'String')).to.equal('');
      expect(() => ev('"abc"', {}, 'Number')).to.throw(FormulaError, /not a number/);
    });
  });

  describe('errors', () => {
    it('refuses unknown functions, wrong arity and bad syntax with the platform wording', () => {
      expect(() => parseFormula('FOO(1)')).to.throw(FormulaError, 'Unknown function FOO. Check spelling.');
      expect(() => parseFormula('IF(true, 1)')).to.throw(FormulaError, "Incorrect number of parameters for function 'IF()'. Expected 3, received 2");
      expect(() => parseFormula('"abc')).to.throw(FormulaError, /Unterminated string/);
      expect(() => parseFormula('1 +')).to.throw(FormulaError, /Missing expression/);
      expect(() => parseFormula('(1 + 2')).to.throw(FormulaError, /Missing '\)'/);
      expect(() => parseFormula('1 2')).to.throw(FormulaError, /Extra/);
      expect(() => parseFormula('{!a b}')).to.throw(FormulaError, /Invalid merge field/);
    });

    it('refuses arithmetic on text', () => {
      expect(() => ev('"a" * 2')).to.throw(FormulaError, /Expected Number, received Text/);
    });

    it('lists the functions it supports', () => {
      for (const fn of ['IF', 'AND', 'OR', 'NOT', 'ISBLANK', 'ISNULL', 'TEXT', 'VALUE', 'TODAY', 'NOW', 'DATEVALUE', 'ADDMONTHS', 'CONTAINS', 'BEGINS', 'LEN', 'UPPER', 'LOWER', 'CASE']) {
        expect(SUPPORTED_FUNCTIONS).to.include(fn);
      }
    });
  });
});
