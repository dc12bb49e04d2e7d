/**
 * The Apex interpreter: walks the AST of parse.ts over the value model of values.ts. One
 * Interpreter is one Apex transaction: static variables, governor limit counters, the running user,
 * debug log and line coverage live here. SOQL goes to the org's SOQL engine (soql/engine.ts) and
 * DML to the DML service (dml/), as the running user or the system exactly as the code says
 * (`WITH USER_MODE`, `as user`, `AccessLevel.USER_MODE`, class sharing keywords).
 */
import { executeDml, type ApiRecord, type DmlOperation, type DmlUser, type SaveResult } from '../dml/index.ts';
import { ApiError } from '../http/errors.ts';
import { isValidId } from '../ids.ts';
import type { OrgContext } from '../org/context.ts';
import type { UserContext } from '../security/types.ts';
import { runQuery } from '../soql/engine.ts';
import type { Block, Expr, FieldDecl, MethodDecl, Stmt, TypeRef } from './ast.ts';
import { ApexCompileError } from './ast.ts';
import { callBuiltinMethod, callStatic, getStaticProperty, setStaticProperty, isBuiltinNamespace } from './builtins.ts';
import { isSubclassOf, type ClassInfo, type Program } from './program.ts';
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
  OBJECT_TYPE,
  SObj,
  TypeValue,
  apexEquals,
  hashKey,
  runtimeTypeName,
  toApexString,
  typeKey,
  type Value,
} from './values.ts';

export class ApexThrow extends Error {
  constructor(readonly exc: Obj) {
    super(toApexString(exc));
  }
}

/** A defect or an unsupported construct found while running (reported as a compile-style problem). */
export class ApexRuntimeError extends ApexCompileError {}

export const LIMITS = { queries: 100, queryRows: 50000, dmlStatements: 150, dmlRows: 10000, cpuMs: 10000, stackDepth: 1000 };

export interface Limits {
  queries: number;
  queryRows: number;
  dmlStatements: number;
  dmlRows: number;
  cpuStart: number;
}

interface Var {
  type: TypeRef;
  v: Value;
}

export interface Frame {
  cls: ClassInfo;
  self: Obj | null;
  scopes: Map<string, Var>[];
  withSharing: boolean;
  method: string;
  line: number;
}

const BREAK = { k: 'break' } as const;
const CONTINUE = { k: 'continue' } as const;
type Completion = undefined | typeof BREAK | typeof CONTINUE | { k: 'return'; v: Value };

const PRIMITIVES = new Set(['string', 'id', 'integer', 'long', 'decimal', 'double', 'boolean', 'date', 'datetime', 'time', 'blob', 'object']);

export interface InterpreterOptions {
  user: UserContext;
  apiVersion: string;
  isTest?: boolean;
  now?: () => Date;
}

export class Interpreter {
  readonly statics = new Map<ClassInfo, Map<string, Value>>();
  readonly staticInit = new Set<ClassInfo>();
  readonly builtinStatics = new Map<string, Value>();
  readonly debug: string[] = [];
  readonly coverage = new Map<string, Set<number>>();
  limits: Limits = freshLimits();
  savedLimits?: Limits;
  user: UserContext;
  depth = 0;
  steps = 0;
  readonly isTest: boolean;

  constructor(
    readonly org: OrgContext,
    readonly program: Program,
    readonly options: InterpreterOptions,
  ) {
    this.user = options.user;
    this.isTest = Boolean(options.isTest);
  }

  // ---- exceptions ------------------------------------------------------------------------------

  newException(typeName: string, message: string | null, line = 0, native: Record<string, unknown> = {}): Obj {
    const cls = this.program.builtins.get(typeName.toLowerCase()) ?? this.program.builtins.get('exception')!;
    const o = new Obj(cls);
    o.f.set('message', message);
    o.native = { line, ...native };
    return o;
  }

  throwEx(typeName: string, message: string | null, at?: { l: number }): never {
    throw new ApexThrow(this.newException(typeName, message, at?.l ?? 0));
  }

  npe(at?: { l: number }): never {
    this.throwEx('NullPointerException', 'Attempt to de-reference a null object', at);
  }

  refuse(what: string, at: { l: number; c: number }, cls?: ClassInfo): never {
    throw new ApexRuntimeError(what, at.l, at.c, cls?.fileName);
  }

  // ---- limits ----------------------------------------------------------------------------------

  tick(at: { l: number }): void {
    if (++this.steps % 1000 === 0 && Date.now() - this.limits.cpuStart > LIMITS.cpuMs) this.throwEx('LimitException', 'Apex CPU time limit exceeded', at);
  }

  // ---- classes and statics ---------------------------------------------------------------------

  ensureStatics(cls: ClassInfo): Map<string, Value> {
    let s = this.statics.get(cls);
    if (s) return s;
    s = new Map();
    this.statics.set(cls, s);
    if (cls.outer) this.ensureStatics(cls.outer);
    if (cls.superClass) this.ensureStatics(cls.superClass);
    const frame = this.frameFor(cls, null, false, '<clinit>');
    for (const [k, f] of cls.staticFields) s.set(k, f.init ? this.coerce(this.eval(f.init, frame), f.type, f) : defaultValue(f.type));
    for (const b of cls.decl?.staticInit ?? []) this.execBlock(b, frame);
    return s;
  }

  frameFor(cls: ClassInfo, self: Obj | null, callerSharing: boolean, method: string): Frame {
    return { cls, self, scopes: [new Map()], withSharing: this.sharingOf(cls, callerSharing), method, line: 0 };
  }

  sharingOf(cls: ClassInfo, callerSharing: boolean): boolean {
    // Inner classes carry their own keyword; omitted and `inherited` follow the caller.
    const s = cls.sharing;
    if (s === 'with') return true;
    if (s === 'without') return false;
    return callerSharing;
  }

  findStatic(cls: ClassInfo, name: string): { owner: ClassInfo; key: string } | undefined {
    const key = name.toLowerCase();
    for (let c: ClassInfo | undefined = cls; c; c = c.superClass) if (c.staticFields.has(key)) return { owner: c, key };
    return undefined;
  }

  findStaticInScope(cls: ClassInfo, name: string): { owner: ClassInfo; key: string } | undefined {
    for (let c: ClassInfo | undefined = cls; c; c = c.outer) {
      const hit = this.findStatic(c, name);
      if (hit) return hit;
    }
    return undefined;
  }

  findField(cls: ClassInfo, name: string): FieldDecl | undefined {
    const key = name.toLowerCase();
    for (let c: ClassInfo | undefined = cls; c; c = c.superClass) {
      const f = c.fields.get(key);
      if (f) return f;
    }
    return undefined;
  }

