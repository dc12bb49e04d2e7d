/**
 * Offline checks of the Apex classes with @apexdevtools/apex-parser:
 * - every class parses and has an Active -meta.xml at API 65.0 or later;
 * - sharing: no class (inner classes included) is `without sharing`, every non-test class is
 *   `with sharing`;
 * - data access: every SOQL query outside tests is `WITH USER_MODE`, every DML statement is
 *   `as user` (or `AccessLevel.USER_MODE`), and no query string is built at run time;
 * - invocable actions follow what Hosted MCP custom servers need: class, method, request/result
 *   classes and `@InvocableVariable` fields all `global`, one `@InvocableMethod` per class, label
 *   and description on every annotation, `required` stated on every input;
 * - every class with logic has a `<Name>Test` class that is `@IsTest`, uses `System.runAs` and asserts.
 */
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import {
  annotation,
  annotationString,
  apexClass,
  apexClasses,
  hasInvocableMethod,
  isRestResource,
  isTestClass,
  parseApex,
  type ApexClassModel,
  type ApexFile,
} from './apex-model.ts';
import { MIN_API_VERSION, readMetadata, rel, text } from './support.ts';

const SHARING = ['with sharing', 'without sharing', 'inherited sharing'];

function allClasses(model: ApexClassModel): ApexClassModel[] {
  return [model, ...model.innerClasses.flatMap(allClasses)];
}

function sharingOf(model: ApexClassModel): string | undefined {
  return model.modifiers.find((m) => SHARING.includes(m));
}

/** True for a class with no behaviour of its own: an exception type with an empty body. */
function isPlainException(model: ApexClassModel): boolean {
  return /exception$/i.test(model.extendsType ?? '') && model.methods.length === 0 && model.fields.length === 0;
}

function productionClasses(): ApexFile[] {
  return apexClasses().filter((c) => c.model && !isTestClass(c.model));
}

