/**
 * SOQL → SQLite. One statement per query level: the FROM object (alias t0) with a LEFT JOIN per
 * parent relationship path, the sharing predicate of every object level (a parent the user cannot
 * see joins as NULL and renders as null, as on the platform), and every literal as a parameter.
 * Child relationship subqueries compile to their own statement, run once per page of parents
 * (`fk IN (SELECT value FROM json_each(?))`). Semi-joins (`Id IN (SELECT AccountId FROM Contact)`)
 * become SQL subqueries with the inner object's sharing.
 *
 * Security is decided per query (see `securityFor`): in user mode the FROM object, every parent and
 * child object must be readable (else INVALID_TYPE / "Didn't understand relationship"), every field
 * used anywhere must be readable (else INVALID_FIELD "No such column", exactly as for a field that
 * does not exist), and sharing restricts rows at every level.
 *
 * SOQL's two-valued logic: `!=` and `NOT IN` match NULL values, and NOT never turns NULL into a
 * match. Both are handled in the generated SQL (`IS NOT ?`, `NOT IFNULL(…, 0)`).
 */
import type {
  ConditionWithValueQuery,
  FieldRelationship,
  FieldType as SoqlFieldType,
  FunctionExp,
  GroupByClause,
  LiteralType,
  OrderByClause,
  Query,
  Subquery,
  ValueQueryCondition,
} from '@jetstreamapp/soql-parser-js';
import type { OrgContext } from '../org/context.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';
import { readPredicate } from '../security/sharing.ts';
import type { UserContext } from '../security/types.ts';
import { q } from '../storage/database.ts';
import { dateLiteralRange, N_LITERALS } from './date-literals.ts';
import { ErrorFactory, QueryError } from './errors.ts';
import { placeholderIndex } from './parse.ts';
import { Deferred, type ChildPlan, type ExecContext, type Frag, type LevelPlan, type Param, type QueryPlan, type ShapeNode } from './plan.ts';
import { BindTypeError, bindList, coerceBind, normalizeDatetime, normalizeIdValue, parseNumber, soapTypeName, typeClass, unquote, type TypeClass } from './values.ts';
import { whereTree, WhereSyntaxError, type BoolNode } from './where-tree.ts';

export const MAX_OFFSET = 2000;
export const FIELDS_FUNCTION_LIMIT = 200;
/**
 * `LIMIT :n` / `OFFSET :n` (Apex, Named Queries): the parser only accepts integers there, so the
 * engine replaces the n-th such bind by the number COUNT_BIND_BASE + n before parsing (see
 * engine.ts planFor) and the compiler turns it back into a bind parameter.
 */
export const COUNT_BIND_BASE = 1_900_000_000;

export interface CompileOptions {
  /** The running user, or `'system'` (no CRUD, FLS or sharing: internal callers only). */
  user: UserContext | 'system';
  /**
   * `user` (default; REST always): the user's CRUD, FLS and sharing apply and `WITH SYSTEM_MODE` is
   * ignored. `system` (Apex default): nothing applies unless the query says `WITH USER_MODE`;
   * `WITH SECURITY_ENFORCED` then checks the selected fields and objects (INSUFFICIENT_ACCESS).
   */
  mode?: 'user' | 'system';
  /** System mode only: apply sharing (an Apex class declared `with sharing`). */
  withSharing?: boolean;
  /** Bind variables (`:name`) for Apex / Named Queries; absent over REST, where `:x` is malformed. */
  binds?: Record<string, unknown>;
  /** queryAll: include records in the Recycle Bin. */
  includeDeleted?: boolean;
  /** Tooling API: objects served only by the Tooling API are queryable. */
  tooling?: boolean;
}

interface Security {
  user?: UserContext;
  crud: boolean;
  fls: boolean;
  sharing: boolean;
  /** WITH SECURITY_ENFORCED in system mode: the user whose access the selected fields must pass. */
  enforced?: UserContext;
}

export function securityFor(options: CompileOptions, query: Query): Security {
  if (options.user === 'system') return { crud: false, fls: false, sharing: false };
  const user = options.user;
  if ((options.mode ?? 'user') === 'user' || query.withAccessLevel === 'USER_MODE') return { user, crud: true, fls: true, sharing: true };
  return { user, crud: false, fls: false, sharing: options.withSharing ?? false, enforced: query.withSecurityEnforced ? user : undefined };
}

const AGGREGATES = new Set(['COUNT', 'COUNT_DISTINCT', 'SUM', 'AVG', 'MIN', 'MAX']);
const DATE_FUNCTIONS = new Set([
  'CALENDAR_MONTH', 'CALENDAR_QUARTER', 'CALENDAR_YEAR', 'DAY_IN_MONTH', 'DAY_IN_WEEK', 'DAY_IN_YEAR', 'DAY_ONLY', 'FISCAL_MONTH',
  'FISCAL_QUARTER', 'FISCAL_YEAR', 'HOUR_IN_DAY', 'WEEK_IN_MONTH', 'WEEK_IN_YEAR',
]);
/** Functions that only change how a value is displayed; the local org returns the value itself. */
const PASS_THROUGH = new Set(['TOLABEL', 'CONVERTCURRENCY', 'FORMAT', 'CONVERTTIMEZONE']);
/** Fields of the polymorphic `Name` entity (What, Who, Owner of several objects). */
const POLYMORPHIC_FIELDS = new Set([
  'id', 'name', 'type', 'firstname', 'lastname', 'email', 'phone', 'title', 'alias', 'username', 'isactive', 'userroleid', 'profileid',
  'communitynickname', 'lastreferenceddate', 'lastvieweddate', 'recordtypeid',
]);
const TYPE_FIELD: FieldDef = {
  name: 'Type', label: 'Object Type', type: 'picklist', nillable: true, createable: false, updateable: false, defaultedOnCreate: false,
  custom: false, permissionable: false,
};

interface Join {
  relationshipName: string;
  poly: boolean;
  targets: { object: ObjectDef; alias: string }[];
}

/** One FROM object inside a statement: its alias and the joins its relationship paths need. */
class Scope {
  readonly joins = new Map<string, Join>();
  readonly joinFrags: Frag[] = [];
  constructor(
    readonly object: ObjectDef,
    readonly alias: string,
    readonly soqlAlias: string | undefined,
  ) {}
}

interface Resolved {
  expr: string;
  params: Param[];
  fd: FieldDef;
  /** Owning object of the field (`Name` for the polymorphic entity). */
  entity: string;
  /** Relationships walked, from the scope's object. */
  chain: Join[];
  /** Canonical lower-case path (for duplicate and GROUP BY checks). */
  key: string;
}