  instantiate(cls: ClassInfo, args: Value[], caller: Frame, at: Expr): Obj {
    if (cls.decl?.kind === 'interface' || cls.decl?.modifiers.includes('abstract')) this.refuse(`Type cannot be constructed: ${cls.name}`, at, caller.cls);
    this.ensureStatics(cls);
    if (cls.isException && !cls.decl?.ctors.length) {
      const o = new Obj(cls);
      this.initFields(o, cls);
      o.native = { line: at.l };
      const [a, b] = args;
      if (args.length >= 1 && (a === null || typeof a === 'string')) o.f.set('message', a ?? null);
      else if (a instanceof Obj && a.cls.isException) o.native.cause = a;
      if (b instanceof Obj) o.native.cause = b;
      if (args.length === 0) o.f.set('message', null);
      if (args.length > 2) this.refuse(`Constructor not defined: [${cls.name}].<Constructor>(${args.map(runtimeTypeName).join(', ')})`, at, caller.cls);
      return o;
    }
    if (!cls.decl) {
      const o = new Obj(cls);
      if (cls.name === 'RestRequest') for (const f of ['requestURI', 'httpMethod', 'resourcePath', 'remoteAddress', 'requestBody']) o.f.set(f.toLowerCase(), null);
      if (cls.name === 'RestRequest') {
        o.f.set('params', new ApexMap({ name: 'String', args: [] }, { name: 'String', args: [] }));
        o.f.set('headers', new ApexMap({ name: 'String', args: [] }, { name: 'String', args: [] }));
      }
      if (cls.name === 'RestResponse') {
        o.f.set('statuscode', null);
        o.f.set('responsebody', null);
        o.f.set('headers', new ApexMap({ name: 'String', args: [] }, { name: 'String', args: [] }));
      }
      return o;
    }
    const o = new Obj(cls);
    this.initFields(o, cls);
    this.runCtor(cls, o, args, caller, at);
    return o;
  }

  initFields(o: Obj, cls: ClassInfo): void {
    if (cls.superClass?.decl) this.initFields(o, cls.superClass);
    const frame = this.frameFor(cls, o, false, '<init>');
    for (const [k, f] of cls.fields) o.f.set(k, f.init ? this.coerce(this.eval(f.init, frame), f.type, f) : defaultValue(f.type));
    for (const b of cls.decl?.instanceInit ?? []) this.execBlock(b, frame);
  }

  runCtor(cls: ClassInfo, o: Obj, args: Value[], caller: Frame, at: Expr): void {
    const ctors = cls.decl?.ctors ?? [];
    if (ctors.length === 0) {
      if (args.length) this.refuse(`Constructor not defined: [${cls.name}].<Constructor>(${args.map(runtimeTypeName).join(', ')})`, at, caller.cls);
      return;
    }
    const ctor = this.pick(ctors, args, cls);
    if (!ctor) this.refuse(`Constructor not defined: [${cls.name}].<Constructor>(${args.map(runtimeTypeName).join(', ')})`, at, caller.cls);
    const frame = this.frameFor(cls, o, caller.withSharing, cls.name);
    ctor.params.forEach((p, i) => frame.scopes[0]!.set(p.name.toLowerCase(), { type: p.type, v: this.coerce(args[i]!, p.type) }));
    this.enter(at);
    try {
      this.execBlock(ctor.body, frame);
    } finally {
      this.depth--;
    }
  }

  pick<T extends { params: { type: TypeRef }[] }>(cands: T[], args: Value[], cls: ClassInfo): T | undefined {
    const arity = cands.filter((m) => m.params.length === args.length);
    if (arity.length <= 1) return arity[0];
    return arity.find((m) => m.params.every((p, i) => this.matches(args[i]!, p.type, cls))) ?? arity[0];
  }

  matches(v: Value, t: TypeRef, from: ClassInfo): boolean {
    if (v === null) return true;
    const k = typeKey(t);
    switch (k) {
      case 'object':
        return true;
      case 'string':
        return typeof v === 'string';
      case 'id':
        return v instanceof ApexId || (typeof v === 'string' && isValidId(v));
      case 'integer':
        return typeof v === 'number';
      case 'long':
        return typeof v === 'number' || typeof v === 'bigint';
      case 'decimal':
      case 'double':
        return typeof v === 'number' || typeof v === 'bigint' || v instanceof Dec || v instanceof Dbl;
      case 'boolean':
        return typeof v === 'boolean';
      case 'date':
        return v instanceof ApexDate;
      case 'datetime':
        return v instanceof ApexDatetime;
      case 'list':
        return v instanceof ApexList;
      case 'set':
        return v instanceof ApexSet;
      case 'map':
        return v instanceof ApexMap;
      case 'sobject':
        return v instanceof SObj;
      default: {
        if (v instanceof SObj) return v.type.toLowerCase() === k;
        if (v instanceof Obj) {
          const c = this.program.resolveClass(t.name, from);
          return Boolean(c && (isSubclassOf(v.cls, c) || v.cls.interfaces.includes(c.name.toLowerCase())));
        }
        return false;
      }
    }
  }

  enter(at: { l: number }): void {
    if (++this.depth > LIMITS.stackDepth) {
      this.depth = 0;
      this.throwEx('LimitException', `Maximum stack depth reached: ${LIMITS.stackDepth + 1}`, at);
    }
  }

  /** Calls a user-defined method. */
  invoke(cls: ClassInfo, m: MethodDecl, self: Obj | null, args: Value[], callerSharing: boolean, at: { l: number; c: number }): Value {
    if (!m.body) this.refuse(`Method ${cls.name}.${m.name} has no body`, at, cls);
    const frame = this.frameFor(cls, m.isStatic ? null : self, callerSharing, `${cls.qualifiedName}.${m.name}`);
    m.params.forEach((p, i) => frame.scopes[0]!.set(p.name.toLowerCase(), { type: p.type, v: this.coerce(args[i] ?? null, p.type) }));
    this.enter(at);
    try {
      const c = this.execBlock(m.body, frame);
      if (c && c.k === 'return') return m.returnType ? this.coerce(c.v, m.returnType, undefined, cls) : null;
      return null;
    } finally {
      this.depth--;
    }
  }

  /** Finds a method by name and arguments, searching the class, its superclasses (and outer classes for statics). */
  findMethod(cls: ClassInfo, name: string, args: Value[], staticOnly: boolean): { cls: ClassInfo; m: MethodDecl } | undefined {
    const key = name.toLowerCase();
    for (let c: ClassInfo | undefined = cls; c; c = c.superClass) {
      const list = c.methods.get(key)?.filter((m) => m.body && (!staticOnly || m.isStatic));
      if (list?.length) {
        const m = this.pick(list, args, c);
        if (m) return { cls: c, m };
      }
    }
    return undefined;
  }

  // ---- coercion --------------------------------------------------------------------------------

  /** Converts a value to a declared type as assignment does (Integer → Decimal, String → Id, …). */
  coerce(v: Value, t: TypeRef, at?: { l: number }, from?: ClassInfo): Value {
    if (v === null) return null;
    const k = typeKey(t);
    switch (k) {
      case 'id':
        if (v instanceof ApexId) return v;
        if (typeof v === 'string') {
          if (!isValidId(v)) this.throwEx('StringException', `Invalid id: ${v}`, at);
          return new ApexId(v);
        }
        return v;
      case 'string':
        return v instanceof ApexId ? v.v : v;
      case 'decimal':
        if (typeof v === 'number' || typeof v === 'bigint') return Dec.of(v);
        if (v instanceof Dbl) return Dec.of(v.v);
        return v;
      case 'double':
        if (typeof v === 'number') return new Dbl(v);
        if (typeof v === 'bigint') return new Dbl(Number(v));
        if (v instanceof Dec) return new Dbl(v.toNumber());
        return v;
      case 'long':
        return typeof v === 'number' ? BigInt(v) : v;
      default:
        if (v instanceof ApexList && v.fromSoql && !PRIMITIVES.has(k) && k !== 'list' && k !== 'object' && this.org.schema.get(k) !== undefined) {
          if (v.items.length === 0) this.throwEx('QueryException', 'List has no rows for assignment to SObject', at);
          if (v.items.length > 1) this.throwEx('QueryException', 'List has more than 1 row for assignment to SObject', at);
          return v.items[0]!;
        }
        if (k === 'sobject' && v instanceof ApexList && v.fromSoql) return this.coerce(v, { name: 'Account', args: [] }, at);
        void from;
        return v;
    }
  }

