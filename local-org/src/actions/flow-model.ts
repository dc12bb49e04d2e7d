/**
 * Flow metadata (`.flow-meta.xml`) → the model the interpreter runs, and `validateFlow()`, which
 * names every element or setting outside the subset the local org can execute. The deploy path
 * calls `validateFlow` to refuse such flows up front; invoking one refuses it with the same message.
 *
 * Supported: autolaunched flows (processType AutoLaunchedFlow, no record trigger or schedule),
 * run in the caller's user context; elements assignments, decisions, loops, recordLookups,
 * recordCreates, recordUpdates, recordDeletes; resources variables, constants, formulas and
 * textTemplates; connectors, defaultConnector and faultConnector.
 */
import type { SchemaRegistry } from '../schema/types.ts';
import { bool, list, num, parseMetadataXml, text, type XmlNode } from '../metadata/xml.ts';
import { FormulaError, formulaReferences, mergeReferences, parseFormula, type FormulaNode } from './formula.ts';

export interface ValueSpec {
  kind: 'string' | 'number' | 'boolean' | 'date' | 'datetime' | 'ref' | 'null';
  raw: string;
}

export interface FlowVariableDef {
  name: string;
  dataType: string;
  isCollection: boolean;
  isInput: boolean;
  isOutput: boolean;
  objectType?: string;
  scale?: number;
  value?: ValueSpec;
  description?: string;
}

export interface FlowConstantDef {
  name: string;
  dataType: string;
  value?: ValueSpec;
  description?: string;
}

export interface FlowFormulaDef {
  name: string;
  dataType: string;
  expression: string;
  ast: FormulaNode;
  scale?: number;
  description?: string;
}

export interface FlowTextTemplateDef {
  name: string;
  text: string;
  description?: string;
}

export interface ConditionDef {
  left: string;
  operator: string;
  right?: ValueSpec;
}

export interface FilterDef {
  field: string;
  operator: string;
  value?: ValueSpec;
}

export interface AssignmentItemDef {
  ref: string;
  operator: string;
  value?: ValueSpec;
}

export interface FieldAssignmentDef {
  field: string;
  value?: ValueSpec;
}

export interface OutputAssignmentDef {
  field: string;
  ref: string;
}

interface ElementBase {
  name: string;
  label: string;
  next?: string;
  fault?: string;
}

export interface AssignmentElement extends ElementBase {
  type: 'assignments';
  items: AssignmentItemDef[];
}

export interface DecisionRuleDef {
  name: string;
  label: string;
  logic: string;
  conditions: ConditionDef[];
  next?: string;
}

export interface DecisionElement extends ElementBase {
  type: 'decisions';
  rules: DecisionRuleDef[];
  defaultLabel?: string;
}

export interface LoopElement extends ElementBase {
  type: 'loops';
  collection: string;
  order: 'Asc' | 'Desc';
  assignTo?: string;
  /** `nextValueConnector` (ElementBase.next is unused for loops). */
  nextValue?: string;
  noMoreValues?: string;
}

export interface RecordLookupElement extends ElementBase {
  type: 'recordLookups';
  object: string;
  filters: FilterDef[];
  filterLogic: string;
  getFirstRecordOnly: boolean;
  storeOutputAutomatically: boolean;
  outputReference?: string;
  outputAssignments: OutputAssignmentDef[];
  assignNullValuesIfNoRecordsFound: boolean;
  queriedFields: string[];
  sortField?: string;
  sortOrder?: 'Asc' | 'Desc';
  limit?: number;
}

export interface RecordCreateElement extends ElementBase {
  type: 'recordCreates';
  object?: string;
  inputReference?: string;
  inputAssignments: FieldAssignmentDef[];
  assignRecordIdToReference?: string;
  storeOutputAutomatically: boolean;
}

export interface RecordUpdateElement extends ElementBase {
  type: 'recordUpdates';
  object?: string;
  inputReference?: string;
  filters: FilterDef[];
  filterLogic: string;
  inputAssignments: FieldAssignmentDef[];
}

export interface RecordDeleteElement extends ElementBase {
  type: 'recordDeletes';
  object?: string;
  inputReference?: string;
  filters: FilterDef[];
  filterLogic: string;
}

