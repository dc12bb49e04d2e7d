/**
 * Apex source → the interpreter's AST (ast.ts), through @apexdevtools/apex-parser. Syntax errors
 * and constructs outside the supported subset become ApexCompileError with the line and column of
 * the construct (never a silently wrong run). Results are cached by content hash in memory and on
 * disk (like metadata/apex-check.ts), because the ANTLR parser's first parse in a process is slow.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { ApexErrorListener, ApexParserFactory } from '@apexdevtools/apex-parser';
import { ApexSourceCache, apexSyntaxMessage, unescapeApexString } from './source-cache.ts';
import { ApexCompileError, type Annotation, type Block, type ClassDecl, type CompilationUnit, type Expr, type Stmt, type TypeRef, type When } from './ast.ts';

type Ctx = any;

type Parsed = CompilationUnit | { error: { problem: string; line: number; column: number } };
const cache = new ApexSourceCache<Parsed>('ast', 'apex-ast-6');

class Errors extends ApexErrorListener {
  first?: { line: number; column: number; message: string };
  override apexSyntaxError(line: number, column: number, message: string): void {
    this.first ??= { line, column: column + 1, message };
  }
}

/** Parses a class (`kind: 'class'`) or anonymous Apex; throws ApexCompileError. */
export function parseApex(source: string, kind: 'class' | 'anonymous', fileName?: string): CompilationUnit {
  const hit = cache.get(`${kind}\0${source}`, (): Parsed => {
    try {
      return convertSource(source, kind);
    } catch (e) {
      if (!(e instanceof ApexCompileError)) throw e;
      return { error: { problem: e.problem, line: e.line, column: e.column } };
    }
  });
  if ('error' in hit) throw new ApexCompileError(hit.error.problem, hit.error.line, hit.error.column, fileName);
  return hit;
}

function convertSource(source: string, kind: 'class' | 'anonymous'): CompilationUnit {
  const errors = new Errors();
  const { parser } = ApexParserFactory.createLexerAndParser(source, errors);
  const tree: Ctx = kind === 'class' ? parser.compilationUnit() : parser.anonymousUnit();
  if (errors.first) throw new ApexCompileError(apexSyntaxMessage(errors.first.message), errors.first.line, errors.first.column);
  const conv = new Converter(source);
  if (kind === 'class') {
    const cls = conv.typeDeclaration(tree.typeDeclaration());
    return { cls, lines: [...conv.lines].sort((a, b) => a - b) };
  }
  const members: ClassDecl = emptyClass('__Anonymous', 1, 1);
  const body: Stmt[] = [];
  for (const m of tree.anonymousBlock().anonymousBlockMember_list()) {
    const stmt = m.statement();
    if (stmt) {
      body.push(conv.statement(stmt));
      continue;
    }
    const amd = m.anonymousMemberDeclaration();
    const field = amd?.fieldDeclaration();
    if (field) {
      // A top-level declaration of anonymous Apex is a local variable, in statement order.
      conv.lines.add(field.start.line);
      const type = conv.typeRef(field.typeRef());
      const decls = field.variableDeclarators().variableDeclarator_list().map((v: Ctx) => ({ name: v.id().getText(), init: v.expression() ? conv.expr(v.expression()) : undefined }));
      body.push({ k: 'local', l: field.start.line, c: field.start.column + 1, type, decls });
      continue;
    }
    conv.member(members, m.modifier_list(), amd, m);
  }
  return { anonymous: { members, body }, lines: [...conv.lines].sort((a, b) => a - b) };
}

function emptyClass(name: string, l: number, c: number): ClassDecl {
  return { kind: 'class', name, modifiers: [], annotations: [], sharing: null, implements: [], fields: [], methods: [], ctors: [], inner: [], staticInit: [], instanceInit: [], l, c };
}

function pos(ctx: Ctx): { l: number; c: number } {
  return { l: ctx.start.line, c: ctx.start.column + 1 };
}

function refuse(ctx: Ctx, what: string): never {
  throw new ApexCompileError(`Unsupported Apex construct: ${what} (the local org's Apex runtime does not support it)`, ctx.start.line, ctx.start.column + 1);
}