  // ---- statements ------------------------------------------------------------------------------

  execBlock(b: Block, frame: Frame): Completion {
    frame.scopes.push(new Map());
    try {
      for (const s of b.body) {
        const c = this.exec(s, frame);
        if (c) return c;
      }
      return undefined;
    } finally {
      frame.scopes.pop();
    }
  }

  cover(cls: ClassInfo, line: number): void {
    const name = cls.top.name;
    let set = this.coverage.get(name);
    if (!set) this.coverage.set(name, (set = new Set()));
    set.add(line);
  }

  exec(s: Stmt, frame: Frame): Completion {
    frame.line = s.l;
    if (s.k !== 'block' && s.k !== 'try') this.cover(frame.cls, s.l);
    this.tick(s);
    switch (s.k) {
      case 'block':
        return this.execBlock(s, frame);
      case 'local':
        for (const d of s.decls) {
          const v = d.init ? this.coerce(this.eval(d.init, frame), s.type, d.init, frame.cls) : defaultValue(s.type);
          frame.scopes[frame.scopes.length - 1]!.set(d.name.toLowerCase(), { type: s.type, v });
        }
        return undefined;
      case 'expr':
        this.eval(s.e, frame);
        return undefined;
      case 'if':
        if (this.truth(this.eval(s.cond, frame), s.cond)) return this.execScoped(s.then, frame);
        return s.else ? this.execScoped(s.else, frame) : undefined;
      case 'while':
        while (this.truth(this.eval(s.cond, frame), s.cond)) {
          const c = this.execScoped(s.body, frame);
          if (c === BREAK) break;
          if (c && c !== CONTINUE) return c;
        }
        return undefined;
      case 'do':
        do {
          const c = this.execScoped(s.body, frame);
          if (c === BREAK) break;
          if (c && c !== CONTINUE) return c;
        } while (this.truth(this.eval(s.cond, frame), s.cond));
        return undefined;
      case 'for': {
        frame.scopes.push(new Map());
        try {
          if (s.init) this.exec(s.init, frame);
          for (const e of s.exprInit ?? []) this.eval(e, frame);
          while (!s.cond || this.truth(this.eval(s.cond, frame), s.cond)) {
            const c = this.execScoped(s.body, frame);
            if (c === BREAK) break;
            if (c && c !== CONTINUE) return c;
            for (const u of s.update) this.eval(u, frame);
          }
          return undefined;
        } finally {
          frame.scopes.pop();
        }
      }
      case 'foreach': {
        const coll = this.eval(s.iter, frame);
        if (coll === null) this.npe(s);
        let items: Value[];
        if (coll instanceof ApexList) {
          items = [...coll.items];
          if (coll.fromSoql && typeKey(s.type) === 'list') {
            const chunks: Value[] = [];
            for (let i = 0; i < items.length; i += 200) chunks.push(new ApexList(s.type.args[0] ?? OBJECT_TYPE, items.slice(i, i + 200)));
            items = chunks;
          }
        } else if (coll instanceof ApexSet) items = [...coll.m.values()];
        else return this.refuse(`Loop must iterate over collection: ${runtimeTypeName(coll)}`, s, frame.cls);
        for (const item of items) {
          frame.scopes.push(new Map([[s.name.toLowerCase(), { type: s.type, v: this.coerce(item, s.type, s) }]]));
          let c: Completion;
          try {
            c = this.execScoped(s.body, frame);
          } finally {
            frame.scopes.pop();
          }
          if (c === BREAK) break;
          if (c && c !== CONTINUE) return c;
        }
        return undefined;
      }
      case 'return':
        return { k: 'return', v: s.e ? this.eval(s.e, frame) : null };
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
      case 'throw': {
        const v = this.eval(s.e, frame);
        if (v === null) this.npe(s);
        if (!(v instanceof Obj) || !v.cls.isException) this.refuse('Throw expression must be of type Exception', s, frame.cls);
        if (!v.native.line) v.native.line = s.l;
        throw new ApexThrow(v);
      }
      case 'try':
        return this.execTry(s, frame);
      case 'dml':
        this.dmlStatement(s, frame);
        return undefined;
      case 'runAs':
        return this.runAs(s, frame);
      case 'switch':
        return this.execSwitch(s, frame);
    }
  }

  execScoped(s: Stmt, frame: Frame): Completion {
    if (s.k === 'block') return this.execBlock(s, frame);
    frame.scopes.push(new Map());
    try {
      return this.exec(s, frame);
    } finally {
      frame.scopes.pop();
    }
  }

  execTry(s: Extract<Stmt, { k: 'try' }>, frame: Frame): Completion {
    let result: Completion;
    try {
      result = this.execBlock(s.body, frame);
    } catch (e) {
      if (!(e instanceof ApexThrow)) throw e;
      const exc = e.exc;
      const uncatchable = exc.cls.name === 'LimitException' || exc.cls.name === 'AssertException';
      const handler = uncatchable ? undefined : s.catches.find((c) => this.catches(c.type, exc, frame.cls, s));
      if (!handler) {
        if (s.fin) {
          const f = this.execBlock(s.fin, frame);
          if (f) return f;
        }
        throw e;
      }
      frame.scopes.push(new Map([[handler.name.toLowerCase(), { type: handler.type, v: exc }]]));
      try {
        result = this.execBlock(handler.body, frame);
      } catch (inner) {
        if (s.fin) {
          const f = this.execBlock(s.fin, frame);
          if (f) return f;
        }
        throw inner;
      } finally {
        frame.scopes.pop();
      }
    }
    if (s.fin) {
      const f = this.execBlock(s.fin, frame);
      if (f) return f;
    }
    return result;
  }

  catches(type: TypeRef, exc: Obj, from: ClassInfo, at: { l: number; c: number }): boolean {
    const cls = this.program.resolveClass(type.name, from);
    if (!cls || !cls.isException) this.refuse(`Invalid type: ${type.name}`, at, from);
    return isSubclassOf(exc.cls, cls);
  }

  execSwitch(s: Extract<Stmt, { k: 'switch' }>, frame: Frame): Completion {
    const v = this.eval(s.e, frame);
    for (const w of s.whens) {
      let hit = false;
      if (w.isElse) hit = true;
      else if (w.typeWhen) {
        hit = v !== null && this.matches(v, w.typeWhen.type, frame.cls);
        if (hit) {
          frame.scopes.push(new Map([[w.typeWhen.name.toLowerCase(), { type: w.typeWhen.type, v }]]));
          try {
            return this.execBlock(w.body, frame);
          } finally {
            frame.scopes.pop();
          }
        }
      } else {
        for (const wv of w.values ?? []) {
          if ('enumName' in wv) {
            if (v instanceof EnumValue && v.name.toLowerCase() === wv.enumName.toLowerCase()) hit = true;
          } else {
            const lit = this.eval(wv, frame);
            // switch on String is case-sensitive (unlike ==).
            if (typeof v === 'string' && typeof lit === 'string' ? v === lit : apexEquals(v, lit)) hit = true;
          }
        }
      }
      if (hit) return this.execBlock(w.body, frame);
    }
    return undefined;
  }

