/**
 * Describes an Apex invocable action from the deployed class source: finds the one
 * `@InvocableMethod` of the outer class, its `List<T>` parameter and `List<R>` return type, and the
 * `@InvocableVariable` member variables of T and R, by walking the parse tree of
 * @apexdevtools/apex-parser (never by pattern-matching the source text).
 *
 * Apex types map to the action parameter types of the describe (STRING, ID, INTEGER, …); a
 * `List<…>` member is a collection (maxOccurs 2000); an sObject type is SOBJECT with sobjectType.
 */
import {
  ApexErrorListener,
  ApexParserFactory,
  type AnnotationContext,
  type ClassBodyDeclarationContext,
  type ClassDeclarationContext,
  type LiteralContext,
  type ModifierContext,
  type TypeRefContext,
} from '@apexdevtools/apex-parser';
import { ApexSourceCache, unescapeApexString } from '../apex/source-cache.ts';
import type { SchemaRegistry } from '../schema/types.ts';

export interface ApexParameter {
  name: string;
  label: string;
  description: string | null;
  required: boolean;
  defaultValue: string | null;
  placeholderText: string | null;
  /** Upper-case action parameter type: STRING, ID, INTEGER, LONG, DOUBLE, DATE, DATETIME, TIME, BOOLEAN, BLOB, SOBJECT, APEX. */
  type: string;
  /** The Apex type as written (`List<Id>`, `Decimal`, `Account`). */
  apexType: string;
  /** Set for sObject-typed parameters. */
  sobjectType: string | null;
  /** Set for Apex-defined types (`Outer.Inner`). */
  apexClass: string | null;
  collection: boolean;
}

export interface ApexInvocable {
  className: string;
  methodName: string;
  label: string;
  description: string | null;
  category: string | null;
  callout: boolean;
  iconName: string | null;
  inputs: ApexParameter[];
  outputs: ApexParameter[];
  /** Whether the method is global (Hosted MCP only registers global actions). */
  isGlobal: boolean;
}

export class ApexDescribeError extends Error {}

class CollectingErrors extends ApexErrorListener {
  readonly errors: string[] = [];
  apexSyntaxError(line: number, column: number, message: string): void {
    this.errors.push(`${line}:${column} ${message}`);
  }
}

const PRIMITIVES: Record<string, string> = {
  string: 'STRING',
  id: 'ID',
  integer: 'INTEGER',
  long: 'LONG',
  decimal: 'DOUBLE',
  double: 'DOUBLE',
  date: 'DATE',
  datetime: 'DATETIME',
  time: 'TIME',
  boolean: 'BOOLEAN',
  blob: 'BLOB',
  object: 'ANYTYPE',
};

/**
 * What the parse tree says, before types are mapped with the org's schema (an sObject type and an
 * Apex class look alike in source): cached by content hash in memory and on disk, because the
 * parser's first parse in a process costs seconds.
 */
interface RawType {
  /** Qualified name parts of the (element) type: ['Id'], ['Account'], ['Outer', 'Inner']. */
  name: string[];
  collection: boolean;
  /** As written, e.g. `List<Id>`. */
  text: string;
}

type RawParameter = Omit<ApexParameter, 'type' | 'sobjectType' | 'apexClass' | 'collection' | 'apexType'> & { rawType: RawType };

type RawInvocable = Omit<ApexInvocable, 'inputs' | 'outputs'> & { inputs: RawParameter[]; outputs: RawParameter[] };

type Parsed = { invocable: RawInvocable | null } | { error: string };

const cache = new ApexSourceCache<Parsed>('invocable', 'apex-parser-5.2.0/invocable-1');

/**
 * The invocable action of a class, or null when the class has no `@InvocableMethod`. Throws
 * ApexDescribeError for source the parser rejects or an invocable method that breaks the rules.
 * `schema` tells sObject types from Apex classes.
 */
export function describeApexClass(source: string, schema?: SchemaRegistry): ApexInvocable | null {
  const parsed = cache.get(source, (): Parsed => {
    try {
      return { invocable: parseInvocable(source) };
    } catch (e) {
      if (!(e instanceof ApexDescribeError)) throw e;
      return { error: e.message };
    }
  });
  if ('error' in parsed) throw new ApexDescribeError(parsed.error);
  const raw = parsed.invocable;
  if (!raw) return null;
  const map = (p: RawParameter): ApexParameter => {
    const { rawType, ...rest } = p;
    return { ...rest, apexType: rawType.text, collection: rawType.collection, ...mapType(rawType.name, schema) };
  };
  return { ...raw, inputs: raw.inputs.map(map), outputs: raw.outputs.map(map) };
}