class Converter {
  readonly lines = new Set<number>();
  constructor(private readonly source: string) {}

  typeDeclaration(td: Ctx): ClassDecl {
    const mods = td.modifier_list();
    if (td.classDeclaration()) return this.classDecl(td.classDeclaration(), mods);
    if (td.interfaceDeclaration()) return this.interfaceDecl(td.interfaceDeclaration(), mods);
    if (td.enumDeclaration()) return this.enumDecl(td.enumDeclaration(), mods);
    return refuse(td, 'this type declaration');
  }

  modifiers(mods: Ctx[]): { words: string[]; annotations: Annotation[]; sharing: ClassDecl['sharing'] } {
    const words: string[] = [];
    const annotations: Annotation[] = [];
    let sharing: ClassDecl['sharing'] = null;
    for (const m of mods) {
      const a = m.annotation();
      if (a) {
        const values: Record<string, string> = {};
        for (const pair of a.elementValuePairs()?.elementValuePair_list() ?? []) {
          const lit = pair.elementValue().literal();
          const s = lit?.StringLiteral();
          values[pair.id().getText().toLowerCase()] = s ? unescapeApexString(s.getText()) : pair.elementValue().getText();
        }
        annotations.push({ name: a.qualifiedName ? a.qualifiedName().getText().toLowerCase() : a.id().getText().toLowerCase(), values });
        continue;
      }
      const text = m.getText().toLowerCase();
      if (text === 'withsharing') sharing = 'with';
      else if (text === 'withoutsharing') sharing = 'without';
      else if (text === 'inheritedsharing') sharing = 'inherited';
      else words.push(text);
    }
    return { words, annotations, sharing };
  }

  classDecl(cd: Ctx, mods: Ctx[]): ClassDecl {
    const m = this.modifiers(mods);
    const cls = emptyClass(cd.id().getText(), cd.start.line, cd.start.column + 1);
    cls.modifiers = m.words;
    cls.annotations = m.annotations;
    cls.sharing = m.sharing;
    if (cd.typeRef()) cls.extends = this.typeRef(cd.typeRef());
    if (cd.typeList()) cls.implements = cd.typeList().typeRef_list().map((t: Ctx) => this.typeRef(t));
    for (const d of cd.classBody().classBodyDeclaration_list()) {
      if (d.SEMI() && !d.memberDeclaration() && !d.block()) continue;
      if (d.block()) {
        (d.STATIC() ? cls.staticInit : cls.instanceInit).push(this.block(d.block()));
        continue;
      }
      this.member(cls, d.modifier_list(), d.memberDeclaration(), d);
    }
    return cls;
  }

  member(cls: ClassDecl, modCtxs: Ctx[], md: Ctx, at: Ctx): void {
    const m = this.modifiers(modCtxs);
    const isStatic = m.words.includes('static');
    if (md.methodDeclaration()) {
      const x = md.methodDeclaration();
      cls.methods.push({
        ...pos(x),
        name: x.id().getText(),
        params: this.params(x.formalParameters()),
        returnType: x.VOID() ? null : this.typeRef(x.typeRef()),
        body: x.block() ? this.block(x.block()) : null,
        isStatic,
        modifiers: m.words,
        annotations: m.annotations,
      });
    } else if (md.constructorDeclaration?.()) {
      const x = md.constructorDeclaration();
      cls.ctors.push({ ...pos(x), params: this.params(x.formalParameters()), body: this.block(x.block()), modifiers: m.words });
    } else if (md.fieldDeclaration()) {
      const x = md.fieldDeclaration();
      const type = this.typeRef(x.typeRef());
      for (const v of x.variableDeclarators().variableDeclarator_list()) {
        if (v.expression()) this.lines.add(v.start.line);
        cls.fields.push({
          ...pos(v),
          name: v.id().getText(),
          type,
          init: v.expression() ? this.expr(v.expression()) : undefined,
          isStatic,
          isFinal: m.words.includes('final'),
          annotations: m.annotations,
        });
      }
    } else if (md.propertyDeclaration()) {
      const x = md.propertyDeclaration();
      const field: ClassDecl['fields'][number] = { ...pos(x), name: x.id().getText(), type: this.typeRef(x.typeRef()), isStatic, isFinal: false, annotations: m.annotations };
      for (const pb of x.propertyBlock_list()) {
        if (pb.getter()) field.getter = pb.getter().block() ? this.block(pb.getter().block()) : 'auto';
        if (pb.setter()) field.setter = pb.setter().block() ? this.block(pb.setter().block()) : 'auto';
      }
      if (field.getter === 'auto' && (field.setter === 'auto' || field.setter === undefined)) {
        delete field.getter;
        delete field.setter;
      }
      cls.fields.push(field);
    } else if (md.classDeclaration()) {
      cls.inner.push(this.classDecl(md.classDeclaration(), modCtxs));
    } else if (md.interfaceDeclaration()) {
      cls.inner.push(this.interfaceDecl(md.interfaceDeclaration(), modCtxs));
    } else if (md.enumDeclaration()) {
      cls.inner.push(this.enumDecl(md.enumDeclaration(), modCtxs));
    } else refuse(at, 'this member declaration');
  }

