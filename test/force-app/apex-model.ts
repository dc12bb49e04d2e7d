/**
 * A small structural model of the force-app Apex classes, built with @apexdevtools/apex-parser
 * (pure JavaScript, no org and no Java). The checks read modifiers, annotations, inner classes,
 * SOQL and DML from it instead of matching text, so comments and string literals cannot fool them.
 */
import { basename } from 'node:path';
import {
  ApexErrorListener,
  ApexParserBaseListener,
  ApexParserFactory,
  ApexParseTreeWalker,
  type AnnotationContext,
  type ClassDeclarationContext,
  type DeleteStatementContext,
  type DotExpressionContext,
  type InsertStatementContext,
  type MergeStatementContext,
  type ModifierContext,
  type RunAsStatementContext,
  type SoqlLiteralContext,
  type UndeleteStatementContext,
  type UpdateStatementContext,
  type UpsertStatementContext,
} from '@apexdevtools/apex-parser';
import { metadataFiles, readText } from './support.ts';

export interface ApexAnnotation {
  /** Lower-cased annotation name, e.g. `invocablemethod`. */
  name: string;
  /** Lower-cased parameter name → raw value text (string literals keep their quotes). */
  params: Map<string, string>;
}

export interface ApexMember {
  name: string;
  /** Lower-cased keyword modifiers, e.g. `global`, `static`. */
  modifiers: string[];
  annotations: ApexAnnotation[];
  /** Declared type (fields) or return type (methods), as written. */
  type: string;
  /** Parameter types of a method, as written. */
  parameterTypes: string[];
}

export interface ApexClassModel {
  name: string;
  /** Lower-cased keyword modifiers; sharing appears as `with sharing`, `without sharing`, `inherited sharing`. */
  modifiers: string[];
  annotations: ApexAnnotation[];
  extendsType?: string;
  methods: ApexMember[];
  fields: ApexMember[];
  innerClasses: ApexClassModel[];
}

export interface DmlUse {
  kind: string;
  /** `user`, `system` or undefined when the statement has no access level. */
  accessLevel?: string;
  line: number;
}

export interface ApexFile {
  file: string;
  name: string;
  source: string;
  syntaxErrors: string[];
  /** Undefined only when the file has no class (or did not parse). */
  model?: ApexClassModel;
  soql: { text: string; line: number }[];
  dml: DmlUse[];
  /** `Database.query(...)`-style calls that take a query string. */
  dynamicQueries: { call: string; line: number }[];
  runAsCount: number;
}

function hasAnnotation(annotations: ApexAnnotation[], name: string): boolean {
  return annotations.some((a) => a.name === name.toLowerCase());
}

export function annotation(annotations: ApexAnnotation[], name: string): ApexAnnotation | undefined {
  return annotations.find((a) => a.name === name.toLowerCase());
}

export function isTestClass(model: ApexClassModel): boolean {
  return hasAnnotation(model.annotations, 'istest');
}

export function hasInvocableMethod(model: ApexClassModel): boolean {
  return model.methods.some((m) => hasAnnotation(m.annotations, 'invocablemethod'));
}

export function isRestResource(model: ApexClassModel): boolean {
  return hasAnnotation(model.annotations, 'restresource');
}

function readAnnotation(ctx: AnnotationContext): ApexAnnotation {
  const params = new Map<string, string>();
  const pairs = ctx.elementValuePairs();
  if (pairs) {
    for (const pair of pairs.elementValuePair_list()) {
      params.set(pair.id().getText().toLowerCase(), pair.elementValue().getText());
    }
  } else if (ctx.elementValue()) {
    params.set('value', ctx.elementValue().getText());
  }
  return { name: ctx.id().getText().toLowerCase(), params };
}

function readModifiers(modifiers: ModifierContext[]): { modifiers: string[]; annotations: ApexAnnotation[] } {
  const keywords: string[] = [];
  const annotations: ApexAnnotation[] = [];
  for (const m of modifiers) {
    const a = m.annotation();
    if (a) {
      annotations.push(readAnnotation(a));
      continue;
    }
    // Multi-word modifiers ("with sharing") come back as separate terminals; join them with a space.
    const words: string[] = [];
    for (let i = 0; i < m.getChildCount(); i++) words.push(m.getChild(i).getText().toLowerCase());
    keywords.push(words.join(' '));
  }
  return { modifiers: keywords, annotations };
}

function readClass(ctx: ClassDeclarationContext, modifiers: ModifierContext[]): ApexClassModel {
  const head = readModifiers(modifiers);
  const model: ApexClassModel = {
    name: ctx.id().getText(),
    modifiers: head.modifiers,
    annotations: head.annotations,
    extendsType: ctx.EXTENDS() ? ctx.typeRef().getText() : undefined,
    methods: [],
    fields: [],
    innerClasses: [],
  };
  for (const decl of ctx.classBody().classBodyDeclaration_list()) {
    const member = decl.memberDeclaration();
    if (!member) continue;
    const mods = readModifiers(decl.modifier_list());
    const method = member.methodDeclaration();
    const field = member.fieldDeclaration();
    const inner = member.classDeclaration();
    if (method) {
      const params = method.formalParameters().formalParameterList();
      model.methods.push({
        name: method.id().getText(),
        ...mods,
        type: method.VOID() ? 'void' : method.typeRef().getText(),
        parameterTypes: params ? params.formalParameter_list().map((p) => p.typeRef().getText()) : [],
      });
    } else if (field) {
      for (const declarator of field.variableDeclarators().variableDeclarator_list()) {
        model.fields.push({ name: declarator.id().getText(), ...mods, type: field.typeRef().getText(), parameterTypes: [] });
      }
    } else if (inner) {
      model.innerClasses.push(readClass(inner, decl.modifier_list()));
    }
  }
  return model;
}

