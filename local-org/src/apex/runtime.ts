/**
 * The platform's entry points into Apex: invocable actions, Apex REST (@RestResource), anonymous
 * Apex and Apex tests. Each invocation is one Apex transaction (one Interpreter) in one SQLite
 * transaction, rolled back when an exception escapes; tests roll back after every test method.
 */
import type { ActionResult, ApexAction, ApexActionRuntime } from '../actions/invocable.ts';
import type { DataError } from '../actions/flow-interpreter.ts';
import type { OrgContext } from '../org/context.ts';
import type { UserContext } from '../security/types.ts';
import { ApexCompileError, type Expr, type MethodDecl } from './ast.ts';
import { fromJson, serializeJson } from './builtins.ts';
import { ApexRuntimeError, ApexThrow, Interpreter, toJsonValue, type Frame } from './interpreter.ts';
import { parseApex } from './parse.ts';
import { programFor, type ClassInfo, type Program } from './program.ts';
import { ApexBlob, ApexList, ApexMap, Obj, toApexString, hashKey, STRING_TYPE, type Value } from './values.ts';

const AT: Expr = { k: 'lit', t: 'null', l: 0, c: 0 };

class Rollback extends Error {}

function entryFrame(interp: Interpreter, cls: ClassInfo): Frame {
  return interp.frameFor(cls, null, false, cls.name);
}

/** "An Apex error occurred: X: message" as the invocable REST API reports an uncaught exception. */
export function exceptionText(e: Obj): string {
  return `${e.cls.qualifiedName}: ${toApexString((e.f.get('message') as Value) ?? null)}`;
}

function findInvocable(cls: ClassInfo): MethodDecl | undefined {
  for (const list of cls.methods.values()) for (const m of list) if (m.annotations.some((a) => a.name === 'invocablemethod')) return m;
  return undefined;
}

export const apexActionRuntime: ApexActionRuntime = {
  invoke(org: OrgContext, user: UserContext, action: ApexAction, inputs: Record<string, unknown>[], apiVersion: string): ActionResult[] {
    const name = action.component.fullName;
    const base = { actionName: name, invocationId: null, sortOrder: -1, version: 1 } as const;
    const fail = (error: DataError): ActionResult[] => inputs.map(() => ({ ...base, errors: [error], isSuccess: false, outputValues: null }));
    let program: Program;
    try {
      program = programFor(org);
    } catch (e) {
      if (e instanceof ApexCompileError) return fail({ statusCode: 'APEX_COMPILE_ERROR', message: e.message, fields: [] });
      throw e;
    }
    const cls = program.classes.get(name.toLowerCase());
    const method = cls && findInvocable(cls);
    if (!cls || !method) return fail({ statusCode: 'NOT_FOUND', message: `No @InvocableMethod in ${name}`, fields: [] });
    const interp = new Interpreter(org, program, { user, apiVersion });
    let outputs: Value = null;
    let error: DataError | undefined;
    try {
      org.db.transaction(() => {
        try {
          const frame = entryFrame(interp, cls);
          const paramType = method.params[0]?.type;
          const args: Value[] = [];
          if (paramType) {
            const elem = paramType.args[0] ?? { name: 'Object', args: [] };
            const elemCls = program.resolveClass(elem.name, cls);
            const items = inputs.map((input) => {
              if (elemCls?.decl) {
                const o = interp.instantiate(elemCls, [], frame, AT);
                for (const [k, v] of Object.entries(input)) {
                  const f = interp.findField(elemCls, k);
                  if (f) o.f.set(f.name.toLowerCase(), fromJson(interp, v, f.type as never, frame, AT));
                }
                return o as Value;
              }
              const only = Object.values(input)[0];
              return fromJson(interp, only, elem as never, frame, AT);
            });
            args.push(new ApexList(elem, items));
          }
          outputs = interp.invoke(cls, method, null, args, false, method);
        } catch (e) {
          if (e instanceof ApexThrow) {
            error = { statusCode: 'UNKNOWN_EXCEPTION', message: `An Apex error occurred: ${exceptionText(e.exc)}`, fields: [] };
            throw new Rollback();
          }
          if (e instanceof ApexCompileError) {
            error = { statusCode: 'APEX_EXECUTION_UNSUPPORTED', message: e.message, fields: [] };
            throw new Rollback();
          }
          throw e;
        }
      })();
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
    } finally {
      org.access.invalidate();
    }
    if (error) return fail(error);
    const list = outputs as Value;
    const items = list instanceof ApexList ? list.items : [];
    if (method.returnType && items.length !== inputs.length) {
      return fail({
        statusCode: 'UNKNOWN_EXCEPTION',
        message: `An Apex error occurred: The number of results does not match the number of interviews that were executed in a single bulk execution request.`,
        fields: [],
      });
    }
    return inputs.map((_x, i) => ({ ...base, errors: null, isSuccess: true, outputValues: method.returnType ? outputValues(items[i] ?? null) : null }));
  },
};

