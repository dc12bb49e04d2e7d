/**
 * The Apex system library the subset supports: instance methods of String, Id, numbers, Date,
 * Datetime, List/Set/Map, sObjects, exceptions and REST classes; static methods of String, Integer,
 * Decimal, Date, Datetime, Math, System, Assert, Test, UserInfo, Database, JSON, Schema, Security,
 * Limits; RestContext. A method outside this list is refused with its name, never guessed.
 */
import { isValidId } from '../ids.ts';
import type { Expr } from './ast.ts';
import { LIMITS, binary, compareValues, fieldValue, newLimits, toJsonValue, type Frame, type Interpreter, ApexThrow } from './interpreter.ts';
import {
  ApexBlob,
  ApexDate,
  ApexDatetime,
  ApexId,
  ApexList,
  ApexMap,
  ApexSet,
  Dbl,
  Dec,
  EnumValue,
  Obj,
  SObj,
  STRING_TYPE,
  ID_TYPE,
  OBJECT_TYPE,
  TypeValue,
  apexEquals,
  doubleText,
  hashKey,
  runtimeTypeName,
  toApexString,
  typeKey,
  type Value,
} from './values.ts';

const NAMESPACES = new Set([
  'string', 'integer', 'long', 'decimal', 'double', 'boolean', 'date', 'datetime', 'id', 'math', 'system', 'assert', 'test', 'userinfo', 'database',
  'json', 'schema', 'security', 'limits', 'restcontext', 'accesslevel', 'accesstype', 'sobjecttype', 'blob',
]);

export function isBuiltinNamespace(name: string): boolean {
  return NAMESPACES.has(name.toLowerCase());
}

function unsupported(it: Interpreter, what: string, at: Expr, frame?: Frame): never {
  return it.refuse(`Method does not exist or is not supported by the local org's Apex runtime: ${what}`, at, frame?.cls);
}

function str(it: Interpreter, v: Value, at: Expr): string {
  if (v === null) it.npe(at);
  return v instanceof ApexId ? v.v : toApexString(v);
}

function int(it: Interpreter, v: Value, at: Expr): number {
  if (v === null) it.npe(at);
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Dec) return v.toNumber();
  if (v instanceof Dbl) return v.v;
  return it.refuse(`Expected an Integer, got ${runtimeTypeName(v)}`, at);
}

// ---- static properties ---------------------------------------------------------------------------

export function getStaticProperty(it: Interpreter, t: TypeValue, name: string, frame: Frame, at: Expr): Value {
  const n = name.toLowerCase();
  if (t.kind === 'sobject') {
    if (n === 'sobjecttype') return new TypeValue('sobject', t.name, t.ref);
    const fd = it.org.schema.field(t.name, name);
    if (fd) return new TypeValue('schema-field', `${t.name}.${fd.name}`, fd);
    return it.refuse(`Variable does not exist: ${t.name}.${name}`, at, frame.cls);
  }
  switch (t.name) {
    case 'restcontext':
      if (n === 'request' || n === 'response') return it.builtinStatics.get(`restcontext.${n}`) ?? null;
      break;
    case 'accesslevel':
      if (n === 'user_mode' || n === 'system_mode') return new EnumValue('AccessLevel', name.toUpperCase(), n === 'user_mode' ? 0 : 1);
      break;
    case 'accesstype':
      if (['readable', 'creatable', 'updatable', 'upsertable'].includes(n)) return new EnumValue('AccessType', name.toUpperCase(), 0);
      break;
    case 'schema':
      if (n === 'sobjecttype') return new TypeValue('builtin', 'sobjecttype');
      break;
    case 'sobjecttype': {
      const o = it.org.schema.get(name);
      if (o) return new TypeValue('sobject', o.name, o);
      break;
    }
    case 'integer':
      if (n === 'max_value') return 2147483647;
      if (n === 'min_value') return -2147483648;
      break;
    case 'long':
      if (n === 'max_value') return 9223372036854775807n;
      if (n === 'min_value') return -9223372036854775808n;
      break;
    default:
      break;
  }
  return it.refuse(`Variable does not exist: ${t.name}.${name}`, at, frame.cls);
}

export function setStaticProperty(it: Interpreter, t: TypeValue, name: string, v: Value, frame: Frame, at: Expr): void {
  const n = name.toLowerCase();
  if (t.name === 'restcontext' && (n === 'request' || n === 'response')) {
    it.builtinStatics.set(`restcontext.${n}`, v);
    return;
  }
  it.refuse(`Variable is not writable: ${t.name}.${name}`, at, frame.cls);
}

// ---- static methods ------------------------------------------------------------------------------