interface Operand {
  k: 'null' | 'value' | 'range' | 'bind';
  p?: Param;
  /** A lifted literal: its value is only known at execution (and may resolve to null, e.g. '' for an Id). */
  lifted?: boolean;
  start?: Param;
  end?: Param;
  bind?: string;
}

interface ValueTarget {
  fd?: FieldDef;
  cls: TypeClass;
  /** Name used in messages. */
  name: string;
}

export interface CompileInput {
  query: Query;
  source: string;
  errors: ErrorFactory;
  options: CompileOptions;
  /** String literals lifted out of `query` (placeholders `'~n~'` in the parsed query). */
  literals?: string[];
  /** Names of the binds used as LIMIT/OFFSET (placeholders COUNT_BIND_BASE + n in the parsed query). */
  countBinds?: string[];
  /** SOSL: an extra condition on each object level (the search term). */
  extraWhere?: (scope: { object: ObjectDef; alias: string }) => Frag | undefined;
}

/** Compiles a parsed query into a plan. Throws QueryError with the platform's messages. */
export function compilePlan(org: OrgContext, input: CompileInput): QueryPlan {
  const compiler = new Compiler(org, input);
  const root = compiler.root();
  return { root, entityName: root.object.name, objectsRead: [...compiler.objectsRead], schemaVersion: org.schema.version };
}

class Compiler {
  private aliasCount = 0;
  readonly objectsRead = new Set<string>();
  private readonly sec: Security;
  private readonly errors: ErrorFactory;

  constructor(
    private readonly org: OrgContext,
    private readonly input: CompileInput,
  ) {
    this.errors = input.errors;
    this.sec = securityFor(input.options, input.query);
  }

  private get schema() {
    return this.org.schema;
  }

  private nextAlias(): string {
    return `t${this.aliasCount++}`;
  }

  // ---- security ---------------------------------------------------------------------------------

  private canReadObject(o: ObjectDef): boolean {
    if (o.toolingOnly && !this.input.options.tooling) return false;
    if (!o.queryable) return false;
    if (!this.sec.crud || !this.sec.user) return true;
    return this.sec.user.objectAccess(o.name).read;
  }

  private canReadField(o: ObjectDef, fd: FieldDef): boolean {
    if (!this.sec.fls || !this.sec.user) return true;
    return this.sec.user.fieldAccess(o.name, fd.name).read;
  }

  private sharing(o: ObjectDef, alias: string): Frag | undefined {
    if (!this.sec.sharing || !this.sec.user) return undefined;
    const p = readPredicate(this.schema, this.sec.user, o.name, alias);
    return p ? { sql: p.sql, params: p.params } : undefined;
  }

  /** WITH SECURITY_ENFORCED (system mode): a selected field or object the user cannot read fails the query. */
  private enforce(o: ObjectDef, fd?: FieldDef): void {
    const user = this.sec.enforced;
    if (!user) return;
    const ok = fd ? user.fieldAccess(o.name, fd.name).read : user.objectAccess(o.name).read;
    if (!ok) throw new QueryError('INSUFFICIENT_ACCESS', 'Insufficient permissions: secure query included inaccessible field');
  }

  private fromObject(name: string): ObjectDef {
    const o = this.schema.get(name);
    if (!o || !this.canReadObject(o)) throw this.errors.unsupportedType(name);
    this.enforce(o);
    this.objectsRead.add(o.name);
    return o;
  }

  // ---- levels -----------------------------------------------------------------------------------

  root(): LevelPlan {
    const query = this.input.query;
    const object = this.fromObject(query.sObject!);
    return this.level(query, object, undefined);
  }