  runAs(s: Extract<Stmt, { k: 'runAs' }>, frame: Frame): Completion {
    if (!this.isTest) this.refuse('System.runAs can only be used in test methods', s, frame.cls);
    const who = this.eval(s.args[0]!, frame);
    if (!(who instanceof SObj)) this.npe(s);
    const id = who.get('Id');
    if (!(id instanceof ApexId)) this.throwEx('IllegalArgumentException', 'runAs requires a User with an Id', s);
    const ctx = this.org.access.forUser(id.v);
    if (!ctx) this.throwEx('IllegalArgumentException', `No such user: ${id.v}`, s);
    const previous = this.user;
    this.user = ctx;
    try {
      return this.execBlock(s.body, frame);
    } finally {
      this.user = previous;
    }
  }

  truth(v: Value, at: { l: number }): boolean {
    if (v === null) this.npe(at);
    if (typeof v !== 'boolean') this.throwEx('TypeException', `Invalid conversion from runtime type ${runtimeTypeName(v)} to Boolean`, at);
    return v;
  }

  // ---- expressions -----------------------------------------------------------------------------

  lookupVar(frame: Frame, name: string): Var | undefined {
    const key = name.toLowerCase();
    for (let i = frame.scopes.length - 1; i >= 0; i--) {
      const v = frame.scopes[i]!.get(key);
      if (v) return v;
    }
    return undefined;
  }

  eval(e: Expr, frame: Frame): Value {
    switch (e.k) {
      case 'lit':
        switch (e.t) {
          case 'int':
            return e.v | 0;
          case 'long':
            return BigInt.asIntN(64, BigInt(e.v));
          case 'dec':
            return Dec.of(e.v);
          case 'str':
            return e.v;
          case 'bool':
            return e.v;
          default:
            return null;
        }
      case 'id':
        return this.evalId(e, frame);
      case 'this':
        if (!frame.self) this.refuse('Non-static variable this cannot be referenced from a static context', e, frame.cls);
        return frame.self;
      case 'super':
        return frame.self;
      case 'dot':
        return this.evalDot(e, frame);
      case 'call':
        return this.evalCall(e, frame);
      case 'new':
        return this.evalNew(e, frame);
      case 'index': {
        const obj = this.eval(e.obj, frame);
        const idx = this.eval(e.idx, frame);
        if (obj === null) this.npe(e);
        if (obj instanceof ApexList) {
          if (typeof idx !== 'number') this.npe(e);
          if (idx < 0 || idx >= obj.items.length) this.throwEx('ListException', `List index out of bounds: ${idx}`, e);
          return obj.items[idx]!;
        }
        return this.refuse('Expression must be a list type', e, frame.cls);
      }
      case 'bin':
        return this.evalBinary(e, frame);
      case 'assign':
        return this.evalAssign(e, frame);
      case 'cond':
        return this.truth(this.eval(e.cond, frame), e.cond) ? this.eval(e.t, frame) : this.eval(e.f, frame);
      case 'unary': {
        const v = this.eval(e.e, frame);
        if (e.op === '!') return !this.truth(v, e);
        if (v === null) this.npe(e);
        if (e.op === '+') return v;
        return negate(v, this, e);
      }
      case 'pre':
      case 'post': {
        const old = this.eval(e.e, frame);
        if (old === null) this.npe(e);
        const next = arith(e.op === '++' ? '+' : '-', old, 1, this, e);
        this.assignTo(e.e, next, frame);
        return e.k === 'pre' ? next : old;
      }
      case 'cast':
        return this.cast(this.eval(e.e, frame), e.type, frame, e);
      case 'instanceof': {
        const v = this.eval(e.e, frame);
        return v !== null && this.matches(v, e.type, frame.cls);
      }
      case 'soql':
        return this.evalSoql(e, frame);
      case 'typeLit':
        return new TypeValue('class', e.type.name);
    }
  }

  cast(v: Value, t: TypeRef, frame: Frame, at: Expr): Value {
    if (v === null) return null;
    const k = typeKey(t);
    if (['list', 'set', 'map', 'object'].includes(k)) return v;
    if (k === 'decimal' || k === 'double' || k === 'long' || k === 'id' || k === 'string') {
      if (k === 'string' && !(typeof v === 'string' || v instanceof ApexId)) this.throwEx('TypeException', `Invalid conversion from runtime type ${runtimeTypeName(v)} to String`, at);
      return this.coerce(v, t, at);
    }
    if (!this.matches(v, t, frame.cls) && !(k === 'sobject' && v instanceof SObj)) {
      this.throwEx('TypeException', `Invalid conversion from runtime type ${runtimeTypeName(v)} to ${t.name}`, at);
    }
    return v;
  }

  evalId(e: Extract<Expr, { k: 'id' }>, frame: Frame): Value {
    const local = this.lookupVar(frame, e.name);
    if (local) return local.v;
    if (frame.self) {
      const f = this.findField(frame.self.cls, e.name);
      if (f) return this.getField(frame.self, e.name, frame, e);
    }
    const st = this.findStaticInScope(frame.cls, e.name);
    if (st) return this.ensureStatics(st.owner).get(st.key)!;
    return this.typeValue(e.name, frame, e);
  }

  typeValue(name: string, frame: Frame, at: Expr): TypeValue {
    const cls = this.program.resolveClass(name, frame.cls);
    if (cls) return new TypeValue('class', cls.qualifiedName, cls);
    const o = this.org.schema.get(name);
    if (o) return new TypeValue('sobject', o.name, o);
    if (isBuiltinNamespace(name)) return new TypeValue('builtin', name.toLowerCase());
    return this.refuse(`Variable does not exist: ${name}`, at, frame.cls);
  }

  getField(o: Obj, name: string, frame: Frame, at: Expr): Value {
    const key = name.toLowerCase();
    const f = this.findField(o.cls, name);
    if (f?.getter && f.getter !== 'auto') {
      const fr = this.frameFor(o.cls, o, frame.withSharing, `get ${name}`);
      const c = this.execBlock(f.getter, fr);
      return c && c.k === 'return' ? c.v : null;
    }
    if (!o.f.has(key)) {
      if (o.cls.isException && key === 'message') return o.f.get('message') ?? null;
      return this.refuse(`Variable does not exist: ${name}`, at, frame.cls);
    }
    return o.f.get(key)!;
  }

