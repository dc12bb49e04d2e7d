/**
 * Runs one flow interview: walks the elements from the start connector, keeps the interview's
 * variables, evaluates formulas and text templates, and reads and writes records through
 * `FlowDataServices` — the same SOQL engine and DML service the REST API uses, acting as the
 * calling user, so a flow can never see or change more than its caller could over REST.
 *
 * The caller owns the transaction: it runs each interview inside one SQLite transaction and rolls
 * it back when the interview ends in error. DML elements run in a savepoint so a fault path sees
 * the state from before the failed element, as on the platform.
 */
import { randomBytes } from 'node:crypto';
import type { SchemaRegistry } from '../schema/types.ts';
import type { UserContext } from '../security/types.ts';
import { FormulaError, evaluateFormula, mergeText, type FormulaScope } from './formula.ts';
import {
  evaluateLogic,
  parseLogic,
  type AssignmentElement,
  type ConditionDef,
  type DecisionElement,
  type FieldAssignmentDef,
  type FilterDef,
  type FlowElement,
  type FlowModel,
  type FlowVariableDef,
  type LoopElement,
  type RecordCreateElement,
  type RecordDeleteElement,
  type RecordLookupElement,
  type RecordUpdateElement,
  type ValueSpec,
} from './flow-model.ts';
import {
  FlowDate,
  FlowRecord,
  coerce,
  flowCompare,
  flowEquals,
  isBlank,
  parseDateTime,
  recordFromApi,
  toApiFieldValue,
  toNumber,
  toText,
  type FlowScalar,
  type FlowValue,
} from './flow-values.ts';

export interface DataError {
  statusCode: string;
  message: string;
  fields: string[];
}

export interface SaveResult {
  id?: string | null;
  success: boolean;
  errors: DataError[];
}

/** Thrown by `FlowDataServices.query` for a query the user may not run (INVALID_FIELD, INVALID_TYPE…). */
export class DataServiceError extends Error {
  constructor(readonly error: DataError) {
    super(error.message);
  }
}

/** Record access as the running user (see actions/data-services.ts for the org-backed one). */
export interface FlowDataServices {
  /** SOQL with `:name` bind variables; returns records in REST form (`attributes` + fields). */
  query(soql: string, binds: Record<string, unknown>): Record<string, unknown>[];
  insert(objectName: string, records: Record<string, unknown>[]): SaveResult[];
  update(objectName: string, records: Record<string, unknown>[]): SaveResult[];
  delete(objectName: string, ids: string[]): SaveResult[];
  /** Runs `fn` in a savepoint: rolled back if it throws. */
  atomic<T>(fn: () => T): T;
}

export interface InterviewOptions {
  user: UserContext;
  schema: SchemaRegistry;
  services: FlowDataServices;
  /** `$User.<field>`, `$Organization.<field>`, `$Profile.Name`, `$UserRole.Name`. */
  globals?: (root: string, field: string) => FlowValue;
  /** The org's time zone for TODAY() and $Flow.CurrentDate (default UTC). */
  timeZone?: string;
  now?: () => Date;
  /** Guard against endless loops (elements executed per interview). */
  maxSteps?: number;
}

export interface InterviewResult {
  guid: string;
  status: 'Finished' | 'Error';
  /** Output variables by name (typed flow values). */
  outputs: Record<string, FlowValue>;
  error?: DataError;
}

