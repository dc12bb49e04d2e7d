/**
 * Static checks of the declarative metadata: autolaunched flows usable as tools, Named Queries,
 * permission sets (including the field hidden from the read set), org-wide defaults and custom
 * schema from docs/design.md, the scratch-org definition and the sample data plan.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseQuery } from '@jetstreamapp/soql-parser-js';
import {
  DEFAULT_DIR,
  MIN_API_VERSION,
  PERMISSION_SETS,
  PROJECT_DIR,
  apiName,
  decodeXml,
  list,
  metadataFiles,
  readMetadata,
  readText,
  text,
  type XmlNode,
} from './support.ts';

const FLOW_SUFFIX = '.flow-meta.xml';
const QUERY_SUFFIX = '.apiNamedQuery-meta.xml';

/** Flow elements the local org can run later (Get/Create/Update Records, Assignment, Decision, Loop). */
const RUNNABLE_ELEMENTS = ['assignments', 'decisions', 'loops', 'recordLookups', 'recordCreates', 'recordUpdates'];
/** Declarations and settings without behaviour of their own. */
const FLOW_SETTINGS = [
  'apiVersion',
  'description',
  'environments',
  'formulas',
  'interviewLabel',
  'isAdditionalPermissionRequiredToRun',
  'label',
  'processMetadataValues',
  'processType',
  'start',
  'status',
  'variables',
  'constants',
  'textTemplates',
  '#comment',
];

function customFieldExists(object: string, field: string): boolean {
  return existsSync(join(DEFAULT_DIR, 'objects', object, 'fields', `${field}.field-meta.xml`));
}

function field(object: string, name: string): XmlNode {
  return readMetadata(join(DEFAULT_DIR, 'objects', object, 'fields', `${name}.field-meta.xml`), 'CustomField');
}

function permissionSet(name: string): XmlNode {
  return readMetadata(join(DEFAULT_DIR, 'permissionsets', `${name}.permissionset-meta.xml`), 'PermissionSet');
}