  /** Compiles one SELECT (the root query or a child subquery). */
  private level(query: Query | Subquery, object: ObjectDef, fk: FieldDef | undefined): LevelPlan {
    const scope = new Scope(object, this.nextAlias(), query.sObjectAlias);
    const fields = query.fields ?? [];
    const aggregate = fields.some((f) => f.type === 'FieldFunctionExpression' && AGGREGATES.has(f.functionName.toUpperCase())) || query.groupBy !== undefined;
    const columns: Frag[] = [];
    const addColumn = (expr: string, params: Param[] = []): number => columns.push({ sql: expr, params }) - 1;

    const nodes: ShapeNode[] = [];
    const children: ChildPlan[] = [];
    let idCol = -1;
    let fkCol = -1;
    let countOnly = false;

    const limitParam = this.countParam(query.limit, 'LIMIT');
    const offsetParam = this.countParam(query.offset, 'OFFSET');
    if (typeof offsetParam === 'number' && offsetParam > MAX_OFFSET) {
      throw new QueryError('NUMBER_OUTSIDE_VALID_RANGE', `Maximum SOQL offset allowed is ${MAX_OFFSET}`);
    }

    // GROUP BY first: the SELECT list of an aggregate query is checked against it.
    const groupKeys = new Set<string>();
    const groupFrags: Frag[] = [];
    for (const g of asArray<GroupByClause>(query.groupBy)) {
      if ('fn' in g && g.fn) {
        const name = (g.fn.functionName ?? '').toUpperCase();
        if (name === 'ROLLUP' || name === 'CUBE') throw this.errors.malformed(g.fn.functionName, `GROUP BY ${name} is not supported by the local org`);
        const fn = this.dateFunction(scope, g.fn);
        groupFrags.push(fn.frag);
        groupKeys.add(fnKey(g.fn));
      } else if ('field' in g) {
        const r = this.resolve(scope, g.field, g.field);
        groupFrags.push({ sql: r.expr, params: r.params });
        groupKeys.add(r.key);
      }
    }

    if (aggregate) {
      if (fk) throw this.errors.malformed(undefined, 'Aggregate functions are not supported in a relationship subquery');
      let exprIndex = 0;
      const seen = new Set<string>();
      for (const f of fields) {
        if (f.type === 'FieldFunctionExpression') {
          const name = f.functionName.toUpperCase();
          if (name === 'COUNT' && f.parameters.length === 0) {
            if (fields.length > 1) throw this.errors.malformed('COUNT', 'COUNT() must be the only element in the SELECT list');
            countOnly = true;
            continue;
          }
          if (AGGREGATES.has(name)) {
            const agg = this.aggregateFunction(scope, f as FunctionExp);
            const key = f.alias ?? `expr${exprIndex++}`;
            nodes.push({ k: 'agg', key, col: addColumn(agg.frag.sql, agg.frag.params), conv: agg.conv, label: f.rawValue ?? key });
            continue;
          }
          if (DATE_FUNCTIONS.has(name)) {
            if (!groupKeys.has(fnKey(f as FunctionExp))) throw this.errors.malformed(f.rawValue, `Field must be grouped or aggregated: ${f.rawValue ?? name}`);
            const fn = this.dateFunction(scope, f as FunctionExp);
            const key = f.alias ?? `expr${exprIndex++}`;
            nodes.push({ k: 'agg', key, col: addColumn(fn.frag.sql, fn.frag.params), conv: fn.conv, label: f.rawValue ?? key });
            continue;
          }
          if (PASS_THROUGH.has(name) && typeof f.parameters[0] === 'string') {
            const r = this.resolve(scope, f.parameters[0], f.rawValue ?? f.parameters[0]);
            if (!groupKeys.has(r.key)) throw this.errors.malformed(f.rawValue, `Field must be grouped or aggregated: ${r.fd.name}`);
            nodes.push({ k: 'agg', key: f.alias ?? r.fd.name, col: addColumn(r.expr, r.params), conv: r.fd, label: f.rawValue ?? r.fd.name });
            continue;
          }
          throw this.errors.malformed(f.functionName, `unexpected token: '${f.functionName}'`);
        }
        if (f.type === 'Field' || f.type === 'FieldRelationship') {
          const path = fieldPath(f);
          const token = (f as { rawValue?: string }).rawValue ?? path;
          const r = this.resolve(scope, path, token);
          if (!groupKeys.has(r.key)) throw this.errors.malformed(token, `Field must be grouped or aggregated: ${r.fd.name}`);
          const key = (f as { alias?: string }).alias ?? r.fd.name;
          if (seen.has(key.toLowerCase())) throw this.errors.malformed(token, `duplicate alias: ${key}`);
          seen.add(key.toLowerCase());
          nodes.push({ k: 'agg', key, col: addColumn(r.expr, r.params), conv: r.fd, label: token });
          continue;
        }
        if (f.type === 'FieldSubquery') throw this.errors.malformed(f.subquery.relationshipName, 'Nested queries are not supported in aggregate queries');
        if (f.type === 'FieldTypeof') throw this.typeofRefused(f.field);
      }
    } else {
      idCol = addColumn(`${scope.alias}."Id"`);
      if (fk) fkCol = addColumn(`${scope.alias}.${q(fk.name)}`);
      const selected = new Set<string>();
      const select = (path: string, token: string, key: string | undefined, quiet: boolean): void => {
        const r = this.resolve(scope, path, token);
        const dupKey = r.key;
        if (selected.has(dupKey)) {
          if (quiet) return;
          throw this.errors.malformed(token, `duplicate field selected: ${r.fd.name}`);
        }
        selected.add(dupKey);
        this.enforce(r.chain.length ? r.chain[r.chain.length - 1]!.targets[0]!.object : object, r.chain.length && r.chain[r.chain.length - 1]!.poly ? undefined : r.fd);
        let list = nodes;
        let blob: { idCol: number; object: string } | undefined = r.fd.type === 'base64' ? { idCol, object: object.name } : undefined;
        for (const join of r.chain) {
          let parent = list.find((n): n is Extract<ShapeNode, { k: 'parent' }> => n.k === 'parent' && n.key === join.relationshipName);
          if (!parent) {
            const ids = join.targets.map((t) => `${t.alias}."Id"`);
            const parentIdCol = addColumn(ids.length === 1 ? ids[0]! : `COALESCE(${ids.join(', ')})`);
            parent = { k: 'parent', key: join.relationshipName, idCol: parentIdCol, nodes: [] };
            if (join.poly) {
              const t = this.polymorphicType(join);
              parent.typeCol = addColumn(t.sql, t.params);
            } else parent.typeName = join.targets[0]!.object.name;
            list.push(parent);
          }
          if (r.fd.type === 'base64') blob = parent.typeName ? { idCol: parent.idCol, object: parent.typeName } : undefined;
          list = parent.nodes;
        }
        list.push({ k: 'field', key: key ?? r.fd.name, col: addColumn(r.expr, r.params), fd: r.fd, blob });
      };

      for (const f of fields) {
        switch (f.type) {
          case 'Field':
          case 'FieldRelationship': {
            const path = fieldPath(f);
            select(path, (f as { rawValue?: string }).rawValue ?? path, undefined, false);
            break;
          }
          case 'FieldSubquery': {
            const child = this.child(object, f.subquery);
            if (nodes.some((n) => n.k === 'child' && n.key === child.relationshipName)) {
              throw this.errors.malformed(f.subquery.relationshipName, `duplicate field selected: ${child.relationshipName}`);
            }
            nodes.push({ k: 'child', key: child.relationshipName, index: children.push(child) - 1 });
            break;
          }
          case 'FieldFunctionExpression': {
            const name = f.functionName.toUpperCase();
            if (name === 'FIELDS') {
              const which = String(f.parameters[0] ?? '').toUpperCase();
              if (!['ALL', 'STANDARD', 'CUSTOM'].includes(which)) throw this.errors.malformed(f.rawValue, `unexpected token: '${String(f.parameters[0])}'`);
              if (which !== 'STANDARD' && (limitParam === undefined || (typeof limitParam === 'number' && limitParam > FIELDS_FUNCTION_LIMIT))) {
                throw this.errors.malformed(f.rawValue, `The SOQL FIELDS function must have a LIMIT of at most ${FIELDS_FUNCTION_LIMIT}`);
              }
              for (const fd of object.fields) {
                if (fd.type === 'address' || (which === 'STANDARD' && fd.custom) || (which === 'CUSTOM' && !fd.custom)) continue;
                if (!this.canReadField(object, fd)) continue;
                if (this.sec.enforced && !this.sec.enforced.fieldAccess(object.name, fd.name).read) continue;
                select(fd.name, fd.name, undefined, true);
              }
              break;
            }
            if (PASS_THROUGH.has(name) && typeof f.parameters[0] === 'string') {
              select(f.parameters[0], f.rawValue ?? f.parameters[0], f.alias, false);
              break;
            }
            if (DATE_FUNCTIONS.has(name)) throw this.errors.malformed(f.rawValue, `Field must be grouped or aggregated: ${f.rawValue ?? name}`);
            throw this.errors.malformed(f.functionName, `unexpected token: '${f.functionName}'`);
          }
          case 'FieldTypeof':
            throw this.typeofRefused(f.field);
        }
      }
    }

    // WHERE: deleted rows, the parent batch of a child level, sharing, USING SCOPE, search, the query's own filter.
    const where: Frag[] = [];
    if (!this.input.options.includeDeleted) where.push({ sql: `${scope.alias}."IsDeleted" = 0`, params: [] });
    if (fk) {
      where.push({
        sql: `${scope.alias}.${q(fk.name)} IN (SELECT value FROM json_each(?))`,
        params: [new Deferred((ctx) => JSON.stringify(ctx.parentIds ?? []))],
      });
    }
    const share = this.sharing(object, scope.alias);
    if (share) where.push(share);
    if (query.usingScope?.toLowerCase() === 'mine' && object.hasOwner && this.sec.user) {
      where.push({ sql: `${scope.alias}."OwnerId" = ?`, params: [this.sec.user.userId] });
    }
    const extra = !fk ? this.input.extraWhere?.({ object, alias: scope.alias }) : undefined;
    if (extra) where.push(extra);
    const tree = this.tree(query.where);
    if (tree) where.push(this.bool(scope, tree, false));

    const having = aggregate && query.having ? this.bool(scope, this.tree(query.having)!, true) : undefined;

    const order: Frag[] = [];
    for (const o of asArray<OrderByClause>(query.orderBy)) {
      let frag: Frag;
      if ('fn' in o && o.fn) {
        const name = (o.fn.functionName ?? '').toUpperCase();
        if (AGGREGATES.has(name)) {
          if (!aggregate) throw this.errors.malformed(o.fn.rawValue, `Ordered field must be grouped or aggregated: ${o.fn.rawValue ?? name}`);
          frag = this.aggregateFunction(scope, o.fn).frag;
        } else frag = this.dateFunction(scope, o.fn).frag;
      } else {
        const path = (o as { field: string }).field;
        const r = this.resolve(scope, path, path);
        if (r.fd.sortable === false) throw this.errors.at('INVALID_FIELD', path, `field '${r.fd.name}' can not be sorted in a query call`);
        if (aggregate && !groupKeys.has(r.key)) throw this.errors.malformed(path, `Ordered field must be grouped or aggregated: ${r.fd.name}`);
        frag = { sql: r.expr, params: r.params };
      }
      const dir = o.order === 'DESC' ? ' DESC' : '';
      const nulls = o.nulls ? ` NULLS ${o.nulls}` : '';
      order.push({ sql: `${frag.sql}${dir}${nulls}`, params: frag.params });
    }

    // Assemble in textual order so parameters line up with their placeholders.
    const params: Param[] = [];
    const take = (frags: Frag[], sep: string): string => {
      for (const f of frags) params.push(...f.params);
      return frags.map((f) => f.sql).join(sep);
    };
    const selectSql = countOnly ? '1' : take(columns, ', ');
    const windowed = fk !== undefined && limitParam !== undefined;
    // The window's ORDER BY sits in the SELECT list, before FROM: take its parameters now.
    const rankOrder = windowed ? (order.length ? take(order, ', ') : `${scope.alias}.rowid`) : '';
    const fromSql = `${q(object.name)} ${scope.alias}${scope.joinFrags.length ? ' ' + take(scope.joinFrags, ' ') : ''}`;
    const whereSql = where.length ? ` WHERE ${take(where.map(paren), ' AND ')}` : '';
    const groupSql = groupFrags.length ? ` GROUP BY ${take(groupFrags, ', ')}` : '';
    const havingSql = having ? ` HAVING ${take([having], '')}` : '';
    let sql: string;
    if (windowed) {
      // Per-parent LIMIT/OFFSET: rank the children of each parent.
      sql = `SELECT * FROM (SELECT ${selectSql}, ROW_NUMBER() OVER (PARTITION BY ${scope.alias}.${q(fk!.name)} ORDER BY ${rankOrder}) AS _rn FROM ${fromSql}${whereSql}) WHERE _rn > ? AND _rn <= ? ORDER BY _rn`;
      const offset = offsetParam ?? 0;
      const limit = limitParam!;
      const end =
        typeof offset === 'number' && typeof limit === 'number'
          ? offset + limit
          : new Deferred((ctx) => Number(offset instanceof Deferred ? offset.resolve(ctx) : offset) + Number(limit instanceof Deferred ? limit.resolve(ctx) : limit));
      params.push(offset, end);
    } else {
      const orderSql = order.length ? ` ORDER BY ${take(order, ', ')}` : '';
      let limitSql = '';
      if (limitParam !== undefined || offsetParam !== undefined) {
        limitSql = ' LIMIT ? OFFSET ?';
        params.push(limitParam ?? -1, offsetParam ?? 0);
      }
      sql = `SELECT ${selectSql} FROM ${fromSql}${whereSql}${groupSql}${havingSql}${orderSql}${limitSql}`;
      if (countOnly) {
        const simple = !groupSql && !limitSql;
        sql = simple ? `SELECT COUNT(*) FROM ${fromSql}${whereSql}` : `SELECT COUNT(*) FROM (${sql})`;
      }
    }
    return { object, sql, params, nodes, idCol, aggregate: aggregate && !countOnly, countOnly, children, fkCol };
  }