function parseInvocable(source: string): RawInvocable | null {
  const errors = new CollectingErrors();
  const { parser } = ApexParserFactory.createLexerAndParser(source, errors);
  const unit = parser.compilationUnit();
  if (errors.errors.length > 0) throw new ApexDescribeError(`The Apex class does not compile: ${errors.errors[0]}`);
  const outer = unit.typeDeclaration()?.classDeclaration();
  if (!outer) return null;
  const className = outer.id().getText();

  let found: { decl: ClassBodyDeclarationContext; annotation: AnnotationContext } | undefined;
  for (const decl of outer.classBody().classBodyDeclaration_list()) {
    const annotation = findAnnotation(decl.modifier_list(), 'InvocableMethod');
    if (!annotation) continue;
    if (found) throw new ApexDescribeError(`${className} has more than one @InvocableMethod; only one is allowed per class.`);
    found = { decl, annotation };
  }
  if (!found) return null;
  const method = found.decl.memberDeclaration()?.methodDeclaration();
  if (!method) throw new ApexDescribeError(`@InvocableMethod in ${className} must annotate a method.`);
  const methodName = method.id().getText();
  const mods = modifierWords(found.decl.modifier_list());
  if (!mods.has('static')) throw new ApexDescribeError(`${className}.${methodName}: an @InvocableMethod must be static.`);
  if (!mods.has('global') && !mods.has('public')) throw new ApexDescribeError(`${className}.${methodName}: an @InvocableMethod must be public or global.`);
  const params = method.formalParameters().formalParameterList()?.formalParameter_list() ?? [];
  if (params.length > 1) throw new ApexDescribeError(`${className}.${methodName}: an @InvocableMethod takes at most one parameter.`);
  const attrs = annotationValues(found.annotation);

  const innerClasses = new Map<string, ClassDeclarationContext>();
  for (const decl of outer.classBody().classBodyDeclaration_list()) {
    const inner = decl.memberDeclaration()?.classDeclaration();
    if (inner) innerClasses.set(inner.id().getText().toLowerCase(), inner);
  }

  const side = (typeRef: TypeRefContext | null | undefined, paramName: string, isInput: boolean): RawParameter[] => {
    if (!typeRef) return [];
    const element = listElement(typeRef);
    if (!element) throw new ApexDescribeError(`${className}.${methodName}: the ${isInput ? 'parameter' : 'return type'} must be a List.`);
    const names = element.typeName_list().map((t) => t.id()?.getText() ?? t.getText());
    // `Outer.Inner` or `Inner` for a class declared inside this one.
    const simple = names.length === 2 && names[0]!.toLowerCase() === className.toLowerCase() ? names[1]! : names.length === 1 ? names[0]! : '';
    const inner = innerClasses.get(simple.toLowerCase());
    if (inner) return invocableVariables(className, inner, isInput);
    // A list of primitives or sObjects: one parameter for the whole value.
    return [{ name: paramName, label: paramName, description: null, required: false, defaultValue: null, placeholderText: null, rawType: rawType(element) }];
  };

  return {
    className,
    methodName,
    label: attrs.label ?? className,
    description: attrs.description ?? null,
    category: attrs.category ?? null,
    callout: attrs.callout === 'true',
    iconName: attrs.iconName ?? null,
    inputs: params[0] ? side(params[0].typeRef(), params[0].id().getText(), true) : [],
    // UNCONFIRMED: the output name the platform gives a List<primitive> return value.
    outputs: method.VOID() ? [] : side(method.typeRef(), 'output', false),
    isGlobal: mods.has('global'),
  };
}

