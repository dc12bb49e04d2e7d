/**
 * Deploy validation: every component is checked against the org as it will be after the deploy
 * (what is deployed now, overlaid with this deploy's components) before anything is applied. Each
 * problem is reported as the platform reports a component failure, so one deploy lists every
 * broken component at once.
 *
 * Checked: XML (also done while reading a zip), CustomObject / CustomField definitions and the
 * objects they reference, Apex syntax, the objects and fields a Flow's data elements and references
 * use, PermissionSet objects / fields / classes / flows, ApiNamedQuery names and SOQL, the targets
 * of McpServerDefinition tools, External Client App references and enums.
 */
import { parseQuery, type Query } from '@jetstreamapp/soql-parser-js';
import type { OrgContext } from '../org/context.ts';
import { OrgSchema } from '../schema/registry.ts';
import type { ObjectDef } from '../schema/types.ts';
import { checkApex } from './apex-check.ts';
import { checkApexSubset } from '../apex/parse.ts';
import { storedComponents } from './apply.ts';
import { xmlProblem, type ComponentProblem } from './mdapi-format.ts';
import { mdapiType } from './mdapi-types.ts';
import { parseApiIdentifier, parseMcpServerDefinition, standardServerByPath } from './mcp-servers.ts';
import { applyObject, MetadataError, parseCustomField, parseCustomObject, type ParsedObject } from './objects.ts';
import { parsePermissionSet } from './permission-sets.ts';
import type { SourceComponent } from './source-tree.ts';
import { list, parseMetadataXml, text, type XmlNode } from './xml.ts';
import { locate } from './xml-raw.ts';

export type DeployComponent = SourceComponent & { fileName?: string };

/** Names of components that exist after the deploy, by type (lower-cased names). */
class MetadataView {
  private readonly names = new Map<string, Map<string, DeployComponent>>();

  constructor(stored: DeployComponent[], deployed: DeployComponent[], deleted: { type: string; fullName: string }[]) {
    for (const c of [...stored, ...deployed]) this.bucket(c.type).set(c.fullName.toLowerCase(), c);
    for (const d of deleted) this.bucket(d.type).delete(d.fullName.toLowerCase());
  }

  private bucket(type: string): Map<string, DeployComponent> {
    let b = this.names.get(type);
    if (!b) this.names.set(type, (b = new Map()));
    return b;
  }

  get(type: string, name: string): DeployComponent | undefined {
    return this.names.get(type)?.get(name.toLowerCase());
  }

  has(type: string, name: string): boolean {
    return this.get(type, name) !== undefined;
  }
}

export interface ValidationInput {
  components: DeployComponent[];
  deletions?: { type: string; fullName: string }[];
}