/** A problem with the inputs an action was invoked with (the interview never starts). */
export class FlowInputError extends Error {
  constructor(
    readonly statusCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

class FlowFault extends Error {
  constructor(
    readonly statusCode: string,
    message: string,
    readonly fields: string[] = [],
    /** The text of `$Flow.FaultMessage` when a fault connector catches this. */
    readonly faultMessage: string = message,
  ) {
    super(message);
  }
}

const DEFAULT_MAX_STEPS = 100_000;
const LOOKUP_LIMIT = 50_000;

export function newInterviewGuid(): string {
  return `${randomBytes(17).toString('hex')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Converts an invocation's JSON inputs to typed values for the flow's input variables. Unknown
 * names and values of the wrong type are refused before the interview starts.
 */
export function convertInputs(model: FlowModel, schema: SchemaRegistry, raw: Record<string, unknown>): Map<string, FlowValue> {
  const values = new Map<string, FlowValue>();
  for (const [name, value] of Object.entries(raw)) {
    const v = model.variables.get(name.toLowerCase());
    if (!v || !v.isInput) throw new FlowInputError('INVALID_INPUT', `Invalid input parameter: ${name} is not an input variable of the flow ${model.apiName}`, [name]);
    try {
      values.set(v.name.toLowerCase(), inputValue(v, schema, value));
    } catch (e) {
      throw new FlowInputError('INVALID_INPUT', `Invalid value for input parameter ${v.name}: ${(e as Error).message}`, [v.name]);
    }
  }
  return values;
}

function inputValue(v: FlowVariableDef, schema: SchemaRegistry, value: unknown): FlowValue {
  if (value === null || value === undefined) return v.isCollection ? [] : null;
  if (v.isCollection) {
    if (!Array.isArray(value)) throw new TypeError(`expected a list of ${v.dataType} values`);
    return value.map((x) => inputValue({ ...v, isCollection: false }, schema, x) as FlowScalar);
  }
  if (Array.isArray(value)) throw new TypeError(`expected a single ${v.dataType} value, not a list`);
  if (v.dataType === 'SObject') {
    if (typeof value !== 'object') throw new TypeError(`expected a ${v.objectType} record`);
    const rec = value as Record<string, unknown>;
    const type = (rec.attributes as { type?: string } | undefined)?.type;
    if (type && type.toLowerCase() !== v.objectType!.toLowerCase()) throw new TypeError(`expected a ${v.objectType} record, got ${type}`);
    const flowRecord = recordFromApi(schema, v.objectType!, { ...rec, attributes: { type: v.objectType } });
    for (const f of flowRecord.fields()) if (f.name.toLowerCase() !== 'id') flowRecord.dirty.add(f.name);
    return flowRecord;
  }
  if (typeof value === 'object') throw new TypeError(`expected a ${v.dataType} value`);
  switch (v.dataType) {
    case 'Number':
    case 'Currency':
      if (typeof value === 'boolean') throw new TypeError('expected a number');
      if (typeof value === 'string' && (value.trim() === '' || !Number.isFinite(Number(value)))) throw new TypeError(`"${value}" is not a number`);
      return coerce(value as FlowScalar, v.dataType, v.scale);
    case 'Boolean':
      if (typeof value === 'number') throw new TypeError('expected true or false');
      return coerce(value as FlowScalar, 'Boolean');
    case 'Date':
      if (typeof value !== 'string' || !FlowDate.parse(value)) throw new TypeError(`expected a date as YYYY-MM-DD, got ${JSON.stringify(value)}`);
      return FlowDate.parse(value)!;
    case 'DateTime': {
      const d = typeof value === 'string' ? parseDateTime(value) : null;
      if (!d) throw new TypeError(`expected a datetime such as 2026-01-31T09:00:00Z, got ${JSON.stringify(value)}`);
      return d;
    }
    default:
      return typeof value === 'string' ? value : String(value);
  }
}

/** Today's date in a time zone. */
export function todayIn(timeZone: string | undefined, now: Date): FlowDate {
  if (!timeZone) return new FlowDate(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate());
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  return FlowDate.parse(parts) ?? new FlowDate(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate());
}

/** Runs one interview of `model` with typed inputs (see convertInputs). Never throws for flow faults. */
export function runInterview(model: FlowModel, inputs: Map<string, FlowValue>, options: InterviewOptions): InterviewResult {
  const interview = new Interview(model, inputs, options);
  return interview.run();
}

class Interview implements FormulaScope {
  readonly guid = newInterviewGuid();
  private readonly vars = new Map<string, FlowValue>();
  private readonly elementValues = new Map<string, FlowValue>();
  private readonly loopState = new Map<string, { items: FlowScalar[]; index: number }>();
  private faultMessage: string | null = null;
  private readonly startedAt: Date;
  private readonly clock: () => Date;

  constructor(
    private readonly model: FlowModel,
    inputs: Map<string, FlowValue>,
    private readonly o: InterviewOptions,
  ) {
    this.clock = o.now ?? (() => new Date());
    this.startedAt = this.clock();
    for (const v of model.variables.values()) {
      const key = v.name.toLowerCase();
      if (inputs.has(key)) this.vars.set(key, inputs.get(key)!);
      else if (v.value) this.vars.set(key, this.typed(v, this.specValue(v.value)));
      else this.vars.set(key, v.isCollection ? [] : null);
    }
  }

  // FormulaScope
  today(): FlowDate {
    return todayIn(this.o.timeZone, this.clock());
  }

  now(): Date {
    return this.clock();
  }

  run(): InterviewResult {
    let current = this.model.start;
    let steps = 0;
    const max = this.o.maxSteps ?? DEFAULT_MAX_STEPS;
    try {
      while (current) {
        if (++steps > max) throw new FlowFault('UNKNOWN_EXCEPTION', `The flow executed more than ${max} elements; it was stopped (is there an endless loop?).`);
        const el = this.model.elements.get(current.toLowerCase());
        if (!el) throw new FlowFault('UNKNOWN_EXCEPTION', `The flow connects to ${current}, which doesn't exist.`);
        current = this.step(el);
      }
    } catch (e) {
      const fault = toFault(e);
      return {
        guid: this.guid,
        status: 'Error',
        outputs: {},
        error: { statusCode: fault.statusCode, message: `An error occurred when executing a flow interview. ${fault.message}`, fields: fault.fields },
      };
    }
    const outputs: Record<string, FlowValue> = {};
    for (const v of this.model.variables.values()) if (v.isOutput) outputs[v.name] = this.vars.get(v.name.toLowerCase()) ?? null;
    return { guid: this.guid, status: 'Finished', outputs };
  }

  /** Executes one element and returns the next element's name (undefined: the interview ends). */
  private step(el: FlowElement): string | undefined {
    switch (el.type) {
      case 'assignments':
        this.assign(el);
        return el.next;
      case 'decisions':
        return this.decide(el);
      case 'loops':
        return this.loop(el);
      case 'recordLookups':
      case 'recordCreates':
      case 'recordUpdates':
      case 'recordDeletes':
        try {
          this.o.services.atomic(() => this.data(el));
          return el.next;
        } catch (e) {
          const fault = toFault(e);
          if (!el.fault) throw fault;
          this.faultMessage = fault.faultMessage;
          return el.fault;
        }
    }
  }

  private data(el: RecordLookupElement | RecordCreateElement | RecordUpdateElement | RecordDeleteElement): void {
    switch (el.type) {
      case 'recordLookups':
        return this.lookup(el);
      case 'recordCreates':
        return this.create(el);
      case 'recordUpdates':
        return this.update(el);
      case 'recordDeletes':
        return this.remove(el);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Values and references

  resolve = (reference: string): FlowValue => {
    const parts = reference.split('.');
    const root = parts[0]!;
    if (root.startsWith('$')) return this.global(root, parts.slice(1).join('.'));
    const key = root.toLowerCase();
    let value: FlowValue;
    const variable = this.model.variables.get(key);
    const constant = this.model.constants.get(key);
    const formula = this.model.formulas.get(key);
    const template = this.model.textTemplates.get(key);
    if (variable) value = this.vars.get(key) ?? null;
    else if (constant) value = constant.value ? coerce(this.specValue(constant.value), constant.dataType) : null;
    else if (formula) {
      try {
        value = evaluateFormula(formula.ast, this, formula.dataType, formula.scale);
      } catch (e) {
        if (e instanceof FormulaError) throw new FlowFault('UNKNOWN_EXCEPTION', `The formula ${formula.name} could not be evaluated: ${e.message}`);
        throw e;
      }
    } else if (template) value = mergeText(template.text, this.resolve);
    else if (this.elementValues.has(key)) value = this.elementValues.get(key)!;
    else if (this.model.elements.has(key)) value = null;
    else throw new FlowFault('UNKNOWN_EXCEPTION', `The flow references ${reference}, which doesn't exist.`);
    for (const field of parts.slice(1)) {
      if (value === null) throw new FlowFault('UNKNOWN_EXCEPTION', `The flow failed to access the value for ${reference} because it hasn't been set or assigned.`);
      if (!(value instanceof FlowRecord)) throw new FlowFault('UNKNOWN_EXCEPTION', `The flow failed to access ${reference}: ${root} is not a record.`);
      value = value.get(field);
    }
    return value;
  };

  private global(root: string, field: string): FlowValue {
    const r = root.toLowerCase();
    const f = field.toLowerCase();
    if (r === '$flow') {
      switch (f) {
        case 'currentdate':
          return this.today();
        case 'currentdatetime':
          return this.clock();
        case 'interviewguid':
          return this.guid;
        case 'faultmessage':
          return this.faultMessage;
        case 'interviewstarttime':
          return this.startedAt;
        case 'currentrecord':
          return null;
      }
      throw new FlowFault('UNKNOWN_EXCEPTION', `The global variable $Flow.${field} is not supported.`);
    }
    if (r === '$globalconstant') {
      switch (f) {
        case 'true':
          return true;
        case 'false':
          return false;
        case 'emptystring':
          return '';
        case 'null':
          return null;
      }
      throw new FlowFault('UNKNOWN_EXCEPTION', `The global constant $GlobalConstant.${field} does not exist.`);
    }
    if (r === '$system' && f === 'origindatetime') return new Date(Date.UTC(1900, 0, 1));
    if (r === '$user' && f === 'id') return this.o.user.userId;
    if (this.o.globals) {
      try {
        return this.o.globals(root, field);
      } catch (e) {
        if (e instanceof DataServiceError) throw new FlowFault('UNKNOWN_EXCEPTION', e.message);
        throw e;
      }
    }
    throw new FlowFault('UNKNOWN_EXCEPTION', `The global variable ${root}.${field} is not available.`);
  }

  private specValue(spec: ValueSpec | undefined): FlowValue {
    if (!spec) return null;
    switch (spec.kind) {
      case 'string':
        return spec.raw;
      case 'number':
        return Number(spec.raw);
      case 'boolean':
        return spec.raw === 'true';
      case 'date':
        return FlowDate.parse(spec.raw) ?? null;
      case 'datetime':
        return parseDateTime(spec.raw);
      case 'ref':
        return copy(this.resolve(spec.raw));
      case 'null':
        return null;
    }
  }

  /** Converts a value to a variable's type. */
  private typed(v: FlowVariableDef, value: FlowValue): FlowValue {
    try {
      if (v.isCollection) {
        if (value === null) return [];
        const items = Array.isArray(value) ? value : [value];
        return items.map((x) => this.typedItem(v, x));
      }
      if (Array.isArray(value)) throw new TypeError(`a collection can't be stored in ${v.name}, which holds a single value`);
      return this.typedItem(v, value);
    } catch (e) {
      if (e instanceof FlowFault) throw e;
      throw new FlowFault('UNKNOWN_EXCEPTION', `The flow couldn't assign a value to ${v.name}: ${(e as Error).message}`);
    }
  }

  private typedItem(v: FlowVariableDef, value: FlowScalar): FlowScalar {
    if (v.dataType === 'SObject') {
      if (value === null) return null;
      if (!(value instanceof FlowRecord)) throw new TypeError(`${v.name} holds ${v.objectType} records, not "${toText(value)}"`);
      if (v.objectType && value.objectName.toLowerCase() !== v.objectType.toLowerCase()) throw new TypeError(`${v.name} holds ${v.objectType} records, not ${value.objectName}`);
      return value;
    }
    return coerce(value, v.dataType, v.scale) as FlowScalar;
  }

  /** Sets `var` or `var.Field`. */
  private setReference(reference: string, value: FlowValue): void {
    const [root, ...fields] = reference.split('.');
    const key = root!.toLowerCase();
    const v = this.model.variables.get(key);
    if (!v) throw new FlowFault('UNKNOWN_EXCEPTION', `The flow can't assign a value to ${reference}: only variables can be changed.`);
    if (fields.length === 0) {
      this.vars.set(key, this.typed(v, value));
      return;
    }
    if (v.dataType !== 'SObject' || v.isCollection || fields.length > 1) throw new FlowFault('UNKNOWN_EXCEPTION', `The flow can't assign a value to ${reference}.`);
    let rec = this.vars.get(key);
    if (!(rec instanceof FlowRecord)) {
      rec = new FlowRecord(this.o.schema.get(v.objectType!)?.name ?? v.objectType!);
      this.vars.set(key, rec);
    }
    const fd = this.o.schema.field(rec.objectName, fields[0]!);
    rec.set(fd?.name ?? fields[0]!, Array.isArray(value) ? value.map(toText).join(';') : value);
  }

  // ------------------------------------------------------------------------------------------
  // Assignments, decisions, loops

  private assign(el: AssignmentElement): void {
    for (const item of el.items) {
      const value = this.specValue(item.value);
      // Assign and AssignCount don't read the target (it may be a field of a record not set yet).
      const current = item.operator === 'Assign' || item.operator === 'AssignCount' ? null : this.resolve(item.ref);
      switch (item.operator) {
        case 'Assign':
          this.setReference(item.ref, value);
          break;
        case 'Add':
          if (Array.isArray(current)) this.setReference(item.ref, [...current, ...asItems(value)]);
          else this.setReference(item.ref, addValues(current, value, item.ref));
          break;
        case 'Subtract':
          this.setReference(item.ref, subtractValues(current, value, item.ref));
          break;
        case 'AddItem':
          this.setReference(item.ref, [...asCollection(current, item.ref), ...asItems(value)]);
          break;
        case 'AddAtStart':
          this.setReference(item.ref, [...asItems(value), ...asCollection(current, item.ref)]);
          break;
        case 'AssignCount':
          this.setReference(item.ref, Array.isArray(value) ? value.length : value === null ? 0 : 1);
          break;
        case 'RemoveAll': {
          const remove = asItems(value);
          this.setReference(
            item.ref,
            asCollection(current, item.ref).filter((x) => !remove.some((r) => flowEquals(x, r))),
          );
          break;
        }
        case 'RemoveFirst': {
          const list = [...asCollection(current, item.ref)];
          const i = list.findIndex((x) => flowEquals(x, value));
          if (i >= 0) list.splice(i, 1);
          this.setReference(item.ref, list);
          break;
        }
        default:
          throw new FlowFault('UNKNOWN_EXCEPTION', `Assignment operator ${item.operator} is not supported.`);
      }
    }
  }

  private decide(el: DecisionElement): string | undefined {
    for (const rule of el.rules) {
      const results = rule.conditions.map((c) => this.condition(c));
      if (matches(rule.logic, results)) return rule.next;
    }
    return el.next;
  }

  private condition(c: ConditionDef): boolean {
    const left = this.resolve(c.left);
    const right = this.specValue(c.right);
    switch (c.operator) {
      case 'EqualTo':
        return flowEquals(left, right);
      case 'NotEqualTo':
        return !flowEquals(left, right);
      case 'GreaterThan':
      case 'GreaterThanOrEqualTo':
      case 'LessThan':
      case 'LessThanOrEqualTo': {
        const cmp = flowCompare(left, right);
        if (cmp === undefined) return false;
        return c.operator === 'GreaterThan' ? cmp > 0 : c.operator === 'GreaterThanOrEqualTo' ? cmp >= 0 : c.operator === 'LessThan' ? cmp < 0 : cmp <= 0;
      }
      case 'StartsWith':
        return left !== null && toText(left).startsWith(toText(right));
      case 'EndsWith':
        return left !== null && toText(left).endsWith(toText(right));
      case 'Contains':
        if (Array.isArray(left)) return left.some((x) => flowEquals(x, right));
        return left !== null && toText(left).includes(toText(right));
      case 'IsNull': {
        // An empty text or an empty collection (Get Records found nothing) counts as null.
        const isNull = left === null || left === '' || (Array.isArray(left) && left.length === 0);
        return right === false || right === 'false' ? !isNull : isNull;
      }
      case 'IsBlank': {
        const blank = isBlank(left);
        return right === false || right === 'false' ? !blank : blank;
      }
    }
    throw new FlowFault('UNKNOWN_EXCEPTION', `Condition operator ${c.operator} is not supported.`);
  }

  private loop(el: LoopElement): string | undefined {
    const key = el.name.toLowerCase();
    let state = this.loopState.get(key);
    if (!state) {
      const collection = this.resolve(el.collection);
      const items = collection === null ? [] : Array.isArray(collection) ? [...collection] : [collection];
      if (el.order === 'Desc') items.reverse();
      state = { items, index: 0 };
      this.loopState.set(key, state);
    }
    if (state.index >= state.items.length) {
      this.loopState.delete(key);
      this.elementValues.delete(key);
      return el.noMoreValues;
    }
    // The loop variable is a copy: changing it does not change the collection (as on the platform).
    const item = copy(state.items[state.index++]!) as FlowScalar;
    if (el.assignTo) this.setReference(el.assignTo, item);
    this.elementValues.set(key, item);
    return el.nextValue;
  }

  // ------------------------------------------------------------------------------------------
  // Records

  private lookup(el: RecordLookupElement): void {
    const o = this.o.schema.get(el.object);
    if (!o) throw new FlowFault('INVALID_TYPE', `sObject type '${el.object}' is not supported.`);
    const fields = new Set<string>(['Id']);
    const wanted = el.queriedFields.length > 0 ? el.queriedFields : el.outputAssignments.length > 0 ? el.outputAssignments.map((a) => a.field) : undefined;
    if (wanted) for (const f of wanted) fields.add(this.o.schema.field(o.name, f)?.name ?? f);
    else {
      // "Automatically store all fields": every field the user can read.
      for (const fd of o.fields) {
        if (['address', 'base64', 'encryptedstring', 'anyType'].includes(fd.type)) continue;
        if (this.o.user.fieldAccess(o.name, fd.name).read) fields.add(fd.name);
      }
    }
    if (el.sortField) fields.add(this.o.schema.field(o.name, el.sortField)?.name ?? el.sortField);
    const binds: Record<string, unknown> = {};
    const where = this.whereClause(o.name, el.filters, el.filterLogic, binds);
    let soql = `SELECT ${[...fields].join(', ')} FROM ${o.name}${where ? ` WHERE ${where}` : ''}`;
    if (el.sortField) soql += ` ORDER BY ${this.o.schema.field(o.name, el.sortField)?.name ?? el.sortField} ${el.sortOrder === 'Desc' ? 'DESC' : 'ASC'}`;
    const limit = el.getFirstRecordOnly ? 1 : el.limit ?? LOOKUP_LIMIT;
    soql += ` LIMIT ${Math.max(1, Math.trunc(limit))}`;
    const records = this.query(soql, binds, 'look up').map((r) => recordFromApi(this.o.schema, o.name, r));
    const first = records[0] ?? null;
    const key = el.name.toLowerCase();
    // When nothing is found the output is null, for collections too (flows test it with IsNull).
    const found = el.getFirstRecordOnly ? first : records.length > 0 ? records : null;
    if (el.storeOutputAutomatically) this.elementValues.set(key, found);
    if (el.outputReference) this.setReference(el.outputReference, found);
    if (el.outputAssignments.length > 0) {
      if (first) for (const a of el.outputAssignments) this.setReference(a.ref, first.get(a.field));
      else if (el.assignNullValuesIfNoRecordsFound) for (const a of el.outputAssignments) this.setReference(a.ref, null);
    }
  }

  private create(el: RecordCreateElement): void {
    if (el.inputReference) {
      const value = this.resolve(el.inputReference);
      const records = recordsOf(value, el.inputReference, 'create');
      if (records.length === 0) return;
      const objectName = records[0]!.objectName;
      const results = this.save('create', objectName, () =>
        this.o.services.insert(
          objectName,
          records.map((r) => this.apiFields(r, r.fields().map((f) => f.name).filter((n) => n.toLowerCase() !== 'id'))),
        ),
      );
      records.forEach((r, i) => {
        r.set('Id', results[i]?.id ?? null, false);
        r.dirty.clear();
      });
      return;
    }
    const o = this.o.schema.get(el.object!);
    if (!o) throw new FlowFault('INVALID_TYPE', `sObject type '${el.object}' is not supported.`);
    const values = this.assignments(o.name, el.inputAssignments);
    const [result] = this.save('create', o.name, () => this.o.services.insert(o.name, [values]));
    const id = result?.id ?? null;
    if (el.assignRecordIdToReference) this.setReference(el.assignRecordIdToReference, id);
    if (el.storeOutputAutomatically) this.elementValues.set(el.name.toLowerCase(), id);
  }

  private update(el: RecordUpdateElement): void {
    if (el.inputReference) {
      const records = recordsOf(this.resolve(el.inputReference), el.inputReference, 'update');
      if (records.length === 0) return;
      const objectName = records[0]!.objectName;
      const missing = records.find((r) => !r.id);
      if (missing) throw dmlFault('update', { statusCode: 'MISSING_ARGUMENT', message: 'Id not specified in an update call', fields: [] });
      this.save('update', objectName, () =>
        this.o.services.update(
          objectName,
          records.map((r) => ({ Id: r.id, ...this.apiFields(r, [...r.dirty].filter((n) => n.toLowerCase() !== 'id')) })),
        ),
      );
      for (const r of records) r.dirty.clear();
      return;
    }
    const o = this.o.schema.get(el.object!);
    if (!o) throw new FlowFault('INVALID_TYPE', `sObject type '${el.object}' is not supported.`);
    const ids = this.matchingIds(o.name, el.filters, el.filterLogic, 'update');
    if (ids.length === 0) return;
    const values = this.assignments(o.name, el.inputAssignments);
    this.save('update', o.name, () => this.o.services.update(o.name, ids.map((Id) => ({ Id, ...values }))));
  }

  private remove(el: RecordDeleteElement): void {
    let objectName: string;
    let ids: string[];
    if (el.inputReference) {
      const value = this.resolve(el.inputReference);
      const items = value === null ? [] : Array.isArray(value) ? value : [value];
      ids = items.map((x) => (x instanceof FlowRecord ? x.id : typeof x === 'string' ? x : null)).filter((x): x is string => Boolean(x));
      const first = items.find((x) => x instanceof FlowRecord) as FlowRecord | undefined;
      if (ids.length === 0) return;
      objectName = first?.objectName ?? this.o.schema.byKeyPrefix(ids[0]!.slice(0, 3))?.name ?? '';
    } else {
      const o = this.o.schema.get(el.object!);
      if (!o) throw new FlowFault('INVALID_TYPE', `sObject type '${el.object}' is not supported.`);
      objectName = o.name;
      ids = this.matchingIds(o.name, el.filters, el.filterLogic, 'delete');
      if (ids.length === 0) return;
    }
    this.save('delete', objectName, () => this.o.services.delete(objectName, ids));
  }

  /** Field values for DML from a record's fields. */
  private apiFields(r: FlowRecord, names: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const n of names) {
      const fd = this.o.schema.field(r.objectName, n);
      out[fd?.name ?? n] = toApiFieldValue(fd, r.get(n));
    }
    return out;
  }

  private assignments(objectName: string, list: FieldAssignmentDef[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const a of list) {
      const fd = this.o.schema.field(objectName, a.field);
      out[fd?.name ?? a.field] = toApiFieldValue(fd, this.specValue(a.value));
    }
    return out;
  }

  private matchingIds(objectName: string, filters: FilterDef[], logicText: string, verb: string): string[] {
    const binds: Record<string, unknown> = {};
    const where = this.whereClause(objectName, filters, logicText, binds);
    const soql = `SELECT Id FROM ${objectName}${where ? ` WHERE ${where}` : ''} LIMIT ${LOOKUP_LIMIT}`;
    return this.query(soql, binds, verb).map((r) => String(r.Id));
  }

  private query(soql: string, binds: Record<string, unknown>, verb: string): Record<string, unknown>[] {
    try {
      return this.o.services.query(soql, binds);
    } catch (e) {
      if (e instanceof DataServiceError) throw dmlFault(verb, e.error);
      throw e;
    }
  }

  /** Runs DML and turns the first failed row into a fault (flows save all-or-none). */
  private save(verb: string, objectName: string, run: () => SaveResult[]): SaveResult[] {
    let results: SaveResult[];
    try {
      results = run();
    } catch (e) {
      if (e instanceof DataServiceError) throw dmlFault(verb, e.error);
      throw e;
    }
    const failed = results.find((r) => !r.success);
    if (failed) throw dmlFault(verb, failed.errors[0] ?? { statusCode: 'UNKNOWN_EXCEPTION', message: `The ${objectName} record could not be saved`, fields: [] });
    return results;
  }

  /**
   * Builds a WHERE clause with bind variables (`:f0`, `:f1`…): values are never spliced into the
   * SOQL text, so a value can't change the query's meaning.
   */
  private whereClause(objectName: string, filters: FilterDef[], logicText: string, binds: Record<string, unknown>): string {
    if (filters.length === 0) return '';
    const parts = filters.map((f, i) => {
      const fd = this.o.schema.field(objectName, f.field);
      const field = fd?.name ?? f.field;
      const name = `f${i}`;
      const value = this.specValue(f.value);
      const bind = (v: unknown): string => {
        binds[name] = v;
        return `:${name}`;
      };
      const scalar = (): unknown => toApiFieldValue(fd, Array.isArray(value) ? null : value);
      switch (f.operator) {
        case 'EqualTo':
          return value === null ? `${field} = null` : `${field} = ${bind(scalar())}`;
        case 'NotEqualTo':
          return value === null ? `${field} != null` : `${field} != ${bind(scalar())}`;
        case 'GreaterThan':
          return `${field} > ${bind(scalar())}`;
        case 'GreaterThanOrEqualTo':
          return `${field} >= ${bind(scalar())}`;
        case 'LessThan':
          return `${field} < ${bind(scalar())}`;
        case 'LessThanOrEqualTo':
          return `${field} <= ${bind(scalar())}`;
        case 'StartsWith':
          return `${field} LIKE ${bind(`${escapeLike(toText(value))}%`)}`;
        case 'EndsWith':
          return `${field} LIKE ${bind(`%${escapeLike(toText(value))}`)}`;
        case 'Contains':
          return `${field} LIKE ${bind(`%${escapeLike(toText(value))}%`)}`;
        case 'IsNull':
          return value === false || value === 'false' ? `${field} != null` : `${field} = null`;
        case 'In':
        case 'NotIn': {
          const items = value === null ? [] : Array.isArray(value) ? value : [value];
          return `${field} ${f.operator === 'In' ? 'IN' : 'NOT IN'} ${bind(items.map((x) => toApiFieldValue(fd, x)))}`;
        }
      }
      throw new FlowFault('UNKNOWN_EXCEPTION', `Filter operator ${f.operator} is not supported.`);
    });
    const l = logicText.toLowerCase();
    if (l === 'and' || l === 'or') return parts.map((p) => `(${p})`).join(l === 'and' ? ' AND ' : ' OR ');
    const render = (n: ReturnType<typeof parseLogic>): string => {
      switch (n.k) {
        case 'n':
          return `(${parts[n.i - 1]})`;
        case 'not':
          return `(NOT ${render(n.e)})`;
        default:
          return `(${render(n.l)} ${n.k.toUpperCase()} ${render(n.r)})`;
      }
    };
    return render(parseLogic(logicText, parts.length));
  }
}