export type FlowElement =
  | AssignmentElement
  | DecisionElement
  | LoopElement
  | RecordLookupElement
  | RecordCreateElement
  | RecordUpdateElement
  | RecordDeleteElement;

export interface FlowModel {
  apiName: string;
  label: string;
  description?: string;
  processType: string;
  status: string;
  apiVersion?: string;
  interviewLabel?: string;
  /** Name of the first element, or undefined for a flow that does nothing. */
  start?: string;
  elements: Map<string, FlowElement>;
  variables: Map<string, FlowVariableDef>;
  constants: Map<string, FlowConstantDef>;
  formulas: Map<string, FlowFormulaDef>;
  textTemplates: Map<string, FlowTextTemplateDef>;
}

export interface FlowIssue {
  /** The element or resource the issue is about (API name), when there is one. */
  element?: string;
  message: string;
}

/** A flow the local org cannot run, with every reason. */
export class FlowValidationError extends Error {
  constructor(
    readonly flowName: string,
    readonly issues: FlowIssue[],
    /** The flow as far as it could be read (its variables describe the action even so). */
    readonly draft?: FlowModel,
  ) {
    super(`The flow ${flowName} can't run in the local org: ${issues.map((i) => i.message).join(' ')}`);
  }
}

/** Executable element types. */
export const SUPPORTED_ELEMENTS = ['assignments', 'decisions', 'loops', 'recordLookups', 'recordCreates', 'recordUpdates', 'recordDeletes'] as const;

/** Flow elements the interpreter does not implement; a flow using one is refused by name. */
const UNSUPPORTED_ELEMENTS = [
  'actionCalls',
  'apexPluginCalls',
  'collectionProcessors',
  'customErrors',
  'orchestratedStages',
  'recordRollbacks',
  'screens',
  'steps',
  'subflows',
  'transforms',
  'waits',
  'choices',
  'dynamicChoiceSets',
  'stages',
  'exitRules',
  'customProperties',
];

/** Top-level settings with no effect on execution. */
const IGNORED_KEYS = new Set([
  'apiVersion',
  'areMetricsLoggedToDataCloud',
  'description',
  'environments',
  'interviewLabel',
  'isAdditionalPermissionRequiredToRun',
  'isTemplate',
  'label',
  'processMetadataValues',
  'processType',
  'runInMode',
  'status',
  'start',
  'startElementReference',
  'variables',
  'constants',
  'formulas',
  'textTemplates',
  'sourceTemplate',
  'migratedFromWorkflowRuleName',
  'timeZoneSidKey',
  'triggerOrder',
  'capabilityTypes',
  'fullName',
  ...SUPPORTED_ELEMENTS,
]);

export const SUPPORTED_DATA_TYPES = ['String', 'Number', 'Currency', 'Boolean', 'Date', 'DateTime', 'SObject', 'Picklist', 'Multipicklist'];
export const ASSIGNMENT_OPERATORS = ['Assign', 'Add', 'Subtract', 'AddItem', 'AddAtStart', 'AssignCount', 'RemoveAll', 'RemoveFirst'];
export const CONDITION_OPERATORS = [
  'EqualTo',
  'NotEqualTo',
  'GreaterThan',
  'GreaterThanOrEqualTo',
  'LessThan',
  'LessThanOrEqualTo',
  'StartsWith',
  'EndsWith',
  'Contains',
  'IsNull',
  'IsBlank',
];
export const FILTER_OPERATORS = [
  'EqualTo',
  'NotEqualTo',
  'GreaterThan',
  'GreaterThanOrEqualTo',
  'LessThan',
  'LessThanOrEqualTo',
  'StartsWith',
  'EndsWith',
  'Contains',
  'IsNull',
  'In',
  'NotIn',
];
/** Global variables a flow may reference (the part before the first dot). */
export const GLOBAL_ROOTS = ['$Flow', '$User', '$Organization', '$GlobalConstant', '$Profile', '$UserRole', '$System'];