/** Validates a deploy; returns every problem found (empty = the deploy can be applied). */
export function validateDeploy(org: OrgContext, input: ValidationInput): ComponentProblem[] {
  const problems: ComponentProblem[] = [];
  const deletions = input.deletions ?? [];
  const stored = storedComponents(org.db);
  // Malformed XML (source read from a project; zips were checked while reading) stops that component's checks.
  const components: DeployComponent[] = [];
  for (const c of input.components) {
    const bad = xmlProblem(c.xml);
    if (!bad) {
      components.push(c);
      continue;
    }
    problems.push({
      componentType: c.type,
      fullName: c.fullName,
      fileName: c.fileName ?? c.path,
      problem: bad.problem,
      problemType: 'Error',
      lineNumber: bad.line,
      columnNumber: bad.column,
    });
  }
  const view = new MetadataView(stored, components, deletions);
  const storedByKey = new Map(stored.map((c) => [`${c.type}#${c.fullName.toLowerCase()}`, c]));

  const fail = (c: DeployComponent, problem: string, where?: { line: number; column: number }, fileName?: string): void => {
    problems.push({
      componentType: c.type,
      fullName: c.fullName,
      fileName: fileName ?? c.fileName ?? c.path,
      problem,
      problemType: 'Error',
      ...(where && where.line ? { lineNumber: where.line, columnNumber: where.column } : {}),
    });
  };

  // The schema after the deploy: a copy of the live one with this deploy's objects and fields applied.
  const schema = new OrgSchema(org.schema.objects().map((o) => structuredClone(o) as ObjectDef));
  const objectComponents = components.filter((c) => c.type === 'CustomObject');
  const fieldComponents = components.filter((c) => c.type === 'CustomField');
  const parsedObjects = new Map<string, ParsedObject>();
  for (const c of objectComponents) {
    try {
      if (!org.schema.get(c.fullName) && !/^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*__c$/.test(c.fullName)) {
        throw new MetadataError(`Cannot create the standard object ${c.fullName}: custom object names end with __c`);
      }
      const parsed = parseCustomObject(c.fullName, c.xml);
      parsedObjects.set(c.fullName.toLowerCase(), parsed);
      applyObject(schema, parsed, []);
    } catch (e) {
      fail(c, problemText(e), lineOf(e));
    }
  }
  const lookupTargets: { c: DeployComponent; target: string }[] = [];
  for (const c of fieldComponents) {
    const [objectName, fieldName] = c.fullName.split('.') as [string, string | undefined];
    try {
      if (!fieldName) throw new MetadataError(`Invalid CustomField name ${c.fullName}: expected Object.Field__c`);
      if (!schema.get(objectName)) {
        fail(c, `In field: fullName - no CustomObject named ${objectName} found`);
        continue;
      }
      const fd = parseCustomField(objectName, c.xml);
      if (fd.name.toLowerCase() !== fieldName.toLowerCase()) {
        throw new MetadataError(`The fullName ${fd.name} does not match the component name ${fieldName}`);
      }
      for (const target of fd.referenceTo ?? []) lookupTargets.push({ c, target });
      applyObject(schema, { name: schema.get(objectName)!.name }, [fd]);
    } catch (e) {
      fail(c, problemText(e), lineOf(e));
    }
  }
  for (const { c, target } of lookupTargets) {
    if (!schema.get(target)) {
      fail(c, `Field ${c.fullName.split('.')[1]}: referenceTo value of '${target}' does not resolve to a valid sObject type`, locate(c.xml, `<referenceTo>${target}`));
    }
  }

  for (const c of components) {
    try {
      switch (c.type) {
        case 'ApexClass':
          validateApexClass(c, fail);
          break;
        case 'Flow':
          validateFlow(c, schema, fail);
          break;
        case 'PermissionSet':
          validatePermissionSet(c, schema, view, fail);
          break;
        case 'ApiNamedQuery':
          validateNamedQuery(c, schema, fail);
          break;
        case 'McpServerDefinition':
          validateMcpServer(c, view, fail);
          break;
        case 'ExternalClientApplication':
        case 'ExtlClntAppGlobalOauthSettings':
        case 'ExtlClntAppOauthSettings':
        case 'ExtlClntAppConfigurablePolicies':
        case 'ExtlClntAppOauthConfigurablePolicies':
          validateEca(c, view, fail);
          break;
        default:
          break;
      }
    } catch (e) {
      fail(c, problemText(e), lineOf(e));
    }
  }

  for (const d of deletions) {
    const type = mdapiType(d.type)!;
    const c: DeployComponent = { type: d.type, fullName: d.fullName, path: 'destructiveChanges.xml', xml: '' };
    if (!storedByKey.has(`${d.type}#${d.fullName.toLowerCase()}`)) {
      problems.push({ componentType: d.type, fullName: d.fullName, fileName: 'destructiveChanges.xml', problem: `No ${d.type} named: ${d.fullName} found`, problemType: 'Warning' });
      continue;
    }
    if (type.kind === 'applied' && ['CustomObject', 'CustomField', 'PermissionSet'].includes(d.type)) {
      fail(c, `The local org cannot delete ${d.type} components; remove it from the project and recreate the org's data directory`);
    }
  }
  return problems;
}

type Fail = (c: DeployComponent, problem: string, where?: { line: number; column: number }, fileName?: string) => void;

function problemText(e: unknown): string {
  if (e instanceof MetadataError) return e.problem;
  const message = e instanceof Error ? e.message : String(e);
  return message;
}

function lineOf(e: unknown): { line: number; column: number } | undefined {
  return e instanceof MetadataError && e.line ? { line: e.line, column: e.column } : undefined;
}

function validateApexClass(c: DeployComponent, fail: Fail): void {
  const { body: meta } = parseMetadataXml(c.xml, 'ApexClass');
  const apiVersion = text(meta.apiVersion);
  if (!apiVersion || !/^\d+\.\d$/.test(apiVersion)) {
    fail(c, `Invalid or missing apiVersion '${apiVersion ?? ''}' in ${c.fullName}.cls-meta.xml`, undefined, metaFileName(c));
  }
  const status = text(meta.status);
  if (status && !['Active', 'Inactive', 'Deleted'].includes(status)) {
    fail(c, `'${status}' is not a valid value for the enum 'ApexCodeUnitStatus'`, locate(c.xml, `<status>${status}`), metaFileName(c));
  }
  if (c.body === undefined) {
    fail(c, `Missing the class body (${c.fullName}.cls)`);
    return;
  }
  const syntax = checkApex(c.body).errors;
  for (const err of syntax) fail(c, err.problem, { line: err.line, column: err.column }, bodyFileName(c));
  // Constructs outside the local Apex runtime's subset are refused here, never run wrongly later.
  if (syntax.length === 0) for (const err of checkApexSubset(c.body)) fail(c, err.problem, { line: err.line, column: err.column }, bodyFileName(c));
}

