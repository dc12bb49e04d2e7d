/**
 * Invocable actions of the local org (wire.md §7, platform.md §8): custom Flow actions (active
 * autolaunched flows) and custom Apex actions (classes with an `@InvocableMethod`), listed and
 * described only for users who may run them, and invoked as the calling user.
 *
 * Access: Apex needs class access (a permission set's classAccesses, or Modify All Data / Author
 * Apex); flows need the flow in a permission set's flowAccesses (or Modify All Data) — see
 * setup-entity-access.ts. An action the user may not run is reported exactly like one that does
 * not exist (404 NOT_FOUND), so its existence is not disclosed.
 *
 * Apex actions are described from their source but not executed: the local org has no Apex
 * runtime yet. `invokeApexAction` is the single dispatch point a runtime plugs into
 * (`registerApexActionRuntime`); until then every item fails with APEX_EXECUTION_UNSUPPORTED.
 */
import { ApiError } from '../http/errors.ts';
import type { OrgContext } from '../org/context.ts';
import { storedComponents, type StoredComponent } from '../metadata/apply.ts';
import type { UserContext } from '../security/types.ts';
import { isValidId } from '../ids.ts';
import { ApexDescribeError, describeApexClass, type ApexInvocable, type ApexParameter } from './apex-describe.ts';
import { orgDataServices, orgGlobals } from './data-services.ts';
import { FlowValidationError, parseFlow, type FlowModel, type FlowVariableDef } from './flow-model.ts';
import { FlowInputError, convertInputs, runInterview, type DataError, type InterviewResult } from './flow-interpreter.ts';
import { FlowDate, parseDateTime, toOutputJson } from './flow-values.ts';
import { activeFlowVersion, getFlowDefinition, listFlowDefinitions, type FlowDefinitionRecord, type FlowVersionRecord } from './flow-versions.ts';
import { canRunApexClass, canRunFlow } from './setup-entity-access.ts';

export type CustomActionType = 'apex' | 'flow';
export const CUSTOM_ACTION_TYPES: CustomActionType[] = ['apex', 'flow'];

export interface ActionSummary {
  label: string;
  name: string;
  type: 'APEX' | 'FLOW';
  url: string;
}

export interface ActionParameter {
  apexClass: string | null;
  byteLength: number;
  defaultValue?: string | null;
  description: string | null;
  label: string;
  maxOccurs: number;
  name: string;
  picklistValues: null;
  placeholderText?: string | null;
  required?: boolean;
  sobjectType: string | null;
  type: string;
}

export interface ActionDescribe {
  category: string | null;
  description: string | null;
  iconName: string | null;
  inputs: ActionParameter[];
  label: string;
  name: string;
  outputs: ActionParameter[];
  standard: false;
  targetEntityName: string | null;
  type: 'APEX' | 'FLOW';
}

export interface ActionResult {
  actionName: string;
  errors: DataError[] | null;
  isSuccess: boolean;
  outputValues: Record<string, unknown> | null;
  invocationId: null;
  sortOrder: number;
  version: number;
  outcome?: null;
}

/** A collection parameter's maxOccurs, as the platform describes list inputs. */
export const COLLECTION_MAX_OCCURS = 2000;

const notFound = (): ApiError => new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');

export function invalidActionType(type: string): ApiError {
  return new ApiError(404, 'NOT_FOUND', `Invalid Action Type: ${type}`);
}

/** `apex` / `flow` (case-insensitive), or a 404 Invalid Action Type. */
export function actionType(raw: string): CustomActionType {
  const t = raw.toLowerCase();
  if (t === 'apex' || t === 'flow') return t;
  throw invalidActionType(raw);
}

// ---------------------------------------------------------------------------------------------
// Apex

export interface ApexAction {
  component: StoredComponent;
  invocable: ApexInvocable;
}

/** Deployed classes with an @InvocableMethod (classes the parser rejects are skipped). */
function apexActions(org: OrgContext): ApexAction[] {
  const out: ApexAction[] = [];
  for (const c of storedComponents(org.db, 'ApexClass')) {
    if (!c.body) continue;
    try {
      const invocable = describeApexClass(c.body, org.schema);
      if (invocable) out.push({ component: c, invocable });
    } catch (e) {
      if (!(e instanceof ApexDescribeError)) throw e;
    }
  }
  return out;
}

