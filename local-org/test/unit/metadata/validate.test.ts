/**
 * Deploy validation against a real org (the project's force-app deployed): each validator, and
 * the all-or-nothing rule of deployComponents.
 */
import { expect } from 'chai';
import type { LocalOrg } from '../../../src/local-org.ts';
import { checkApex } from '../../../src/metadata/apex-check.ts';
import { deployComponents } from '../../../src/metadata/deploy.ts';
import type { ComponentProblem } from '../../../src/metadata/mdapi-format.ts';
import { validateDeploy, type DeployComponent } from '../../../src/metadata/validate.ts';
import { startTestOrg } from '../../helpers/org.ts';
import { APEX_META } from '../../helpers/project.ts';

const NS = 'http://soap.sforce.com/2006/04/metadata';

const apexClass = (name: string, body: string): DeployComponent => ({ type: 'ApexClass', fullName: name, path: `classes/${name}.cls`, xml: APEX_META, body });
const doc = (type: string, fullName: string, inner: string, path = `${type}/${fullName}`): DeployComponent => ({
  type,
  fullName,
  path,
  xml: `<?xml version="1.0" encoding="UTF-8"?>\n<${type} xmlns="${NS}">\n${inner}\n</${type}>\n`,
});
const field = (object: string, name: string, inner: string): DeployComponent =>
  doc('CustomField', `${object}.${name}`, `    <fullName>${name}</fullName>\n    <label>${name}</label>\n${inner}`, `objects/${object}.object`);

const INVOCABLE = `public with sharing class Greeter {
    @InvocableMethod(label='Greet')
    public static List<String> greet(List<String> names) { return names; }
}`;

function flow(name: string, body: string): DeployComponent {
  return doc(
    'Flow',
    name,
    `    <apiVersion>65.0</apiVersion>\n    <label>${name}</label>\n    <processType>AutoLaunchedFlow</processType>\n    <status>Active</status>\n${body}`,
    `flows/${name}.flow`,
  );
}

const lookup = (name: string, object: string, filterField: string, queried: string[]): string => `    <recordLookups>
        <name>${name}</name>
        <label>${name}</label>
        <locationX>0</locationX>
        <locationY>0</locationY>
        <filterLogic>and</filterLogic>
        <filters>
            <field>${filterField}</field>
            <operator>EqualTo</operator>
            <value><elementReference>recordId</elementReference></value>
        </filters>
        <getFirstRecordOnly>true</getFirstRecordOnly>
        <object>${object}</object>
${queried.map((q) => `        <queriedFields>${q}</queriedFields>`).join('\n')}
        <storeOutputAutomatically>true</storeOutputAutomatically>
    </recordLookups>`;

function mcpServer(name: string, tools: { id: string; op?: string }[]): DeployComponent {
  const xml = tools
    .map(
      (t, i) => `    <tools>
        <apiDefinition>
            <apiIdentifier>${t.id}</apiIdentifier>
            <apiSource>API_CATALOG</apiSource>
            <operation>${t.op ?? 'op'}</operation>
        </apiDefinition>
        <readOnly>true</readOnly>
        <toolName>tool_${i}</toolName>
    </tools>`,
    )
    .join('\n');
  return doc('McpServerDefinition', name, `    <masterLabel>${name}</masterLabel>\n${xml}`, `mcpServerDefinitions/${name}.mcpServerDefinition`);
}