function valueSpec(node: unknown): ValueSpec | undefined {
  if (node === undefined || node === null || typeof node !== 'object') return undefined;
  const v = node as XmlNode;
  if (v.stringValue !== undefined) return { kind: 'string', raw: text(v.stringValue) ?? '' };
  if (v.numberValue !== undefined) return { kind: 'number', raw: text(v.numberValue) ?? '' };
  if (v.booleanValue !== undefined) return { kind: 'boolean', raw: text(v.booleanValue) ?? '' };
  if (v.dateValue !== undefined) return { kind: 'date', raw: text(v.dateValue) ?? '' };
  if (v.dateTimeValue !== undefined) return { kind: 'datetime', raw: text(v.dateTimeValue) ?? '' };
  if (v.elementReference !== undefined) return { kind: 'ref', raw: text(v.elementReference) ?? '' };
  return { kind: 'null', raw: '' };
}

/** `<limit>` is a value element (`<numberValue>200.0</numberValue>`) in recent API versions, a number before. */
function limitValue(node: unknown): number | undefined {
  if (node === undefined || node === null || node === '') return undefined;
  if (typeof node === 'object') {
    const spec = valueSpec(node);
    return spec?.kind === 'number' ? Number(spec.raw) : undefined;
  }
  return num(node);
}

function target(node: unknown): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  return text((node as XmlNode).targetReference);
}

function filters(node: XmlNode): FilterDef[] {
  return list<XmlNode>(node.filters).map((f) => ({ field: text(f.field) ?? '', operator: text(f.operator) ?? '', value: valueSpec(f.value) }));
}

function fieldAssignments(node: XmlNode): FieldAssignmentDef[] {
  return list<XmlNode>(node.inputAssignments).map((a) => ({ field: text(a.field) ?? '', value: valueSpec(a.value) }));
}

function logic(node: XmlNode, key: 'filterLogic' | 'conditionLogic'): string {
  return (text(node[key]) ?? 'and').trim();
}

/**
 * Parses and validates a flow. `schema` (optional) also checks objects and fields. Returns the
 * model when the flow can run, and every issue found.
 */
