/**
 * Describing Apex invocable actions from class source (parse tree of @apexdevtools/apex-parser):
 * the project's classes, the type mapping, and classes that break the @InvocableMethod rules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ApexDescribeError, describeApexClass } from '../../../src/actions/apex-describe.ts';
import { OrgSchema } from '../../../src/schema/registry.ts';
import { repoRoot } from '../../helpers/org.ts';

const CLASSES = join(repoRoot, 'force-app', 'main', 'default', 'classes');
const source = (name: string) => readFileSync(join(CLASSES, `${name}.cls`), 'utf8');
const schema = new OrgSchema();

describe('Apex invocable describe', function () {
  this.timeout(30_000);

  it('describes CreateSupportCase from its source', () => {
    const d = describeApexClass(source('CreateSupportCase'), schema)!;
    expect(d).to.include({
      className: 'CreateSupportCase',
      methodName: 'createCases',
      label: 'Create Support Case',
      category: 'ForceGate Service',
      isGlobal: true,
      callout: false,
    });
    expect(d.description).to.match(/^Opens a new support Case on a Salesforce Account you can see/);
    expect(d.inputs.map((p) => [p.name, p.type, p.required])).to.deep.equal([
      ['accountId', 'ID', true],
      ['subject', 'STRING', true],
      ['description', 'STRING', false],
      ['priority', 'STRING', false],
      ['contactId', 'ID', false],
    ]);
    const subject = d.inputs[1]!;
    expect(subject.label).to.equal('Subject');
    // Apex string escapes and quotes inside the annotation survive.
    expect(subject.description).to.equal('Short summary of the problem, at most 255 characters, e.g. "Invoices not syncing since Monday".');
    expect(d.outputs.map((p) => [p.name, p.type, p.required])).to.deep.equal([
      ['caseId', 'ID', false],
      ['caseNumber', 'STRING', false],
      ['message', 'STRING', false],
    ]);
  });

  it('maps Date, Decimal, Integer, Boolean and List<Id> (a collection) in OpportunitiesClosingInRange', () => {
    const d = describeApexClass(source('OpportunitiesClosingInRange'), schema)!;
    expect(d.inputs.map((p) => [p.name, p.type, p.collection, p.required])).to.deep.equal([
      ['startDate', 'DATE', false, true],
      ['endDate', 'DATE', false, true],
      ['minimumAmount', 'DOUBLE', false, false],
      ['maxResults', 'INTEGER', false, false],
    ]);
    expect(d.outputs.map((p) => [p.name, p.type, p.collection])).to.deep.equal([
      ['opportunityCount', 'INTEGER', false],
      ['totalAmount', 'DOUBLE', false],
      ['moreAvailable', 'BOOLEAN', false],
      ['opportunityIds', 'ID', true],
      ['listing', 'STRING', false],
    ]);
  });

  it('finds every invocable class of force-app and skips the others', () => {
    const invocable = ['AccountHealthSummary', 'CreateSupportCase', 'LogCallActivity', 'OpportunitiesClosingInRange'];
    for (const name of invocable) expect(describeApexClass(source(name), schema), name).to.not.equal(null);
    for (const name of ['ForceGateActionException', 'ForceGateTestData', 'CreateSupportCaseTest', 'AccountSnapshotResource']) {
      expect(describeApexClass(source(name), schema), name).to.equal(null);
    }
  });

  it('maps sObject, Datetime, Long, List<String> and primitive-list signatures', () => {
    const d = describeApexClass(
      `public class Typed {
        public class Req {
          @InvocableVariable(label='Acct' required=true defaultValue='x' placeholderText='Pick one') public Account acct;
          @InvocableVariable public Datetime at;
          @InvocableVariable public Long big;
          @InvocableVariable public List<String> tags;
          @InvocableVariable public Double ratio;
          public String notExposed;
        }
        @InvocableMethod(label='Typed' callout=true iconName='slds:standard:account')
        public static List<List<Id>> run(List<Req> reqs) { return null; }
      }`,
      schema,
    )!;
    expect(d.inputs.map((p) => [p.name, p.type, p.sobjectType, p.collection])).to.deep.equal([
      ['acct', 'SOBJECT', 'Account', false],
      ['at', 'DATETIME', null, false],
      ['big', 'LONG', null, false],
      ['tags', 'STRING', null, true],
      ['ratio', 'DOUBLE', null, false],
    ]);
    expect(d.inputs[0]).to.include({ label: 'Acct', required: true, defaultValue: 'x', placeholderText: 'Pick one' });
    expect(d).to.include({ callout: true, iconName: 'slds:standard:account', isGlobal: false });
    expect(d.outputs).to.have.length(1);
    expect(d.outputs[0]).to.include({ name: 'output', type: 'ID', collection: true });

    const primitive = describeApexClass(`public class P { @InvocableMethod public static void go(List<String> names) {} }`, schema)!;
    expect(primitive.inputs.map((p) => [p.name, p.type])).to.deep.equal([['names', 'STRING']]);
    expect(primitive.outputs).to.deep.equal([]);
    expect(primitive.label).to.equal('P');
  });

  it('refuses classes that break the rules or do not compile', () => {
    expect(() => describeApexClass(`public class A { @InvocableMethod public static void a(List<String> x) {} @InvocableMethod public static void b(List<String> y) {} }`, schema)).to.throw(
      ApexDescribeError,
      /more than one @InvocableMethod/,
    );
    expect(() => describeApexClass(`public class A { @InvocableMethod public void a(List<String> x) {} }`, schema)).to.throw(ApexDescribeError, /must be static/);
    expect(() => describeApexClass(`public class A { @InvocableMethod public static void a(String x) {} }`, schema)).to.throw(ApexDescribeError, /must be a List/);
    expect(() =>
      describeApexClass(`public class A { public class R { @InvocableVariable private String s; } @InvocableMethod public static void a(List<R> x) {} }`, schema),
    ).to.throw(ApexDescribeError, /can't be private/);
    expect(() => describeApexClass(`public class A { void x( }`, schema)).to.throw(ApexDescribeError, /does not compile/);
  });
});
