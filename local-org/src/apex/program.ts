/**
 * The deployed Apex program: every stored ApexClass parsed to the AST (parse.ts, cached) and
 * indexed as ClassInfo, plus the built-in classes the subset knows (Exception and the System
 * exceptions, RestRequest/RestResponse). Rebuilt when the set of deployed class bodies changes.
 */
import { createHash } from 'node:crypto';
import { storedComponents } from '../metadata/apply.ts';
import type { OrgContext } from '../org/context.ts';
import type { ClassDecl, FieldDecl, MethodDecl, TypeRef } from './ast.ts';
import { parseApex } from './parse.ts';
import type { ClassLike } from './values.ts';

export interface ClassInfo extends ClassLike {
  decl: ClassDecl | null;
  outer?: ClassInfo;
  inner: Map<string, ClassInfo>;
  /** Instance fields in declaration order (lower-case name → decl). */
  fields: Map<string, FieldDecl>;
  staticFields: Map<string, FieldDecl>;
  methods: Map<string, MethodDecl[]>;
  superRef?: TypeRef;
  superClass?: ClassInfo;
  sharing: ClassDecl['sharing'];
  apiVersion: number;
  fileName: string;
  isTest: boolean;
  /** Coverable lines of the top-level class file. */
  lines: number[];
  /** The top-level class this one is declared in (itself for a top-level class). */
  top: ClassInfo;
}

export const SYSTEM_EXCEPTIONS = [
  'NullPointerException',
  'QueryException',
  'DmlException',
  'ListException',
  'MathException',
  'StringException',
  'TypeException',
  'SObjectException',
  'LimitException',
  'JSONException',
  'IllegalArgumentException',
  'AssertException',
  'CalloutException',
  'SecurityException',
  'FinalException',
  'NoAccessException',
  'InvalidParameterValueException',
  'UnexpectedException',
  'SerializationException',
  'NoSuchElementException',
  'RequiredFeatureMissingException',
  'HandledException',
];

export class Program {
  readonly classes = new Map<string, ClassInfo>();
  readonly builtins = new Map<string, ClassInfo>();

  constructor(sources: { name: string; body: string; xml?: string }[]) {
    const exception = builtinClass('Exception', 'Exception', undefined, true);
    this.builtins.set('exception', exception);
    for (const n of SYSTEM_EXCEPTIONS) this.builtins.set(n.toLowerCase(), builtinClass(n, `System.${n}`, exception, true));
    for (const n of ['RestRequest', 'RestResponse']) this.builtins.set(n.toLowerCase(), builtinClass(n, n, undefined, false));
    for (const s of sources) {
      const unit = parseApex(s.body, 'class', `${s.name}.cls`);
      if (!unit.cls) continue;
      const api = Number(/<apiVersion>\s*([\d.]+)\s*<\/apiVersion>/.exec(s.xml ?? '')?.[1] ?? '66.0');
      const info = this.index(unit.cls, undefined, api, `${s.name}.cls`, unit.lines);
      this.classes.set(info.name.toLowerCase(), info);
    }
    for (const c of this.allClasses()) {
      if (c.superRef) {
        const sup = this.resolveClass(c.superRef.name, c);
        if (!sup) throw new Error(`Invalid type: ${c.superRef.name}`);
        c.superClass = sup;
      }
    }
    for (const c of this.allClasses()) c.isException = isExceptionClass(c);
  }

  *allClasses(): Iterable<ClassInfo> {
    const walk = function* (c: ClassInfo): Iterable<ClassInfo> {
      yield c;
      for (const i of c.inner.values()) yield* walk(i);
    };
    for (const c of this.classes.values()) yield* walk(c);
  }

  index(decl: ClassDecl, outer: ClassInfo | undefined, apiVersion: number, fileName: string, lines: number[]): ClassInfo {
    const info: ClassInfo = {
      name: decl.name,
      qualifiedName: outer ? `${outer.name}.${decl.name}` : decl.name,
      decl,
      outer,
      inner: new Map(),
      fields: new Map(),
      staticFields: new Map(),
      methods: new Map(),
      superRef: decl.extends,
      sharing: decl.sharing,
      apiVersion,
      fileName,
      isTest: decl.annotations.some((a) => a.name === 'istest') || Boolean(outer?.isTest),
      interfaces: decl.implements.map((t) => t.name.toLowerCase()),
      isException: false,
      lines,
      top: undefined as unknown as ClassInfo,
    };
    info.top = outer ? outer.top : info;
    for (const f of decl.fields) (f.isStatic ? info.staticFields : info.fields).set(f.name.toLowerCase(), f);
    for (const m of decl.methods) {
      const key = m.name.toLowerCase();
      const list = info.methods.get(key) ?? [];
      list.push(m);
      info.methods.set(key, list);
    }
    for (const i of decl.inner) info.inner.set(i.name.toLowerCase(), this.index(i, info, apiVersion, fileName, lines));
    return info;
  }

  /** A class by (possibly dotted) name as seen from `from`: inner classes first, then top-level, then built-ins. */
  resolveClass(name: string, from?: ClassInfo): ClassInfo | undefined {
    const parts = name.toLowerCase().replace(/^system\./, '').split('.');
    if (parts.length === 1) {
      for (let c = from; c; c = c.outer) {
        const hit = c.inner.get(parts[0]!) ?? (c.name.toLowerCase() === parts[0] ? c : undefined);
        if (hit) return hit;
        for (let s = c.superClass; s; s = s.superClass) {
          const inherited = s.inner.get(parts[0]!);
          if (inherited) return inherited;
        }
      }
      return this.classes.get(parts[0]!) ?? this.builtins.get(parts[0]!);
    }
    let c = this.classes.get(parts[0]!);
    for (const p of parts.slice(1)) c = c?.inner.get(p);
    return c;
  }
}

function builtinClass(name: string, qualifiedName: string, superClass: ClassInfo | undefined, isException: boolean): ClassInfo {
  const info: ClassInfo = {
    name,
    qualifiedName,
    decl: null,
    inner: new Map(),
    fields: new Map(),
    staticFields: new Map(),
    methods: new Map(),
    superClass,
    sharing: null,
    apiVersion: 66,
    fileName: '',
    isTest: false,
    interfaces: [],
    isException,
    lines: [],
    top: undefined as unknown as ClassInfo,
  };
  info.top = info;
  return info;
}

function isExceptionClass(c: ClassInfo): boolean {
  for (let s: ClassInfo | undefined = c; s; s = s.superClass) if (s.decl === null && s.isException) return true;
  return false;
}

export function isSubclassOf(c: ClassLike, ancestor: ClassLike): boolean {
  for (let s: ClassLike | undefined = c; s; s = s.superClass) if (s === ancestor) return true;
  return false;
}

const programs = new WeakMap<OrgContext, { key: string; program: Program }>();

/** The org's deployed Apex program (re-indexed when class bodies change). */
export function programFor(org: OrgContext): Program {
  const components = storedComponents(org.db, 'ApexClass').filter((c) => c.body);
  const key = createHash('sha256')
    .update(components.map((c) => `${c.fullName}\0${c.body}\0${c.xml}`).join('\u0001'))
    .digest('hex');
  const hit = programs.get(org);
  if (hit && hit.key === key) return hit.program;
  const program = new Program(components.map((c) => ({ name: c.fullName, body: c.body!, xml: c.xml })));
  programs.set(org, { key, program });
  return program;
}