function bodyFileName(c: DeployComponent): string {
  const f = c.fileName ?? c.path;
  return f.endsWith('-meta.xml') ? f.slice(0, -'-meta.xml'.length) : f;
}

function metaFileName(c: DeployComponent): string {
  const f = c.fileName ?? c.path;
  return f.endsWith('-meta.xml') ? f : `${f}-meta.xml`;
}

const FLOW_DATA_ELEMENTS: Record<string, string> = {
  recordLookups: 'Get Records',
  recordCreates: 'Create Records',
  recordUpdates: 'Update Records',
  recordDeletes: 'Delete Records',
};

function validateFlow(c: DeployComponent, schema: OrgSchema, fail: Fail): void {
  const { body } = parseMetadataXml(c.xml, 'Flow');
  const missingField = (element: string, objectName: string, field: string, needle: string): void =>
    fail(c, `The element "${element}" references the field "${field}", which doesn't exist on the ${objectName} object.`, locate(c.xml, needle));
  const missingObject = (element: string, objectName: string): void =>
    fail(c, `The element "${element}" references the object "${objectName}", which doesn't exist.`, locate(c.xml, `<object>${objectName}</object>`));

  // Names that stand for a record of a known object in references (`Get_Account.Name`, `$Record.Name`).
  const records = new Map<string, string>();
  const start = body.start as XmlNode | undefined;
  const startObject = text(start?.object);
  if (startObject) {
    const o = schema.get(startObject);
    if (!o) missingObject('Start', startObject);
    else {
      records.set('$record', o.name);
      records.set('$record__prior', o.name);
      for (const f of list<XmlNode>(start?.filters)) {
        const field = text(f.field);
        if (field && !schema.field(o.name, field)) missingField('Start', o.name, field, `<field>${field}</field>`);
      }
    }
  }
  for (const v of list<XmlNode>(body.variables)) {
    const name = text(v.name);
    const objectType = text(v.objectType);
    if (!name || text(v.dataType) !== 'SObject' || !objectType) continue;
    const o = schema.get(objectType);
    if (!o) fail(c, `The variable "${name}" has the object type "${objectType}", which doesn't exist.`, locate(c.xml, `<objectType>${objectType}</objectType>`));
    else records.set(name.toLowerCase(), o.name);
  }
  for (const kind of Object.keys(FLOW_DATA_ELEMENTS)) {
    for (const el of list<XmlNode>(body[kind])) {
      const name = text(el.name) ?? kind;
      const objectName = text(el.object);
      if (!objectName) continue;
      const o = schema.get(objectName);
      if (!o) {
        missingObject(name, objectName);
        continue;
      }
      const fields: string[] = [
        ...list<XmlNode>(el.filters).map((f) => text(f.field) ?? ''),
        ...list<unknown>(el.queriedFields).map((f) => text(f) ?? ''),
        ...list<XmlNode>(el.inputAssignments).map((f) => text(f.field) ?? ''),
        ...list<XmlNode>(el.outputAssignments).map((f) => text(f.field) ?? ''),
        text(el.sortField) ?? '',
      ].filter(Boolean);
      for (const field of new Set(fields)) {
        if (!schema.field(o.name, field)) missingField(name, o.name, field, field);
      }
      if (kind === 'recordLookups' && text(el.storeOutputAutomatically) === 'true') records.set(name.toLowerCase(), o.name);
    }
  }

  // A loop over a record collection stands for one record of the same object.
  for (const loop of list<XmlNode>(body.loops)) {
    const name = text(loop.name);
    const collection = text(loop.collectionReference);
    const objectName = collection ? records.get(collection.toLowerCase()) : undefined;
    if (name && objectName) records.set(name.toLowerCase(), objectName);
  }

  // References into records: element references, condition left sides, assignment targets, merge fields.
  const references: string[] = [];
  const walk = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, key));
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node as XmlNode)) walk(v, k);
      return;
    }
    if (typeof node !== 'string') return;
    if (key === 'elementReference' || key === 'leftValueReference' || key === 'assignToReference') references.push(node.trim());
    for (const m of node.matchAll(/\{!\s*([^}\s]+)\s*\}/g)) references.push(m[1]!);
  };
  walk(body);
  const checked = new Set<string>();
  for (const ref of references) {
    if (checked.has(ref.toLowerCase())) continue;
    checked.add(ref.toLowerCase());
    const segments = ref.split('.');
    if (segments.length < 2) continue;
    let objectName = records.get(segments[0]!.toLowerCase());
    if (!objectName) continue;
    for (let i = 1; i < segments.length; i++) {
      const seg = segments[i]!;
      const last = i === segments.length - 1;
      if (last) {
        if (!schema.field(objectName, seg) && !schema.fieldByRelationshipName(objectName, seg)) missingField(segments[0]!, objectName, seg, ref);
        break;
      }
      const rel = schema.fieldByRelationshipName(objectName, seg);
      const next = rel?.referenceTo?.[0];
      if (!rel || !next || !schema.get(next)) {
        missingField(segments[0]!, objectName, seg, ref);
        break;
      }
      objectName = schema.get(next)!.name;
    }
  }
}