export function validateFlow(
  xml: string,
  options: { apiName?: string; schema?: SchemaRegistry } = {},
): { valid: boolean; issues: FlowIssue[]; model?: FlowModel; draft?: FlowModel } {
  const issues: FlowIssue[] = [];
  let body: XmlNode;
  try {
    body = parseMetadataXml(xml, 'Flow').body;
  } catch (e) {
    return { valid: false, issues: [{ message: `The flow metadata is not valid XML: ${(e as Error).message}` }] };
  }
  const apiName = options.apiName ?? text(body.fullName) ?? 'Flow';
  const model: FlowModel = {
    apiName,
    label: text(body.label) ?? apiName,
    description: text(body.description),
    processType: text(body.processType) ?? 'Flow',
    status: text(body.status) ?? 'Draft',
    apiVersion: text(body.apiVersion),
    interviewLabel: text(body.interviewLabel),
    elements: new Map(),
    variables: new Map(),
    constants: new Map(),
    formulas: new Map(),
    textTemplates: new Map(),
  };

  if (model.processType !== 'AutoLaunchedFlow') {
    issues.push({ message: `Process type ${model.processType} is not supported: only autolaunched flows (AutoLaunchedFlow) can run as actions.` });
  }
  const runInMode = text(body.runInMode);
  if (runInMode && runInMode !== 'DefaultMode') {
    issues.push({ message: `runInMode ${runInMode} is not supported: the local org runs flows in the calling user's context only.` });
  }
  const start = body.start as XmlNode | undefined;
  if (start && typeof start === 'object') {
    for (const key of ['object', 'triggerType', 'recordTriggerType', 'schedule', 'scheduledPaths', 'filters']) {
      if (start[key] !== undefined) {
        issues.push({ element: 'start', message: `The start element's ${key} is not supported: record-triggered, scheduled and platform-event flows can't run as actions.` });
      }
    }
    model.start = target(start.connector);
  }
  model.start ??= text(body.startElementReference);

  for (const key of Object.keys(body)) {
    if (UNSUPPORTED_ELEMENTS.includes(key)) {
      for (const el of list<XmlNode>(body[key])) {
        const name = text(el.name) ?? key;
        issues.push({ element: name, message: `Element ${name} (${key}) is not supported by the local org's flow interpreter.` });
      }
    } else if (!IGNORED_KEYS.has(key)) {
      issues.push({ message: `Flow setting or element type ${key} is not supported by the local org's flow interpreter.` });
    }
  }

  const names = new Set<string>();
  const claim = (name: string, what: string): void => {
    if (!name) issues.push({ message: `A ${what} has no name.` });
    else if (names.has(name.toLowerCase())) issues.push({ element: name, message: `The name ${name} is used more than once.` });
    names.add(name.toLowerCase());
  };

  // Resources
  for (const v of list<XmlNode>(body.variables)) {
    const def: FlowVariableDef = {
      name: text(v.name) ?? '',
      dataType: text(v.dataType) ?? '',
      isCollection: bool(v.isCollection),
      isInput: bool(v.isInput),
      isOutput: bool(v.isOutput),
      objectType: text(v.objectType),
      scale: num(v.scale),
      value: valueSpec(v.value),
      description: text(v.description),
    };
    claim(def.name, 'variable');
    if (!SUPPORTED_DATA_TYPES.includes(def.dataType)) issues.push({ element: def.name, message: `Variable ${def.name} has data type ${def.dataType || '(none)'}, which is not supported.` });
    if (def.dataType === 'SObject') {
      if (!def.objectType) issues.push({ element: def.name, message: `Record variable ${def.name} has no objectType.` });
      else if (options.schema && !options.schema.get(def.objectType)) issues.push({ element: def.name, message: `Variable ${def.name}: object ${def.objectType} does not exist.` });
    }
    model.variables.set(def.name.toLowerCase(), def);
  }
  for (const c of list<XmlNode>(body.constants)) {
    const def: FlowConstantDef = { name: text(c.name) ?? '', dataType: text(c.dataType) ?? 'String', value: valueSpec(c.value), description: text(c.description) };
    claim(def.name, 'constant');
    model.constants.set(def.name.toLowerCase(), def);
  }
  for (const f of list<XmlNode>(body.formulas)) {
    const name = text(f.name) ?? '';
    claim(name, 'formula');
    const expression = text(f.expression) ?? '';
    const dataType = text(f.dataType) ?? 'String';
    if (!['String', 'Number', 'Currency', 'Boolean', 'Date', 'DateTime'].includes(dataType)) {
      issues.push({ element: name, message: `Formula ${name} has data type ${dataType}, which is not supported.` });
    }
    try {
      model.formulas.set(name.toLowerCase(), { name, dataType, expression, ast: parseFormula(expression), scale: num(f.scale), description: text(f.description) });
    } catch (e) {
      if (!(e instanceof FormulaError)) throw e;
      issues.push({ element: name, message: `Formula ${name} is invalid: ${e.message}` });
    }
  }
  for (const t of list<XmlNode>(body.textTemplates)) {
    const name = text(t.name) ?? '';
    claim(name, 'text template');
    model.textTemplates.set(name.toLowerCase(), { name, text: text(t.text) ?? '', description: text(t.description) });
  }

  // Elements
  const add = (el: FlowElement): void => {
    claim(el.name, el.type);
    model.elements.set(el.name.toLowerCase(), el);
  };
  const base = (e: XmlNode) => ({ name: text(e.name) ?? '', label: text(e.label) ?? text(e.name) ?? '', next: target(e.connector), fault: target(e.faultConnector) });
  for (const e of list<XmlNode>(body.assignments)) {
    add({
      ...base(e),
      type: 'assignments',
      items: list<XmlNode>(e.assignmentItems).map((i) => ({ ref: text(i.assignToReference) ?? '', operator: text(i.operator) ?? '', value: valueSpec(i.value) })),
    });
  }
  for (const e of list<XmlNode>(body.decisions)) {
    add({
      ...base(e),
      next: target(e.defaultConnector),
      type: 'decisions',
      defaultLabel: text(e.defaultConnectorLabel),
      rules: list<XmlNode>(e.rules).map((r) => ({
        name: text(r.name) ?? '',
        label: text(r.label) ?? text(r.name) ?? '',
        logic: logic(r, 'conditionLogic'),
        conditions: list<XmlNode>(r.conditions).map((c) => ({ left: text(c.leftValueReference) ?? '', operator: text(c.operator) ?? '', right: valueSpec(c.rightValue) })),
        next: target(r.connector),
      })),
    });
  }
  for (const e of list<XmlNode>(body.loops)) {
    add({
      ...base(e),
      type: 'loops',
      collection: text(e.collectionReference) ?? '',
      order: text(e.iterationOrder) === 'Desc' ? 'Desc' : 'Asc',
      assignTo: text(e.assignNextValueToReference),
      nextValue: target(e.nextValueConnector),
      noMoreValues: target(e.noMoreValuesConnector),
    });
  }
  for (const e of list<XmlNode>(body.recordLookups)) {
    const sortOrder = text(e.sortOrder);
    add({
      ...base(e),
      type: 'recordLookups',
      object: text(e.object) ?? '',
      filters: filters(e),
      filterLogic: logic(e, 'filterLogic'),
      getFirstRecordOnly: bool(e.getFirstRecordOnly),
      storeOutputAutomatically: bool(e.storeOutputAutomatically),
      outputReference: text(e.outputReference),
      outputAssignments: list<XmlNode>(e.outputAssignments).map((a) => ({ field: text(a.field) ?? '', ref: text(a.assignToReference) ?? '' })),
      assignNullValuesIfNoRecordsFound: bool(e.assignNullValuesIfNoRecordsFound),
      queriedFields: list(e.queriedFields).map((q) => text(q) ?? '').filter(Boolean),
      sortField: text(e.sortField),
      sortOrder: sortOrder === 'Desc' ? 'Desc' : sortOrder === 'Asc' ? 'Asc' : undefined,
      limit: limitValue(e.limit),
    });
  }
  for (const e of list<XmlNode>(body.recordCreates)) {
    add({
      ...base(e),
      type: 'recordCreates',
      object: text(e.object),
      inputReference: text(e.inputReference),
      inputAssignments: fieldAssignments(e),
      assignRecordIdToReference: text(e.assignRecordIdToReference),
      storeOutputAutomatically: bool(e.storeOutputAutomatically),
    });
  }
  for (const e of list<XmlNode>(body.recordUpdates)) {
    add({ ...base(e), type: 'recordUpdates', object: text(e.object), inputReference: text(e.inputReference), filters: filters(e), filterLogic: logic(e, 'filterLogic'), inputAssignments: fieldAssignments(e) });
  }
  for (const e of list<XmlNode>(body.recordDeletes)) {
    add({ ...base(e), type: 'recordDeletes', object: text(e.object), inputReference: text(e.inputReference), filters: filters(e), filterLogic: logic(e, 'filterLogic') });
  }

  checkElements(model, issues, options.schema);
  return { valid: issues.length === 0, issues, model: issues.length === 0 ? model : undefined, draft: model };
}