class Collector extends ApexParserBaseListener {
  readonly soql: { text: string; line: number }[] = [];
  readonly dml: DmlUse[] = [];
  readonly dynamicQueries: { call: string; line: number }[] = [];
  runAsCount = 0;

  constructor(private readonly source: string) {
    super();
  }

  private dmlUse(kind: string, ctx: { accessLevel(): { USER(): unknown; SYSTEM(): unknown } | null; start: { line: number } }): void {
    const level = ctx.accessLevel();
    this.dml.push({ kind, accessLevel: level ? (level.USER() ? 'user' : 'system') : undefined, line: ctx.start.line });
  }

  enterSoqlLiteral(ctx: SoqlLiteralContext): void {
    const text = this.source.slice(ctx.start.start, ctx.stop!.stop + 1);
    this.soql.push({ text: text.replace(/^\[|\]$/g, '').replace(/\s+/g, ' ').trim(), line: ctx.start.line });
  }
  enterInsertStatement(ctx: InsertStatementContext): void {
    this.dmlUse('insert', ctx);
  }
  enterUpdateStatement(ctx: UpdateStatementContext): void {
    this.dmlUse('update', ctx);
  }
  enterDeleteStatement(ctx: DeleteStatementContext): void {
    this.dmlUse('delete', ctx);
  }
  enterUndeleteStatement(ctx: UndeleteStatementContext): void {
    this.dmlUse('undelete', ctx);
  }
  enterUpsertStatement(ctx: UpsertStatementContext): void {
    this.dmlUse('upsert', ctx);
  }
  enterMergeStatement(ctx: MergeStatementContext): void {
    this.dmlUse('merge', ctx);
  }
  enterRunAsStatement(_ctx: RunAsStatementContext): void {
    this.runAsCount++;
  }
  enterDotExpression(ctx: DotExpressionContext): void {
    const call = ctx.dotMethodCall();
    if (!call) return;
    const target = ctx.expression().getText().toLowerCase();
    const method = call.anyId().getText().toLowerCase();
    const name = `${target}.${method}`;
    const queryCalls = ['database.query', 'database.querywithbinds', 'database.countquery', 'database.countquerywithbinds', 'database.getquerylocator', 'database.getquerylocatorwithbinds', 'search.query', 'search.find'];
    if (queryCalls.includes(name)) this.dynamicQueries.push({ call: name, line: ctx.start.line });
    // Database.insert(...) and friends: recorded as DML; user mode shows up as an AccessLevel argument.
    const dmlCalls = ['insert', 'update', 'delete', 'undelete', 'upsert', 'merge'];
    if (target === 'database' && dmlCalls.includes(method)) {
      const args = call.expressionList()?.getText().toLowerCase() ?? '';
      this.dml.push({ kind: `Database.${method}`, accessLevel: args.includes('accesslevel.user_mode') ? 'user' : args.includes('accesslevel.system_mode') ? 'system' : undefined, line: ctx.start.line });
    }
  }
}

class ErrorCollector extends ApexErrorListener {
  readonly errors: string[] = [];
  override apexSyntaxError(line: number, column: number, message: string): void {
    this.errors.push(`${line}:${column} ${message}`);
  }
}

/** Parses one Apex source text. */
export function parseApex(file: string, source: string): ApexFile {
  const errors = new ErrorCollector();
  const { parser } = ApexParserFactory.createLexerAndParser(source, errors);
  const unit = parser.compilationUnit();
  const collector = new Collector(source);
  ApexParseTreeWalker.DEFAULT.walk(collector, unit);
  const type = unit.typeDeclaration();
  const cls = type?.classDeclaration();
  return {
    file,
    name: basename(file, '.cls'),
    source,
    syntaxErrors: errors.errors,
    model: cls && errors.errors.length === 0 ? readClass(cls, type.modifier_list()) : undefined,
    soql: collector.soql,
    dml: collector.dml,
    dynamicQueries: collector.dynamicQueries,
    runAsCount: collector.runAsCount,
  };
}

let cache: ApexFile[] | undefined;

/** Every class in force-app, parsed once per test run. */
export function apexClasses(): ApexFile[] {
  cache ??= metadataFiles('classes', '.cls').map((file) => parseApex(file, readText(file)));
  return cache;
}

export function apexClass(name: string): ApexFile | undefined {
  return apexClasses().find((c) => c.name === name);
}

/** The string value of an annotation parameter, without its quotes ('' when absent or not a string). */
export function annotationString(a: ApexAnnotation | undefined, param: string): string {
  const raw = a?.params.get(param.toLowerCase());
  if (!raw || !raw.startsWith("'")) return '';
  return raw.slice(1, -1).replace(/\\'/g, "'");
}