describe('metadata: deploy validation', function () {
  this.timeout(120_000);
  let local: LocalOrg;
  const problems = (components: DeployComponent[]): ComponentProblem[] => validateDeploy(local.org, { components });
  const only = (components: DeployComponent[]): ComponentProblem => {
    const p = problems(components);
    expect(p, JSON.stringify(p, null, 1)).to.have.length(1);
    return p[0]!;
  };

  before(async () => {
    local = await startTestOrg();
  });
  after(async () => local?.close());

  it('accepts the project force-app as deployed', () => {
    expect(problems([])).to.deep.equal([]);
  });

  it('reports malformed XML with its line and column', () => {
    const p = only([{ type: 'Flow', fullName: 'Bad', path: 'force-app/main/default/flows/Bad.flow-meta.xml', xml: `<?xml version="1.0"?>\n<Flow xmlns="${NS}">\n    <label>x</lable>\n</Flow>\n` }]);
    expect(p).to.include({ componentType: 'Flow', fileName: 'force-app/main/default/flows/Bad.flow-meta.xml', lineNumber: 3 });
    expect(p.problem).to.match(/^Error parsing file: /);
  });

  describe('Apex', () => {
    it('reports a syntax error with its 1-based line and column on the .cls file', () => {
      const p = only([apexClass('Broken', 'public class Broken {\n  public void m() {\n    Integer i = 1\n    i++;\n  }\n}\n')]);
      expect(p).to.include({ componentType: 'ApexClass', fullName: 'Broken', fileName: 'classes/Broken.cls', problem: "Missing ';' at 'i'", problemType: 'Error', lineNumber: 4, columnNumber: 5 });
    });

    it('reports an unexpected token', () => {
      const p = only([apexClass('Extra', 'public class Extra {\n}\n}\n')]);
      expect(p.problem).to.equal("Unexpected token '}'.");
      expect(p.lineNumber).to.equal(3);
    });

    it('knows invocable and REST classes', () => {
      expect(checkApex(INVOCABLE)).to.deep.include({ errors: [], invocable: true, restResource: false });
      expect(checkApex('@RestResource(urlMapping=\'/x/*\')\nglobal class R { @HttpGet global static String g() { return \'\'; } }').restResource).to.equal(true);
      expect(checkApex('public class C { /* @InvocableMethod */ }').invocable).to.equal(false);
    });
  });

  describe('CustomObject and CustomField', () => {
    it('refuses an unsupported field type', () => {
      expect(only([field('Account', 'Where__c', '    <type>Location</type>')]).problem).to.match(/Unsupported field type 'Location'/);
    });

    it('refuses a field on an object that does not exist', () => {
      expect(only([field('Nope__c', 'X__c', '    <type>Checkbox</type>\n    <defaultValue>false</defaultValue>')]).problem).to.equal('In field: fullName - no CustomObject named Nope__c found');
    });

    it('refuses a lookup to an object that does not exist', () => {
      const p = only([field('Account', 'Partner__c', '    <type>Lookup</type>\n    <referenceTo>Partner__c</referenceTo>\n    <relationshipName>Partners</relationshipName>')]);
      expect(p.problem).to.equal("Field Partner__c: referenceTo value of 'Partner__c' does not resolve to a valid sObject type");
    });

    it('accepts a new object with its fields, and a lookup to it from the same deploy', () => {
      expect(
        problems([
          doc('CustomObject', 'Partner__c', '    <label>Partner</label>\n    <pluralLabel>Partners</pluralLabel>\n    <nameField><label>Name</label><type>Text</type></nameField>\n    <sharingModel>ReadWrite</sharingModel>'),
          field('Account', 'Partner__c', '    <type>Lookup</type>\n    <referenceTo>Partner__c</referenceTo>\n    <relationshipName>Accounts</relationshipName>'),
        ]),
      ).to.deep.equal([]);
    });
  });

  describe('Flow', () => {
    it('refuses a Get Records element on a field the object does not have', () => {
      const p = only([flow('Look', lookup('Get_Account', 'Account', 'Id', ['Id', 'Nope__c']))]);
      expect(p.problem).to.equal('The element "Get_Account" references the field "Nope__c", which doesn\'t exist on the Account object.');
      expect(p.fileName).to.equal('flows/Look.flow');
      expect(p.lineNumber).to.be.greaterThan(5);
    });

    it('refuses a merge field into a record that names a missing field', () => {
      const body = `${lookup('Get_Account', 'Account', 'Id', ['Id', 'Name'])}
    <formulas>
        <name>Summary</name>
        <dataType>String</dataType>
        <expression>{!Get_Account.Name} &amp; {!Get_Account.Missing_Score__c}</expression>
    </formulas>`;
      expect(only([flow('Merge', body)]).problem).to.contain('"Missing_Score__c"');
    });

    it('refuses an object that does not exist', () => {
      expect(only([flow('Obj', lookup('Get_X', 'Ghost__c', 'Id', ['Id']))]).problem).to.equal('The element "Get_X" references the object "Ghost__c", which doesn\'t exist.');
    });

    it('accepts relationship paths and fields created by the same deploy', () => {
      const body = `${lookup('Get_Account', 'Account', 'Id', ['Id', 'Tier__c'])}
    <assignments>
        <name>Copy</name>
        <label>Copy</label>
        <locationX>0</locationX>
        <locationY>0</locationY>
        <assignmentItems>
            <assignToReference>ownerName</assignToReference>
            <operator>Assign</operator>
            <value><elementReference>Get_Account.Owner.Name</elementReference></value>
        </assignmentItems>
    </assignments>`;
      expect(problems([flow('Rel', body), field('Account', 'Tier__c', '    <type>Text</type>\n    <length>10</length>')])).to.deep.equal([]);
    });
  });

  describe('PermissionSet', () => {
    const ps = (inner: string): DeployComponent => doc('PermissionSet', 'Test_PS', `    <label>Test</label>\n${inner}`, 'permissionsets/Test_PS.permissionset');

    it('refuses unknown objects, fields, classes and flows', () => {
      const p = problems([
        ps(`    <objectPermissions><allowRead>true</allowRead><object>Ghost__c</object></objectPermissions>
    <fieldPermissions><editable>false</editable><field>Account.Ghost__c</field><readable>true</readable></fieldPermissions>
    <classAccesses><apexClass>GhostClass</apexClass><enabled>true</enabled></classAccesses>
    <flowAccesses><enabled>true</enabled><flow>Ghost_Flow</flow></flowAccesses>`),
      ]).map((x) => x.problem);
      expect(p).to.have.members([
        'In field: object - no CustomObject named Ghost__c found',
        'In field: field - no CustomField named Account.Ghost__c found',
        'In field: apexClass - no ApexClass named GhostClass found',
        'In field: flow - no FlowDefinition named Ghost_Flow found',
      ]);
    });

    it('accepts a class deployed with it', () => {
      expect(problems([ps('    <classAccesses><apexClass>Greeter</apexClass><enabled>true</enabled></classAccesses>'), apexClass('Greeter', INVOCABLE)])).to.deep.equal([]);
    });
  });

  describe('McpServerDefinition', () => {
    it('checks every tool target', () => {
      const p = problems([
        mcpServer('Test_Server', [
          { id: 'aa:apex-Ghost' },
          { id: 'aa:apex-ForceGateActionException' },
          { id: 'fa:flow-Ghost_Flow' },
          { id: 'nq:GhostQuery' },
          { id: 'zz:what' },
          { id: 'psmcps:platform.sobject-reads:soqlQuery' },
          { id: 'psmcps:platform.sobject-reads:deleteSobjectRecord' },
          { id: 'nq:OpenCasesByAccount_nquery' },
          { id: 'fa:flow-Escalate_Case' },
        ]),
      ]).map((x) => x.problem);
      expect(p).to.have.members([
        'In field: apiIdentifier - no ApexClass named Ghost found',
        'In field: apiIdentifier - the ApexClass ForceGateActionException has no @InvocableMethod',
        'In field: apiIdentifier - no Flow named Ghost_Flow found',
        'In field: apiIdentifier - no ApiNamedQuery named GhostQuery found',
        'In field: apiIdentifier - unsupported API identifier zz:what',
        'In field: apiIdentifier - the server platform/sobject-reads has no tool deleteSobjectRecord',
      ]);
    });

    it('accepts an invocable class deployed with it', () => {
      expect(problems([mcpServer('Test_Server', [{ id: 'aa:apex-Greeter' }]), apexClass('Greeter', INVOCABLE)])).to.deep.equal([]);
    });
  });

  describe('ApiNamedQuery', () => {
    const nq = (name: string, soql: string): DeployComponent =>
      doc('ApiNamedQuery', name, `    <apiVersion>65.0</apiVersion>\n    <body2>${soql}</body2>\n    <description>d</description>\n    <masterLabel>m</masterLabel>`);

    it('refuses names with underscores, unparsable SOQL, unknown objects and fields', () => {
      expect(only([nq('Bad_Name', 'SELECT Id FROM Account')]).problem).to.match(/must begin with a letter and contain only letters and numbers/);
      expect(only([nq('Unparsable', 'SELECT FROM WHERE')]).problem).to.match(/^Invalid SOQL in body2/);
      expect(only([nq('NoObject', 'SELECT Id FROM Ghost__c')]).problem).to.equal("sObject type 'Ghost__c' is not supported.");
      expect(only([nq('NoField', 'SELECT Id, Ghost__c FROM Account WHERE Name = :name LIMIT :n')]).problem).to.equal("No such column 'Ghost__c' on entity 'Account'.");
    });
  });

  describe('External Client Apps', () => {
    it('refuses settings of an app that does not exist and invalid enum values', () => {
      const p = problems([
        doc('ExtlClntAppOauthSettings', 'Ghost', '    <commaSeparatedOauthScopes>MCP</commaSeparatedOauthScopes>\n    <externalClientApplication>Ghost</externalClientApplication>\n    <label>x</label>'),
        doc(
          'ExtlClntAppOauthConfigurablePolicies',
          'ForceGate_Claude_defaultPolicy',
          '    <externalClientApplication>ForceGate_Claude</externalClientApplication>\n    <label>x</label>\n    <permittedUsersPolicyType>AdminApproved</permittedUsersPolicyType>',
        ),
      ]).map((x) => x.problem);
      expect(p).to.have.members([
        'In field: externalClientApplication - no ExternalClientApplication named Ghost found',
        "Error parsing file: 'AdminApproved' is not a valid value for the enum 'permittedUsersPolicyType'",
      ]);
    });
  });

  describe('deployComponents', () => {
    it('applies nothing when any component fails', () => {
      const before = local.org.db.prepare("SELECT COUNT(*) AS n FROM _metadata WHERE type = 'ApexClass'").get() as { n: number };
      const outcome = deployComponents(local.org, [apexClass('Greeter', INVOCABLE), field('Account', 'Tier__c', '    <type>Text</type>\n    <length>10</length>'), apexClass('Broken', 'public class Broken {')], local.org.systemUserId);
      expect(outcome.applied).to.deep.equal([]);
      expect(outcome.problems.map((p) => p.fullName)).to.deep.equal(['Broken']);
      const after = local.org.db.prepare("SELECT COUNT(*) AS n FROM _metadata WHERE type = 'ApexClass'").get() as { n: number };
      expect(after.n).to.equal(before.n);
      expect(local.org.schema.field('Account', 'Tier__c')).to.equal(undefined);
    });

    it('applies nothing with checkOnly, and says what would be created or changed', () => {
      const stored = local.org.db.prepare("SELECT xml, body FROM _metadata WHERE type = 'ApexClass' AND full_name = 'AccountHealthSummary'").get() as { xml: string; body: string };
      const outcome = deployComponents(
        local.org,
        [apexClass('Greeter', INVOCABLE), { ...apexClass('AccountHealthSummary', `${stored.body}\n// changed`), xml: stored.xml }, field('Account', 'Tier__c', '    <type>Text</type>\n    <length>10</length>')],
        local.org.systemUserId,
        { checkOnly: true },
      );
      expect(outcome.problems).to.deep.equal([]);
      expect(outcome.applied.map((a) => [a.fullName, a.created, a.changed])).to.deep.equal([
        ['Greeter', true, false],
        ['AccountHealthSummary', false, true],
        ['Account.Tier__c', true, false],
      ]);
      expect(local.org.db.prepare("SELECT 1 FROM _metadata WHERE full_name = 'Greeter'").get()).to.equal(undefined);
      expect(local.org.schema.field('Account', 'Tier__c')).to.equal(undefined);
    });

    it('applies everything and keeps the Tooling rows in step', async () => {
      const row = () => local.org.db.prepare("SELECT Id, Body, LastModifiedDate FROM ApexClass WHERE Name = 'Greeter'").get() as { Id: string; Body: string; LastModifiedDate: string } | undefined;
      const first = deployComponents(local.org, [apexClass('Greeter', INVOCABLE)], local.org.systemUserId);
      expect(first.applied).to.deep.include({ type: 'ApexClass', fullName: 'Greeter', id: first.applied[0]!.id, created: true, changed: false });
      const r1 = row()!;
      expect(r1.Id).to.equal(first.applied[0]!.id);
      await new Promise((r) => setTimeout(r, 5));
      const same = deployComponents(local.org, [apexClass('Greeter', INVOCABLE)], local.org.systemUserId);
      expect(same.applied[0]).to.include({ created: false, changed: false });
      expect(row()!.LastModifiedDate).to.equal(r1.LastModifiedDate);
      await new Promise((r) => setTimeout(r, 5));
      const changed = deployComponents(local.org, [apexClass('Greeter', `${INVOCABLE}\n`)], local.org.systemUserId);
      expect(changed.applied[0]).to.include({ created: false, changed: true, id: r1.Id });
      expect(row()!.LastModifiedDate > r1.LastModifiedDate).to.equal(true);
    });
  });
});