/** Parses a flow for execution; throws FlowValidationError when it can't run. */
export function parseFlow(apiName: string, xml: string): FlowModel {
  const { model, issues, draft } = validateFlow(xml, { apiName });
  if (!model) throw new FlowValidationError(apiName, issues, draft);
  return model;
}

function checkElements(model: FlowModel, issues: FlowIssue[], schema?: SchemaRegistry): void {
  const resourceExists = (ref: string): boolean => {
    const root = ref.split('.')[0]!;
    if (root.startsWith('$')) return GLOBAL_ROOTS.some((g) => g.toLowerCase() === root.toLowerCase());
    const key = root.toLowerCase();
    if (model.variables.has(key) || model.constants.has(key) || model.formulas.has(key) || model.textTemplates.has(key)) return true;
    const el = model.elements.get(key);
    if (!el) return false;
    // Elements usable as values: auto-stored Get/Create results and a loop's current item.
    return (el.type === 'recordLookups' && el.storeOutputAutomatically) || (el.type === 'recordCreates' && el.storeOutputAutomatically) || el.type === 'loops';
  };
  const checkRef = (element: string, ref: string | undefined, what: string): void => {
    if (!ref) {
      issues.push({ element, message: `Element ${element}: ${what} is missing.` });
      return;
    }
    if (!resourceExists(ref)) issues.push({ element, message: `Element ${element} references ${ref}, which doesn't exist in the flow.` });
  };
  const checkValue = (element: string, v: ValueSpec | undefined): void => {
    if (v?.kind === 'ref') checkRef(element, v.raw, 'a reference');
    if (v?.kind === 'number' && !Number.isFinite(Number(v.raw))) issues.push({ element, message: `Element ${element}: ${v.raw} is not a number.` });
  };
  const checkTarget = (element: string, t: string | undefined): void => {
    if (t && !model.elements.has(t.toLowerCase())) issues.push({ element, message: `Element ${element} connects to ${t}, which doesn't exist in the flow.` });
  };
  const checkObject = (element: string, object: string | undefined, fields: string[]): void => {
    if (!object) {
      issues.push({ element, message: `Element ${element} has no object.` });
      return;
    }
    if (!schema) return;
    const o = schema.get(object);
    if (!o) {
      issues.push({ element, message: `Element ${element}: object ${object} does not exist.` });
      return;
    }
    for (const f of fields) if (f && !schema.field(o.name, f)) issues.push({ element, message: `Element ${element}: field ${f} does not exist on ${o.name}.` });
  };
  const checkLogic = (element: string, logicText: string, count: number): void => {
    const l = logicText.toLowerCase();
    if (l === 'and' || l === 'or' || (l === 'no conditions' && count === 0)) return;
    try {
      parseLogic(logicText, count);
    } catch (e) {
      issues.push({ element, message: `Element ${element}: condition logic "${logicText}" is invalid: ${(e as Error).message}` });
    }
  };

  if (model.start) checkTarget('start', model.start);
  for (const v of model.variables.values()) checkValue(v.name, v.value);
  for (const c of model.constants.values()) checkValue(c.name, c.value);
  for (const f of model.formulas.values()) for (const r of formulaReferences(f.ast)) if (!resourceExists(r)) issues.push({ element: f.name, message: `Formula ${f.name} references ${r}, which doesn't exist in the flow.` });
  for (const t of model.textTemplates.values()) for (const r of mergeReferences(t.text)) if (!resourceExists(r)) issues.push({ element: t.name, message: `Text template ${t.name} references ${r}, which doesn't exist in the flow.` });

  for (const el of model.elements.values()) {
    checkTarget(el.name, el.next);
    checkTarget(el.name, el.fault);
    switch (el.type) {
      case 'assignments':
        for (const i of el.items) {
          checkRef(el.name, i.ref, 'assignToReference');
          if (!ASSIGNMENT_OPERATORS.includes(i.operator)) issues.push({ element: el.name, message: `Element ${el.name}: assignment operator ${i.operator} is not supported.` });
          checkValue(el.name, i.value);
        }
        break;
      case 'decisions':
        for (const r of el.rules) {
          checkTarget(el.name, r.next);
          checkLogic(el.name, r.logic, r.conditions.length);
          for (const c of r.conditions) {
            checkRef(el.name, c.left, 'leftValueReference');
            if (!CONDITION_OPERATORS.includes(c.operator)) issues.push({ element: el.name, message: `Element ${el.name}: condition operator ${c.operator} is not supported.` });
            checkValue(el.name, c.right);
          }
        }
        break;
      case 'loops':
        checkRef(el.name, el.collection, 'collectionReference');
        if (el.assignTo) checkRef(el.name, el.assignTo, 'assignNextValueToReference');
        checkTarget(el.name, el.nextValue);
        checkTarget(el.name, el.noMoreValues);
        break;
      case 'recordLookups':
        checkObject(el.name, el.object, [...el.filters.map((f) => f.field), ...el.queriedFields, ...el.outputAssignments.map((a) => a.field), el.sortField ?? '']);
        checkFilters(el.name, el.filters, el.filterLogic, issues, checkValue, checkLogic);
        if (el.outputReference) checkRef(el.name, el.outputReference, 'outputReference');
        for (const a of el.outputAssignments) checkRef(el.name, a.ref, 'outputAssignments.assignToReference');
        if (!el.storeOutputAutomatically && !el.outputReference && el.outputAssignments.length === 0) {
          issues.push({ element: el.name, message: `Element ${el.name} doesn't store the records it gets anywhere.` });
        }
        break;
      case 'recordCreates':
        if (el.inputReference) checkRef(el.name, el.inputReference, 'inputReference');
        else checkObject(el.name, el.object, el.inputAssignments.map((a) => a.field));
        for (const a of el.inputAssignments) checkValue(el.name, a.value);
        if (el.assignRecordIdToReference) checkRef(el.name, el.assignRecordIdToReference, 'assignRecordIdToReference');
        break;
      case 'recordUpdates':
        if (el.inputReference) checkRef(el.name, el.inputReference, 'inputReference');
        else {
          checkObject(el.name, el.object, [...el.filters.map((f) => f.field), ...el.inputAssignments.map((a) => a.field)]);
          checkFilters(el.name, el.filters, el.filterLogic, issues, checkValue, checkLogic);
        }
        for (const a of el.inputAssignments) checkValue(el.name, a.value);
        break;
      case 'recordDeletes':
        if (el.inputReference) checkRef(el.name, el.inputReference, 'inputReference');
        else {
          checkObject(el.name, el.object, el.filters.map((f) => f.field));
          checkFilters(el.name, el.filters, el.filterLogic, issues, checkValue, checkLogic);
          if (el.filters.length === 0) issues.push({ element: el.name, message: `Element ${el.name} would delete every ${el.object} record: add a filter.` });
        }
        break;
    }
  }
}