export function callStatic(it: Interpreter, t: TypeValue, name: string, args: Value[], frame: Frame, at: Expr): Value {
  const n = name.toLowerCase();
  const a0 = args[0] ?? null;
  if (t.kind === 'sobject') {
    if (n === 'getsobjecttype') return new TypeValue('sobject', t.name, t.ref);
    return sobjectTypeMethod(it, t, n, args, at, frame);
  }
  if (t.kind === 'schema-field') return fieldTokenMethod(it, t, n, at, frame);
  switch (t.name) {
    case 'string':
      switch (n) {
        case 'valueof':
          return a0 === null ? 'null' : toApexString(a0);
        case 'isblank':
          return a0 === null || str(it, a0, at).trim() === '';
        case 'isnotblank':
          return !(a0 === null || str(it, a0, at).trim() === '');
        case 'isempty':
          return a0 === null || str(it, a0, at) === '';
        case 'isnotempty':
          return !(a0 === null || str(it, a0, at) === '');
        case 'join': {
          if (a0 === null) it.npe(at);
          const items = a0 instanceof ApexList ? a0.items : a0 instanceof ApexSet ? [...a0.m.values()] : it.refuse('String.join needs a List or Set', at);
          return items.map((x) => toApexString(x)).join(args[1] === null ? 'null' : str(it, args[1]!, at));
        }
        case 'format': {
          const pattern = str(it, a0, at);
          const list = args[1];
          const items = list instanceof ApexList ? list.items : [];
          return pattern.replace(/\{(\d+)\}/g, (_m, i: string) => (items[Number(i)] === undefined ? `{${i}}` : toApexString(items[Number(i)]!)));
        }
        case 'escapesinglequotes':
          return str(it, a0, at).replace(/'/g, "\\'");
        case 'fromchararray':
          return (a0 as ApexList).items.map((c) => String.fromCharCode(c as number)).join('');
      }
      break;
    case 'integer':
      if (n === 'valueof') {
        if (a0 === null) return null;
        if (typeof a0 === 'string') {
          if (!/^[+-]?\d+$/.test(a0.trim()) || Math.abs(Number(a0)) > 2147483648) it.throwEx('TypeException', `Invalid integer: ${a0}`, at);
          return Number(a0) | 0;
        }
        return Math.trunc(int(it, a0, at)) | 0;
      }
      break;
    case 'long':
      if (n === 'valueof') {
        if (a0 === null) return null;
        try {
          return BigInt.asIntN(64, BigInt(typeof a0 === 'string' ? a0.trim() : Math.trunc(int(it, a0, at))));
        } catch {
          return it.throwEx('TypeException', `Invalid long: ${toApexString(a0)}`, at);
        }
      }
      break;
    case 'decimal':
    case 'double':
      if (n === 'valueof') {
        if (a0 === null) return null;
        if (typeof a0 === 'string') {
          const d = Dec.parse(a0);
          if (!d) it.throwEx('TypeException', `Invalid decimal: ${a0}`, at);
          return t.name === 'double' ? new Dbl(d.toNumber()) : d;
        }
        return it.coerce(a0, { name: t.name, args: [] }, at);
      }
      break;
    case 'boolean':
      if (n === 'valueof') return a0 === null ? null : typeof a0 === 'boolean' ? a0 : str(it, a0, at).toLowerCase() === 'true';
      break;
    case 'id':
      if (n === 'valueof') {
        if (a0 === null) return null;
        return it.coerce(str(it, a0, at), ID_TYPE, at);
      }
      break;
    case 'date':
      switch (n) {
        case 'today':
          return today(it);
        case 'newinstance':
          return ApexDate.of(int(it, a0, at), int(it, args[1]!, at), int(it, args[2]!, at));
        case 'valueof': {
          if (a0 === null) return null;
          if (a0 instanceof ApexDatetime) return new ApexDate(Math.floor(a0.ms / 86400000));
          const d = ApexDate.parse(str(it, a0, at));
          if (!d) it.throwEx('TypeException', `Invalid date: ${toApexString(a0)}`, at);
          return d;
        }
        case 'isleapyear': {
          const y = int(it, a0, at);
          return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
        }
        case 'daysinmonth':
          return new Date(Date.UTC(int(it, a0, at), int(it, args[1]!, at), 0)).getUTCDate();
      }
      break;
    case 'datetime':
      switch (n) {
        case 'now':
          return new ApexDatetime((it.options.now?.() ?? new Date()).getTime());
        case 'newinstancegmt':
        case 'newinstance': {
          if (a0 instanceof ApexDate) return new ApexDatetime(a0.days * 86400000);
          const [y, m, d, h, mi, s] = args.map((x) => (x === null ? 0 : int(it, x, at)));
          if (args.length === 1 && typeof a0 === 'bigint') return new ApexDatetime(Number(a0));
          return new ApexDatetime(Date.UTC(y!, m! - 1, d!, h ?? 0, mi ?? 0, s ?? 0));
        }
        case 'valueof':
        case 'valueofgmt': {
          if (a0 === null) return null;
          const ms = Date.parse(str(it, a0, at).replace(' ', 'T') + 'Z');
          if (Number.isNaN(ms)) it.throwEx('TypeException', `Invalid date/time: ${toApexString(a0)}`, at);
          return new ApexDatetime(ms);
        }
      }
      break;
    case 'math':
      return mathMethod(it, n, args, at);
    case 'system':
      switch (n) {
        case 'debug': {
          const [level, msg] = args.length === 2 ? [a0, args[1]!] : [null, a0];
          it.debug.push(`${frame.line}|USER_DEBUG|[${frame.line}]|${level instanceof EnumValue ? level.name : 'DEBUG'}|${toApexString(msg)}`);
          return null;
        }
        case 'assert':
          if (a0 !== true) assertFail(it, args.length > 1 ? toApexString(args[1]!) : null, null, at);
          return null;
        case 'assertequals':
          if (!apexEquals(a0, args[1] ?? null)) assertFail(it, args.length > 2 ? toApexString(args[2]!) : null, `Expected: ${toApexString(a0)}, Actual: ${toApexString(args[1] ?? null)}`, at);
          return null;
        case 'assertnotequals':
          if (apexEquals(a0, args[1] ?? null)) assertFail(it, args.length > 2 ? toApexString(args[2]!) : null, `Same value: ${toApexString(a0)}`, at);
          return null;
        case 'now':
          return new ApexDatetime((it.options.now?.() ?? new Date()).getTime());
        case 'today':
          return today(it);
        case 'currenttimemillis':
          return BigInt(Date.now());
        case 'runas':
          return it.refuse('System.runAs is a statement with a block', at, frame.cls);
      }
      break;
    case 'assert':
      return assertMethod(it, n, args, at, frame);
    case 'test':
      switch (n) {
        case 'isrunningtest':
          return it.isTest;
        case 'starttest':
          if (!it.isTest) it.refuse('Test.startTest can only be called from a test', at, frame.cls);
          it.savedLimits = it.limits;
          it.limits = newLimits();
          return null;
        case 'stoptest':
          if (it.savedLimits) it.limits = it.savedLimits;
          it.savedLimits = undefined;
          return null;
      }
      break;
    case 'userinfo':
      switch (n) {
        case 'getuserid':
          return new ApexId(it.user.userId);
        case 'getorganizationid':
          return new ApexId(it.user.orgId);
        case 'getusername':
          return it.user.username;
        case 'getprofileid':
          return new ApexId(it.user.profileId);
        case 'getuserroleid':
          return it.user.roleId ? new ApexId(it.user.roleId) : null;
        case 'getname': {
          const row = it.org.db.prepare('SELECT Name FROM "User" WHERE Id = ?').get(it.user.userId) as { Name?: string } | undefined;
          return row?.Name ?? it.user.username;
        }
      }
      break;
    case 'limits':
      switch (n) {
        case 'getqueries':
          return it.limits.queries;
        case 'getlimitqueries':
          return LIMITS.queries;
        case 'getdmlstatements':
          return it.limits.dmlStatements;
        case 'getlimitdmlstatements':
          return LIMITS.dmlStatements;
        case 'getqueryrows':
          return it.limits.queryRows;
        case 'getlimitqueryrows':
          return LIMITS.queryRows;
        case 'getdmlrows':
          return it.limits.dmlRows;
        case 'getlimitdmlrows':
          return LIMITS.dmlRows;
        case 'getcputime':
          return Date.now() - it.limits.cpuStart;
        case 'getlimitcputime':
          return LIMITS.cpuMs;
      }
      break;
    case 'database':
      return databaseMethod(it, n, args, at, frame);
    case 'json':
      return jsonMethod(it, n, args, at, frame);
    case 'schema':
      if (n === 'getglobaldescribe') {
        const m = new ApexMap(STRING_TYPE, { name: 'Schema.SObjectType', args: [] });
        for (const o of it.org.schema.objects()) if (!o.toolingOnly) m.m.set(hashKey(o.name.toLowerCase()), [o.name.toLowerCase(), new TypeValue('sobject', o.name, o)]);
        return m;
      }
      break;
    case 'security':
      if (n === 'stripinaccessible') return stripInaccessible(it, args, at);
      break;
    case 'blob':
      if (n === 'valueof') return new ApexBlob(Buffer.from(str(it, a0, at), 'utf8'));
      break;
  }
  return unsupported(it, `${t.name}.${name}`, at, frame);
}

function today(it: Interpreter): ApexDate {
  const now = it.options.now?.() ?? new Date();
  return new ApexDate(Math.floor(now.getTime() / 86400000));
}

function assertFail(it: Interpreter, message: string | null, detail: string | null, at: Expr): never {
  const text = ['Assertion Failed', message, detail].filter((x) => x !== null && x !== '').join(': ');
  return it.throwEx('AssertException', text, at);
}

function assertMethod(it: Interpreter, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const [a, b] = [args[0] ?? null, args[1] ?? null];
  const msg = (i: number): string | null => (args.length > i ? toApexString(args[i]!) : null);
  switch (n) {
    case 'areequal':
      if (!apexEquals(a, b)) assertFail(it, msg(2), `Expected: ${toApexString(a)}, Actual: ${toApexString(b)}`, at);
      return null;
    case 'arenotequal':
      if (apexEquals(a, b)) assertFail(it, msg(2), `Expected: ${toApexString(a)}, Actual: ${toApexString(b)}`, at);
      return null;
    case 'istrue':
      if (a !== true) assertFail(it, msg(1), 'Expected: true, Actual: ' + toApexString(a), at);
      return null;
    case 'isfalse':
      if (a !== false) assertFail(it, msg(1), 'Expected: false, Actual: ' + toApexString(a), at);
      return null;
    case 'isnull':
      if (a !== null) assertFail(it, msg(1), `Expected: null, Actual: ${toApexString(a)}`, at);
      return null;
    case 'isnotnull':
      if (a === null) assertFail(it, msg(1), 'Expected: not null, Actual: null', at);
      return null;
    case 'fail':
      return assertFail(it, msg(0), null, at);
    case 'isinstanceoftype':
    case 'isnotinstanceoftype': {
      const t = b instanceof TypeValue ? b.name : '';
      const ok = a !== null && it.matches(a, { name: t, args: [] }, frame.cls);
      if (ok !== (n === 'isinstanceoftype')) assertFail(it, msg(2), `Expected instance of ${t}, Actual: ${runtimeTypeName(a)}`, at);
      return null;
    }
  }
  return unsupported(it, `Assert.${n}`, at, frame);
}

function mathMethod(it: Interpreter, n: string, args: Value[], at: Expr): Value {
  const a = args[0] ?? null;
  if (a === null) it.npe(at);
  switch (n) {
    case 'abs':
      if (typeof a === 'number') return Math.abs(a) | 0;
      if (typeof a === 'bigint') return a < 0n ? -a : a;
      if (a instanceof Dec) return a.u < 0n ? a.neg() : a;
      return new Dbl(Math.abs(int(it, a, at)));
    case 'max':
    case 'min': {
      const c = compareValues(a, args[1] ?? null, it, at) ?? 0;
      return (n === 'max' ? c >= 0 : c <= 0) ? a : args[1]!;
    }
    case 'mod': {
      const b = int(it, args[1] ?? null, at);
      if (b === 0) it.throwEx('MathException', 'Divide by 0', at);
      return typeof a === 'bigint' ? a % BigInt(b) : int(it, a, at) % b;
    }
    case 'round':
    case 'roundtolong': {
      const d = a instanceof Dec ? a : Dec.of(int(it, a, at));
      const r = d.setScale(0, 'HALF_EVEN').u;
      return n === 'round' ? Number(r) | 0 : r;
    }
    case 'floor':
      return a instanceof Dec ? a.setScale(0, 'FLOOR') : new Dbl(Math.floor(int(it, a, at)));
    case 'ceil':
      return a instanceof Dec ? a.setScale(0, 'CEILING') : new Dbl(Math.ceil(int(it, a, at)));
    case 'sqrt':
      return new Dbl(Math.sqrt(int(it, a, at)));
    case 'pow':
      return new Dbl(Math.pow(int(it, a, at), int(it, args[1] ?? null, at)));
  }
  return unsupported(it, `Math.${n}`, at);
}

// ---- Database ------------------------------------------------------------------------------------

function accessOf(v: Value | undefined): 'user' | 'system' | undefined {
  if (v instanceof EnumValue && v.enumName === 'AccessLevel') return v.name === 'USER_MODE' ? 'user' : 'system';
  return undefined;
}

function databaseMethod(it: Interpreter, n: string, args: Value[], at: Expr, frame: Frame): Value {
  switch (n) {
    case 'query':
    case 'querywithbinds':
    case 'countquery':
    case 'countquerywithbinds': {
      const soql = str(it, args[0] ?? null, at);
      const withBinds = n.endsWith('withbinds');
      let binds: Record<string, unknown> | undefined;
      if (withBinds) {
        const m = args[1];
        if (!(m instanceof ApexMap)) return it.npe(at);
        binds = {};
        for (const [k, v] of m.m.values()) binds[toApexString(k)] = toBindValue(v);
      } else {
        binds = localBinds(it, frame, soql);
      }
      const access = accessOf(args[withBinds ? 2 : 1]);
      const r = it.query(soql, binds, frame, access, at);
      if (n.startsWith('count')) return r instanceof ApexList ? r.items.length : r;
      return r;
    }
    case 'insert':
    case 'update':
    case 'delete':
    case 'upsert': {
      const records = args[0] ?? null;
      let allOrNone = true;
      let access: 'user' | 'system' | undefined;
      for (const x of args.slice(1)) {
        if (typeof x === 'boolean') allOrNone = x;
        else if (accessOf(x)) access = accessOf(x);
        else if (x !== null) it.refuse(`Database.${n} options of type ${runtimeTypeName(x)} are not supported`, at, frame.cls);
      }
      const single = records instanceof SObj;
      const results = it.dml(n, records, access, allOrNone, frame, at);
      const objs = results.map((r) => {
        const o = new Obj(saveResultClass(n));
        o.native = { result: r };
        return o;
      });
      return single ? objs[0] ?? null : new ApexList({ name: 'Database.SaveResult', args: [] }, objs);
    }
    case 'setsavepoint':
    case 'rollback':
      return it.refuse('Database.setSavepoint/rollback', at, frame.cls);
  }
  return unsupported(it, `Database.${n}`, at, frame);
}

function saveResultClass(op: string): Obj['cls'] {
  const name = op === 'delete' ? 'DeleteResult' : op === 'upsert' ? 'UpsertResult' : 'SaveResult';
  return pseudo(name, `Database.${name}`);
}

/** A built-in result class (SaveResult, describe results…) with no Apex declaration. */
function pseudo(name: string, qualifiedName: string): Obj['cls'] {
  return { name, qualifiedName, interfaces: [], isException: false, decl: null, inner: new Map(), fields: new Map(), staticFields: new Map(), methods: new Map(), sharing: null, apiVersion: 66, fileName: '', isTest: false, lines: [] } as unknown as Obj['cls'];
}

function toBindValue(v: Value): unknown {
  if (v instanceof ApexId) return v.v;
  if (v instanceof Dec) return v.toNumber();
  if (v instanceof Dbl) return v.v;
  if (v instanceof ApexDate) return new Date(v.days * 86400000);
  if (v instanceof ApexDatetime) return new Date(v.ms);
  if (v instanceof ApexList) return v.items.map(toBindValue);
  if (v instanceof ApexSet) return [...v.m.values()].map(toBindValue);
  if (v instanceof SObj) return toBindValue(v.get('Id') ?? null);
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/** Database.query binds: `:name` resolves to a local variable of the calling scope. */
function localBinds(it: Interpreter, frame: Frame, soql: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const masked = soql.replace(/'(?:\\.|[^'\\])*'/g, "''");
  for (const m of masked.matchAll(/:\s*([A-Za-z_]\w*)/g)) {
    const v = it.lookupVar(frame, m[1]!);
    if (v) out[m[1]!] = toBindValue(v.v);
    else if (frame.self && it.findField(frame.self.cls, m[1]!)) out[m[1]!] = toBindValue(frame.self.f.get(m[1]!.toLowerCase()) ?? null);
    else {
      const st = it.findStaticInScope(frame.cls, m[1]!);
      if (st) out[m[1]!] = toBindValue(it.ensureStatics(st.owner).get(st.key) ?? null);
    }
  }
  return out;
}

// ---- JSON ----------------------------------------------------------------------------------------

export function serializeJson(v: Value, pretty = false, suppressNulls = false, indent = ''): string {
  const nl = pretty ? '\n' : '';
  const step = pretty ? '  ' : '';
  const inner = indent + step;
  const colon = pretty ? ' : ' : ':';
  const obj = (entries: [string, Value][]): string => {
    const items = entries.filter(([, x]) => !(suppressNulls && x === null)).map(([k, x]) => `${inner}${JSON.stringify(k)}${colon}${serializeJson(x, pretty, suppressNulls, inner)}`);
    return items.length ? `{${nl}${items.join(`,${nl}`)}${nl}${indent}}` : '{ }'.replace(' ', pretty ? ' ' : '');
  };
  const arr = (items: Value[]): string => (items.length ? `[ ${items.map((x) => serializeJson(x, pretty, suppressNulls, inner)).join(', ')} ]`.replace(/^\[ /, pretty ? '[ ' : '[').replace(/ \]$/, pretty ? ' ]' : ']') : '[ ]'.replace(' ', pretty ? ' ' : ''));
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Dec) return v.toString();
  if (v instanceof Dbl) return Number.isFinite(v.v) ? String(v.v) : 'null';
  if (v instanceof ApexId) return JSON.stringify(v.v);
  if (v instanceof ApexDate) return JSON.stringify(v.toString());
  if (v instanceof ApexDatetime) return JSON.stringify(v.iso());
  if (v instanceof ApexBlob) return JSON.stringify(v.data.toString('base64'));
  if (v instanceof EnumValue) return JSON.stringify(v.name);
  if (v instanceof ApexList) return arr(v.items);
  if (v instanceof ApexSet) return arr([...v.m.values()]);
  if (v instanceof ApexMap) return obj([...v.m.values()].map(([k, x]) => [toApexString(k), x]));
  if (v instanceof SObj) {
    const id = v.get('Id');
    const attrs: [string, Value][] = [['type', v.type]];
    const entries: [string, Value][] = [...v.f.values()].map((e) => [e.name, e.v]);
    const attrText = `{${nl}${inner}${step}"type"${colon}${JSON.stringify(v.type)}${id instanceof ApexId ? `,${nl}${inner}${step}"url"${colon}${JSON.stringify(`/services/data/v66.0/sobjects/${v.type}/${id.v}`)}` : ''}${nl}${inner}}`;
    void attrs;
    const rest = entries.map(([k, x]) => `${inner}${JSON.stringify(k)}${colon}${serializeJson(x, pretty, suppressNulls, inner)}`);
    return `{${nl}${inner}"attributes"${colon}${attrText}${rest.length ? `,${nl}` : ''}${rest.join(`,${nl}`)}${nl}${indent}}`;
  }
  if (v instanceof Obj) {
    if (v.cls.isException) return obj([['message', v.f.get('message') ?? null]]);
    return obj([...v.f.entries()].map(([k, x]) => [fieldName(v, k), x]));
  }
  return 'null';
}