  /** A LIMIT/OFFSET value: the number, or a Deferred reading its bind variable. */
  private countParam(value: number | undefined, clause: 'LIMIT' | 'OFFSET'): number | Deferred | undefined {
    if (value === undefined) return undefined;
    const name = value >= COUNT_BIND_BASE ? this.input.countBinds?.[value - COUNT_BIND_BASE] : undefined;
    if (name === undefined) return value;
    return new Deferred((ctx) => {
      const binds = ctx.binds ?? {};
      if (!Object.prototype.hasOwnProperty.call(binds, name)) throw new QueryError('MALFORMED_QUERY', `Variable does not exist: ${name}`);
      const n = Number(binds[name]);
      if (!Number.isInteger(n) || n < 0) throw new QueryError('MALFORMED_QUERY', `${clause} must be a non-negative integer, found: ${String(binds[name])}`);
      if (clause === 'OFFSET' && n > MAX_OFFSET) throw new QueryError('NUMBER_OUTSIDE_VALID_RANGE', `Maximum SOQL offset allowed is ${MAX_OFFSET}`);
      return n;
    });
  }

  private child(parent: ObjectDef, sub: Subquery): ChildPlan {
    const rel = this.schema.childRelationships(parent.name).find((r) => r.relationshipName.toLowerCase() === sub.relationshipName.toLowerCase());
    const object = rel ? this.schema.get(rel.childSObject) : undefined;
    if (!rel || !object || !this.canReadObject(object)) throw this.errors.unknownChildRelationship(sub.relationshipName);
    const fk = this.schema.field(object.name, rel.field)!;
    this.objectsRead.add(object.name);
    return { relationshipName: rel.relationshipName, plan: this.level(sub, object, fk) };
  }