  interfaceDecl(x: Ctx, mods: Ctx[]): ClassDecl {
    const m = this.modifiers(mods);
    const cls = emptyClass(x.id().getText(), x.start.line, x.start.column + 1);
    cls.kind = 'interface';
    cls.modifiers = m.words;
    cls.annotations = m.annotations;
    if (x.typeList()) cls.implements = x.typeList().typeRef_list().map((t: Ctx) => this.typeRef(t));
    for (const im of x.interfaceBody().interfaceMethodDeclaration_list()) {
      const mm = this.modifiers(im.modifier_list());
      cls.methods.push({
        ...pos(im),
        name: im.id().getText(),
        params: this.params(im.formalParameters()),
        returnType: im.VOID() ? null : this.typeRef(im.typeRef()),
        body: null,
        isStatic: false,
        modifiers: mm.words,
        annotations: mm.annotations,
      });
    }
    return cls;
  }

  enumDecl(x: Ctx, mods: Ctx[]): ClassDecl {
    const m = this.modifiers(mods);
    const cls = emptyClass(x.id().getText(), x.start.line, x.start.column + 1);
    cls.kind = 'enum';
    cls.modifiers = m.words;
    cls.enumValues = x.enumConstants() ? x.enumConstants().id_list().map((i: Ctx) => i.getText()) : [];
    return cls;
  }

  params(fp: Ctx): { name: string; type: TypeRef }[] {
    const list = fp.formalParameterList();
    if (!list) return [];
    return list.formalParameter_list().map((p: Ctx) => ({ name: p.id().getText(), type: this.typeRef(p.typeRef()) }));
  }

  typeRef(t: Ctx): TypeRef {
    const names = t.typeName_list();
    const parts: string[] = [];
    let args: TypeRef[] = [];
    for (const n of names) {
      if (n.LIST()) parts.push('List');
      else if (n.SET()) parts.push('Set');
      else if (n.MAP()) parts.push('Map');
      else parts.push(n.id().getText());
      if (n.typeArguments()) args = n.typeArguments().typeList().typeRef_list().map((x: Ctx) => this.typeRef(x));
    }
    const ref: TypeRef = { name: parts.join('.'), args };
    const subs = t.arraySubscripts()?.LBRACK_list().length ?? 0;
    if (subs > 1) refuse(t, 'multi-dimensional arrays');
    if (subs === 1) return { name: 'List', args: [ref] };
    return ref;
  }

  block(b: Ctx): Block {
    return { k: 'block', ...pos(b), body: b.statement_list().map((s: Ctx) => this.statement(s)) };
  }

  asBlock(s: Stmt): Block {
    return s.k === 'block' ? s : { k: 'block', l: s.l, c: s.c, body: [s] };
  }