function invocableVariables(outerName: string, cls: ClassDeclarationContext, isInput: boolean): RawParameter[] {
  const out: RawParameter[] = [];
  for (const decl of cls.classBody().classBodyDeclaration_list()) {
    const annotation = findAnnotation(decl.modifier_list(), 'InvocableVariable');
    if (!annotation) continue;
    const field = decl.memberDeclaration()?.fieldDeclaration();
    const where = `${outerName}.${cls.id().getText()}`;
    if (!field) throw new ApexDescribeError(`${where}: @InvocableVariable must annotate a member variable (not a property or method).`);
    const mods = modifierWords(decl.modifier_list());
    for (const bad of ['static', 'final', 'private', 'protected']) {
      if (mods.has(bad)) throw new ApexDescribeError(`${where}: an @InvocableVariable can't be ${bad}.`);
    }
    const attrs = annotationValues(annotation);
    const type = rawType(field.typeRef());
    for (const v of field.variableDeclarators().variableDeclarator_list()) {
      const name = v.id().getText();
      out.push({
        name,
        label: attrs.label ?? name,
        description: attrs.description ?? null,
        // `required` is ignored on outputs, as on the platform.
        required: isInput && attrs.required === 'true',
        defaultValue: isInput ? attrs.defaultValue ?? null : null,
        placeholderText: isInput ? attrs.placeholderText ?? null : null,
        rawType: type,
      });
    }
  }
  return out;
}

function modifierWords(mods: ModifierContext[]): Set<string> {
  return new Set(mods.filter((m) => !m.annotation()).map((m) => m.getText().toLowerCase()));
}

function findAnnotation(mods: ModifierContext[], name: string): AnnotationContext | undefined {
  for (const m of mods) {
    const a = m.annotation();
    if (a && a.id().getText().toLowerCase() === name.toLowerCase()) return a;
  }
  return undefined;
}

/** `label='X' required=true` → { label: 'X', required: 'true' } (known keys in their documented casing). */
function annotationValues(a: AnnotationContext): Record<string, string> {
  const known = ['label', 'description', 'category', 'callout', 'iconName', 'required', 'defaultValue', 'placeholderText', 'configurationEditor', 'capabilityType'];
  const out: Record<string, string> = {};
  for (const pair of a.elementValuePairs()?.elementValuePair_list() ?? []) {
    const raw = pair.id().getText();
    const key = known.find((k) => k.toLowerCase() === raw.toLowerCase()) ?? raw;
    const literal = pair.elementValue().literal();
    out[key] = literal ? literalValue(literal) : pair.elementValue().getText();
  }
  return out;
}

function literalValue(l: LiteralContext): string {
  const s = l.StringLiteral();
  if (s) return unescapeApexString(s.getText());
  const b = l.BooleanLiteral();
  if (b) return b.getText().toLowerCase();
  return l.getText();
}

/** The element type of `List<T>` (or `T[]`), or undefined when the type is not a list. */
function listElement(typeRef: TypeRefContext): TypeRefContext | undefined {
  const names = typeRef.typeName_list();
  if (typeRef.arraySubscripts()?.LBRACK_list().length) {
    // `T[]`: the element is the type without the subscript; describe it by name below.
    return typeRef;
  }
  if (names.length !== 1) return undefined;
  const first = names[0]!;
  if (!first.LIST()) return undefined;
  return first.typeArguments()?.typeList().typeRef_list()[0];
}

/** The structured type of a member or parameter: a `List<T>` or `T[]` is a collection of T. */
function rawType(typeRef: TypeRefContext): RawType {
  const text = typeRef.getText();
  const isArray = Boolean(typeRef.arraySubscripts()?.LBRACK_list().length);
  const element = isArray ? undefined : listElement(typeRef);
  const target = element ?? typeRef;
  const name = target.typeName_list().map((t) => t.id()?.getText() ?? t.getText());
  return { name, collection: isArray || Boolean(element), text };
}

function mapType(name: string[], schema?: SchemaRegistry): Pick<ApexParameter, 'type' | 'sobjectType' | 'apexClass'> {
  const primitive = name.length === 1 ? PRIMITIVES[name[0]!.toLowerCase()] : undefined;
  if (primitive) return { type: primitive, sobjectType: null, apexClass: null };
  if (name.length === 1 && name[0]!.toLowerCase() === 'sobject') return { type: 'SOBJECT', sobjectType: null, apexClass: null };
  const o = name.length === 1 && schema ? schema.get(name[0]!) : undefined;
  if (o) return { type: 'SOBJECT', sobjectType: o.name, apexClass: null };
  // An Apex-defined type (UNCONFIRMED: the type name the platform reports for these).
  return { type: 'APEX', sobjectType: null, apexClass: name.join('.') };
}