  evalDot(e: Extract<Expr, { k: 'dot' }>, frame: Frame): Value {
    const obj = this.eval(e.obj, frame);
    if (obj === null) {
      if (e.safe) return null;
      this.npe(e);
    }
    if (obj instanceof TypeValue) {
      if (obj.kind === 'class') {
        const cls = obj.ref as ClassInfo;
        if (cls.decl?.kind === 'enum') {
          const i = cls.decl.enumValues!.findIndex((v) => v.toLowerCase() === e.name.toLowerCase());
          if (i >= 0) return new EnumValue(cls.name, cls.decl.enumValues![i]!, i);
        }
        const st = this.findStatic(cls, e.name);
        if (st) return this.ensureStatics(st.owner).get(st.key)!;
        const inner = cls.inner.get(e.name.toLowerCase());
        if (inner) return new TypeValue('class', inner.qualifiedName, inner);
        return this.refuse(`Variable does not exist: ${cls.name}.${e.name}`, e, frame.cls);
      }
      return getStaticProperty(this, obj, e.name, frame, e);
    }
    if (obj instanceof SObj) return this.sobjectGet(obj, e.name, e);
    if (obj instanceof Obj) return this.getField(obj, e.name, frame, e);
    return this.refuse(`Invalid field ${e.name} on ${runtimeTypeName(obj)}`, e, frame.cls);
  }

  sobjectGet(o: SObj, name: string, at: Expr): Value {
    if (o.has(name)) return o.get(name)!;
    const def = this.org.schema.get(o.type);
    const fd = def ? this.org.schema.field(def.name, name) : undefined;
    const rel = def && !fd ? this.org.schema.fieldByRelationshipName(def.name, name) : undefined;
    const child = def && !fd && !rel ? this.org.schema.childRelationships(def.name).find((c) => c.relationshipName.toLowerCase() === name.toLowerCase()) : undefined;
    if (!fd && !rel && !child && o.type !== 'AggregateResult') this.refuse(`Invalid field ${name} for ${o.type}`, at);
    if (o.queried && fd) this.throwEx('SObjectException', `SObject row was retrieved via SOQL without querying the requested field: ${o.type}.${fd.name}`, at);
    return null;
  }

  sobjectSet(o: SObj, name: string, v: Value, at: Expr): void {
    const def = this.org.schema.get(o.type);
    const fd = def ? this.org.schema.field(def.name, name) : undefined;
    if (!fd) {
      const rel = def ? this.org.schema.fieldByRelationshipName(def.name, name) : undefined;
      if (rel && (v === null || v instanceof SObj)) {
        o.set(rel.relationshipName ?? name, v);
        return;
      }
      this.refuse(`Invalid field ${name} for ${o.type}`, at);
    }
    o.set(fd.name, this.coerceField(fd.type, v, at));
  }

  coerceField(type: string, v: Value, at: Expr): Value {
    if (v === null) return null;
    switch (type) {
      case 'id':
      case 'reference':
        return this.coerce(v, { name: 'Id', args: [] }, at);
      case 'currency':
      case 'double':
      case 'percent':
        return this.coerce(v, { name: 'Decimal', args: [] }, at);
      case 'int':
        return v;
      default:
        return v instanceof ApexId && type !== 'id' ? v : v;
    }
  }

  evalCall(e: Extract<Expr, { k: 'call' }>, frame: Frame): Value {
    if (e.obj === null) {
      if (e.name === 'this' || e.name === 'super') {
        const target = e.name === 'super' ? frame.cls.superClass : frame.cls;
        const args = e.args.map((a) => this.eval(a, frame));
        if (target && frame.self) {
          if (target.decl) this.runCtor(target, frame.self, args, frame, e);
          else if (target.isException) {
            if (typeof args[0] === 'string' || args[0] === null) frame.self.f.set('message', args[0] ?? null);
          }
        }
        return null;
      }
      const args = e.args.map((a) => this.eval(a, frame));
      if (frame.self) {
        const hit = this.findMethod(frame.self.cls, e.name, args, false);
        if (hit) return this.invoke(hit.cls, hit.m, frame.self, args, frame.withSharing, e);
      }
      for (let c: ClassInfo | undefined = frame.cls; c; c = c.outer) {
        const hit = this.findMethod(c, e.name, args, true);
        if (hit) return this.invoke(hit.cls, hit.m, null, args, frame.withSharing, e);
        if (c === frame.cls && !frame.self) {
          const inst = this.findMethod(c, e.name, args, false);
          if (inst && !inst.m.isStatic) this.refuse(`Non static method cannot be referenced from a static context: ${e.name}`, e, frame.cls);
        }
      }
      return this.refuse(`Method does not exist or incorrect signature: void ${e.name}(${args.map(runtimeTypeName).join(', ')}) from the type ${frame.cls.qualifiedName}`, e, frame.cls);
    }
    const isSuper = e.obj.k === 'super';
    const target = this.eval(e.obj, frame);
    if (target === null) {
      if (e.safe) return null;
      this.npe(e);
    }
    const args = e.args.map((a) => this.eval(a, frame));
    if (target instanceof TypeValue) {
      if (target.kind === 'class') {
        const cls = target.ref as ClassInfo;
        if (cls.decl) {
          const hit = this.findMethod(cls, e.name, args, true);
          if (hit) return this.invoke(hit.cls, hit.m, null, args, frame.withSharing, e);
          if (cls.decl.kind === 'enum' && e.name.toLowerCase() === 'values') {
            return new ApexList({ name: cls.name, args: [] }, cls.decl.enumValues!.map((v, i) => new EnumValue(cls.name, v, i)));
          }
          return this.refuse(`Method does not exist or incorrect signature: ${e.name}(${args.map(runtimeTypeName).join(', ')}) from the type ${cls.qualifiedName}`, e, frame.cls);
        }
      }
      return callStatic(this, target, e.name, args, frame, e);
    }
    if (target instanceof Obj && target.cls.decl) {
      const start = isSuper ? frame.cls.superClass : target.cls;
      const hit = start ? this.findMethod(start, e.name, args, false) : undefined;
      if (hit) return this.invoke(hit.cls, hit.m, target, args, frame.withSharing, e);
    }
    return callBuiltinMethod(this, target, e.name, args, frame, e);
  }

  evalNew(e: Extract<Expr, { k: 'new' }>, frame: Frame): Value {
    const k = typeKey(e.type);
    if (k === 'list' || k === 'set') {
      const elem = e.type.args[0] ?? OBJECT_TYPE;
      if (e.size) {
        const n = this.eval(e.size, frame);
        if (typeof n !== 'number') this.npe(e);
        return new ApexList(elem, new Array<Value>(n).fill(null));
      }
      const items = (e.list ?? []).map((x) => this.coerce(this.eval(x, frame), elem, x));
      const fromArg = e.args?.length ? this.eval(e.args[0]!, frame) : undefined;
      if (e.args && e.args.length > 1) this.refuse(`Constructor not defined: [${e.type.name}]`, e, frame.cls);
      const source = fromArg === undefined ? items : fromArg === null ? this.npe(e) : fromArg instanceof ApexList ? fromArg.items : fromArg instanceof ApexSet ? [...fromArg.m.values()] : this.refuse('Invalid initial collection', e, frame.cls);
      if (k === 'list') return new ApexList(elem, source.map((x) => this.coerce(x, elem, e)));
      const set = new ApexSet(elem);
      for (const x of source) {
        const c = this.coerce(x, elem, e);
        set.m.set(hashKey(c), c);
      }
      return set;
    }
    if (k === 'map') {
      const [kt, vt] = [e.type.args[0] ?? OBJECT_TYPE, e.type.args[1] ?? OBJECT_TYPE];
      const map = new ApexMap(kt, vt);
      for (const [ke, ve] of e.map ?? []) {
        const kv = this.coerce(this.eval(ke, frame), kt, ke);
        map.m.set(hashKey(kv), [kv, this.coerce(this.eval(ve, frame), vt, ve)]);
      }
      if (e.args?.length) {
        const src = this.eval(e.args[0]!, frame);
        if (src === null) this.npe(e);
        if (src instanceof ApexList) {
          for (const r of src.items) {
            if (!(r instanceof SObj)) this.refuse('Map constructor needs a list of sObjects', e, frame.cls);
            const id = r.get('Id');
            if (!(id instanceof ApexId)) this.throwEx('ListException', 'Row with null Id at index: 0', e);
            const kv = this.coerce(id, kt, e);
            map.m.set(hashKey(kv), [kv, r]);
          }
        } else if (src instanceof ApexMap) {
          for (const [h, pair] of src.m) map.m.set(h, [pair[0], pair[1]]);
        } else this.refuse('Invalid Map constructor argument', e, frame.cls);
      }
      return map;
    }
    const sobj = this.org.schema.get(e.type.name) ?? (k === 'sobject' ? undefined : undefined);
    if (sobj && !this.program.resolveClass(e.type.name, frame.cls)) {
      const o = new SObj(sobj.name);
      for (const a of e.args ?? []) {
        if (a.k !== 'assign' || a.op !== '=' || a.target.k !== 'id') this.refuse('SObject constructor arguments must be Field = value pairs', a, frame.cls);
        this.sobjectSet(o, a.target.name, this.eval(a.value, frame), a);
      }
      return o;
    }
    const cls = this.program.resolveClass(e.type.name, frame.cls);
    if (!cls) return this.refuse(`Invalid type: ${e.type.name}`, e, frame.cls);
    const args = (e.args ?? []).map((a) => this.eval(a, frame));
    return this.instantiate(cls, args, frame, e);
  }