  statement(s: Ctx): Stmt {
    const p = pos(s);
    const child = s.getChild(0);
    const name: string = child.constructor.name;
    if (name !== 'BlockContext' && name !== 'TryStatementContext') this.lines.add(p.l);
    switch (name) {
      case 'BlockContext':
        return this.block(child);
      case 'LocalVariableDeclarationStatementContext':
        return this.localDecl(child.localVariableDeclaration());
      case 'ExpressionStatementContext':
        return { k: 'expr', ...p, e: this.expr(child.expression()) };
      case 'IfStatementContext': {
        const stmts = child.statement_list();
        return { k: 'if', ...p, cond: this.expr(child.parExpression().expression()), then: this.statement(stmts[0]), else: stmts[1] ? this.statement(stmts[1]) : undefined };
      }
      case 'ForStatementContext': {
        const fc = child.forControl();
        const body: Stmt = child.statement() ? this.statement(child.statement()) : { k: 'block', ...p, body: [] };
        const efc = fc.enhancedForControl();
        if (efc) return { k: 'foreach', ...p, type: this.typeRef(efc.typeRef()), name: efc.id().getText(), iter: this.expr(efc.expression()), body };
        const init = fc.forInit();
        return {
          k: 'for',
          ...p,
          init: init?.localVariableDeclaration() ? this.localDecl(init.localVariableDeclaration()) : undefined,
          exprInit: init?.expressionList() ? init.expressionList().expression_list().map((e: Ctx) => this.expr(e)) : undefined,
          cond: fc.expression() ? this.expr(fc.expression()) : undefined,
          update: fc.forUpdate() ? fc.forUpdate().expressionList().expression_list().map((e: Ctx) => this.expr(e)) : [],
          body,
        };
      }
      case 'WhileStatementContext':
        return { k: 'while', ...p, cond: this.expr(child.parExpression().expression()), body: child.statement() ? this.statement(child.statement()) : { k: 'block', ...p, body: [] } };
      case 'DoWhileStatementContext':
        return { k: 'do', ...p, cond: this.expr(child.parExpression().expression()), body: this.block(child.block()) };
      case 'ReturnStatementContext':
        return { k: 'return', ...p, e: child.expression() ? this.expr(child.expression()) : undefined };
      case 'ThrowStatementContext':
        return { k: 'throw', ...p, e: this.expr(child.expression()) };
      case 'BreakStatementContext':
        return { k: 'break', ...p };
      case 'ContinueStatementContext':
        return { k: 'continue', ...p };
      case 'TryStatementContext':
        return {
          k: 'try',
          ...p,
          body: this.block(child.block()),
          catches: child.catchClause_list().map((c: Ctx) => ({ type: { name: c.qualifiedName().getText(), args: [] }, name: c.id().getText(), body: this.block(c.block()) })),
          fin: child.finallyBlock() ? this.block(child.finallyBlock().block()) : undefined,
        };
      case 'InsertStatementContext':
      case 'UpdateStatementContext':
      case 'DeleteStatementContext':
      case 'UndeleteStatementContext':
      case 'UpsertStatementContext': {
        const op = name.replace('StatementContext', '').toLowerCase() as 'insert' | 'update' | 'delete' | 'undelete' | 'upsert';
        if (op === 'undelete') refuse(child, 'undelete');
        const al = child.accessLevel();
        const access = al ? (al.USER() ? 'user' : 'system') : null;
        const extId = op === 'upsert' && child.qualifiedName() ? child.qualifiedName().getText() : undefined;
        return { k: 'dml', ...p, op, e: this.expr(child.expression()), access, extId };
      }
      case 'MergeStatementContext':
        return refuse(child, 'merge');
      case 'RunAsStatementContext':
        return { k: 'runAs', ...p, args: child.expressionList() ? child.expressionList().expression_list().map((e: Ctx) => this.expr(e)) : [], body: this.block(child.block()) };
      case 'SwitchStatementContext':
        return this.switchStmt(child);
      default:
        return refuse(s, `statement ${name.replace('Context', '')}`);
    }
  }