  private typeofRefused(field: string): QueryError {
    return this.errors.malformed('TYPEOF', `TYPEOF is not supported by the local org (field ${field}); select the polymorphic relationship's Id, Name or Type instead`);
  }

  // ---- field paths ------------------------------------------------------------------------------

  /** Resolves `Name`, `Owner.Name`, `a.Account.Owner.Email`, `What.Name` into a SQL expression. */
  private resolve(scope: Scope, rawPath: string, token: string): Resolved {
    let parts = rawPath.split('.');
    if (parts.length > 1) {
      const first = parts[0]!.toLowerCase();
      if (scope.soqlAlias && first === scope.soqlAlias.toLowerCase()) parts = parts.slice(1);
      else if (first === scope.object.name.toLowerCase() && !this.schema.fieldByRelationshipName(scope.object.name, parts[0]!)) parts = parts.slice(1);
    }
    let current: { object: ObjectDef; alias: string }[] = [{ object: scope.object, alias: scope.alias }];
    let currentJoin: Join | undefined;
    const chain: Join[] = [];
    let key = '';
    for (let i = 0; i < parts.length - 1; i++) {
      const rel = parts[i]!;
      if (currentJoin?.poly) throw this.errors.unknownRelationship(token, rel);
      const { object, alias } = current[0]!;
      const fd = this.schema.fieldByRelationshipName(object.name, rel);
      if (!fd || !fd.referenceTo?.length || !this.canReadField(object, fd)) throw this.errors.unknownRelationship(token, rel);
      key += `${fd.relationshipName!.toLowerCase()}.`;
      let join = scope.joins.get(key);
      if (!join) {
        const targets = fd.referenceTo.map((n) => this.schema.get(n)).filter((o): o is ObjectDef => o !== undefined && this.canReadObject(o));
        if (targets.length === 0) throw this.errors.unknownRelationship(token, rel);
        join = { relationshipName: fd.relationshipName!, poly: fd.referenceTo.length > 1, targets: targets.map((o) => ({ object: o, alias: this.nextAlias() })) };
        for (const t of join.targets) {
          this.objectsRead.add(t.object.name);
          const conds: Frag[] = [{ sql: `${t.alias}."Id" = ${alias}.${q(fd.name)}`, params: [] }];
          if (!this.input.options.includeDeleted) conds.push({ sql: `${t.alias}."IsDeleted" = 0`, params: [] });
          const share = this.sharing(t.object, t.alias);
          if (share) conds.push({ sql: `(${share.sql})`, params: share.params });
          scope.joinFrags.push({ sql: `LEFT JOIN ${q(t.object.name)} ${t.alias} ON ${conds.map((c) => c.sql).join(' AND ')}`, params: conds.flatMap((c) => c.params) });
        }
        scope.joins.set(key, join);
      }
      chain.push(join);
      currentJoin = join;
      current = join.targets;
    }
    const name = parts[parts.length - 1]!;
    if (currentJoin?.poly) {
      const lower = name.toLowerCase();
      if (lower === 'type') {
        const t = this.polymorphicType(currentJoin);
        return { expr: t.sql, params: t.params, fd: TYPE_FIELD, entity: 'Name', chain, key: key + lower };
      }
      if (!POLYMORPHIC_FIELDS.has(lower)) throw this.errors.noSuchColumn(token, name, 'Name');
      const exprs: string[] = [];
      let fd: FieldDef | undefined;
      for (const t of current) {
        // The Name entity's Name is each object's name field (CaseNumber for Case).
        const f = this.schema.field(t.object.name, name) ?? (lower === 'name' ? t.object.fields.find((x) => x.nameField) : undefined);
        if (!f || !this.canReadField(t.object, f)) continue;
        fd ??= f;
        exprs.push(`${t.alias}.${q(f.name)}`);
      }
      if (!fd) throw this.errors.noSuchColumn(token, name, 'Name');
      return { expr: exprs.length === 1 ? exprs[0]! : `COALESCE(${exprs.join(', ')})`, params: [], fd, entity: 'Name', chain, key: key + fd.name.toLowerCase() };
    }
    const { object, alias } = current[0]!;
    const fd = this.schema.field(object.name, name);
    if (!fd || fd.type === 'address' || !this.canReadField(object, fd)) throw this.errors.noSuchColumn(token, name, object.name);
    return { expr: `${alias}.${q(fd.name)}`, params: [], fd, entity: object.name, chain, key: key + fd.name.toLowerCase() };
  }

  private polymorphicType(join: Join): Frag {
    const whens = join.targets.map((t) => `WHEN ${t.alias}."Id" IS NOT NULL THEN ?`).join(' ');
    return { sql: `(CASE ${whens} END)`, params: join.targets.map((t) => t.object.name) };
  }

  // ---- functions --------------------------------------------------------------------------------

  private functionArgument(scope: Scope, fn: FunctionExp): Resolved {
    let arg = fn.parameters?.[0];
    // convertCurrency(Amount), convertTimezone(CreatedDate): the value itself.
    while (arg && typeof arg !== 'string' && PASS_THROUGH.has((arg.functionName ?? '').toUpperCase())) arg = arg.parameters?.[0];
    if (typeof arg !== 'string') throw this.errors.malformed(fn.rawValue ?? fn.functionName, `unexpected token: '${fn.rawValue ?? fn.functionName}'`);
    return this.resolve(scope, arg, arg);
  }

  private aggregateFunction(scope: Scope, fn: FunctionExp): { frag: Frag; conv: 'int' | 'number' | FieldDef } {
    const name = (fn.functionName ?? '').toUpperCase();
    if (name === 'COUNT' && (fn.parameters ?? []).length === 0) return { frag: { sql: 'COUNT(*)', params: [] }, conv: 'int' };
    const r = this.functionArgument(scope, fn);
    const cls = typeClass(r.fd.type);
    const unsupported = () => this.errors.at('INVALID_FIELD', fn.rawValue ?? r.fd.name, `field ${r.fd.name} does not support aggregate operator ${name}`);
    switch (name) {
      case 'COUNT':
        return { frag: { sql: `COUNT(${r.expr})`, params: r.params }, conv: 'int' };
      case 'COUNT_DISTINCT':
        return { frag: { sql: `COUNT(DISTINCT ${r.expr})`, params: r.params }, conv: 'int' };
      case 'SUM':
      case 'AVG':
        if (cls !== 'int' && cls !== 'double') throw unsupported();
        return { frag: { sql: `${name}(${r.expr})`, params: r.params }, conv: 'number' };
      default:
        if (cls === 'boolean' || r.fd.type === 'textarea' || r.fd.type === 'multipicklist') throw unsupported();
        return { frag: { sql: `${name}(${r.expr})`, params: r.params }, conv: r.fd };
    }
  }