  evalBinary(e: Extract<Expr, { k: 'bin' }>, frame: Frame): Value {
    if (e.op === '&&') return this.truth(this.eval(e.left, frame), e.left) && this.truth(this.eval(e.right, frame), e.right);
    if (e.op === '||') return this.truth(this.eval(e.left, frame), e.left) || this.truth(this.eval(e.right, frame), e.right);
    if (e.op === '??') {
      const l = this.eval(e.left, frame);
      return l !== null ? l : this.eval(e.right, frame);
    }
    const l = this.eval(e.left, frame);
    const r = this.eval(e.right, frame);
    return binary(e.op, l, r, this, e);
  }

  evalAssign(e: Extract<Expr, { k: 'assign' }>, frame: Frame): Value {
    let v = this.eval(e.value, frame);
    if (e.op !== '=') {
      const cur = this.eval(e.target, frame);
      v = binary(e.op[0]!, cur, v, this, e);
    }
    return this.assignTo(e.target, v, frame);
  }

  assignTo(target: Expr, v: Value, frame: Frame): Value {
    switch (target.k) {
      case 'id': {
        const local = this.lookupVar(frame, target.name);
        if (local) return (local.v = this.coerce(v, local.type, target, frame.cls));
        if (frame.self) {
          const f = this.findField(frame.self.cls, target.name);
          if (f) return this.setField(frame.self, f, v, frame, target);
        }
        const st = this.findStaticInScope(frame.cls, target.name);
        if (st) {
          const decl = st.owner.staticFields.get(st.key)!;
          const c = this.coerce(v, decl.type, target);
          this.ensureStatics(st.owner).set(st.key, c);
          return c;
        }
        return this.refuse(`Variable does not exist: ${target.name}`, target, frame.cls);
      }
      case 'dot': {
        const obj = this.eval(target.obj, frame);
        if (obj === null) this.npe(target);
        if (obj instanceof SObj) {
          this.sobjectSet(obj, target.name, v, target);
          return v;
        }
        if (obj instanceof Obj) {
          const f = this.findField(obj.cls, target.name);
          if (f) return this.setField(obj, f, v, frame, target);
          if (!obj.cls.decl && obj.f.has(target.name.toLowerCase())) {
            obj.f.set(target.name.toLowerCase(), v);
            return v;
          }
          return this.refuse(`Variable does not exist: ${target.name}`, target, frame.cls);
        }
        if (obj instanceof TypeValue) {
          if (obj.kind === 'class') {
            const st = this.findStatic(obj.ref as ClassInfo, target.name);
            if (!st) return this.refuse(`Variable does not exist: ${target.name}`, target, frame.cls);
            const decl = st.owner.staticFields.get(st.key)!;
            const c = this.coerce(v, decl.type, target);
            this.ensureStatics(st.owner).set(st.key, c);
            return c;
          }
          setStaticProperty(this, obj, target.name, v, frame, target);
          return v;
        }
        return this.refuse(`Invalid assignment target`, target, frame.cls);
      }
      case 'index': {
        const obj = this.eval(target.obj, frame);
        const idx = this.eval(target.idx, frame);
        if (obj === null) this.npe(target);
        if (!(obj instanceof ApexList) || typeof idx !== 'number') return this.refuse('Invalid index assignment', target, frame.cls);
        if (idx < 0 || idx >= obj.items.length) this.throwEx('ListException', `List index out of bounds: ${idx}`, target);
        obj.items[idx] = this.coerce(v, obj.elem, target);
        return v;
      }
      default:
        return this.refuse('Invalid assignment target', target, frame.cls);
    }
  }

  setField(o: Obj, f: FieldDecl, v: Value, frame: Frame, at: Expr): Value {
    const c = this.coerce(v, f.type, at, frame.cls);
    if (f.setter && f.setter !== 'auto') {
      const fr = this.frameFor(o.cls, o, frame.withSharing, `set ${f.name}`);
      fr.scopes[0]!.set('value', { type: f.type, v: c });
      this.execBlock(f.setter, fr);
      return c;
    }
    o.f.set(f.name.toLowerCase(), c);
    return c;
  }

  // ---- SOQL ------------------------------------------------------------------------------------

  evalSoql(e: Extract<Expr, { k: 'soql' }>, frame: Frame): Value {
    const binds: Record<string, unknown> = {};
    let text = e.text;
    e.binds.forEach((b, i) => {
      const v = this.eval(b, frame);
      if (e.limitBind === i || text.includes(`__APEX_LIMIT_${i}__`)) {
        if (typeof v !== 'number') this.npe(b);
        text = text.replace(`__APEX_LIMIT_${i}__`, String(v));
      } else binds[`fgApexBind${i}`] = toBind(v);
    });
    return this.query(text, binds, frame, undefined, e);
  }

  /** Runs SOQL for Apex. `access` is an AccessLevel from Database.query*, else the query's WITH clause and the class decide. */
  query(soql: string, binds: Record<string, unknown> | undefined, frame: Frame, access: 'user' | 'system' | undefined, at: { l: number; c: number }): Value {
    if (++this.limits.queries > LIMITS.queries) this.throwEx('LimitException', `Too many SOQL queries: ${this.limits.queries}`, at);
    const defaultUser = frame.cls.apiVersion >= 67;
    const mode: 'user' | 'system' = access ?? (defaultUser ? 'user' : 'system');
    const countOnly = /^\s*SELECT\s+COUNT\s*\(\s*\)\s+FROM\b/i.test(soql);
    let result;
    try {
      result = runQuery(this.org, soql, { user: this.user, mode, withSharing: frame.withSharing, binds: binds ?? {}, apiVersion: this.options.apiVersion, batchSize: LIMITS.queryRows + 1, now: this.options.now?.() });
    } catch (err) {
      if (err instanceof ApiError) this.throwEx('QueryException', stripPosition(err.message), at);
      throw err;
    }
    this.limits.queryRows += countOnly ? 1 : result.totalSize;
    if (this.limits.queryRows > LIMITS.queryRows) this.throwEx('LimitException', `Too many query rows: ${this.limits.queryRows}`, at);
    if (countOnly) return result.totalSize;
    const list = new ApexList({ name: result.records[0] ? String((result.records[0].attributes as { type: string }).type) : 'SObject', args: [] }, result.records.map((r) => this.fromApi(r)));
    list.fromSoql = true;
    return list;
  }

