/**
 * What the compiler produces: per query level one SQL statement with its parameters, and the
 * shape that turns the statement's raw rows into REST records.
 */
import type { FieldDef, ObjectDef } from '../schema/types.ts';

/** Values only known when the query runs: bind variables, date literals (they depend on "now"), parent Ids. */
export interface ExecContext {
  binds?: Record<string, unknown>;
  now: Date;
  /** Ids of the parent records a child subquery runs for. */
  parentIds?: string[];
  /** The string literals lifted out of this execution's query text (see parse.ts liftLiterals). */
  literals?: string[];
  /** This execution's query text (for positional errors raised while resolving parameters). */
  source?: string;
}

/** A parameter computed at execution time. */
export class Deferred {
  constructor(readonly resolve: (ctx: ExecContext) => string | number | null) {}
}

export type Param = string | number | null | Deferred;

export interface Frag {
  sql: string;
  params: Param[];
}

export type ShapeNode =
  /** A column of this level or of a parent; base64 fields render as their blob URL. */
  | { k: 'field'; key: string; col: number; fd: FieldDef; blob?: { idCol: number; object: string } }
  /** A parent relationship: null when the lookup is empty or the parent is not visible. */
  | { k: 'parent'; key: string; idCol: number; typeName?: string; typeCol?: number; nodes: ShapeNode[] }
  /** A child relationship subquery (index into LevelPlan.children). */
  | { k: 'child'; key: string; index: number }
  /** An AggregateResult value (`label`: the expression as written, e.g. `COUNT(Id)`). */
  | { k: 'agg'; key: string; col: number; conv: 'int' | 'number' | FieldDef; label: string };

export interface LevelPlan {
  object: ObjectDef;
  sql: string;
  params: Param[];
  nodes: ShapeNode[];
  /** Column of the record Id (-1 for aggregate and COUNT() queries). */
  idCol: number;
  aggregate: boolean;
  countOnly: boolean;
  children: ChildPlan[];
  /** For a child level: the column holding the parent Id. */
  fkCol: number;
}

export interface ChildPlan {
  relationshipName: string;
  plan: LevelPlan;
}

export interface QueryPlan {
  root: LevelPlan;
  /** The FROM object, API casing (for the audit log). */
  entityName: string;
  /** Every object whose rows the query reads (for OrgContext.beforeRead). */
  objectsRead: string[];
  schemaVersion: number;
}

export function resolveParams(params: Param[], ctx: ExecContext): (string | number | null)[] {
  return params.map((p) => (p instanceof Deferred ? p.resolve(ctx) : p));
}