  switchStmt(x: Ctx): Stmt {
    const whens: When[] = [];
    for (const w of x.whenControl_list()) {
      const wv = w.whenValue();
      const body = this.block(w.block());
      if (wv.ELSE()) {
        whens.push({ isElse: true, body });
        continue;
      }
      if (wv.typeRef() && wv.id()) {
        whens.push({ typeWhen: { type: this.typeRef(wv.typeRef()), name: wv.id().getText() }, body });
        continue;
      }
      const values = wv.whenLiteral_list().map((wl: Ctx) => this.whenLiteral(wl));
      whens.push({ values, body });
    }
    return { k: 'switch', ...pos(x), e: this.expr(x.expression()), whens };
  }

  whenLiteral(wl: Ctx): Expr | { enumName: string } {
    const p = pos(wl);
    if (wl.whenLiteral()) return this.whenLiteral(wl.whenLiteral());
    if (wl.NULL()) return { k: 'lit', t: 'null', ...p };
    if (wl.StringLiteral()) return { k: 'lit', t: 'str', v: unescapeApexString(wl.StringLiteral().getText()), ...p };
    const neg = wl.SUB_list().length % 2 === 1;
    if (wl.IntegerLiteral()) {
      const v = Number(wl.IntegerLiteral().getText());
      return { k: 'lit', t: 'int', v: neg ? -v : v, ...p };
    }
    if (wl.LongLiteral()) {
      const t = wl.LongLiteral().getText().replace(/[lL]$/, '');
      return { k: 'lit', t: 'long', v: neg ? `-${t}` : t, ...p };
    }
    if (wl.qualifiedName()) {
      const parts = wl.qualifiedName().getText().split('.');
      return { enumName: parts[parts.length - 1]! };
    }
    return refuse(wl, 'this when value');
  }

  localDecl(x: Ctx): Stmt {
    const type = this.typeRef(x.typeRef());
    const decls = x.variableDeclarators().variableDeclarator_list().map((v: Ctx) => ({ name: v.id().getText(), init: v.expression() ? this.expr(v.expression()) : undefined }));
    return { k: 'local', ...pos(x), type, decls };
  }

  args(a: Ctx): Expr[] {
    if (!a) return [];
    const list = a.constructor.name === 'ArgumentsContext' ? a.expressionList() : a;
    if (!list) return [];
    return list.expression_list().map((e: Ctx) => this.expr(e));
  }

  expr(e: Ctx): Expr {
    const p = pos(e);
    const name: string = e.constructor.name;
    switch (name) {
      case 'PrimaryExpressionContext':
        return this.primary(e.primary());
      case 'SubExpressionContext':
        return this.expr(e.expression());
      case 'DotExpressionContext': {
        const safe = Boolean(e.QUESTIONDOT());
        const obj = this.expr(e.expression());
        const dm = e.dotMethodCall();
        if (dm) return { k: 'call', ...p, obj, name: dm.anyId().getText(), args: dm.expressionList() ? this.args(dm.expressionList()) : [], safe };
        return { k: 'dot', ...p, obj, name: e.anyId().getText(), safe };
      }
      case 'MethodCallExpressionContext': {
        const mc = e.methodCall();
        if (mc.THIS() || mc.SUPER()) return { k: 'call', ...p, obj: null, name: mc.THIS() ? 'this' : 'super', args: mc.expressionList() ? this.args(mc.expressionList()) : [], safe: false };
        return { k: 'call', ...p, obj: null, name: mc.id().getText(), args: mc.expressionList() ? this.args(mc.expressionList()) : [], safe: false };
      }
      case 'NewExpressionContext':
        return this.creator(e.creator(), p);
      case 'ArrayExpressionContext': {
        const [a, b] = e.expression_list();
        return { k: 'index', ...p, obj: this.expr(a), idx: this.expr(b) };
      }
      case 'CastExpressionContext':
        return { k: 'cast', ...p, type: this.typeRef(e.typeRef()), e: this.expr(e.expression()) };
      case 'PostOpExpressionContext':
        return { k: 'post', ...p, op: e.INC() ? '++' : '--', e: this.expr(e.expression()) };
      case 'PreOpExpressionContext': {
        const op = e.INC() ? '++' : e.DEC() ? '--' : e.ADD() ? '+' : '-';
        if (op === '+' || op === '-') return { k: 'unary', ...p, op, e: this.expr(e.expression()) };
        return { k: 'pre', ...p, op, e: this.expr(e.expression()) };
      }
      case 'NegExpressionContext':
        if (e.TILDE()) refuse(e, 'bitwise complement (~)');
        return { k: 'unary', ...p, op: '!', e: this.expr(e.expression()) };
      case 'Arth1ExpressionContext':
      case 'Arth2ExpressionContext':
      case 'CmpExpressionContext':
      case 'EqualityExpressionContext':
      case 'LogAndExpressionContext':
      case 'LogOrExpressionContext':
      case 'CoalExpressionContext': {
        const [a, b] = e.expression_list();
        const op = this.operator(e, a, b);
        return { k: 'bin', ...p, op, left: this.expr(a), right: this.expr(b) };
      }
      case 'BitAndExpressionContext':
      case 'BitOrExpressionContext':
      case 'BitNotExpressionContext':
      case 'BitExpressionContext':
        return refuse(e, 'bitwise and shift operators');
      case 'CondExpressionContext': {
        const [c, t, f] = e.expression_list();
        return { k: 'cond', ...p, cond: this.expr(c), t: this.expr(t), f: this.expr(f) };
      }
      case 'AssignExpressionContext': {
        const [a, b] = e.expression_list();
        const op = this.operator(e, a, b);
        if (!['=', '+=', '-=', '*=', '/='].includes(op)) refuse(e, `assignment operator ${op}`);
        return { k: 'assign', ...p, op, target: this.expr(a), value: this.expr(b) };
      }
      case 'InstanceOfExpressionContext':
        return { k: 'instanceof', ...p, e: this.expr(e.expression()), type: this.typeRef(e.typeRef()) };
      default:
        return refuse(e, `expression ${name.replace('Context', '')}`);
    }
  }