/** The Apex action of a class the user may run, or a 404. */
export function findApexAction(org: OrgContext, user: UserContext, className: string): ApexAction {
  const c = storedComponents(org.db, 'ApexClass').find((x) => x.fullName.toLowerCase() === className.toLowerCase());
  if (!c?.body || !canRunApexClass(org.db, user, c.fullName)) throw notFound();
  let invocable: ApexInvocable | null;
  try {
    invocable = describeApexClass(c.body, org.schema);
  } catch (e) {
    if (e instanceof ApexDescribeError) throw notFound();
    throw e;
  }
  if (!invocable) throw notFound();
  return { component: c, invocable };
}

function apexParameter(p: ApexParameter, input: boolean): ActionParameter {
  const out: ActionParameter = {
    apexClass: p.apexClass,
    byteLength: 0,
    description: p.description,
    label: p.label,
    maxOccurs: p.collection ? COLLECTION_MAX_OCCURS : 1,
    name: p.name,
    picklistValues: null,
    sobjectType: p.sobjectType,
    type: p.type,
  };
  if (input) Object.assign(out, { defaultValue: p.defaultValue, placeholderText: p.placeholderText, required: p.required });
  return out;
}

export function describeApexAction(action: ApexAction): ActionDescribe {
  const i = action.invocable;
  return {
    category: i.category,
    description: i.description,
    iconName: i.iconName,
    inputs: i.inputs.map((p) => apexParameter(p, true)),
    label: i.label,
    name: action.component.fullName,
    outputs: i.outputs.map((p) => apexParameter(p, false)),
    standard: false,
    targetEntityName: null,
    type: 'APEX',
  };
}

/** What a local Apex runtime (a later issue) provides to execute invocable methods. */
export interface ApexActionRuntime {
  /** One result per validated input, in order; runs as `user`. */
  invoke(org: OrgContext, user: UserContext, action: ApexAction, inputs: Record<string, unknown>[], apiVersion: string): ActionResult[];
}

let apexRuntime: ApexActionRuntime | undefined;

/** Plugs an Apex runtime into `invokeApexAction` (undefined removes it); returns the previous one. */
export function registerApexActionRuntime(runtime: ApexActionRuntime | undefined): ApexActionRuntime | undefined {
  const previous = apexRuntime;
  apexRuntime = runtime;
  return previous;
}

/**
 * THE dispatch point for Apex actions. Inputs are checked against the @InvocableVariable
 * declarations first (required, names, types); valid items go to the Apex runtime when one is
 * registered, and otherwise fail with APEX_EXECUTION_UNSUPPORTED — never a made-up result.
 */
export function invokeApexAction(org: OrgContext, user: UserContext, action: ApexAction, inputs: Record<string, unknown>[], apiVersion: string): ActionResult[] {
  const name = action.component.fullName;
  const results: (ActionResult | undefined)[] = inputs.map((input) => {
    const problem = checkApexInput(action.invocable, input);
    return problem ? apexResult(name, [problem]) : undefined;
  });
  const valid = inputs.filter((_x, i) => !results[i]);
  let executed: ActionResult[];
  if (apexRuntime && valid.length > 0) {
    executed = apexRuntime.invoke(org, user, action, valid, apiVersion);
  } else {
    const error: DataError = {
      statusCode: 'APEX_EXECUTION_UNSUPPORTED',
      message: `The local org cannot execute Apex yet: ${name}.${action.invocable.methodName} was not run`,
      fields: [],
    };
    executed = valid.map(() => apexResult(name, [error]));
  }
  let next = 0;
  return results.map((r) => r ?? executed[next++]!);
}

function apexResult(name: string, errors: DataError[]): ActionResult {
  return { actionName: name, errors, isSuccess: false, outputValues: null, invocationId: null, sortOrder: -1, version: 1 };
}

/** The first problem with one Apex action input, or undefined. */
function checkApexInput(invocable: ApexInvocable, input: Record<string, unknown>): DataError | undefined {
  const params = new Map(invocable.inputs.map((p) => [p.name.toLowerCase(), p]));
  for (const key of Object.keys(input)) {
    if (!params.has(key.toLowerCase())) return { statusCode: 'INVALID_INPUT', message: `Invalid input parameter: ${key} is not an input of ${invocable.className}`, fields: [key] };
  }
  for (const p of invocable.inputs) {
    const entry = Object.entries(input).find(([k]) => k.toLowerCase() === p.name.toLowerCase());
    const value = entry?.[1];
    if (value === undefined || value === null || value === '') {
      if (p.required) return { statusCode: 'REQUIRED_FIELD_MISSING', message: `Missing required input parameter: ${p.name}`, fields: [] };
      continue;
    }
    const problem = apexTypeProblem(p, value);
    if (problem) return { statusCode: 'INVALID_INPUT', message: `Invalid value for input parameter ${p.name}: ${problem}`, fields: [p.name] };
  }
  return undefined;
}