describe('force-app: Apex classes (apex-parser)', () => {
  it('finds the classes', () => {
    expect(apexClasses().length).to.be.at.least(10);
  });

  it('parses every class without syntax errors', () => {
    const failures = apexClasses()
      .filter((c) => c.syntaxErrors.length > 0 || !c.model)
      .map((c) => `${rel(c.file)}: ${c.syntaxErrors.join('; ') || 'no class declaration'}`);
    expect(failures).to.deep.equal([]);
  });

  it('reports syntax errors (the parser check itself can fail)', () => {
    const broken = parseApex('Broken.cls', 'public with sharing class Broken { void f() { Integer x = ; } }');
    expect(broken.syntaxErrors.length).to.be.greaterThan(0);
  });

  it('gives every class an Active -meta.xml at API 65.0 or later', () => {
    for (const c of apexClasses()) {
      const metaFile = `${c.file}-meta.xml`;
      expect(existsSync(metaFile), `${rel(metaFile)} exists`).to.equal(true);
      const meta = readMetadata(metaFile, 'ApexClass');
      expect(Number(text(meta.apiVersion)), `${c.name} apiVersion`).to.be.at.least(MIN_API_VERSION);
      expect(text(meta.status), `${c.name} status`).to.equal('Active');
    }
  });

  describe('sharing', () => {
    it('declares no class or inner class without sharing', () => {
      const offenders = apexClasses()
        .flatMap((c) => (c.model ? allClasses(c.model).map((m) => ({ file: c, m })) : []))
        .filter(({ m }) => sharingOf(m) === 'without sharing')
        .map(({ file, m }) => `${file.name}.${m.name}`);
      expect(offenders).to.deep.equal([]);
    });

    it('declares every non-test top-level class with sharing', () => {
      const offenders = productionClasses()
        .filter((c) => sharingOf(c.model!) !== 'with sharing')
        .map((c) => `${c.name}: ${sharingOf(c.model!) ?? 'no sharing keyword'}`);
      expect(offenders).to.deep.equal([]);
    });

    it('detects a without sharing class (the check can fail)', () => {
      const model = parseApex('Bad.cls', 'public without sharing class Bad { }').model!;
      expect(sharingOf(model)).to.equal('without sharing');
    });
  });

  describe('data access runs in user mode', () => {
    it('queries WITH USER_MODE in every non-test class', () => {
      const offenders = productionClasses().flatMap((c) =>
        c.soql.filter((q) => !/\bWITH\s+USER_MODE\b/i.test(q.text)).map((q) => `${c.name}:${q.line} ${q.text}`),
      );
      expect(offenders).to.deep.equal([]);
      expect(productionClasses().flatMap((c) => c.soql).length, 'queries found').to.be.at.least(8);
    });

    it('runs every DML statement of a non-test class as user', () => {
      const offenders = productionClasses().flatMap((c) =>
        c.dml.filter((d) => d.accessLevel !== 'user').map((d) => `${c.name}:${d.line} ${d.kind} (${d.accessLevel ?? 'no access level'})`),
      );
      expect(offenders).to.deep.equal([]);
      expect(productionClasses().flatMap((c) => c.dml).length, 'DML statements found').to.be.at.least(2);
    });

    it('builds no query strings at run time anywhere (no Database.query / Search.query)', () => {
      const offenders = apexClasses().flatMap((c) => c.dynamicQueries.map((q) => `${c.name}:${q.line} ${q.call}`));
      expect(offenders).to.deep.equal([]);
    });

    it('flags system-mode SOQL, plain DML and dynamic SOQL (the checks can fail)', () => {
      const bad = parseApex(
        'Bad.cls',
        `public with sharing class Bad {
           public static void f(String n) {
             List<Account> a = [SELECT Id FROM Account];
             insert a;
             Database.query('SELECT Id FROM Account WHERE Name = \\'' + n + '\\'');
           }
         }`,
      );
      expect(bad.soql.map((q) => /WITH USER_MODE/i.test(q.text))).to.deep.equal([false]);
      expect(bad.dml.map((d) => d.accessLevel)).to.deep.equal([undefined]);
      expect(bad.dynamicQueries.map((q) => q.call)).to.deep.equal(['database.query']);
    });
  });

  describe('invocable actions usable as MCP tools', () => {
    const invocables = (): ApexFile[] => productionClasses().filter((c) => hasInvocableMethod(c.model!));

    it('has at least four invocable actions', () => {
      expect(invocables().map((c) => c.name)).to.include.members([
        'AccountHealthSummary',
        'OpportunitiesClosingInRange',
        'CreateSupportCase',
        'LogCallActivity',
      ]);
    });

    for (const name of ['AccountHealthSummary', 'OpportunitiesClosingInRange', 'CreateSupportCase', 'LogCallActivity']) {
      describe(name, () => {
        const model = (): ApexClassModel => apexClass(name)!.model!;
        const invocableMethods = () => model().methods.filter((m) => annotation(m.annotations, 'InvocableMethod'));

        it('is a global with sharing class with exactly one global static @InvocableMethod', () => {
          expect(model().modifiers).to.include('global');
          expect(model().modifiers).to.include('with sharing');
          expect(invocableMethods()).to.have.length(1);
          expect(invocableMethods()[0]!.modifiers).to.include.members(['global', 'static']);
        });

        it('labels and describes the action for an agent', () => {
          const a = annotation(invocableMethods()[0]!.annotations, 'InvocableMethod');
          expect(annotationString(a, 'label'), 'label').to.have.length.greaterThan(3);
          expect(annotationString(a, 'description'), 'description').to.have.length.greaterThan(80);
          expect(annotationString(a, 'category'), 'category').to.match(/^ForceGate /);
        });

        it('takes List<Request> and returns List<Result>, both global inner classes', () => {
          const method = invocableMethods()[0]!;
          expect(method.parameterTypes).to.deep.equal(['List<Request>']);
          expect(method.type).to.equal('List<Result>');
          for (const inner of ['Request', 'Result']) {
            const cls = model().innerClasses.find((c) => c.name === inner);
            expect(cls, `${name}.${inner}`).to.not.equal(undefined);
            expect(cls!.modifiers, `${name}.${inner} modifiers`).to.include('global');
          }
        });

        it('makes every @InvocableVariable global with a label and a description; inputs state required', () => {
          for (const inner of ['Request', 'Result']) {
            const cls = model().innerClasses.find((c) => c.name === inner)!;
            const variables = cls.fields.filter((f) => annotation(f.annotations, 'InvocableVariable'));
            expect(variables.length, `${name}.${inner} variables`).to.be.at.least(1);
            for (const v of variables) {
              const a = annotation(v.annotations, 'InvocableVariable');
              const where = `${name}.${inner}.${v.name}`;
              expect(v.modifiers, `${where} modifiers`).to.include('global');
              expect(v.modifiers, `${where} modifiers`).to.not.include.members(['static', 'final']);
              expect(annotationString(a, 'label'), `${where} label`).to.not.equal('');
              expect(annotationString(a, 'description'), `${where} description`).to.have.length.greaterThan(10);
              if (inner === 'Request') expect(a!.params.has('required'), `${where} states required`).to.equal(true);
            }
          }
        });
      });
    }
  });

  it('exposes one read-only @RestResource with only @HttpGet methods', () => {
    const rest = productionClasses().filter((c) => isRestResource(c.model!));
    expect(rest.map((c) => c.name)).to.deep.equal(['AccountSnapshotResource']);
    const model = rest[0]!.model!;
    expect(model.modifiers).to.include.members(['global', 'with sharing']);
    const httpMethods = model.methods.flatMap((m) => m.annotations.map((a) => a.name)).filter((n) => n.startsWith('http'));
    expect(httpMethods).to.deep.equal(['httpget']);
    expect(rest[0]!.dml, 'a read-only endpoint does no DML').to.deep.equal([]);
  });

  describe('tests', () => {
    it('pairs every class that has logic with a <Name>Test class', () => {
      const missing = productionClasses()
        .filter((c) => !isPlainException(c.model!))
        .filter((c) => {
          const test = apexClass(`${c.name}Test`);
          return !test?.model || !isTestClass(test.model);
        })
        .map((c) => c.name);
      expect(missing).to.deep.equal([]);
    });

    it('runs each test class as a restricted user, asserts results and uses @TestSetup', () => {
      for (const c of productionClasses().filter((p) => !isPlainException(p.model!))) {
        const test = apexClass(`${c.name}Test`)!;
        const testMethods = test.model!.methods.filter((m) => annotation(m.annotations, 'IsTest'));
        expect(testMethods.length, `${test.name} test methods`).to.be.at.least(4);
        expect(test.runAsCount, `${test.name} System.runAs blocks`).to.be.at.least(testMethods.length);
        expect(test.model!.methods.some((m) => annotation(m.annotations, 'TestSetup')), `${test.name} @TestSetup`).to.equal(true);
        expect(test.source, `${test.name} refers to ${c.name}`).to.match(new RegExp(`\\b${c.name}\\.`));
        expect(test.source, `${test.name} proves refusal for the outsider`).to.match(/ALIAS_OUTSIDER/);
        expect((test.source.match(/\bAssert\.\w+\(/g) ?? []).length, `${test.name} assertions`).to.be.at.least(testMethods.length);
      }
    });

    it('creates the restricted user with the Minimum Access - Salesforce profile', () => {
      const data = apexClass('ForceGateTestData')!;
      expect(isTestClass(data.model!)).to.equal(true);
      expect(data.source).to.include("'Minimum Access - Salesforce'");
      expect(data.source).to.match(/PermissionSetAssignment/);
    });
  });

  it('keeps the ApexDoc style: a doc comment before every production class', () => {
    for (const c of productionClasses()) {
      expect(c.source.trimStart().startsWith('/**'), `${c.name} starts with an ApexDoc comment`).to.equal(true);
      expect(c.source, `${c.name} @description`).to.include('@description');
    }
  });

  it('uses no trigger, future, batch or callout code (the local Apex interpreter subset)', () => {
    for (const c of apexClasses()) {
      expect(c.source, c.name).to.not.match(/@future|Database\.Batchable|Queueable|HttpRequest|Schedulable/);
    }
  });
});