/** The declared casing of an Obj field. */
function fieldName(o: Obj, key: string): string {
  const cls = o.cls as { fields?: Map<string, { name: string }>; superClass?: unknown };
  for (let c: typeof cls | undefined = cls; c; c = c.superClass as typeof cls | undefined) {
    const f = c.fields?.get(key);
    if (f) return f.name;
  }
  return key;
}

function jsonMethod(it: Interpreter, n: string, args: Value[], at: Expr, frame: Frame): Value {
  switch (n) {
    case 'serialize':
      return serializeJson(args[0] ?? null, false, args[1] === true);
    case 'serializepretty':
      return serializeJson(args[0] ?? null, true, args[1] === true);
    case 'deserializeuntyped': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(str(it, args[0] ?? null, at));
      } catch (e) {
        return it.throwEx('JSONException', (e as Error).message, at);
      }
      return untyped(parsed);
    }
    case 'deserialize':
    case 'deserializestrict': {
      const t = args[1];
      if (!(t instanceof TypeValue)) return it.npe(at);
      let parsed: unknown;
      try {
        parsed = JSON.parse(str(it, args[0] ?? null, at));
      } catch (e) {
        return it.throwEx('JSONException', (e as Error).message, at);
      }
      return fromJson(it, parsed, { name: t.name, args: [] }, frame, at);
    }
  }
  return unsupported(it, `JSON.${n}`, at, frame);
}