  private dateFunction(scope: Scope, fn: FunctionExp): { frag: Frag; conv: 'int' | FieldDef } {
    const name = (fn.functionName ?? '').toUpperCase();
    if (!DATE_FUNCTIONS.has(name)) throw this.errors.malformed(fn.rawValue ?? fn.functionName, `unexpected token: '${fn.functionName ?? ''}'`);
    const r = this.functionArgument(scope, fn);
    const cls = typeClass(r.fd.type);
    if (cls !== 'date' && cls !== 'datetime') {
      throw this.errors.malformed(fn.rawValue ?? r.fd.name, `Invalid field type for date function ${name}: ${r.fd.name}`);
    }
    const e = r.expr;
    const part = (fmt: string) => `CAST(strftime('${fmt}', ${e}) AS INTEGER)`;
    let sql: string;
    switch (name) {
      case 'CALENDAR_YEAR':
      case 'FISCAL_YEAR':
        sql = part('%Y');
        break;
      case 'CALENDAR_MONTH':
      case 'FISCAL_MONTH':
        sql = part('%m');
        break;
      case 'CALENDAR_QUARTER':
      case 'FISCAL_QUARTER':
        sql = `((${part('%m')} + 2) / 3)`;
        break;
      case 'DAY_IN_MONTH':
        sql = part('%d');
        break;
      case 'DAY_IN_WEEK':
        sql = `(${part('%w')} + 1)`;
        break;
      case 'DAY_IN_YEAR':
        sql = part('%j');
        break;
      case 'HOUR_IN_DAY':
        sql = part('%H');
        break;
      case 'WEEK_IN_MONTH':
        sql = `((${part('%d')} - 1) / 7 + 1)`;
        break;
      case 'WEEK_IN_YEAR':
        sql = `((${part('%j')} - 1) / 7 + 1)`;
        break;
      default: // DAY_ONLY
        return { frag: { sql: `date(${e})`, params: r.params }, conv: { ...r.fd, name: r.fd.name, type: 'date' } };
    }
    return { frag: { sql, params: r.params }, conv: 'int' };
  }

  // ---- WHERE / HAVING ---------------------------------------------------------------------------

  private tree(clause: Query['where'] | Query['having']): BoolNode | undefined {
    try {
      return whereTree(clause);
    } catch (e) {
      if (e instanceof WhereSyntaxError) {
        const words = ['AND', 'OR', 'NOT'];
        // Point at the second operator kind at the top level when AND and OR are mixed.
        const token = words.includes(e.token) ? e.token : undefined;
        throw this.errors.malformed(token, e.message);
      }
      throw e;
    }
  }

  private bool(scope: Scope, node: BoolNode, having: boolean): Frag {
    switch (node.kind) {
      case 'cond':
        return this.condition(scope, node.cond, having);
      case 'not': {
        const inner = this.bool(scope, node.operand, having);
        return { sql: `NOT IFNULL(${paren(inner).sql}, 0)`, params: inner.params };
      }
      default: {
        const parts = node.operands.map((o) => this.bool(scope, o, having));
        return { sql: `(${parts.map((p) => p.sql).join(node.kind === 'and' ? ' AND ' : ' OR ')})`, params: parts.flatMap((p) => p.params) };
      }
    }
  }

  private condition(scope: Scope, cond: ConditionWithValueQuery, having: boolean): Frag {
    if ('valueQuery' in cond && cond.valueQuery) return this.semiJoin(scope, cond);
    let expr: Frag;
    let target: ValueTarget;
    if ('fn' in cond && cond.fn) {
      const name = (cond.fn.functionName ?? '').toUpperCase();
      if (AGGREGATES.has(name)) {
        if (!having) throw this.errors.malformed(cond.fn.rawValue, `Aggregate functions are not allowed in the WHERE clause: ${cond.fn.rawValue ?? name}`);
        const agg = this.aggregateFunction(scope, cond.fn);
        expr = agg.frag;
        target = agg.conv === 'int' || agg.conv === 'number' ? { cls: 'double', name: cond.fn.rawValue ?? name } : { fd: agg.conv, cls: typeClass(agg.conv.type), name: agg.conv.name };
      } else if (PASS_THROUGH.has(name)) {
        const r = this.functionArgument(scope, cond.fn);
        expr = { sql: r.expr, params: r.params };
        target = { fd: r.fd, cls: typeClass(r.fd.type), name: r.fd.name };
      } else {
        const fn = this.dateFunction(scope, cond.fn);
        expr = fn.frag;
        target = fn.conv === 'int' ? { cls: 'int', name: cond.fn.rawValue ?? name } : { fd: fn.conv, cls: 'date', name: cond.fn.rawValue ?? name };
      }
    } else {
      const field = (cond as { field: string }).field;
      const r = this.resolve(scope, field, field);
      if (r.fd.filterable === false) throw this.errors.at('INVALID_FIELD', field, `field '${r.fd.name}' can not be filtered in a query call`);
      expr = { sql: r.expr, params: r.params };
      target = { fd: r.fd, cls: typeClass(r.fd.type), name: r.fd.name };
    }
    const c = cond as { operator: string; value: string | string[]; literalType?: LiteralType | LiteralType[]; dateLiteralVariable?: number | number[] };
    const op = c.operator.toUpperCase();
    const values = Array.isArray(c.value) ? c.value : [c.value];
    const types = Array.isArray(c.literalType) ? c.literalType : values.map(() => c.literalType as LiteralType);
    const nArgs = Array.isArray(c.dateLiteralVariable) ? c.dateLiteralVariable : [c.dateLiteralVariable];
    const token = 'field' in cond ? (cond as { field: string }).field : (cond as { fn?: FunctionExp }).fn?.rawValue;
    const operands = values.map((v, i) => this.operand(target, v, types[i] ?? 'STRING', op === 'LIKE', nArgs[i], token));
    return this.comparison(expr, op, operands, target, token);
  }