function checkFilters(
  element: string,
  fs: FilterDef[],
  filterLogic: string,
  issues: FlowIssue[],
  checkValue: (element: string, v: ValueSpec | undefined) => void,
  checkLogic: (element: string, logicText: string, count: number) => void,
): void {
  checkLogic(element, filterLogic, fs.length);
  for (const f of fs) {
    if (!FILTER_OPERATORS.includes(f.operator)) issues.push({ element, message: `Element ${element}: filter operator ${f.operator} is not supported.` });
    checkValue(element, f.value);
  }
}

// ---------------------------------------------------------------------------------------------
// Custom condition logic: "1 AND (2 OR NOT 3)"

export type LogicNode = { k: 'n'; i: number } | { k: 'not'; e: LogicNode } | { k: 'and' | 'or'; l: LogicNode; r: LogicNode };

/** Parses custom logic over conditions 1..count; every condition must appear. */
export function parseLogic(textLogic: string, count: number): LogicNode {
  const tokens = textLogic.match(/\d+|\(|\)|[A-Za-z]+|\S/g) ?? [];
  let i = 0;
  const used = new Set<number>();
  const peek = (): string | undefined => tokens[i];
  const orExpr = (): LogicNode => {
    let l = andExpr();
    while (peek()?.toUpperCase() === 'OR') {
      i++;
      l = { k: 'or', l, r: andExpr() };
    }
    return l;
  };
  const andExpr = (): LogicNode => {
    let l = notExpr();
    while (peek()?.toUpperCase() === 'AND') {
      i++;
      l = { k: 'and', l, r: notExpr() };
    }
    return l;
  };
  const notExpr = (): LogicNode => {
    if (peek()?.toUpperCase() === 'NOT') {
      i++;
      return { k: 'not', e: notExpr() };
    }
    const t = tokens[i++];
    if (t === '(') {
      const e = orExpr();
      if (tokens[i++] !== ')') throw new Error('missing )');
      return e;
    }
    if (t && /^\d+$/.test(t)) {
      const n = Number(t);
      if (n < 1 || n > count) throw new Error(`condition ${n} does not exist`);
      used.add(n);
      return { k: 'n', i: n };
    }
    throw new Error(t ? `unexpected "${t}"` : 'unexpected end');
  };
  const node = orExpr();
  if (i < tokens.length) throw new Error(`unexpected "${tokens[i]}"`);
  for (let n = 1; n <= count; n++) if (!used.has(n)) throw new Error(`condition ${n} is not used`);
  return node;
}

export function evaluateLogic(node: LogicNode, value: (i: number) => boolean): boolean {
  switch (node.k) {
    case 'n':
      return value(node.i);
    case 'not':
      return !evaluateLogic(node.e, value);
    case 'and':
      return evaluateLogic(node.l, value) && evaluateLogic(node.r, value);
    case 'or':
      return evaluateLogic(node.l, value) || evaluateLogic(node.r, value);
  }
}