function untyped(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 2147483647 ? v : Number.isInteger(v) ? BigInt(v) : Dec.of(v);
  if (Array.isArray(v)) return new ApexList(OBJECT_TYPE, v.map(untyped));
  const m = new ApexMap(STRING_TYPE, OBJECT_TYPE);
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) m.m.set(hashKey(k), [k, untyped(x)]);
  return m;
}

/** A JSON value → an Apex value of a declared type (JSON.deserialize and invocable inputs). */
export function fromJson(it: Interpreter, v: unknown, t: { name: string; args: { name: string; args: unknown[] }[] }, frame: Frame, at: Expr): Value {
  if (v === null || v === undefined) return null;
  const k = typeKey(t as never);
  switch (k) {
    case 'string':
      return typeof v === 'string' ? v : String(v);
    case 'id':
      return it.coerce(String(v), ID_TYPE, at);
    case 'integer':
      return Number(v) | 0;
    case 'long':
      return BigInt(Math.trunc(Number(v)));
    case 'decimal':
      return Dec.of(typeof v === 'number' ? v : String(v));
    case 'double':
      return new Dbl(Number(v));
    case 'boolean':
      return v === true || v === 'true';
    case 'date':
      return ApexDate.parse(String(v)) ?? it.throwEx('JSONException', `Invalid date: ${String(v)}`, at);
    case 'datetime': {
      const ms = Date.parse(String(v));
      return Number.isNaN(ms) ? it.throwEx('JSONException', `Invalid datetime: ${String(v)}`, at) : new ApexDatetime(ms);
    }
    case 'object':
      return untyped(v);
    case 'list':
    case 'set': {
      const elem = (t.args[0] ?? OBJECT_TYPE) as never;
      const items = (Array.isArray(v) ? v : [v]).map((x) => fromJson(it, x, elem, frame, at));
      if (k === 'list') return new ApexList(elem, items);
      const s = new ApexSet(elem);
      for (const x of items) s.m.set(hashKey(x), x);
      return s;
    }
    case 'map': {
      const m = new ApexMap((t.args[0] ?? STRING_TYPE) as never, (t.args[1] ?? OBJECT_TYPE) as never);
      for (const [key, x] of Object.entries(v as Record<string, unknown>)) m.m.set(hashKey(key), [key, fromJson(it, x, (t.args[1] ?? OBJECT_TYPE) as never, frame, at)]);
      return m;
    }
  }
  const sobj = it.org.schema.get(t.name);
  if (sobj && !it.program.resolveClass(t.name, frame.cls)) {
    const o = new SObj(sobj.name);
    for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
      if (key === 'attributes') continue;
      const fd = it.org.schema.field(sobj.name, key);
      if (!fd) continue;
      o.set(fd.name, fieldValue(fd.type, undefined, x));
    }
    return o;
  }
  const cls = it.program.resolveClass(t.name, frame.cls);
  if (cls?.decl) {
    const o = it.instantiate(cls, [], frame, at);
    for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
      const f = it.findField(cls, key);
      if (f) o.f.set(f.name.toLowerCase(), fromJson(it, x, f.type as never, frame, at));
    }
    return o;
  }
  return it.refuse(`JSON.deserialize into ${t.name} is not supported`, at, frame.cls);
}