  /** The operator text between two operand expressions (tokens such as `>` `=` arrive separately). */
  operator(_e: Ctx, a: Ctx, b: Ctx): string {
    return this.source.slice(a.stop.stop + 1, b.start.start).replace(/\s+/g, '');
  }

  creator(c: Ctx, p: { l: number; c: number }): Expr {
    const cn = c.createdName();
    const pairs = cn.idCreatedNamePair_list();
    const parts: string[] = [];
    let args: TypeRef[] = [];
    for (const pr of pairs) {
      parts.push(pr.anyId().getText());
      if (pr.typeList()) args = pr.typeList().typeRef_list().map((t: Ctx) => this.typeRef(t));
    }
    const type: TypeRef = { name: parts.join('.'), args };
    if (c.classCreatorRest()) return { k: 'new', ...p, type, args: this.args(c.classCreatorRest().arguments()) };
    if (c.noRest()) return { k: 'new', ...p, type, list: [] };
    if (c.setCreatorRest()) return { k: 'new', ...p, type, list: c.setCreatorRest().expression_list().map((x: Ctx) => this.expr(x)) };
    if (c.mapCreatorRest()) {
      return {
        k: 'new',
        ...p,
        type,
        map: c.mapCreatorRest().mapCreatorRestPair_list().map((pr: Ctx) => {
          const [k, v] = pr.expression_list();
          return [this.expr(k), this.expr(v)] as [Expr, Expr];
        }),
      };
    }
    if (c.arrayCreatorRest()) {
      const ar = c.arrayCreatorRest();
      const listType: TypeRef = { name: 'List', args: [type] };
      if (ar.arrayInitializer()) return { k: 'new', ...p, type: listType, list: ar.arrayInitializer().expression_list().map((x: Ctx) => this.expr(x)) };
      return { k: 'new', ...p, type: listType, size: this.expr(ar.expression()) };
    }
    return refuse(c, 'this creator');
  }