  /** A REST-shaped record → an SObj with Apex-typed values. */
  fromApi(rec: Record<string, unknown>): SObj {
    const type = String((rec.attributes as { type?: string } | undefined)?.type ?? 'SObject');
    const o = new SObj(type);
    o.queried = type !== 'AggregateResult';
    for (const [k, v] of Object.entries(rec)) {
      if (k === 'attributes') continue;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const obj = v as Record<string, unknown>;
        if (Array.isArray(obj.records)) {
          o.set(k, new ApexList({ name: 'SObject', args: [] }, (obj.records as Record<string, unknown>[]).map((r) => this.fromApi(r))));
          continue;
        }
        if (obj.attributes) {
          o.set(k, this.fromApi(obj));
          continue;
        }
      }
      const fd = type === 'AggregateResult' ? undefined : this.org.schema.field(type, k);
      o.set(fd?.name ?? k, fieldValue(fd?.type, fd?.scale, v));
    }
    return o;
  }

  // ---- DML -------------------------------------------------------------------------------------

  dmlStatement(s: Extract<Stmt, { k: 'dml' }>, frame: Frame): void {
    const v = this.eval(s.e, frame);
    if (s.op === 'upsert' && s.extId) this.refuse('upsert with an external Id field', s, frame.cls);
    this.dml(s.op, v, s.access ?? undefined, true, frame, s);
  }

  /** Runs DML; all-or-none failures throw DmlException, otherwise the SaveResults are returned. */
  dml(op: 'insert' | 'update' | 'delete' | 'upsert' | 'undelete', v: Value, access: 'user' | 'system' | undefined, allOrNone: boolean, frame: Frame, at: { l: number; c: number }): SaveResult[] {
    if (v === null) this.throwEx('DmlException', `${capital(op)} failed. First exception on row 0; first error: INVALID_ARGUMENT, Invalid list: []`, at);
    const records: SObj[] = v instanceof SObj ? [v] : v instanceof ApexList ? (v.items as SObj[]) : [];
    if (!(v instanceof SObj) && !(v instanceof ApexList)) this.refuse(`DML requires SObject or SObject list type: ${runtimeTypeName(v)}`, at, frame.cls);
    if (records.some((r) => !(r instanceof SObj))) this.throwEx('DmlException', `${capital(op)} failed. First exception on row 0; first error: INVALID_ARGUMENT, Invalid list: []`, at);
    if (++this.limits.dmlStatements > LIMITS.dmlStatements) this.throwEx('LimitException', `Too many DML statements: ${this.limits.dmlStatements}`, at);
    this.limits.dmlRows += records.length;
    if (this.limits.dmlRows > LIMITS.dmlRows) this.throwEx('LimitException', `Too many DML rows: ${this.limits.dmlRows}`, at);
    if (records.length === 0) return [];
    const defaultUser = frame.cls.apiVersion >= 67;
    const user: DmlUser = (access ?? (defaultUser ? 'user' : 'system')) === 'user' ? this.user : 'system';
    const ops: DmlOperation[] = records.map((r) => {
      const id = r.get('Id');
      const eff = op === 'upsert' ? (id ? 'update' : 'insert') : op;
      if (eff === 'delete') return { op: 'delete', objectName: r.type, id: id instanceof ApexId ? id.v : '' };
      if (eff === 'undelete') return this.refuse('undelete', at, frame.cls);
      return { op: eff, objectName: r.type, record: toApiRecord(r, eff === 'insert') };
    });
    if (op === 'insert' && records.some((r) => r.get('Id'))) {
      const i = records.findIndex((r) => r.get('Id'));
      this.throwEx('DmlException', `Insert failed. First exception on row ${i}; first error: INVALID_FIELD_FOR_INSERT_UPDATE, cannot specify Id in an insert call: [Id]`, at);
    }
    const results = executeDml(this.org, user, ops, { allOrNone });
    results.forEach((r, i) => {
      if (r.success && r.id && ops[i]!.op === 'insert') records[i]!.set('Id', new ApexId(r.id));
    });
    if (allOrNone && results.some((r) => !r.success)) {
      const failures = results
        .map((r, i) => ({ r, i }))
        .filter(({ r }) => !r.success && !r.errors.every((x) => x.statusCode === 'ALL_OR_NONE_OPERATION_ROLLED_BACK'));
      const first = failures[0] ?? { r: results.find((r) => !r.success)!, i: 0 };
      const err = first.r.errors[0]!;
      const message = `${capital(op)} failed. First exception on row ${first.i}; first error: ${err.statusCode}, ${err.message}: [${err.fields.join(', ')}]`;
      throw new ApexThrow(this.newException('DmlException', message, at.l, { dml: failures.map(({ r, i }) => ({ index: i, ...r.errors[0]!, id: r.id })) }));
    }
    return results;
  }
}

// ---- helpers -------------------------------------------------------------------------------------

function freshLimits(): Limits {
  return { queries: 0, queryRows: 0, dmlStatements: 0, dmlRows: 0, cpuStart: Date.now() };
}

export function newLimits(): Limits {
  return freshLimits();
}

function capital(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

function stripPosition(message: string): string {
  const m = /\nERROR at Row:\d+:Column:\d+\n([\s\S]*)$/.exec(message);
  return m ? m[1]! : message.replace(/^\n/, '');
}

export function defaultValue(_t: TypeRef): Value {
  return null;
}

export function toBind(v: Value): unknown {
  if (v === null) return null;
  if (v instanceof ApexId) return v.v;
  if (v instanceof Dec) return v.toNumber();
  if (v instanceof Dbl) return v.v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof ApexDate) return new Date(v.days * 86400000);
  if (v instanceof ApexDatetime) return new Date(v.ms);
  if (v instanceof ApexList) return v.items.map(toBind);
  if (v instanceof ApexSet) return [...v.m.values()].map(toBind);
  if (v instanceof SObj) return toBind(v.get('Id') ?? null);
  if (v instanceof EnumValue) return v.name;
  return v;
}

/** A stored/REST value → its Apex value for a field type. */
export function fieldValue(type: string | undefined, scale: number | undefined, v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'id':
    case 'reference':
      return typeof v === 'string' && isValidId(v) ? new ApexId(v) : String(v);
    case 'currency':
    case 'double':
    case 'percent': {
      const d = Dec.of(typeof v === 'number' ? v : String(v));
      return scale !== undefined && scale > d.s ? d.setScale(scale) : d;
    }
    case 'int':
      return Number(v) | 0;
    case 'long':
      return BigInt(Number(v));
    case 'boolean':
      return v === true || v === 1 || v === 'true';
    case 'date':
      return ApexDate.parse(String(v)) ?? null;
    case 'datetime': {
      const ms = Date.parse(String(v).replace(/\+0000$/, 'Z'));
      return Number.isNaN(ms) ? null : new ApexDatetime(ms);
    }
    case 'base64':
      return new ApexBlob(Buffer.from(String(v), 'base64'));
    default:
      if (typeof v === 'number') return Number.isInteger(v) ? v : new Dbl(v);
      if (typeof v === 'boolean') return v;
      return String(v);
  }
}