function matches(logicText: string, results: boolean[]): boolean {
  const l = logicText.toLowerCase();
  if (results.length === 0) return true;
  if (l === 'and') return results.every(Boolean);
  if (l === 'or') return results.some(Boolean);
  return evaluateLogic(parseLogic(logicText, results.length), (i) => results[i - 1]!);
}

/** SOQL LIKE escapes for the wildcard characters in a literal value. */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function copy(v: FlowValue): FlowValue {
  if (v instanceof FlowRecord) return v.clone();
  if (Array.isArray(v)) return v.map((x) => (x instanceof FlowRecord ? x.clone() : x));
  return v;
}

function asItems(v: FlowValue): FlowScalar[] {
  if (v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function asCollection(v: FlowValue, ref: string): FlowScalar[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new FlowFault('UNKNOWN_EXCEPTION', `${ref} is not a collection.`);
  return v;
}

function addValues(current: FlowValue, value: FlowValue, ref: string): FlowValue {
  if (current instanceof FlowDate) return value === null ? current : current.addDays(toNumber(value) ?? 0);
  if (current instanceof Date) return value === null ? current : new Date(current.getTime() + (toNumber(value) ?? 0) * 86_400_000);
  if (typeof current === 'number' || (current === null && typeof value === 'number')) {
    const n = toNumber(value);
    if (value !== null && n === null) throw new FlowFault('UNKNOWN_EXCEPTION', `Can't add "${toText(value)}" to the number ${ref}.`);
    return (current === null ? 0 : (current as number)) + (n ?? 0);
  }
  if (typeof current === 'string' || current === null) return (current ?? '') + toText(value);
  throw new FlowFault('UNKNOWN_EXCEPTION', `Can't add to ${ref}.`);
}

function subtractValues(current: FlowValue, value: FlowValue, ref: string): FlowValue {
  const n = toNumber(value);
  if (value !== null && n === null) throw new FlowFault('UNKNOWN_EXCEPTION', `Can't subtract "${toText(value)}" from ${ref}.`);
  if (current instanceof FlowDate) return current.addDays(-(n ?? 0));
  if (current instanceof Date) return new Date(current.getTime() - (n ?? 0) * 86_400_000);
  if (typeof current === 'number' || current === null) return (current ?? 0) - (n ?? 0);
  throw new FlowFault('UNKNOWN_EXCEPTION', `Can't subtract from ${ref}.`);
}

function recordsOf(value: FlowValue, ref: string, verb: string): FlowRecord[] {
  if (value === null) throw new FlowFault('UNKNOWN_EXCEPTION', `The flow tried to ${verb} records from ${ref}, but ${ref} has no value.`);
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((x) => x instanceof FlowRecord)) throw new FlowFault('UNKNOWN_EXCEPTION', `${ref} doesn't hold records.`);
  return items as FlowRecord[];
}

function dmlFault(verb: string, error: DataError): FlowFault {
  const detail = `This error occurred when the flow tried to ${verb} records: ${error.statusCode}: ${error.message}.`;
  return new FlowFault(error.statusCode, detail, error.fields ?? [], `${detail} You can look up ExceptionCode values in the SOAP API Developer Guide.`);
}

function toFault(e: unknown): FlowFault {
  if (e instanceof FlowFault) return e;
  if (e instanceof FormulaError) return new FlowFault('UNKNOWN_EXCEPTION', e.message);
  if (e instanceof DataServiceError) return dmlFault('look up', e.error);
  throw e;
}
