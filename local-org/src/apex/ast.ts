/**
 * The small, JSON-serialisable AST the Apex interpreter runs. It is built once from the
 * @apexdevtools/apex-parser parse tree (parse.ts) and cached by content hash: ANTLR contexts are
 * heavy, slow to build (the first parse in a process costs seconds) and cannot be cached on disk,
 * while this AST is compact, cacheable and closed — every construct outside the supported subset is
 * refused while converting, with its line and column, so the interpreter never meets one.
 */

export interface TypeRef {
  /** Dotted name as written, e.g. `List`, `AccountHealthSummary.Request`, `Schema.SObjectType`. */
  name: string;
  args: TypeRef[];
  /** `T[]` (an array is a List in Apex). */
  array?: boolean;
}

export interface Pos {
  l: number;
  c: number;
}

export interface Annotation {
  name: string;
  values: Record<string, string>;
}

export interface FieldDecl extends Pos {
  name: string;
  type: TypeRef;
  init?: Expr;
  isStatic: boolean;
  isFinal: boolean;
  annotations: Annotation[];
  getter?: Block | 'auto';
  setter?: Block | 'auto';
}

export interface Param {
  name: string;
  type: TypeRef;
}

export interface MethodDecl extends Pos {
  name: string;
  params: Param[];
  /** null for void. */
  returnType: TypeRef | null;
  body: Block | null;
  isStatic: boolean;
  modifiers: string[];
  annotations: Annotation[];
}

export interface CtorDecl extends Pos {
  params: Param[];
  body: Block;
  modifiers: string[];
}

export interface ClassDecl extends Pos {
  kind: 'class' | 'interface' | 'enum';
  name: string;
  modifiers: string[];
  annotations: Annotation[];
  sharing: 'with' | 'without' | 'inherited' | null;
  extends?: TypeRef;
  implements: TypeRef[];
  fields: FieldDecl[];
  methods: MethodDecl[];
  ctors: CtorDecl[];
  inner: ClassDecl[];
  staticInit: Block[];
  instanceInit: Block[];
  enumValues?: string[];
}

export interface Block extends Pos {
  k: 'block';
  body: Stmt[];
}

export type Stmt =
  | Block
  | ({ k: 'local'; type: TypeRef; decls: { name: string; init?: Expr }[] } & Pos)
  | ({ k: 'expr'; e: Expr } & Pos)
  | ({ k: 'if'; cond: Expr; then: Stmt; else?: Stmt } & Pos)
  | ({ k: 'for'; init?: Stmt; exprInit?: Expr[]; cond?: Expr; update: Expr[]; body: Stmt } & Pos)
  | ({ k: 'foreach'; type: TypeRef; name: string; iter: Expr; body: Stmt } & Pos)
  | ({ k: 'while'; cond: Expr; body: Stmt } & Pos)
  | ({ k: 'do'; cond: Expr; body: Stmt } & Pos)
  | ({ k: 'return'; e?: Expr } & Pos)
  | ({ k: 'throw'; e: Expr } & Pos)
  | ({ k: 'break' } & Pos)
  | ({ k: 'continue' } & Pos)
  | ({ k: 'try'; body: Block; catches: { type: TypeRef; name: string; body: Block }[]; fin?: Block } & Pos)
  | ({ k: 'dml'; op: 'insert' | 'update' | 'delete' | 'undelete' | 'upsert'; e: Expr; access: 'user' | 'system' | null; extId?: string } & Pos)
  | ({ k: 'runAs'; args: Expr[]; body: Block } & Pos)
  | ({ k: 'switch'; e: Expr; whens: When[] } & Pos);

export interface When {
  /** Literal values (`when 'a', 'b'`), enum names, or null for `when null`. */
  values?: (Expr | { enumName: string })[];
  /** `when Account a`. */
  typeWhen?: { type: TypeRef; name: string };
  isElse?: boolean;
  body: Block;
}

export type Lit =
  | { t: 'int'; v: number }
  | { t: 'long'; v: string }
  | { t: 'dec'; v: string }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' };

export type Expr =
  | ({ k: 'lit' } & Lit & Pos)
  | ({ k: 'id'; name: string } & Pos)
  | ({ k: 'dot'; obj: Expr; name: string; safe: boolean } & Pos)
  | ({ k: 'call'; obj: Expr | null; name: string; args: Expr[]; safe: boolean } & Pos)
  | ({ k: 'this' } & Pos)
  | ({ k: 'super' } & Pos)
  | ({ k: 'new'; type: TypeRef; args?: Expr[]; list?: Expr[]; map?: [Expr, Expr][]; size?: Expr } & Pos)
  | ({ k: 'index'; obj: Expr; idx: Expr } & Pos)
  | ({ k: 'bin'; op: string; left: Expr; right: Expr } & Pos)
  | ({ k: 'assign'; op: string; target: Expr; value: Expr } & Pos)
  | ({ k: 'cond'; cond: Expr; t: Expr; f: Expr } & Pos)
  | ({ k: 'unary'; op: string; e: Expr } & Pos)
  | ({ k: 'pre'; op: string; e: Expr } & Pos)
  | ({ k: 'post'; op: string; e: Expr } & Pos)
  | ({ k: 'cast'; type: TypeRef; e: Expr } & Pos)
  | ({ k: 'instanceof'; e: Expr; type: TypeRef } & Pos)
  | ({ k: 'soql'; text: string; binds: Expr[]; limitBind?: number } & Pos)
  | ({ k: 'typeLit'; type: TypeRef } & Pos);

export interface CompilationUnit {
  /** A class, or the statements and local declarations of anonymous Apex. */
  cls?: ClassDecl;
  anonymous?: { members: ClassDecl; body: Stmt[] };
  /** Lines holding executable statements (for code coverage). */
  lines: number[];
}

/** A construct outside the supported subset, or a syntax error: what the platform reports as a compile problem. */
export class ApexCompileError extends Error {
  constructor(
    readonly problem: string,
    readonly line: number,
    readonly column: number,
    readonly fileName?: string,
  ) {
    super(`${fileName ? `${fileName}: ` : ''}line ${line}, column ${column}: ${problem}`);
  }
}