/** An SObj → a DML service record (field API names → JSON values). */
export function toApiRecord(r: SObj, forInsert: boolean): ApiRecord {
  const out: ApiRecord = {};
  for (const { name, v } of r.f.values()) {
    if (v instanceof SObj || v instanceof ApexList) continue;
    if (forInsert && name.toLowerCase() === 'id') continue;
    out[name] = toJsonValue(v);
  }
  return out;
}

export function toJsonValue(v: Value): unknown {
  if (v === null) return null;
  if (v instanceof ApexId) return v.v;
  if (v instanceof Dec) return v.toNumber();
  if (v instanceof Dbl) return v.v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof ApexDate) return v.toString();
  if (v instanceof ApexDatetime) return v.iso();
  if (v instanceof ApexBlob) return v.data.toString('base64');
  if (v instanceof ApexList) return v.items.map(toJsonValue);
  if (v instanceof ApexSet) return [...v.m.values()].map(toJsonValue);
  if (v instanceof EnumValue) return v.name;
  return v;
}

// ---- arithmetic ----------------------------------------------------------------------------------

function rank(v: Value): number {
  if (typeof v === 'number') return 1;
  if (typeof v === 'bigint') return 2;
  if (v instanceof Dbl) return 3;
  if (v instanceof Dec) return 4;
  return 0;
}

export function negate(v: Value, it: Interpreter, at: Expr): Value {
  if (typeof v === 'number') return -v | 0;
  if (typeof v === 'bigint') return BigInt.asIntN(64, -v);
  if (v instanceof Dbl) return new Dbl(-v.v);
  if (v instanceof Dec) return v.neg();
  return it.refuse(`Arithmetic expressions must use numeric arguments`, at);
}

export function arith(op: string, l: Value, r: Value, it: Interpreter, at: { l: number; c: number }): Value {
  if (l === null || r === null) it.npe(at);
  if (l instanceof ApexDate && typeof r === 'number' && (op === '+' || op === '-')) return l.addDays(op === '+' ? r : -r);
  if (l instanceof ApexDatetime && (typeof r === 'number' || r instanceof Dec) && (op === '+' || op === '-')) {
    const days = typeof r === 'number' ? r : r.toNumber();
    return new ApexDatetime(l.ms + (op === '+' ? 1 : -1) * days * 86400000);
  }
  const rk = Math.max(rank(l), rank(r));
  if (rank(l) === 0 || rank(r) === 0) return it.refuse(`Arithmetic expressions must use numeric arguments`, at);
  if (rk === 1) {
    const a = l as number;
    const b = r as number;
    switch (op) {
      case '+':
        return (a + b) | 0;
      case '-':
        return (a - b) | 0;
      case '*':
        return Math.imul(a, b);
      case '/':
        if (b === 0) it.throwEx('MathException', 'Divide by 0', at);
        return (a / b) | 0;
    }
  }
  if (rk === 2) {
    const a = BigInt(l as number | bigint);
    const b = BigInt(r as number | bigint);
    switch (op) {
      case '+':
        return BigInt.asIntN(64, a + b);
      case '-':
        return BigInt.asIntN(64, a - b);
      case '*':
        return BigInt.asIntN(64, a * b);
      case '/':
        if (b === 0n) it.throwEx('MathException', 'Divide by 0', at);
        return BigInt.asIntN(64, a / b);
    }
  }
  if (rk === 3) {
    const a = toNum(l);
    const b = toNum(r);
    switch (op) {
      case '+':
        return new Dbl(a + b);
      case '-':
        return new Dbl(a - b);
      case '*':
        return new Dbl(a * b);
      case '/':
        if (b === 0) it.throwEx('MathException', 'Divide by 0', at);
        return new Dbl(a / b);
    }
  }
  const a = toDec(l);
  const b = toDec(r);
  switch (op) {
    case '+':
      return a.add(b);
    case '-':
      return a.sub(b);
    case '*':
      return a.mul(b);
    case '/':
      if (b.u === 0n) it.throwEx('MathException', 'Divide by 0', at);
      return a.div(b);
  }
  return it.refuse(`Unsupported operator ${op}`, at);
}

function toNum(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Dbl) return v.v;
  return (v as Dec).toNumber();
}

function toDec(v: Value): Dec {
  if (v instanceof Dec) return v;
  if (v instanceof Dbl) return Dec.of(v.v);
  return Dec.of(v as number | bigint);
}

export function compareValues(l: Value, r: Value, it: Interpreter, at: { l: number; c: number }): number | null {
  if (l === null || r === null) {
    const isText = typeof l === 'string' || typeof r === 'string' || l instanceof ApexId || r instanceof ApexId;
    if (!isText) return null;
    if (l === null && r === null) return 0;
    return l === null ? -1 : 1;
  }
  if ((typeof l === 'string' || l instanceof ApexId) && (typeof r === 'string' || r instanceof ApexId)) {
    const a = (l instanceof ApexId ? l.v : l).toLowerCase();
    const b = (r instanceof ApexId ? r.v : r).toLowerCase();
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (l instanceof ApexDate && r instanceof ApexDate) return Math.sign(l.days - r.days);
  if (l instanceof ApexDatetime && r instanceof ApexDatetime) return Math.sign(l.ms - r.ms);
  if (rank(l) && rank(r)) {
    if (l instanceof Dbl || r instanceof Dbl) return Math.sign(toNum(l) - toNum(r));
    return toDec(l).cmp(toDec(r));
  }
  return it.refuse(`Comparison arguments must be compatible types: ${runtimeTypeName(l)}, ${runtimeTypeName(r)}`, at);
}

export function binary(op: string, l: Value, r: Value, it: Interpreter, at: { l: number; c: number }): Value {
  switch (op) {
    case '+':
      if (typeof l === 'string' || typeof r === 'string') return toApexString(l) + toApexString(r);
      if (l instanceof ApexId || r instanceof ApexId) return toApexString(l) + toApexString(r);
      return arith('+', l, r, it, at);
    case '-':
    case '*':
    case '/':
      return arith(op, l, r, it, at);
    case '==':
      return apexEquals(l, r);
    case '!=':
    case '<>':
      return !apexEquals(l, r);
    case '===':
      return exactEquals(l, r);
    case '!==':
      return !exactEquals(l, r);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      const c = compareValues(l, r, it, at);
      if (c === null) return false;
      return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
    }
    default:
      return it.refuse(`Unsupported operator ${op}`, at);
  }
}

function exactEquals(l: Value, r: Value): boolean {
  if (l === null || r === null) return l === r;
  if (typeof l === 'object' && !(l instanceof ApexId) && !(l instanceof Dec) && !(l instanceof Dbl) && !(l instanceof ApexDate) && !(l instanceof ApexDatetime)) return l === r;
  return apexEquals(l, r) && (typeof l !== 'string' || l === r);
}