// ---- Schema / Security ---------------------------------------------------------------------------

function sobjectTypeMethod(it: Interpreter, t: TypeValue, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const o = it.org.schema.get(t.name)!;
  const access = it.user.objectAccess(o.name);
  switch (n) {
    case 'getdescribe':
      return describeObj(t);
    case 'newsobject':
      return new SObj(o.name);
    default:
      void access;
      void args;
      return unsupported(it, `SObjectType.${n}`, at, frame);
  }
}

function describeObj(t: TypeValue): Obj {
  const o = new Obj(pseudo('DescribeSObjectResult', 'Schema.DescribeSObjectResult'));
  o.native = { sobject: t };
  return o;
}

function fieldTokenMethod(it: Interpreter, t: TypeValue, n: string, at: Expr, frame: Frame): Value {
  if (n === 'getdescribe') {
    const o = new Obj(pseudo('DescribeFieldResult', 'Schema.DescribeFieldResult'));
    o.native = { field: t };
    return o;
  }
  return unsupported(it, `SObjectField.${n}`, at, frame);
}

function describeMethod(it: Interpreter, o: Obj, n: string, at: Expr, frame: Frame): Value {
  if (o.native.sobject) {
    const t = o.native.sobject as TypeValue;
    const def = it.org.schema.get(t.name)!;
    const a = it.user.objectAccess(def.name);
    switch (n) {
      case 'getname':
        return def.name;
      case 'getlabel':
        return def.label;
      case 'getlabelplural':
        return def.labelPlural;
      case 'getkeyprefix':
        return def.keyPrefix;
      case 'isaccessible':
        return a.read;
      case 'iscreateable':
        return a.create;
      case 'isupdateable':
        return a.edit;
      case 'isdeletable':
        return a.delete;
      case 'iscustom':
        return def.custom;
      case 'getsobjecttype':
        return t;
      case 'fields':
        break;
    }
  }
  if (o.native.field) {
    const fd = (o.native.field as TypeValue).ref as { name: string; label: string; type: string; length?: number; nillable: boolean; custom: boolean };
    const objName = (o.native.field as TypeValue).name.split('.')[0]!;
    const fa = it.user.fieldAccess(objName, fd.name);
    switch (n) {
      case 'getname':
        return fd.name;
      case 'getlabel':
        return fd.label;
      case 'getlength':
        return fd.length ?? 0;
      case 'isaccessible':
        return fa.read;
      case 'isupdateable':
      case 'iscreateable':
        return fa.edit;
      case 'isnillable':
        return fd.nillable;
      case 'iscustom':
        return fd.custom;
    }
  }
  return unsupported(it, `${o.cls.name}.${n}`, at, frame);
}

function stripInaccessible(it: Interpreter, args: Value[], at: Expr): Value {
  const [type, records] = args;
  if (!(type instanceof EnumValue) || !(records instanceof ApexList)) return it.npe(at);
  const mode = type.name;
  const removed = new ApexMap(STRING_TYPE, { name: 'Set', args: [STRING_TYPE] });
  const out = new ApexList(records.elem, []);
  const modified = new ApexSet({ name: 'Integer', args: [] });
  const strip = (r: SObj, index: number): SObj => {
    const copy = new SObj(r.type);
    for (const e of r.f.values()) {
      if (e.v instanceof SObj) {
        copy.set(e.name, strip(e.v, index));
        continue;
      }
      if (e.v instanceof ApexList) {
        copy.set(e.name, new ApexList(e.v.elem, e.v.items.map((c) => (c instanceof SObj ? strip(c, index) : c))));
        continue;
      }
      const fa = it.user.fieldAccess(r.type, e.name);
      const fd = it.org.schema.field(r.type, e.name);
      const ok = !fd || (mode === 'READABLE' ? fa.read : fa.edit || (fd.name === 'Id' && mode !== 'CREATABLE'));
      if (ok) copy.set(e.name, e.v);
      else {
        const key = r.type;
        const set = (removed.m.get(hashKey(key))?.[1] as ApexSet | undefined) ?? new ApexSet(STRING_TYPE);
        set.m.set(hashKey(fd!.name), fd!.name);
        removed.m.set(hashKey(key), [key, set]);
        modified.m.set(hashKey(index), index);
      }
    }
    copy.queried = r.queried;
    return copy;
  };
  records.items.forEach((r, i) => out.items.push(r instanceof SObj ? strip(r, i) : r));
  const decision = new Obj(pseudo('SObjectAccessDecision', 'SObjectAccessDecision'));
  decision.native = { records: out, removed, modified };
  return decision;
}

// ---- instance methods ----------------------------------------------------------------------------