  primary(pr: Ctx): Expr {
    const p = pos(pr);
    const name: string = pr.constructor.name;
    switch (name) {
      case 'ThisPrimaryContext':
        return { k: 'this', ...p };
      case 'SuperPrimaryContext':
        return { k: 'super', ...p };
      case 'IdPrimaryContext':
        return { k: 'id', ...p, name: pr.id().getText() };
      case 'LiteralPrimaryContext':
        return this.literal(pr.literal(), p);
      case 'TypeRefPrimaryContext':
        return { k: 'typeLit', ...p, type: this.typeRef(pr.typeRef()) };
      case 'SoqlPrimaryContext':
        return this.soql(pr.soqlLiteral(), p);
      case 'SoslPrimaryContext':
        return refuse(pr, 'inline SOSL');
      default:
        return refuse(pr, `expression ${name.replace('Context', '')}`);
    }
  }

  literal(l: Ctx, p: { l: number; c: number }): Expr {
    if (l.IntegerLiteral()) {
      const t = l.IntegerLiteral().getText();
      const v = Number(t);
      if (v > 2147483648) throw new ApexCompileError(`Illegal integer: ${t}`, p.l, p.c);
      return { k: 'lit', t: 'int', v, ...p };
    }
    if (l.LongLiteral()) return { k: 'lit', t: 'long', v: l.LongLiteral().getText().replace(/[lL]$/, ''), ...p };
    if (l.NumberLiteral()) {
      const t = l.NumberLiteral().getText();
      if (/[dD]$/.test(t)) return refuse(l, 'Double literals with a d suffix');
      return { k: 'lit', t: 'dec', v: t, ...p };
    }
    if (l.StringLiteral()) return { k: 'lit', t: 'str', v: unescapeApexString(l.StringLiteral().getText()), ...p };
    if (l.MultilineStringLiteral?.()) return refuse(l, 'multi-line string literals');
    if (l.BooleanLiteral()) return { k: 'lit', t: 'bool', v: l.BooleanLiteral().getText().toLowerCase() === 'true', ...p };
    return { k: 'lit', t: 'null', ...p };
  }

  soql(s: Ctx, p: { l: number; c: number }): Expr {
    const q = s.query();
    const start: number = q.start.start;
    const binds: { from: number; to: number; e: Expr; limit: boolean }[] = [];
    const visit = (node: Ctx): void => {
      if (!node || typeof node.getChildCount !== 'function') return;
      const n: string = node.constructor.name;
      if (n === 'SubQueryContext' && node !== q) {
        // children still visited for binds
      }
      if (n === 'BoundExpressionContext') {
        const isLimit = node.parentCtx?.constructor.name === 'LimitClauseContext' || node.parentCtx?.constructor.name === 'OffsetClauseContext';
        binds.push({ from: node.start.start, to: node.stop.stop, e: this.expr(node.expression()), limit: isLimit });
        return;
      }
      if (n === 'WithClauseContext' && (node.DATA?.() || node.logicalExpression?.())) refuse(node, 'WITH DATA CATEGORY / WITH filters in SOQL');
      if (n === 'UsingScopeContext') refuse(node, 'USING SCOPE in SOQL');
      if (n === 'TypeOfContext') refuse(node, 'TYPEOF in SOQL');
      for (let i = 0; i < node.getChildCount(); i++) visit(node.getChild(i));
    };
    visit(q);
    let text = '';
    let cursor = start;
    const exprs: Expr[] = [];
    let limitBind: number | undefined;
    binds.forEach((b, i) => {
      text += this.source.slice(cursor, b.from);
      if (b.limit) {
        text += `__APEX_LIMIT_${i}__`;
        limitBind = i;
      } else text += `:fgApexBind${i}`;
      exprs.push(b.e);
      cursor = b.to + 1;
    });
    text += this.source.slice(cursor, q.stop.stop + 1);
    return { k: 'soql', ...p, text, binds: exprs, limitBind };
  }
}

/**
 * Deploy-time check for the Metadata API: the first construct of a class outside the subset the
 * local org's Apex runtime can run, as a compile problem with line and column (empty when runnable).
 */
export function checkApexSubset(body: string): { line: number; column: number; problem: string }[] {
  try {
    parseApex(body, 'class');
    return [];
  } catch (e) {
    if (e instanceof ApexCompileError) return [{ line: e.line, column: e.column, problem: e.problem }];
    throw e;
  }
}