function outputValues(v: Value): Record<string, unknown> {
  if (v instanceof Obj) {
    const out: Record<string, unknown> = {};
    const decl = (v.cls as ClassInfo).decl;
    for (const f of decl?.fields ?? []) if (!f.isStatic) out[f.name] = toJsonValue((v.f.get(f.name.toLowerCase()) as Value) ?? null);
    return out;
  }
  return { output: toJsonValue(v) };
}

// ---- Apex REST -----------------------------------------------------------------------------------

export interface RestCall {
  method: string;
  /** The path after /services/apexrest, starting with `/`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  remoteAddress?: string;
}

export interface RestOutcome {
  status: number;
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

function urlMatches(mapping: string, path: string): boolean {
  const pattern = `^${mapping.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`;
  return new RegExp(pattern).test(path);
}

/** Finds the @RestResource class for a path (most specific mapping first). */
export function findRestResource(program: Program, path: string): { cls: ClassInfo; mapping: string } | undefined {
  const hits: { cls: ClassInfo; mapping: string }[] = [];
  for (const cls of program.classes.values()) {
    const a = cls.decl?.annotations.find((x) => x.name === 'restresource');
    const mapping = a?.values.urlmapping;
    if (mapping && urlMatches(mapping, path)) hits.push({ cls, mapping });
  }
  hits.sort((x, y) => y.mapping.replace(/\*/g, '').length - x.mapping.replace(/\*/g, '').length);
  return hits[0];
}

const HTTP_ANNOTATIONS: Record<string, string> = { GET: 'httpget', POST: 'httppost', PUT: 'httpput', PATCH: 'httppatch', DELETE: 'httpdelete' };

export function runApexRest(org: OrgContext, user: UserContext, call: RestCall, apiVersion: string): RestOutcome {
  const program = programFor(org);
  const json = (status: number, body: unknown): RestOutcome => ({ status, body: JSON.stringify(body), contentType: 'application/json;charset=UTF-8', headers: {} });
  const found = findRestResource(program, call.path);
  if (!found) return json(404, [{ errorCode: 'NOT_FOUND', message: 'Could not find a match for URL' }]);
  const annotation = HTTP_ANNOTATIONS[call.method];
  let method: MethodDecl | undefined;
  for (const list of found.cls.methods.values()) for (const m of list) if (annotation && m.annotations.some((a) => a.name === annotation)) method = m;
  if (!method) return json(405, [{ errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${call.method}' not allowed. Allowed are ${allowedMethods(found.cls).join(',')}` }]);
  const interp = new Interpreter(org, program, { user, apiVersion });
  const restRequest = program.builtins.get('restrequest')!;
  const restResponse = program.builtins.get('restresponse')!;
  let outcome: RestOutcome | undefined;
  try {
    org.db.transaction(() => {
      const frame = entryFrame(interp, found.cls);
      const req = interp.instantiate(restRequest, [], frame, AT);
      const res = interp.instantiate(restResponse, [], frame, AT);
      req.f.set('requesturi', call.path);
      req.f.set('httpmethod', call.method);
      req.f.set('resourcepath', `/services/apexrest${found.mapping}`);
      req.f.set('remoteaddress', call.remoteAddress ?? '127.0.0.1');
      req.f.set('requestbody', call.body.length ? new ApexBlob(call.body) : null);
      const params = req.f.get('params') as ApexMap;
      for (const [k, v] of call.query) params.m.set(hashKey(k), [k, v]);
      const headers = req.f.get('headers') as ApexMap;
      for (const [k, v] of Object.entries(call.headers)) headers.m.set(hashKey(k), [k, v]);
      interp.builtinStatics.set('restcontext.request', req);
      interp.builtinStatics.set('restcontext.response', res);
      try {
        const args: Value[] = [];
        if (method!.params.length) {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = call.body.length ? (JSON.parse(call.body.toString('utf8')) as Record<string, unknown>) : {};
          } catch {
            outcome = json(400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'Unexpected character in the request body' }]);
            throw new Rollback();
          }
          for (const p of method!.params) args.push(fromJson(interp, parsed[p.name] ?? null, p.type as never, frame, AT));
        }
        const result = interp.invoke(found.cls, method!, null, args, false, method!);
        const resObj = interp.builtinStatics.get('restcontext.response');
        const status = resObj instanceof Obj && typeof resObj.f.get('statuscode') === 'number' ? (resObj.f.get('statuscode') as number) : method!.returnType ? 200 : 200;
        const headersOut: Record<string, string> = {};
        if (resObj instanceof Obj) for (const [k, v] of (resObj.f.get('headers') as ApexMap).m.values()) headersOut[toApexString(k)] = toApexString(v);
        const rawBody = resObj instanceof Obj ? resObj.f.get('responsebody') : null;
        if (method!.returnType) outcome = { status, body: serializeJson(result), contentType: 'application/json;charset=UTF-8', headers: headersOut };
        else outcome = { status: rawBody ? status : status === 200 ? 200 : status, body: rawBody ? toRaw(rawBody as Value) : '', contentType: headersOut['Content-Type'] ?? 'application/json;charset=UTF-8', headers: headersOut };
      } catch (e) {
        if (e instanceof ApexThrow) {
          outcome = json(500, [{ errorCode: 'APEX_ERROR', message: `${exceptionText(e.exc)}\n\nClass.${found.cls.name}: line ${String(e.exc.native.line ?? 0)}, column 1` }]);
          throw new Rollback();
        }
        if (e instanceof ApexCompileError) {
          outcome = json(500, [{ errorCode: 'APEX_EXECUTION_UNSUPPORTED', message: e.message }]);
          throw new Rollback();
        }
        throw e;
      }
    })();
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  } finally {
    org.access.invalidate();
  }
  return outcome!;
}

function toRaw(v: Value): string {
  if (v && typeof v === 'object' && 'data' in v) return (v as { data: Buffer }).data.toString('utf8');
  return toApexString(v);
}


function allowedMethods(cls: ClassInfo): string[] {
  const out: string[] = [];
  for (const [verb, a] of Object.entries(HTTP_ANNOTATIONS)) for (const list of cls.methods.values()) if (list.some((m) => m.annotations.some((x) => x.name === a))) out.push(verb);
  return out;
}

/** Whether the user may run the class (Apex class access, as for invocable actions). */
export function restClassName(program: Program, path: string): string | undefined {
  return findRestResource(program, path)?.cls.name;
}

// ---- anonymous Apex ------------------------------------------------------------------------------

export interface AnonymousResult {
  line: number;
  column: number;
  compiled: boolean;
  success: boolean;
  compileProblem: string | null;
  exceptionStackTrace: string | null;
  exceptionMessage: string | null;
  logs: string;
}

export function executeAnonymous(org: OrgContext, user: UserContext, source: string, apiVersion: string): AnonymousResult {
  const base: AnonymousResult = { line: -1, column: -1, compiled: true, success: true, compileProblem: null, exceptionStackTrace: null, exceptionMessage: null, logs: '' };
  let program: Program;
  let unit;
  try {
    program = programFor(org);
    unit = parseApex(source, 'anonymous');
  } catch (e) {
    if (e instanceof ApexCompileError) return { ...base, line: e.line, column: e.column, compiled: false, success: false, compileProblem: e.problem };
    throw e;
  }
  const anon = program.index(unit.anonymous!.members, undefined, Number(apiVersion), 'anonymous', unit.lines);
  for (const c of anon.inner.values()) c.qualifiedName = c.name;
  for (const c of [anon, ...anon.inner.values()]) {
    if (c.superRef) c.superClass = program.resolveClass(c.superRef.name, c);
    let s = c.superClass;
    while (s && s.decl) s = s.superClass;
    c.isException = Boolean(s?.isException);
  }
  const interp = new Interpreter(org, program, { user, apiVersion });
  let result = base;
  const header = [`${apiVersion} APEX_CODE,DEBUG`, `Execute Anonymous: ${source.split('\n').join('\nExecute Anonymous: ')}`];
  try {
    org.db.transaction(() => {
      try {
        const frame = interp.frameFor(anon, null, true, 'AnonymousBlock');
        for (const s of unit.anonymous!.body) {
          const c = interp.exec(s, frame);
          if (c) break;
        }
      } catch (e) {
        if (e instanceof ApexThrow) {
          result = {
            ...base,
            line: Number(e.exc.native.line ?? -1),
            column: 1,
            success: false,
            exceptionMessage: exceptionText(e.exc),
            exceptionStackTrace: `AnonymousBlock: line ${String(e.exc.native.line ?? -1)}, column 1`,
          };
          throw new Rollback();
        }
        if (e instanceof ApexCompileError) {
          result = { ...base, line: e.line, column: e.column, compiled: false, success: false, compileProblem: e.problem };
          throw new Rollback();
        }
        throw e;
      }
    })();
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  } finally {
    org.access.invalidate();
  }
  result.logs = [...header, ...interp.debug].join('\n') + '\n';
  return result;
}

export { ApexRuntimeError, STRING_TYPE };

// ---- Apex tests ----------------------------------------------------------------------------------

export interface TestMethodResult {
  className: string;
  methodName: string;
  outcome: 'Pass' | 'Fail' | 'CompileFail';
  message: string | null;
  stackTrace: string | null;
  runTimeMs: number;
}

export interface TestRunResult {
  tests: TestMethodResult[];
  /** Class name → covered lines and coverable lines, for the classes that are not tests. */
  coverage: Map<string, { covered: Set<number>; coverable: number[]; id: string }>;
  startedAt: number;
  totalMs: number;
}

function isTestMethod(m: MethodDecl): boolean {
  return m.isStatic && (m.annotations.some((a) => a.name === 'istest') || m.modifiers.includes('testmethod'));
}

/** The test classes of the program (optionally only the named ones). */
export function testClasses(program: Program, names?: string[]): ClassInfo[] {
  const wanted = names?.map((n) => n.toLowerCase());
  return [...program.classes.values()].filter((c) => c.isTest && [...c.methods.values()].some((l) => l.some(isTestMethod)) && (!wanted || wanted.includes(c.name.toLowerCase())));
}

/**
 * Runs test methods as `user`: org data is hidden (SeeAllData=false), @TestSetup runs once per
 * class, each test method runs in its own transaction that is rolled back afterwards, and every
 * change of the whole run is rolled back at the end.
 */
export function runApexTests(org: OrgContext, user: UserContext, selection: { className: string; methods?: string[] }[], apiVersion: string): TestRunResult {
  const program = programFor(org);
  const startedAt = Date.now();
  const tests: TestMethodResult[] = [];
  const covered = new Map<string, Set<number>>();
  const db = org.db;
  const savepoint = (name: string, fn: () => void): void => {
    db.exec(`SAVEPOINT ${name}`);
    try {
      fn();
    } finally {
      db.exec(`ROLLBACK TO ${name}`);
      db.exec(`RELEASE ${name}`);
      org.access.invalidate();
    }
  };
  savepoint('apex_test_run', () => {
    hideOrgData(org);
    for (const sel of selection) {
      const cls = program.classes.get(sel.className.toLowerCase());
      if (!cls) continue;
      const methods = [...cls.methods.values()].flat().filter((m) => isTestMethod(m) && (!sel.methods || sel.methods.some((x) => x.toLowerCase() === m.name.toLowerCase())));
      const setup = [...cls.methods.values()].flat().find((m) => m.annotations.some((a) => a.name === 'testsetup'));
      savepoint('apex_test_class', () => {
        let setupFailure: string | null = null;
        if (setup) {
          const it = new Interpreter(org, program, { user, apiVersion, isTest: true });
          try {
            it.invoke(cls, setup, null, [], false, setup);
          } catch (e) {
            setupFailure = failureText(e);
          }
          merge(covered, it.coverage);
        }
        for (const m of methods) {
          const t0 = Date.now();
          if (setupFailure) {
            tests.push({ className: cls.name, methodName: m.name, outcome: 'Fail', message: setupFailure, stackTrace: `Class.${cls.name}.${setup!.name}`, runTimeMs: 0 });
            continue;
          }
          const it = new Interpreter(org, program, { user, apiVersion, isTest: true });
          let outcome: TestMethodResult['outcome'] = 'Pass';
          let message: string | null = null;
          let stackTrace: string | null = null;
          savepoint('apex_test_method', () => {
            try {
              it.invoke(cls, m, null, [], false, m);
            } catch (e) {
              if (!(e instanceof ApexThrow) && !(e instanceof ApexCompileError)) throw e;
              outcome = e instanceof ApexCompileError ? 'CompileFail' : 'Fail';
              message = failureText(e);
              stackTrace = e instanceof ApexThrow ? `Class.${cls.name}.${m.name}: line ${String(e.exc.native.line ?? 0)}, column 1` : `line ${e.line}, column ${e.column}`;
            }
          });
          merge(covered, it.coverage);
          tests.push({ className: cls.name, methodName: m.name, outcome, message, stackTrace, runTimeMs: Date.now() - t0 });
        }
      });
    }
  });
  const coverage = new Map<string, { covered: Set<number>; coverable: number[]; id: string }>();
  const ids = new Map(db.prepare('SELECT full_name, id FROM _metadata WHERE type = ?').all('ApexClass').map((r) => [String((r as { full_name: string }).full_name).toLowerCase(), String((r as { id: string }).id)]));
  for (const cls of program.classes.values()) {
    if (cls.isTest) continue;
    const lines = covered.get(cls.name) ?? new Set<number>();
    if (!covered.has(cls.name) && !selection.length) continue;
    coverage.set(cls.name, { covered: lines, coverable: cls.lines, id: ids.get(cls.name.toLowerCase()) ?? '' });
  }
  return { tests, coverage, startedAt, totalMs: Date.now() - startedAt };
}

function failureText(e: unknown): string {
  if (e instanceof ApexThrow) return exceptionText(e.exc);
  if (e instanceof ApexCompileError) return e.message;
  return String(e);
}

function merge(into: Map<string, Set<number>>, from: Map<string, Set<number>>): void {
  for (const [k, v] of from) {
    let s = into.get(k);
    if (!s) into.set(k, (s = new Set()));
    for (const l of v) s.add(l);
  }
}

/** SeeAllData=false: the test sees no org data rows except setup objects (users, profiles…). */
function hideOrgData(org: OrgContext): void {
  for (const o of org.schema.objects()) {
    if (o.setup || o.toolingOnly) continue;
    try {
      org.db.exec(`DELETE FROM "${o.name.replace(/"/g, '""')}"`);
    } catch {
      // objects without a table hold no rows
    }
  }
}