export function callBuiltinMethod(it: Interpreter, target: Value, name: string, args: Value[], frame: Frame, at: Expr): Value {
  const n = name.toLowerCase();
  const a0 = args[0] ?? null;
  if (typeof target === 'string' || target instanceof ApexId) return stringMethod(it, target, n, args, at, frame);
  if (target instanceof ApexList) return listMethod(it, target, n, args, at, frame);
  if (target instanceof ApexSet) return setMethod(it, target, n, args, at, frame);
  if (target instanceof ApexMap) return mapMethod(it, target, n, args, at, frame);
  if (target instanceof SObj) {
    switch (n) {
      case 'get':
        return it.sobjectGet(target, str(it, a0, at), at);
      case 'put':
        it.sobjectSet(target, str(it, a0, at), args[1] ?? null, at);
        return null;
      case 'getsobjecttype':
        return new TypeValue('sobject', target.type, it.org.schema.get(target.type));
      case 'getsobject':
        return (target.get(str(it, a0, at)) as Value) ?? null;
      case 'getsobjects':
        return (target.get(str(it, a0, at)) as Value) ?? null;
      case 'clone': {
        const c = new SObj(target.type);
        for (const e of target.f.values()) if (e.name.toLowerCase() !== 'id' || a0 === true) c.set(e.name, e.v);
        return c;
      }
      case 'adderror':
        return it.refuse('SObject.addError', at, frame.cls);
      case 'getpopulatedfieldsasmap': {
        const m = new ApexMap(STRING_TYPE, OBJECT_TYPE);
        for (const e of target.f.values()) m.m.set(hashKey(e.name), [e.name, e.v]);
        return m;
      }
    }
    return unsupported(it, `SObject.${name}`, at, frame);
  }
  if (target instanceof Obj) {
    if (target.cls.isException) return exceptionMethod(it, target, n, args, at, frame);
    if (target.cls.name === 'SaveResult' || target.cls.name === 'DeleteResult' || target.cls.name === 'UpsertResult') {
      const r = target.native.result as { id: string | null; success: boolean; errors: { statusCode: string; message: string; fields: string[] }[] };
      switch (n) {
        case 'issuccess':
          return r.success;
        case 'getid':
          return r.id ? new ApexId(r.id) : null;
        case 'getErrors':
        case 'geterrors':
          return new ApexList({ name: 'Database.Error', args: [] }, r.errors.map((e) => {
            const o = new Obj(pseudo('Error', 'Database.Error'));
            o.native = { error: e };
            return o;
          }));
      }
    }
    if (target.cls.name === 'Error' && target.native.error) {
      const e = target.native.error as { statusCode: string; message: string; fields: string[] };
      switch (n) {
        case 'getmessage':
          return e.message;
        case 'getstatuscode':
          return new EnumValue('StatusCode', e.statusCode, 0);
        case 'getfields':
          return new ApexList(STRING_TYPE, [...e.fields]);
      }
    }
    if (target.cls.name === 'SObjectAccessDecision') {
      switch (n) {
        case 'getrecords':
          return target.native.records as Value;
        case 'getremovedfields':
          return target.native.removed as Value;
        case 'getmodifiedindexes':
          return target.native.modified as Value;
      }
    }
    if (target.cls.name === 'DescribeSObjectResult' || target.cls.name === 'DescribeFieldResult') return describeMethod(it, target, n, at, frame);
    if (target.cls.name === 'RestResponse' && n === 'addheader') {
      const h = target.f.get('headers') as ApexMap;
      h.m.set(hashKey(a0), [a0, args[1] ?? null]);
      return null;
    }
    if (n === 'equals') return apexEquals(target, a0);
    if (n === 'hashcode') return 0;
    if (n === 'tostring') return toApexString(target);
    return unsupported(it, `${target.cls.name}.${name}`, at, frame);
  }
  if (target instanceof TypeValue && target.kind === 'sobject') return sobjectTypeMethod(it, target, n, args, at, frame);
  if (target instanceof Dec || target instanceof Dbl || typeof target === 'number' || typeof target === 'bigint') return numberMethod(it, target, n, args, at, frame);
  if (target instanceof ApexDate) return dateMethod(it, target, n, args, at, frame);
  if (target instanceof ApexDatetime) return datetimeMethod(it, target, n, args, at, frame);
  if (typeof target === 'boolean' && n === 'equals') return target === a0;
  if (target instanceof ApexBlob) {
    if (n === 'tostring') return target.data.toString('utf8');
    if (n === 'size') return target.data.length;
  }
  if (target instanceof EnumValue) {
    if (n === 'name') return target.name;
    if (n === 'ordinal') return target.ordinal;
  }
  return unsupported(it, `${runtimeTypeName(target)}.${name}`, at, frame);
}

function exceptionMethod(it: Interpreter, e: Obj, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const dml = (e.native.dml as { index: number; statusCode: string; message: string; fields: string[]; id: string | null }[] | undefined) ?? [];
  const i = (): number => {
    const k = int(it, args[0] ?? null, at);
    if (k < 0 || k >= dml.length) it.throwEx('ListException', `List index out of bounds: ${k}`, at);
    return k;
  };
  switch (n) {
    case 'getmessage':
      return (e.f.get('message') as Value) ?? null;
    case 'setmessage':
      e.f.set('message', args[0] ?? null);
      return null;
    case 'gettypename':
      return e.cls.qualifiedName;
    case 'getlinenumber':
      return (e.native.line as number) ?? -1;
    case 'getstacktracestring':
      return `Class.${frame.cls.qualifiedName}: line ${(e.native.line as number) ?? 0}, column 1`;
    case 'getcause':
      return (e.native.cause as Value) ?? null;
    case 'initcause':
      e.native.cause = args[0];
      return null;
    case 'getnumdml':
      return dml.length;
    case 'getdmlmessage':
      return dml[i()]!.message;
    case 'getdmlstatuscode':
      return dml[i()]!.statusCode;
    case 'getdmltype':
      return new EnumValue('StatusCode', dml[i()]!.statusCode, 0);
    case 'getdmlfieldnames':
      return new ApexList(STRING_TYPE, [...dml[i()]!.fields]);
    case 'getdmlindex':
      return dml[i()]!.index;
    case 'getdmlid': {
      const id = dml[i()]!.id;
      return id ? new ApexId(id) : null;
    }
    case 'tostring':
      return toApexString(e);
  }
  return unsupported(it, `${e.cls.name}.${n}`, at, frame);
}