  private operand(target: ValueTarget, raw: string, literalType: LiteralType, forLike: boolean, n: number | undefined, token: string | undefined): Operand {
    const literalIndex = literalType === 'STRING' && this.input.literals ? placeholderIndex(raw) : undefined;
    const shown = literalIndex !== undefined ? (this.input.literals![literalIndex] ?? raw) : raw;
    const mismatch = (quoted: boolean) =>
      this.errors.malformed(
        shown,
        `value of filter criterion for field '${target.name}' must be of type ${target.fd ? soapTypeName(target.fd) : target.cls} and should ${quoted ? 'be' : 'not be'} enclosed in quotes`,
      );
    const quotedTypes: TypeClass[] = ['string', 'id', 'other'];
    const wantsQuotes = quotedTypes.includes(target.cls);
    switch (literalType) {
      case 'NULL':
        return { k: 'null' };
      case 'STRING': {
        if (!wantsQuotes) throw mismatch(false);
        if (literalIndex !== undefined) {
          // The value is read from this execution's literals; Ids are checked then.
          const isId = target.cls === 'id' && !forLike;
          const p = new Deferred((ctx) => {
            const literal = ctx.literals?.[literalIndex];
            if (literal === undefined) throw new Error(`literal ${literalIndex} missing`);
            const s = unquote(literal, forLike);
            if (!isId) return s;
            if (s === '') return null;
            const id = normalizeIdValue(s);
            if (!id) throw new ErrorFactory(ctx.source ?? '').at('INVALID_QUERY_FILTER_OPERATOR', token, `invalid ID field: ${s}`);
            return id;
          });
          return { k: 'value', p, lifted: true };
        }
        const s = unquote(raw, forLike);
        if (target.cls === 'id' && !forLike) {
          if (s === '') return { k: 'null' };
          const id = normalizeIdValue(s);
          if (!id) throw this.errors.at('INVALID_QUERY_FILTER_OPERATOR', token, `invalid ID field: ${s}`);
          return { k: 'value', p: id };
        }
        return { k: 'value', p: s };
      }
      case 'INTEGER':
      case 'DECIMAL':
      case 'INTEGER_WITH_CURRENCY_PREFIX':
      case 'DECIMAL_WITH_CURRENCY_PREFIX':
        if (target.cls !== 'int' && target.cls !== 'double') throw mismatch(wantsQuotes);
        return { k: 'value', p: parseNumber(raw) };
      case 'BOOLEAN':
        if (target.cls !== 'boolean') throw mismatch(wantsQuotes);
        return { k: 'value', p: raw.toUpperCase() === 'TRUE' ? 1 : 0 };
      case 'DATE':
        if (target.cls === 'date') return { k: 'value', p: raw };
        if (target.cls === 'datetime') {
          const next = new Date(Date.parse(`${raw}T00:00:00.000Z`) + 86_400_000).toISOString();
          return { k: 'range', start: `${raw}T00:00:00.000Z`, end: next };
        }
        throw mismatch(wantsQuotes);
      case 'DATETIME': {
        if (target.cls !== 'datetime') throw mismatch(wantsQuotes);
        const iso = normalizeDatetime(raw);
        if (!iso) throw this.errors.malformed(raw, `line 1:0 no viable alternative at character '${raw}'`);
        return { k: 'value', p: iso };
      }
      case 'DATE_LITERAL':
      case 'DATE_N_LITERAL': {
        if (target.cls !== 'date' && target.cls !== 'datetime') throw mismatch(wantsQuotes);
        const [name, nText] = raw.split(':');
        const literal = name!.toUpperCase();
        const count = n ?? (nText !== undefined ? Number(nText) : undefined);
        if (N_LITERALS.has(literal) !== (count !== undefined) || !dateLiteralRange(literal, count, new Date())) {
          throw this.errors.malformed(raw, `unexpected token: '${raw}'`);
        }
        const suffix = target.cls === 'datetime' ? 'T00:00:00.000Z' : '';
        return {
          k: 'range',
          start: new Deferred((ctx) => dateLiteralRange(literal, count, ctx.now)!.start + suffix),
          end: new Deferred((ctx) => dateLiteralRange(literal, count, ctx.now)!.end + suffix),
        };
      }
      case 'APEX_BIND_VARIABLE': {
        if (!this.input.options.binds) throw this.errors.malformed(':', "unexpected token: ':'");
        return { k: 'bind', bind: raw };
      }
      default:
        throw this.errors.malformed(raw, `unexpected token: '${raw}'`);
    }
  }

  /** A Deferred that reads and converts a bind variable at execution time. */
  private bindParam(name: string, fd: FieldDef | undefined, list: boolean): Deferred {
    return new Deferred((ctx: ExecContext) => {
      const binds = ctx.binds ?? {};
      if (!Object.prototype.hasOwnProperty.call(binds, name)) throw new QueryError('MALFORMED_QUERY', `Variable does not exist: ${name}`);
      const value = binds[name];
      try {
        if (list) return JSON.stringify(bindList(value).map((v) => coerceBind(fd, v)));
        if (Array.isArray(value) || value instanceof Set) throw new BindTypeError(`Invalid bind expression type of List for column of type ${fd ? soapTypeName(fd) : 'unknown'}`);
        return coerceBind(fd, value);
      } catch (e) {
        if (e instanceof BindTypeError) throw new QueryError('MALFORMED_QUERY', e.message);
        throw e;
      }
    });
  }