function validatePermissionSet(c: DeployComponent, schema: OrgSchema, view: MetadataView, fail: Fail): void {
  const def = parsePermissionSet(c.fullName, c.xml);
  for (const p of def.objectPermissions) {
    if (!schema.get(p.object)) fail(c, `In field: object - no CustomObject named ${p.object} found`, locate(c.xml, `<object>${p.object}</object>`));
  }
  for (const p of def.fieldPermissions) {
    const [objectName, fieldName] = p.field.split('.') as [string, string];
    if (!schema.field(objectName, fieldName)) fail(c, `In field: field - no CustomField named ${p.field} found`, locate(c.xml, `<field>${p.field}</field>`));
  }
  for (const name of def.classAccesses) {
    if (!view.has('ApexClass', name)) fail(c, `In field: apexClass - no ApexClass named ${name} found`, locate(c.xml, `<apexClass>${name}</apexClass>`));
  }
  for (const name of def.flowAccesses) {
    if (!view.has('Flow', name)) fail(c, `In field: flow - no FlowDefinition named ${name} found`, locate(c.xml, `<flow>${name}</flow>`));
  }
}

function validateNamedQuery(c: DeployComponent, schema: OrgSchema, fail: Fail): void {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(c.fullName)) {
    fail(c, `The API name ${c.fullName} is not valid: it must begin with a letter and contain only letters and numbers`);
  }
  const { body } = parseMetadataXml(c.xml, 'ApiNamedQuery');
  for (const required of ['masterLabel', 'description', 'body2']) {
    if (!text(body[required])) fail(c, `Required field is missing: ${required}`);
  }
  const soql = text(body.body2);
  if (!soql) return;
  let query: Query;
  try {
    // Bind variables are allowed anywhere a value is, including LIMIT/OFFSET (which the parser does not take).
    query = parseQuery(soql.replace(/\b(LIMIT|OFFSET)\s+:\s*\w+/gi, '$1 1'), { allowApexBindVariables: true });
  } catch (e) {
    fail(c, `Invalid SOQL in body2: ${(e as Error).message.split('\n')[0]}`, locate(c.xml, '<body2>'));
    return;
  }
  const o = query.sObject ? schema.get(query.sObject) : undefined;
  if (!o) {
    fail(c, `sObject type '${query.sObject ?? ''}' is not supported.`, locate(c.xml, query.sObject ?? '<body2>'));
    return;
  }
  for (const f of query.fields ?? []) {
    if (f.type === 'Field' && !schema.field(o.name, f.field)) {
      fail(c, `No such column '${f.field}' on entity '${o.name}'.`, locate(c.xml, f.field));
    }
  }
  for (const p of list<XmlNode>(body.apiNamedQueryParameters)) {
    const name = text(p.parameterName);
    if (name && !new RegExp(`:\\s*${name}\\b`).test(soql)) {
      fail(c, `The parameter ${name} is not used in the query`, locate(c.xml, `<parameterName>${name}`));
    }
  }
}