function stringMethod(it: Interpreter, target: string | ApexId, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const s = target instanceof ApexId ? target.v : target;
  const a = (i: number): string => str(it, args[i] ?? null, at);
  const a0 = args[0] ?? null;
  if (target instanceof ApexId) {
    if (n === 'getsobjecttype') {
      const o = it.org.schema.byKeyPrefix(s.slice(0, 3));
      if (!o) it.throwEx('SObjectException', `Invalid id: ${s}`, at);
      return new TypeValue('sobject', o.name, o);
    }
    if (n === 'to15') return s.slice(0, 15);
  }
  switch (n) {
    case 'length':
      return s.length;
    case 'startswith':
      return s.startsWith(a(0));
    case 'endswith':
      return s.endsWith(a(0));
    case 'startswithignorecase':
      return s.toLowerCase().startsWith(a(0).toLowerCase());
    case 'endswithignorecase':
      return s.toLowerCase().endsWith(a(0).toLowerCase());
    case 'contains':
      return s.includes(a(0));
    case 'containsignorecase':
      return s.toLowerCase().includes(a(0).toLowerCase());
    case 'equals':
      return a0 !== null && (typeof a0 === 'string' || a0 instanceof ApexId) && s === str(it, a0, at);
    case 'equalsignorecase':
      return a0 !== null && s.toLowerCase() === a(0).toLowerCase();
    case 'compareto':
      return s < a(0) ? -1 : s > a(0) ? 1 : 0;
    case 'tolowercase':
      return s.toLowerCase();
    case 'touppercase':
      return s.toUpperCase();
    case 'trim':
      // Apex (like Java) trims every character up to U+0020, control characters included.
      // eslint-disable-next-line no-control-regex
      return s.replace(/^[\s\u0000-\u0020]+|[\s\u0000-\u0020]+$/g, '');
    case 'strip':
      return s.trim();
    case 'left':
      return s.slice(0, Math.max(0, int(it, a0, at)));
    case 'right': {
      const k = int(it, a0, at);
      return k <= 0 ? '' : s.slice(-k);
    }
    case 'mid':
      return s.substr(Math.max(0, int(it, a0, at)), int(it, args[1] ?? null, at));
    case 'substring': {
      const from = int(it, a0, at);
      const to = args.length > 1 ? int(it, args[1] ?? null, at) : s.length;
      if (from < 0 || to > s.length || from > to) it.throwEx('StringException', `Ending position out of bounds: ${to}`, at);
      return s.substring(from, to);
    }
    case 'indexof':
      return s.indexOf(a(0), args.length > 1 ? int(it, args[1] ?? null, at) : 0);
    case 'lastindexof':
      return s.lastIndexOf(a(0));
    case 'substringafter': {
      const sep = a(0);
      const i = s.indexOf(sep);
      return i < 0 ? '' : s.slice(i + sep.length);
    }
    case 'substringafterlast': {
      const sep = a(0);
      const i = s.lastIndexOf(sep);
      return sep === '' ? '' : i < 0 ? '' : s.slice(i + sep.length);
    }
    case 'substringbefore': {
      const i = s.indexOf(a(0));
      return i < 0 ? s : s.slice(0, i);
    }
    case 'substringbeforelast': {
      const i = s.lastIndexOf(a(0));
      return i < 0 ? s : s.slice(0, i);
    }
    case 'substringbetween': {
      const open = a(0);
      const close = args.length > 1 ? a(1) : open;
      const i = s.indexOf(open);
      if (i < 0) return null;
      const j = s.indexOf(close, i + open.length);
      return j < 0 ? null : s.slice(i + open.length, j);
    }
    case 'replace':
      return s.split(a(0)).join(a(1));
    case 'replaceall':
      return s.replace(new RegExp(a(0), 'g'), a(1).replace(/\$(\d)/g, '$$$1'));
    case 'split': {
      const parts = s.split(new RegExp(a(0)));
      while (parts.length && parts[parts.length - 1] === '') parts.pop();
      return new ApexList(STRING_TYPE, parts);
    }
    case 'repeat': {
      const k = int(it, args.length > 1 ? args[1]! : a0, at);
      return args.length > 1 ? Array(k).fill(s).join(a(0)) : s.repeat(Math.max(0, k));
    }
    case 'isalphanumeric':
      return /^[A-Za-z0-9]*$/.test(s);
    case 'isalpha':
      return /^[A-Za-z]*$/.test(s);
    case 'isnumeric':
      return /^[0-9]+$/.test(s);
    case 'deletewhitespace':
      return s.replace(/\s+/g, '');
    case 'normalizespace':
      return s.trim().replace(/\s+/g, ' ');
    case 'capitalize':
      return s.charAt(0).toUpperCase() + s.slice(1);
    case 'reverse':
      return [...s].reverse().join('');
    case 'abbreviate': {
      const k = int(it, a0, at);
      return s.length <= k ? s : `${s.slice(0, k - 3)}...`;
    }
    case 'leftpad':
    case 'rightpad': {
      const k = int(it, a0, at);
      const pad = args.length > 1 ? a(1) : ' ';
      return n === 'leftpad' ? s.padStart(k, pad) : s.padEnd(k, pad);
    }
    case 'charat':
      return s.charCodeAt(int(it, a0, at));
    case 'isblank':
      return s.trim() === '';
    case 'isnotblank':
      return s.trim() !== '';
    case 'tostring':
      return s;
    case 'hashcode': {
      let h = 0;
      for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
      return h;
    }
    case 'escapesinglequotes':
      return s.replace(/'/g, "\\'");
    case 'format':
      return s;
  }
  return unsupported(it, `String.${n}`, at, frame);
}

function listMethod(it: Interpreter, l: ApexList, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const a0 = args[0] ?? null;
  const idx = (v: Value, max: number): number => {
    const i = int(it, v, at);
    if (i < 0 || i >= max) it.throwEx('ListException', `List index out of bounds: ${i}`, at);
    return i;
  };
  switch (n) {
    case 'size':
      return l.items.length;
    case 'isempty':
      return l.items.length === 0;
    case 'add':
      if (args.length === 2) {
        const i = int(it, a0, at);
        if (i < 0 || i > l.items.length) it.throwEx('ListException', `List index out of bounds: ${i}`, at);
        l.items.splice(i, 0, it.coerce(args[1]!, l.elem, at));
      } else l.items.push(it.coerce(a0, l.elem, at));
      return null;
    case 'addall':
      if (a0 === null) it.npe(at);
      for (const x of a0 instanceof ApexList ? a0.items : a0 instanceof ApexSet ? [...a0.m.values()] : []) l.items.push(it.coerce(x, l.elem, at));
      return null;
    case 'get':
      return l.items[idx(a0, l.items.length)]!;
    case 'set':
      l.items[idx(a0, l.items.length)] = it.coerce(args[1] ?? null, l.elem, at);
      return null;
    case 'remove':
      return l.items.splice(idx(a0, l.items.length), 1)[0]!;
    case 'clear':
      l.items.length = 0;
      return null;
    case 'contains':
      return l.items.some((x) => apexEquals(x, a0));
    case 'indexof':
      return l.items.findIndex((x) => apexEquals(x, a0));
    case 'clone':
    case 'deepclone':
      return new ApexList(l.elem, [...l.items]);
    case 'sort':
      l.items.sort((x, y) => (x === null ? (y === null ? 0 : -1) : y === null ? 1 : compareValues(x, y, it, at) ?? 0));
      return null;
    case 'equals':
      return apexEquals(l, a0);
    case 'tostring':
      return toApexString(l);
    case 'getsobjecttype':
      return new TypeValue('sobject', l.elem.name, it.org.schema.get(l.elem.name));
  }
  return unsupported(it, `List.${n}`, at, frame);
}

function setMethod(it: Interpreter, s: ApexSet, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const a0 = args[0] ?? null;
  const key = (v: Value): string => hashKey(it.coerce(v, s.elem, at));
  const many = (v: Value): Value[] => (v === null ? it.npe(at) : v instanceof ApexList ? v.items : v instanceof ApexSet ? [...v.m.values()] : []);
  switch (n) {
    case 'size':
      return s.m.size;
    case 'isempty':
      return s.m.size === 0;
    case 'add': {
      const v = it.coerce(a0, s.elem, at);
      const k = hashKey(v);
      if (s.m.has(k)) return false;
      s.m.set(k, v);
      return true;
    }
    case 'addall': {
      let changed = false;
      for (const x of many(a0)) {
        const v = it.coerce(x, s.elem, at);
        const k = hashKey(v);
        if (!s.m.has(k)) {
          s.m.set(k, v);
          changed = true;
        }
      }
      return changed;
    }
    case 'contains':
      if (a0 === null) return s.m.has('n');
      if (typeKey(s.elem) === 'id' && typeof a0 === 'string' && !isValidId(a0)) return false;
      return s.m.has(key(a0));
    case 'containsall':
      return many(a0).every((x) => s.m.has(key(x)));
    case 'remove':
      return s.m.delete(key(a0));
    case 'removeall': {
      let changed = false;
      for (const x of many(a0)) changed = s.m.delete(key(x)) || changed;
      return changed;
    }
    case 'retainall': {
      const keep = new Set(many(a0).map(key));
      let changed = false;
      for (const k of [...s.m.keys()]) if (!keep.has(k)) changed = s.m.delete(k) || changed;
      return changed;
    }
    case 'clear':
      s.m.clear();
      return null;
    case 'clone': {
      const c = new ApexSet(s.elem);
      for (const [k, v] of s.m) c.m.set(k, v);
      return c;
    }
    case 'equals':
      return apexEquals(s, a0);
    case 'tostring':
      return toApexString(s);
  }
  return unsupported(it, `Set.${n}`, at, frame);
}

function mapMethod(it: Interpreter, m: ApexMap, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const a0 = args[0] ?? null;
  const key = (v: Value): string => {
    if (typeKey(m.key) === 'id' && typeof v === 'string' && !isValidId(v)) return `!${v}`;
    return hashKey(it.coerce(v, m.key, at));
  };
  switch (n) {
    case 'size':
      return m.m.size;
    case 'isempty':
      return m.m.size === 0;
    case 'get':
      return m.m.get(key(a0))?.[1] ?? null;
    case 'put': {
      const k = it.coerce(a0, m.key, at);
      const h = hashKey(k);
      const old = m.m.get(h)?.[1] ?? null;
      m.m.set(h, [m.m.get(h)?.[0] ?? k, it.coerce(args[1] ?? null, m.val, at)]);
      return old;
    }
    case 'putall': {
      if (a0 === null) it.npe(at);
      if (a0 instanceof ApexMap) for (const [h, pair] of a0.m) m.m.set(h, [pair[0], pair[1]]);
      else if (a0 instanceof ApexList) {
        for (const r of a0.items) {
          if (!(r instanceof SObj)) continue;
          const id = r.get('Id') ?? null;
          const k = it.coerce(id, m.key, at);
          m.m.set(hashKey(k), [k, r]);
        }
      }
      return null;
    }
    case 'containskey':
      return m.m.has(key(a0));
    case 'remove': {
      const h = key(a0);
      const old = m.m.get(h)?.[1] ?? null;
      m.m.delete(h);
      return old;
    }
    case 'keyset': {
      const s = new ApexSet(m.key);
      for (const [h, [k]] of m.m) s.m.set(h, k);
      return s;
    }
    case 'values':
      return new ApexList(m.val, [...m.m.values()].map(([, v]) => v));
    case 'clear':
      m.m.clear();
      return null;
    case 'clone': {
      const c = new ApexMap(m.key, m.val);
      for (const [h, p] of m.m) c.m.set(h, [p[0], p[1]]);
      return c;
    }
    case 'equals':
      return apexEquals(m, a0);
    case 'tostring':
      return toApexString(m);
  }
  return unsupported(it, `Map.${n}`, at, frame);
}

function numberMethod(it: Interpreter, v: Dec | Dbl | number | bigint, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const a0 = args[0] ?? null;
  switch (n) {
    case 'setscale': {
      const d = v instanceof Dec ? v : Dec.of(v instanceof Dbl ? v.v : v);
      const mode = args[1] instanceof EnumValue ? (args[1].name as 'HALF_UP') : undefined;
      return d.setScale(int(it, a0, at), mode);
    }
    case 'scale':
      return v instanceof Dec ? v.s : 0;
    case 'intvalue':
      return Math.trunc(v instanceof Dec ? v.toNumber() : v instanceof Dbl ? v.v : Number(v)) | 0;
    case 'longvalue':
      return BigInt(Math.trunc(v instanceof Dec ? v.toNumber() : v instanceof Dbl ? v.v : Number(v)));
    case 'doublevalue':
      return new Dbl(v instanceof Dec ? v.toNumber() : v instanceof Dbl ? v.v : Number(v));
    case 'abs':
      return mathMethod(it, 'abs', [v], at);
    case 'round':
      return v instanceof Dec ? v.setScale(0, 'HALF_EVEN').u : BigInt(Math.round(v instanceof Dbl ? v.v : Number(v)));
    case 'stripTrailingZeros':
    case 'striptrailingzeros':
      return v instanceof Dec ? v.stripTo(-1000) : v;
    case 'format':
      return v instanceof Dec ? Number(v.toString()).toLocaleString('en-US', { maximumFractionDigits: v.s }) : v instanceof Dbl ? v.v.toLocaleString('en-US') : Number(v).toLocaleString('en-US');
    case 'tostring':
    case 'toplainstring':
      return v instanceof Dbl ? doubleText(v.v) : toApexString(v);
    case 'divide': {
      const r = binary('/', v, a0, it, at);
      return r instanceof Dec && args.length > 1 ? r.setScale(int(it, args[1] ?? null, at), args[2] instanceof EnumValue ? (args[2].name as 'HALF_UP') : 'HALF_UP') : r;
    }
    case 'equals':
      return apexEquals(v, a0);
  }
  return unsupported(it, `${runtimeTypeName(v)}.${n}`, at, frame);
}

function dateMethod(it: Interpreter, d: ApexDate, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const a0 = args[0] ?? null;
  switch (n) {
    case 'adddays':
      return d.addDays(int(it, a0, at));
    case 'addmonths':
      return d.addMonths(int(it, a0, at));
    case 'addyears':
      return d.addMonths(12 * int(it, a0, at));
    case 'daysbetween':
      if (!(a0 instanceof ApexDate)) return it.npe(at);
      return a0.days - d.days;
    case 'monthsbetween':
      if (!(a0 instanceof ApexDate)) return it.npe(at);
      return (a0.year() - d.year()) * 12 + a0.month() - d.month();
    case 'year':
      return d.year();
    case 'month':
      return d.month();
    case 'day':
      return d.day();
    case 'dayofyear':
      return d.days - ApexDate.of(d.year(), 1, 1).days + 1;
    case 'tostartofmonth':
      return ApexDate.of(d.year(), d.month(), 1);
    case 'tostartofweek':
      return d.addDays(-((d.days + 4) % 7));
    case 'issameday':
      return a0 instanceof ApexDate && a0.days === d.days;
    case 'format':
      return `${d.month()}/${d.day()}/${d.year()}`;
    case 'tostring':
      return d.toString();
  }
  return unsupported(it, `Date.${n}`, at, frame);
}

function datetimeMethod(it: Interpreter, d: ApexDatetime, n: string, args: Value[], at: Expr, frame: Frame): Value {
  const a0 = args[0] ?? null;
  const js = new Date(d.ms);
  switch (n) {
    case 'adddays':
      return new ApexDatetime(d.ms + int(it, a0, at) * 86400000);
    case 'addhours':
      return new ApexDatetime(d.ms + int(it, a0, at) * 3600000);
    case 'addminutes':
      return new ApexDatetime(d.ms + int(it, a0, at) * 60000);
    case 'addseconds':
      return new ApexDatetime(d.ms + int(it, a0, at) * 1000);
    case 'gettime':
      return BigInt(d.ms);
    case 'date':
    case 'dategmt':
      return new ApexDate(Math.floor(d.ms / 86400000));
    case 'year':
    case 'yeargmt':
      return js.getUTCFullYear();
    case 'month':
    case 'monthgmt':
      return js.getUTCMonth() + 1;
    case 'day':
    case 'daygmt':
      return js.getUTCDate();
    case 'hour':
    case 'hourgmt':
      return js.getUTCHours();
    case 'minute':
    case 'minutegmt':
      return js.getUTCMinutes();
    case 'second':
    case 'secondgmt':
      return js.getUTCSeconds();
    case 'formatgmt':
    case 'format':
      if (args.length === 0) return d.toString();
      return str(it, a0, at)
        .replace(/yyyy/g, String(js.getUTCFullYear()))
        .replace(/MM/g, String(js.getUTCMonth() + 1).padStart(2, '0'))
        .replace(/dd/g, String(js.getUTCDate()).padStart(2, '0'))
        .replace(/HH/g, String(js.getUTCHours()).padStart(2, '0'))
        .replace(/mm/g, String(js.getUTCMinutes()).padStart(2, '0'))
        .replace(/ss/g, String(js.getUTCSeconds()).padStart(2, '0'))
        .replace(/'T'/g, 'T')
        .replace(/'Z'/g, 'Z');
    case 'tostring':
      return d.toString();
  }
  return unsupported(it, `Datetime.${n}`, at, frame);
}

export { toJsonValue, ApexThrow };