/** `:name` bind variables of a SOQL text. */
function binds(soql: string): string[] {
  return [...new Set([...soql.matchAll(/:\s*([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))].sort();
}

describe('force-app: metadata', () => {
  describe('autolaunched flows', () => {
    const flows = metadataFiles('flows', FLOW_SUFFIX);

    it('has the escalation and stage-update flows (and at least two in all)', () => {
      const names = flows.map((f) => apiName(f, FLOW_SUFFIX));
      expect(names).to.include.members(['Escalate_Case', 'Update_Opportunity_Stage']);
    });

    for (const file of flows) {
      const name = apiName(file, FLOW_SUFFIX);
      describe(name, () => {
        const flow = readMetadata(file, 'Flow');

        it('is an active autolaunched flow at API 65.0 or later, described for agents', () => {
          expect(text(flow.processType)).to.equal('AutoLaunchedFlow');
          expect(text(flow.status)).to.equal('Active');
          expect(Number(text(flow.apiVersion))).to.be.at.least(MIN_API_VERSION);
          expect(text(flow.description)).to.have.length.greaterThan(100);
          expect(text(flow.description), 'states it runs as the user').to.match(/user's context/);
          expect(list(flow.runInMode).map(text).filter((m) => m !== 'DefaultMode'), 'no system-mode override').to.deep.equal([]);
        });

        it('uses only elements the local org can run', () => {
          const unknown = Object.keys(flow).filter((k) => !RUNNABLE_ELEMENTS.includes(k) && !FLOW_SETTINGS.includes(k));
          expect(unknown).to.deep.equal([]);
        });

        it('has described input and output variables', () => {
          const variables = list(flow.variables);
          const inputs = variables.filter((v) => text(v.isInput) === 'true');
          const outputs = variables.filter((v) => text(v.isOutput) === 'true');
          expect(inputs.length, 'inputs').to.be.at.least(1);
          expect(outputs.length, 'outputs').to.be.at.least(2);
          for (const v of [...inputs, ...outputs]) expect(text(v.description), `${text(v.name)} description`).to.have.length.greaterThan(20);
          expect(outputs.map((v) => text(v.name)), 'reports success and a message').to.include.members(['success', 'message']);
        });

        it('connects only to elements that exist', () => {
          const elements = new Set(RUNNABLE_ELEMENTS.flatMap((k) => list(flow[k]).map((e) => text(e.name))));
          const targets = [...readText(file).matchAll(/<targetReference>([^<]+)<\/targetReference>/g)].map((m) => m[1]!);
          expect(targets.length).to.be.at.least(3);
          for (const t of targets) expect(elements.has(t), `target ${t}`).to.equal(true);
          const start = flow.start as XmlNode;
          expect(elements.has(text((start.connector as XmlNode | undefined)?.targetReference)), 'start connector').to.equal(true);
        });

        it('guards its writes with a decision and handles faults of every write', () => {
          expect(list(flow.decisions).length).to.be.at.least(1);
          for (const write of [...list(flow.recordUpdates), ...list(flow.recordCreates)]) {
            expect(write.faultConnector, `${text(write.name)} faultConnector`).to.not.equal(undefined);
          }
        });

        it('refers only to custom fields that exist in force-app', () => {
          const lookups = [...list(flow.recordLookups), ...list(flow.recordUpdates)];
          for (const el of lookups) {
            const object = text(el.object);
            const fields = [
              ...list(el.filters).map((f) => text(f.field)),
              ...list(el.inputAssignments).map((f) => text(f.field)),
              ...list(el.queriedFields).map(text),
            ];
            for (const f of fields.filter((x) => x.endsWith('__c'))) expect(customFieldExists(object, f), `${object}.${f}`).to.equal(true);
          }
        });
      });
    }
  });

  describe('named queries (ApiNamedQuery)', () => {
    const queries = metadataFiles('apiNamedQueries', QUERY_SUFFIX);

    it('has at least three', () => {
      expect(queries.length).to.be.at.least(3);
    });

    for (const file of queries) {
      const name = apiName(file, QUERY_SUFFIX);
      describe(name, () => {
        const query = readMetadata(file, 'ApiNamedQuery');
        const body = decodeXml(text(query.body2));
        const parameters = list(query.apiNamedQueryParameters);

        it('has an alphanumeric API name starting with a letter, API 65.0 or later, label and description', () => {
          expect(name).to.match(/^[A-Za-z][A-Za-z0-9]*$/);
          expect(Number(text(query.apiVersion))).to.be.at.least(MIN_API_VERSION);
          expect(text(query.masterLabel)).to.not.equal('');
          expect(text(query.description)).to.have.length.greaterThan(80);
          expect(text(query.description)).to.match(/^Read-only\./);
        });

        it('keeps its elements in alphabetical order', () => {
          const order = [...readText(file).matchAll(/^ {4}<([A-Za-z0-9]+)>/gm)].map((m) => m[1]!);
          expect(order).to.deep.equal([...order].sort());
        });

        it('declares exactly the bind variables of its SOQL, each with a label and a description', () => {
          expect(parameters.length).to.be.at.least(1);
          expect(parameters.map((p) => text(p.parameterName)).sort()).to.deep.equal(binds(body));
          for (const p of parameters) {
            expect(text(p.parameterLabel), `${text(p.parameterName)} label`).to.not.equal('');
            expect(text(p.description), `${text(p.parameterName)} description`).to.have.length.greaterThan(20);
          }
        });

        it('is a SELECT that the local org SOQL parser accepts, on fields that exist', () => {
          const parsed = parseQuery(body, { allowApexBindVariables: true });
          expect(parsed.sObject).to.be.a('string');
          expect(body).to.match(/^SELECT /);
          expect(body).to.match(/ LIMIT \d+$/);
          const object = parsed.sObject!;
          for (const m of body.matchAll(/\b([A-Za-z_]+__c)\b/g)) {
            if (m[1] === object) continue;
            expect(customFieldExists(object, m[1]!), `${object}.${m[1]}`).to.equal(true);
          }
        });
      });
    }
  });

  describe('permission sets', () => {
    it('are the four of docs/design.md', () => {
      const names = metadataFiles('permissionsets', '.permissionset-meta.xml').map((f) => apiName(f, '.permissionset-meta.xml'));
      expect(names.sort()).to.deep.equal(Object.values(PERMISSION_SETS).sort());
    });

    it('keep ForceGate_Agent_Read read-only', () => {
      const read = permissionSet(PERMISSION_SETS.read);
      for (const o of list(read.objectPermissions)) {
        for (const flag of ['allowCreate', 'allowEdit', 'allowDelete', 'modifyAllRecords', 'viewAllRecords']) {
          expect(text(o[flag]), `${text(o.object)} ${flag}`).to.equal('false');
        }
        expect(text(o.allowRead), `${text(o.object)} allowRead`).to.equal('true');
      }
      for (const f of list(read.fieldPermissions)) expect(text(f.editable), `${text(f.field)} editable`).to.equal('false');
      const objects = list(read.objectPermissions).map((o) => text(o.object));
      expect(objects).to.include.members(['Account', 'Contact', 'Opportunity', 'Case', 'Account_Plan__c']);
      // The only user permission: "View Setup and Configuration", which the Named Query API requires.
      const userPermissions = list(read.userPermissions).filter((p) => text(p.enabled) === 'true').map((p) => text(p.name));
      expect(userPermissions).to.deep.equal(['ViewSetup']);
    });

    it('hide Account.Internal_Risk_Rating__c from the read set but grant it to the service set (FLS demo)', () => {
      const readFields = list(permissionSet(PERMISSION_SETS.read).fieldPermissions).map((f) => text(f.field));
      expect(readFields).to.include.members(['Account.Health_Score__c', 'Case.Escalation_Reason__c']);
      expect(readFields).to.not.include('Account.Internal_Risk_Rating__c');
      const service = list(permissionSet(PERMISSION_SETS.service).fieldPermissions);
      const risk = service.find((f) => text(f.field) === 'Account.Internal_Risk_Rating__c');
      expect(risk && text(risk.readable), 'service reads it').to.equal('true');
      expect(risk && text(risk.editable), 'service edits it').to.equal('true');
      const reason = service.find((f) => text(f.field) === 'Case.Escalation_Reason__c');
      expect(reason && text(reason.editable), 'service edits Escalation_Reason__c').to.equal('true');
    });

    it('let ForceGate_Agent_Service create and edit cases and opportunities but delete nothing', () => {
      const service = permissionSet(PERMISSION_SETS.service);
      for (const o of list(service.objectPermissions)) {
        expect(text(o.allowDelete), `${text(o.object)} allowDelete`).to.equal('false');
        expect(text(o.modifyAllRecords), `${text(o.object)} modifyAllRecords`).to.equal('false');
        expect(text(o.viewAllRecords), `${text(o.object)} viewAllRecords`).to.equal('false');
      }
      for (const object of ['Case', 'Opportunity']) {
        const o = list(service.objectPermissions).find((p) => text(p.object) === object)!;
        expect([text(o.allowRead), text(o.allowCreate), text(o.allowEdit)], object).to.deep.equal(['true', 'true', 'true']);
      }
    });

    it('give ForceGate_Event_Log_Viewer event log files and API access', () => {
      const perms = list(permissionSet(PERMISSION_SETS.eventLog).userPermissions).filter((p) => text(p.enabled) === 'true').map((p) => text(p.name));
      expect(perms.sort()).to.deep.equal(['ApiEnabled', 'ViewEventLogFiles']);
    });

    it('refer only to classes, flows and custom fields that exist', () => {
      for (const name of Object.values(PERMISSION_SETS)) {
        const ps = permissionSet(name);
        for (const c of list(ps.classAccesses)) expect(existsSync(join(DEFAULT_DIR, 'classes', `${text(c.apexClass)}.cls`)), `${name} class ${text(c.apexClass)}`).to.equal(true);
        for (const f of list(ps.flowAccesses)) expect(existsSync(join(DEFAULT_DIR, 'flows', `${text(f.flow)}${FLOW_SUFFIX}`)), `${name} flow ${text(f.flow)}`).to.equal(true);
        for (const f of list(ps.fieldPermissions)) {
          const [object, fieldName] = text(f.field).split('.') as [string, string];
          if (fieldName.endsWith('__c')) expect(customFieldExists(object, fieldName), `${name} field ${text(f.field)}`).to.equal(true);
        }
      }
    });
  });

  describe('schema and org-wide defaults of docs/design.md', () => {
    it('sets the org-wide defaults', () => {
      const expected: Record<string, string> = {
        Account: 'Read',
        Contact: 'ControlledByParent',
        Opportunity: 'Private',
        Case: 'Private',
        Account_Plan__c: 'Private',
      };
      for (const [object, model] of Object.entries(expected)) {
        const body = readMetadata(join(DEFAULT_DIR, 'objects', object, `${object}.object-meta.xml`), 'CustomObject');
        expect(text(body.sharingModel), `${object} sharingModel`).to.equal(model);
      }
    });

    it('defines the custom fields with the designed types', () => {
      const health = field('Account', 'Health_Score__c');
      expect([text(health.type), text(health.precision), text(health.scale)]).to.deep.equal(['Number', '3', '0']);
      const risk = field('Account', 'Internal_Risk_Rating__c');
      expect(text(risk.type)).to.equal('Picklist');
      const riskValues = list(((risk.valueSet as XmlNode).valueSetDefinition as XmlNode).value).map((v) => text(v.fullName));
      expect(riskValues).to.deep.equal(['Low', 'Medium', 'High']);
      const reason = field('Case', 'Escalation_Reason__c');
      expect([text(reason.type), text(reason.length)]).to.deep.equal(['Text', '255']);
      const lookup = field('Account_Plan__c', 'Account__c');
      expect([text(lookup.type), text(lookup.referenceTo)]).to.deep.equal(['Lookup', 'Account']);
      const status = field('Account_Plan__c', 'Status__c');
      expect(list(((status.valueSet as XmlNode).valueSetDefinition as XmlNode).value).map((v) => text(v.fullName))).to.deep.equal(['Draft', 'Active', 'Closed']);
      const revenue = field('Account_Plan__c', 'Target_Revenue__c');
      expect([text(revenue.type), text(revenue.precision), text(revenue.scale)]).to.deep.equal(['Currency', '16', '2']);
      expect(text(field('Account_Plan__c', 'Plan_Start__c').type)).to.equal('Date');
    });
  });

  describe('scratch org definition', () => {
    const definition = JSON.parse(readFileSync(join(PROJECT_DIR, 'config', 'project-scratch-def.json'), 'utf8')) as {
      edition: string;
      features: string[];
      settings?: Record<string, unknown>;
    };

    it('asks for the features the metadata needs', () => {
      expect(definition.edition).to.be.oneOf(['Developer', 'Enterprise']);
      expect(definition.features).to.include.members(['API', 'AuthorApex', 'EventLogFile']);
    });

    it('uses only feature names the scratch-org schema knows', () => {
      const schema = JSON.parse(
        readFileSync(join(PROJECT_DIR, 'node_modules', '@salesforce', 'schemas', 'project-scratch-def.schema.json'), 'utf8'),
      ) as { definitions: { features: { items: { anyOf: { enum?: string[]; pattern?: string }[] } } } };
      const options = schema.definitions.features.items.anyOf;
      const known = new Set(options.flatMap((o) => o.enum ?? []));
      const patterns = options.flatMap((o) => (o.pattern ? [new RegExp(o.pattern)] : []));
      for (const feature of definition.features) {
        expect(known.has(feature) || patterns.some((p) => p.test(feature)), feature).to.equal(true);
      }
    });
  });

  describe('sample data plan (sf data tree)', () => {
    const dataDir = join(PROJECT_DIR, 'scripts', 'data');
    const plan = JSON.parse(readFileSync(join(dataDir, 'plan.json'), 'utf8')) as { sobject: string; files: string[]; resolveRefs?: boolean }[];
    const owners = JSON.parse(readFileSync(join(dataDir, 'owners.json'), 'utf8')) as Record<string, string>;
    type TreeRecord = { attributes: { type: string; referenceId: string } } & Record<string, unknown>;
    const records: TreeRecord[] = plan.flatMap((entry) =>
      entry.files.flatMap((f) => (JSON.parse(readFileSync(join(dataDir, f), 'utf8')) as { records: TreeRecord[] }).records),
    );
    const byType = (type: string): TreeRecord[] => records.filter((r) => r.attributes.type === type);

    it('loads accounts, contacts, opportunities, cases and account plans', () => {
      expect(plan.map((p) => p.sobject)).to.deep.equal(['Account', 'Contact', 'Opportunity', 'Case', 'Account_Plan__c']);
      expect(byType('Account').length).to.be.at.least(8);
      expect(byType('Contact').length).to.be.at.least(12);
      expect(byType('Opportunity').length).to.be.at.least(10);
      expect(byType('Case').length).to.be.at.least(10);
      expect(byType('Account_Plan__c').length).to.be.at.least(3);
      for (const entry of plan) {
        for (const f of entry.files) {
          const fileRecords = (JSON.parse(readFileSync(join(dataDir, f), 'utf8')) as { records: TreeRecord[] }).records;
          for (const r of fileRecords) expect(r.attributes.type, `${f} record type`).to.equal(entry.sobject);
        }
      }
    });

    it('uses unique referenceIds and resolves every @reference to an earlier record', () => {
      const seen = new Set<string>();
      for (const r of records) {
        for (const [key, value] of Object.entries(r)) {
          if (typeof value === 'string' && value.startsWith('@')) expect(seen.has(value.slice(1)), `${r.attributes.referenceId}.${key} → ${value}`).to.equal(true);
        }
        expect(seen.has(r.attributes.referenceId), `duplicate ${r.attributes.referenceId}`).to.equal(false);
        seen.add(r.attributes.referenceId);
      }
    });

    it('uses only custom fields and picklist values that exist', () => {
      for (const r of records) {
        for (const key of Object.keys(r).filter((k) => k.endsWith('__c'))) {
          expect(customFieldExists(r.attributes.type, key), `${r.attributes.type}.${key}`).to.equal(true);
        }
      }
      for (const a of byType('Account')) {
        if ('Internal_Risk_Rating__c' in a) expect(a.Internal_Risk_Rating__c).to.be.oneOf(['Low', 'Medium', 'High']);
        if ('Health_Score__c' in a) expect(a.Health_Score__c).to.be.a('number').within(0, 100);
      }
      for (const p of byType('Account_Plan__c')) expect(p.Status__c).to.be.oneOf(['Draft', 'Active', 'Closed']);
    });

    it('assigns every record an owner among the configured users, spread over both reps', () => {
      const users = new Set(['admin@forcegate.local', 'rep@forcegate.local', 'rep2@forcegate.local', 'auditor@forcegate.local']);
      const configFile = join(PROJECT_DIR, 'config', 'local-org.json');
      if (existsSync(configFile)) {
        for (const u of (JSON.parse(readFileSync(configFile, 'utf8')) as { users: { username: string }[] }).users) users.add(u.username);
      }
      for (const r of records) {
        const owner = owners[r.attributes.referenceId];
        expect(owner, `owner of ${r.attributes.referenceId}`).to.be.a('string');
        expect(users.has(owner!), `${owner} is a configured user`).to.equal(true);
        expect(owner, 'the outsider owns nothing').to.not.equal('outsider@forcegate.local');
      }
      for (const type of ['Account', 'Opportunity', 'Case']) {
        const typeOwners = byType(type).map((r) => owners[r.attributes.referenceId]);
        expect(typeOwners, `${type} owned by rep`).to.include('rep@forcegate.local');
        expect(typeOwners, `${type} owned by rep2`).to.include('rep2@forcegate.local');
      }
      expect(Object.keys(owners).sort()).to.deep.equal(records.map((r) => r.attributes.referenceId).sort());
    });
  });
});