function apexTypeProblem(p: ApexParameter, value: unknown): string | undefined {
  if (p.collection) {
    if (!Array.isArray(value)) return `expected a list of ${p.type} values`;
    for (const v of value) {
      const problem = scalarProblem(p, v);
      if (problem) return problem;
    }
    return undefined;
  }
  if (Array.isArray(value)) return `expected a single ${p.type} value, not a list`;
  return scalarProblem(p, value);
}

function scalarProblem(p: ApexParameter, v: unknown): string | undefined {
  if (v === null) return undefined;
  switch (p.type) {
    case 'STRING':
      return typeof v === 'string' ? undefined : 'expected text';
    case 'ID':
      return typeof v === 'string' && isValidId(v) ? undefined : `${JSON.stringify(v)} is not a valid Id`;
    case 'INTEGER':
    case 'LONG':
      return (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^[+-]?\d+$/.test(v)) ? undefined : `${JSON.stringify(v)} is not an integer`;
    case 'DOUBLE':
      return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) ? undefined : `${JSON.stringify(v)} is not a number`;
    case 'BOOLEAN':
      return typeof v === 'boolean' || v === 'true' || v === 'false' ? undefined : `${JSON.stringify(v)} is not true or false`;
    case 'DATE':
      return typeof v === 'string' && FlowDate.parse(v) ? undefined : `${JSON.stringify(v)} is not a date (YYYY-MM-DD)`;
    case 'DATETIME':
      return typeof v === 'string' && parseDateTime(v) ? undefined : `${JSON.stringify(v)} is not a datetime`;
    case 'SOBJECT':
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : `expected a ${p.sobjectType ?? 'record'} record`;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Flows

export interface FlowAction {
  definition: FlowDefinitionRecord;
  version: FlowVersionRecord;
}

const modelCache = new Map<string, FlowModel | FlowValidationError>();

/** The flow model of a version (cached by version Id), or the reason it can't run. */
export function flowModel(action: FlowAction): FlowModel | FlowValidationError {
  let m = modelCache.get(action.version.id);
  if (!m) {
    try {
      m = parseFlow(action.definition.developerName, action.version.xml);
    } catch (e) {
      if (!(e instanceof FlowValidationError)) throw e;
      m = e;
    }
    if (modelCache.size > 200) modelCache.clear();
    modelCache.set(action.version.id, m);
  }
  return m;
}

function runnableFlow(org: OrgContext, user: UserContext, def: FlowDefinitionRecord): FlowAction | undefined {
  if (def.processType !== 'AutoLaunchedFlow' || def.activeVersion === null) return undefined;
  if (!canRunFlow(org.db, user, def.developerName)) return undefined;
  const version = activeFlowVersion(org.db, def.developerName);
  return version ? { definition: def, version } : undefined;
}

/** The active flow the user may run, or a 404. */
export function findFlowAction(org: OrgContext, user: UserContext, name: string): FlowAction {
  const def = getFlowDefinition(org.db, name);
  const action = def ? runnableFlow(org, user, def) : undefined;
  if (!action) throw notFound();
  return action;
}

const FLOW_TYPES: Record<string, string> = {
  String: 'STRING',
  Number: 'DOUBLE',
  Currency: 'DOUBLE',
  Boolean: 'BOOLEAN',
  Date: 'DATE',
  DateTime: 'DATETIME',
  SObject: 'SOBJECT',
  Picklist: 'PICKLIST',
  Multipicklist: 'MULTIPICKLIST',
};

function flowParameter(v: FlowVariableDef, input: boolean): ActionParameter {
  const out: ActionParameter = {
    apexClass: null,
    byteLength: 0,
    description: v.description ?? null,
    label: v.name,
    maxOccurs: v.isCollection ? COLLECTION_MAX_OCCURS : 1,
    name: v.name,
    picklistValues: null,
    sobjectType: v.dataType === 'SObject' ? v.objectType ?? null : null,
    type: FLOW_TYPES[v.dataType] ?? v.dataType.toUpperCase(),
  };
  if (input) {
    const dv = v.value && v.value.kind !== 'ref' && v.value.kind !== 'null' ? v.value.raw : null;
    Object.assign(out, { defaultValue: dv, placeholderText: null, required: false });
  }
  return out;
}

const INTERVIEW_OUTPUTS: ActionParameter[] = [
  { apexClass: null, byteLength: 0, description: 'The interview’s GUID.', label: 'Flow Interview GUID', maxOccurs: 1, name: 'Flow__InterviewGuid', picklistValues: null, sobjectType: null, type: 'STRING' },
  {
    apexClass: null,
    byteLength: 0,
    description: 'The interview’s status: Finished or Error.',
    label: 'Flow Interview Status',
    maxOccurs: 1,
    name: 'Flow__InterviewStatus',
    picklistValues: null,
    sobjectType: null,
    type: 'STRING',
  },
];

export function describeFlowAction(action: FlowAction): ActionDescribe {
  const model = flowModel(action);
  // A flow the interpreter can't run is still described from its variables.
  const variables = [...(model instanceof FlowValidationError ? model.draft?.variables.values() ?? [] : model.variables.values())];
  return {
    category: null,
    description: action.definition.description,
    iconName: null,
    inputs: variables.filter((v) => v.isInput).map((v) => flowParameter(v, true)),
    label: action.definition.label,
    name: action.definition.developerName,
    outputs: [...variables.filter((v) => v.isOutput).map((v) => flowParameter(v, false)), ...INTERVIEW_OUTPUTS],
    standard: false,
    targetEntityName: null,
    type: 'FLOW',
  };
}

/**
 * Runs one interview per input, each in its own SQLite transaction: an interview that ends in
 * error is rolled back and only its item fails.
 */
export function invokeFlowAction(org: OrgContext, user: UserContext, action: FlowAction, inputs: Record<string, unknown>[], apiVersion: string): ActionResult[] {
  const name = action.definition.developerName;
  const version = action.version.versionNumber;
  const base = { actionName: name, invocationId: null, sortOrder: -1, version, outcome: null } as const;
  const model = flowModel(action);
  if (model instanceof FlowValidationError) {
    const error: DataError = { statusCode: 'FLOW_EXECUTION_UNSUPPORTED', message: model.message, fields: [] };
    return inputs.map(() => ({ ...base, errors: [error], isSuccess: false, outputValues: null }));
  }
  const services = orgDataServices(org, user, apiVersion);
  const globals = orgGlobals(org, user);
  return inputs.map((input) => {
    let typed;
    try {
      typed = convertInputs(model, org.schema, input);
    } catch (e) {
      if (!(e instanceof FlowInputError)) throw e;
      return { ...base, errors: [{ statusCode: e.statusCode, message: e.message, fields: e.fields }], isSuccess: false, outputValues: null };
    }
    let result: InterviewResult | undefined;
    const rollback = new Error('rollback');
    try {
      org.db.transaction(() => {
        result = runInterview(model, typed, { user, schema: org.schema, services, globals, timeZone: org.config.organization.timeZone });
        if (result.status === 'Error') throw rollback;
      })();
    } catch (e) {
      if (e !== rollback) {
        // A defect of the local org, not of the flow: this item fails (rolled back), the others still run.
        console.error(`[local-org] flow ${name} failed unexpectedly:`, e);
        const error: DataError = { statusCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred when executing a flow interview.', fields: [] };
        return { ...base, errors: [error], isSuccess: false, outputValues: null };
      }
    }
    const r = result!;
    if (r.status === 'Error') {
      return { ...base, errors: [r.error!], isSuccess: false, outputValues: { Flow__InterviewGuid: r.guid, Flow__InterviewStatus: 'Error' } };
    }
    const outputValues: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.outputs)) outputValues[k] = toOutputJson(v, apiVersion);
    outputValues.Flow__InterviewGuid = r.guid;
    outputValues.Flow__InterviewStatus = 'Finished';
    return { ...base, errors: null, isSuccess: true, outputValues };
  });
}

// ---------------------------------------------------------------------------------------------
// Lists

export function listActions(org: OrgContext, user: UserContext, type: CustomActionType, apiVersion: string): ActionSummary[] {
  const url = (name: string) => `/services/data/v${apiVersion}/actions/custom/${type}/${name}`;
  if (type === 'apex') {
    return apexActions(org)
      .filter((a) => canRunApexClass(org.db, user, a.component.fullName))
      .map((a) => ({ label: a.invocable.label, name: a.component.fullName, type: 'APEX' as const, url: url(a.component.fullName) }));
  }
  return listFlowDefinitions(org.db)
    .map((d) => runnableFlow(org, user, d))
    .filter((a): a is FlowAction => Boolean(a))
    .map((a) => ({ label: a.definition.label, name: a.definition.developerName, type: 'FLOW' as const, url: url(a.definition.developerName) }));
}