  private comparison(expr: Frag, op: string, operands: Operand[], target: ValueTarget, token: string | undefined): Frag {
    const e = expr.sql;
    const ep = expr.params;
    const frag = (sql: string, params: Param[]): Frag => ({ sql, params });
    const single = operands[0]!;
    switch (op) {
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        if (operands.length !== 1) throw this.errors.malformed(token, `unexpected token: '('`);
        const neq = op === '!=';
        switch (single.k) {
          case 'null':
            if (op === '=') return frag(`${e} IS NULL`, ep);
            if (neq) return frag(`${e} IS NOT NULL`, ep);
            return frag('0', []);
          case 'bind': {
            const p = this.bindParam(single.bind!, target.fd, false);
            if (op === '=') return frag(`${e} IS ?`, [...ep, p]);
            if (neq) return frag(`${e} IS NOT ?`, [...ep, p]);
            return frag(`${e} ${op} ?`, [...ep, p]);
          }
          case 'range': {
            const { start, end } = single as Required<Pick<Operand, 'start' | 'end'>>;
            switch (op) {
              case '=':
                return frag(`(${e} >= ? AND ${e} < ?)`, [...ep, start, ...ep, end]);
              case '!=':
                return frag(`(${e} IS NULL OR ${e} < ? OR ${e} >= ?)`, [...ep, ...ep, start, ...ep, end]);
              case '<':
                return frag(`${e} < ?`, [...ep, start]);
              case '<=':
                return frag(`${e} < ?`, [...ep, end]);
              case '>':
                return frag(`${e} >= ?`, [...ep, end]);
              default:
                return frag(`${e} >= ?`, [...ep, start]);
            }
          }
          default:
            if (op === '=') return frag(single.lifted && target.cls === 'id' ? `${e} IS ?` : `${e} = ?`, [...ep, single.p!]);
            if (neq) return frag(`${e} IS NOT ?`, [...ep, single.p!]);
            return frag(`${e} ${op} ?`, [...ep, single.p!]);
        }
      }
      case 'LIKE': {
        if (operands.length !== 1) throw this.errors.malformed(token, `unexpected token: '('`);
        if (single.k === 'null') return frag('0', []);
        if (single.k === 'bind') return frag(`${e} LIKE ?`, [...ep, this.bindParam(single.bind!, undefined, false)]);
        if (single.k !== 'value' || (typeof single.p !== 'string' && !single.lifted)) throw this.errors.malformed(token, `invalid operator on field: LIKE`);
        const escape = single.lifted || (typeof single.p === 'string' && single.p.includes('\\'));
        return frag(escape ? `${e} LIKE ? ESCAPE '\\'` : `${e} LIKE ?`, [...ep, single.p!]);
      }
      case 'IN':
      case 'NOT IN': {
        let inner: Frag;
        if (operands.length === 1 && single.k === 'bind') {
          inner = frag(`${e} IN (SELECT value FROM json_each(?))`, [...ep, this.bindParam(single.bind!, target.fd, true)]);
        } else {
          if (operands.some((o) => o.k === 'bind')) throw this.errors.malformed(':', "unexpected token: ':'");
          const parts: Frag[] = [];
          const vals = operands.filter((o) => o.k === 'value');
          if (vals.length) parts.push(frag(`${e} IN (${vals.map(() => '?').join(', ')})`, [...ep, ...vals.map((v) => v.p!)]));
          if (operands.some((o) => o.k === 'null')) parts.push(frag(`${e} IS NULL`, ep));
          for (const r of operands.filter((o) => o.k === 'range')) parts.push(frag(`(${e} >= ? AND ${e} < ?)`, [...ep, r.start!, ...ep, r.end!]));
          inner = parts.length === 1 ? parts[0]! : frag(`(${parts.map((p) => p.sql).join(' OR ')})`, parts.flatMap((p) => p.params));
        }
        return op === 'IN' ? inner : frag(`NOT IFNULL(${paren(inner).sql}, 0)`, inner.params);
      }
      case 'INCLUDES':
      case 'EXCLUDES': {
        if (target.fd?.type !== 'multipicklist') throw this.errors.malformed(token, `invalid operator on field: ${op.toLowerCase()}`);
        // soql_includes (engine.ts) checks that every ';'-separated value of the operand is selected.
        const anyOf: Frag[] = [];
        for (const o of operands) {
          if (o.k !== 'value' || (typeof o.p !== 'string' && !o.lifted)) throw this.errors.malformed(token, `unexpected token: '${op}'`);
          anyOf.push(frag(`soql_includes(${e}, ?)`, [...ep, o.p!]));
        }
        const inc = anyOf.length === 0 ? frag('0', []) : frag(`(${anyOf.map((a) => a.sql).join(' OR ')})`, anyOf.flatMap((a) => a.params));
        return op === 'INCLUDES' ? inc : frag(`NOT ${inc.sql}`, inc.params);
      }
      default:
        throw this.errors.malformed(op, `unexpected token: '${op}'`);
    }
  }

  /** `Id IN (SELECT AccountId FROM Contact WHERE …)`: a subquery with the inner object's sharing. */
  private semiJoin(scope: Scope, cond: ValueQueryCondition): Frag {
    const op = cond.operator.toUpperCase();
    if (op !== 'IN' && op !== 'NOT IN') throw this.errors.malformed('SELECT', `unexpected token: 'SELECT'`);
    const left = this.resolve(scope, cond.field, cond.field);
    if (typeClass(left.fd.type) !== 'id') throw this.errors.at('INVALID_FIELD', cond.field, `Invalid field for semi/anti join: ${left.fd.name}`);
    const inner = cond.valueQuery;
    const object = this.fromObject(inner.sObject!);
    const innerScope = new Scope(object, this.nextAlias(), inner.sObjectAlias);
    const fields = inner.fields ?? [];
    const first = fields[0];
    if (fields.length !== 1 || !first || (first.type !== 'Field' && first.type !== 'FieldRelationship')) {
      throw this.errors.malformed(inner.sObject, 'The selected field in a semi join subquery must be a single Id or reference field');
    }
    const selected = this.resolve(innerScope, fieldPath(first), fieldPath(first));
    if (typeClass(selected.fd.type) !== 'id') throw this.errors.at('INVALID_FIELD', fieldPath(first), `Invalid field for semi/anti join: ${selected.fd.name}`);
    const where: Frag[] = [{ sql: `${selected.expr} IS NOT NULL`, params: selected.params }];
    if (!this.input.options.includeDeleted) where.push({ sql: `${innerScope.alias}."IsDeleted" = 0`, params: [] });
    const share = this.sharing(object, innerScope.alias);
    if (share) where.push(share);
    const tree = this.tree(inner.where);
    if (tree) where.push(this.bool(innerScope, tree, false));
    const params: Param[] = [...left.params, ...selected.params, ...innerScope.joinFrags.flatMap((j) => j.params), ...where.flatMap((w) => w.params)];
    const sub = `SELECT ${selected.expr} FROM ${q(object.name)} ${innerScope.alias}${innerScope.joinFrags.map((j) => ' ' + j.sql).join('')} WHERE ${where.map((w) => paren(w).sql).join(' AND ')}`;
    const sql = `${left.expr} IN (${sub})`;
    return op === 'IN' ? { sql, params } : { sql: `NOT IFNULL((${sql}), 0)`, params };
  }
}

function paren(f: Frag): Frag {
  return { sql: `(${f.sql})`, params: f.params };
}

function asArray<T>(v: T | T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function fieldPath(f: SoqlFieldType): string {
  if (f.type === 'Field') {
    const prefix = (f as { objectPrefix?: string }).objectPrefix;
    return prefix ? `${prefix}.${f.field}` : f.field;
  }
  const rel = f as FieldRelationship & { objectPrefix?: string };
  return [...(rel.objectPrefix ? [rel.objectPrefix] : []), ...rel.relationships, rel.field].join('.');
}

function fnKey(fn: FunctionExp): string {
  return (fn.rawValue ?? `${fn.functionName}(${String(fn.parameters)})`).replace(/\s+/g, '').toLowerCase();
}