function validateMcpServer(c: DeployComponent, view: MetadataView, fail: Fail): void {
  const server = parseMcpServerDefinition(c.fullName, c.xml);
  const names = new Set<string>();
  for (const t of server.tools) {
    const at = locate(c.xml, t.apiIdentifier);
    if (names.has(t.toolName.toLowerCase())) fail(c, `Duplicate toolName ${t.toolName}`, locate(c.xml, `<toolName>${t.toolName}`));
    names.add(t.toolName.toLowerCase());
    const target = parseApiIdentifier(t.apiIdentifier, t.operation);
    if (!target) {
      fail(c, `In field: apiIdentifier - unsupported API identifier ${t.apiIdentifier}`, at);
      continue;
    }
    switch (target.kind) {
      case 'apex-invocable': {
        const cls = view.get('ApexClass', target.className);
        if (!cls) fail(c, `In field: apiIdentifier - no ApexClass named ${target.className} found`, at);
        else if (cls.body !== undefined && !checkApex(cls.body).invocable) {
          fail(c, `In field: apiIdentifier - the ApexClass ${target.className} has no @InvocableMethod`, at);
        }
        break;
      }
      case 'apex-aura':
        if (!view.has('ApexClass', target.className)) fail(c, `In field: apiIdentifier - no ApexClass named ${target.className} found`, at);
        break;
      case 'apex-rest': {
        const cls = view.get('ApexClass', target.className);
        if (!cls) fail(c, `In field: apiIdentifier - no ApexClass named ${target.className} found`, at);
        else if (cls.body !== undefined && !checkApex(cls.body).restResource) {
          fail(c, `In field: apiIdentifier - the ApexClass ${target.className} has no @RestResource`, at);
        }
        break;
      }
      case 'flow':
        if (!view.has('Flow', target.flowName)) fail(c, `In field: apiIdentifier - no Flow named ${target.flowName} found`, at);
        break;
      case 'named-query':
        if (!view.has('ApiNamedQuery', target.queryName)) fail(c, `In field: apiIdentifier - no ApiNamedQuery named ${target.queryName} found`, at);
        break;
      case 'standard-tool': {
        const std = standardServerByPath(target.server);
        if (!std) fail(c, `In field: apiIdentifier - no standard MCP server ${target.server}`, at);
        else if (!std.tools.some((x) => x.name === target.operation)) fail(c, `In field: apiIdentifier - the server ${target.server} has no tool ${target.operation}`, at);
        break;
      }
      default:
        break;
    }
  }
}

const ECA_ENUMS: Record<string, Record<string, string[]>> = {
  ExternalClientApplication: { distributionState: ['Local', 'Packaged', 'Managed', 'AutoInstalled'] },
  ExtlClntAppConfigurablePolicies: { startPage: ['None', 'Custom', 'OAuth', 'SAML'] },
  ExtlClntAppOauthConfigurablePolicies: {
    permittedUsersPolicyType: ['AllSelfAuthorized', 'AdminApprovedPreAuthorized'],
    ipRelaxationPolicyType: ['Enforce', 'Bypass', 'Bypass_2factor', 'Enforce_RelaxRefresh'],
    refreshTokenPolicyType: ['Infinite', 'Zero', 'SpecificLifetime', 'SpecificInactivity'],
    refreshTokenValidityUnit: ['Days', 'Hours', 'Months'],
    requiredSessionLevel: ['LOW', 'STANDARD', 'HIGH_ASSURANCE'],
    policyAction: ['Block', 'RaiseSessionLevel', 'StepUpMFA'],
  },
};

function validateEca(c: DeployComponent, view: MetadataView, fail: Fail): void {
  const { body } = parseMetadataXml(c.xml, c.type);
  if (c.type !== 'ExternalClientApplication') {
    const app = text(body.externalClientApplication);
    if (!app) fail(c, 'Required field is missing: externalClientApplication');
    else if (!view.has('ExternalClientApplication', app)) {
      fail(c, `In field: externalClientApplication - no ExternalClientApplication named ${app} found`, locate(c.xml, `<externalClientApplication>${app}`));
    }
  }
  for (const [field, values] of Object.entries(ECA_ENUMS[c.type] ?? {})) {
    const value = text(body[field]);
    if (value !== undefined && !values.includes(value)) {
      fail(c, `Error parsing file: '${value}' is not a valid value for the enum '${field}'`, locate(c.xml, `<${field}>${value}`));
    }
  }
  if (c.type === 'ExtlClntAppOauthConfigurablePolicies') {
    for (const name of (text(body.commaSeparatedPermissionSet) ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      // Names or 0PS Ids (the field doc says Ids, the official sample uses names: platform.md §9.1).
      if (/^0PS[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/.test(name)) continue;
      if (!view.has('PermissionSet', name)) {
        fail(c, `In field: commaSeparatedPermissionSet - no PermissionSet named ${name} found`, locate(c.xml, name));
      }
    }
  }
}
