/**
 * The SOQL engine every surface uses (REST query, Named Queries, Flow Get Records, Apex inline SOQL):
 *
 *   runQuery(org, soql, { user, apiVersion, binds?, includeDeleted?, batchSize? })
 *     → { totalSize, done, records, nextRecordsUrl? }
 *   queryMore(org, locator, { user, apiVersion })
 *   compile(org, soql, options) → { sql, params, … }   (inspection and tests)
 *
 * Plans are cached per user context and query text (a UserContext is rebuilt whenever permissions
 * change, so the cache follows), prepared statements per SQL text. A query's matching rows are read
 * once; further pages come from a server-side cursor tied to the user who ran the query, kept in
 * memory for 15 minutes after its last use (at most 10 per user, as the platform allows), and
 * the child subqueries of each page run when the page is served.
 */
import type Database from 'better-sqlite3';
import { newId } from '../ids.ts';
import type { OrgContext } from '../org/context.ts';
import type { UserContext } from '../security/types.ts';
import type { Db } from '../storage/database.ts';
import { compilePlan, COUNT_BIND_BASE, type CompileOptions } from './compiler.ts';
import { ErrorFactory, QueryError } from './errors.ts';
import { liftLiterals, parseSoql } from './parse.ts';
import { resolveParams, type ExecContext, type LevelPlan, type QueryPlan } from './plan.ts';
import { Shaper, type ChildResult, type Row, type SObjectRecord } from './shape.ts';

export const DEFAULT_BATCH_SIZE = 2000;
export const CURSOR_IDLE_MS = 15 * 60 * 1000;
export const MAX_CURSORS_PER_USER = 10;

export interface QueryOptions extends CompileOptions {
  /** `65.0`: used in record and locator URLs. */
  apiVersion: string;
  /** Records per page (default 2000). REST clamps the Sforce-Query-Options hint to 200–2000. */
  batchSize?: number;
  /** The clock for date literals (tests). */
  now?: Date;
}

export interface QueryResult {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: SObjectRecord[];
}

export interface CompiledQuery {
  sql: string;
  params: (string | number | null)[];
  entityName: string;
  children: { relationshipName: string; sql: string; params: (string | number | null)[] }[];
}

// ---- caches --------------------------------------------------------------------------------------

const STATEMENT_LIMIT = 500;
const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** `col INCLUDES ('a;b')`: every value of the operand is among the field's selected values (case-insensitive). */
function soqlIncludes(stored: unknown, operand: unknown): number {
  if (stored === null || stored === undefined || operand === null || operand === undefined) return 0;
  const selected = new Set(String(stored).split(';').map((v) => v.trim().toLowerCase()));
  const wanted = String(operand).split(';').map((v) => v.trim().toLowerCase()).filter(Boolean);
  return wanted.length > 0 && wanted.every((v) => selected.has(v)) ? 1 : 0;
}

/** A prepared statement for `sql`, cached per database by SQL text (raw rows). */
export function prepared(db: Db, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    statements.set(db, (cache = new Map()));
    db.function('soql_includes', { deterministic: true }, soqlIncludes);
  }
  let stmt = cache.get(sql);
  if (stmt) {
    cache.delete(sql);
    cache.set(sql, stmt);
    return stmt;
  }
  stmt = db.prepare(sql);
  if (stmt.reader) stmt.raw(true);
  cache.set(sql, stmt);
  if (cache.size > STATEMENT_LIMIT) cache.delete(cache.keys().next().value!);
  return stmt;
}

const PLAN_LIMIT = 200;
const plans = new WeakMap<object, Map<string, QueryPlan>>();

function planKey(soql: string, o: CompileOptions): string {
  return [o.mode ?? 'user', o.withSharing ? 1 : 0, o.includeDeleted ? 1 : 0, o.tooling ? 1 : 0, o.binds ? 1 : 0, soql].join('|');
}

export interface PreparedQuery {
  plan: QueryPlan;
  /** This query's string literals (the plan reads them at execution). */
  literals: string[];
}

/**
 * The compiled plan of a query for these options. Plans are keyed by the query text with its string
 * literals lifted out, so `… WHERE Name = 'A'` and `… WHERE Name = 'B'` share one parse and one plan.
 */
export function planFor(org: OrgContext, soql: string, options: CompileOptions): PreparedQuery {
  const owner: object = options.user === 'system' ? org : options.user;
  let cache = plans.get(owner);
  if (!cache) plans.set(owner, (cache = new Map()));
  const lifted = liftLiterals(soql);
  // LIMIT :n / OFFSET :n (only where binds exist: over REST a colon stays a syntax error).
  const countBinds: string[] = [];
  const text = options.binds
    ? lifted.text.replace(/\b(LIMIT|OFFSET)(\s*):\s*([A-Za-z_][A-Za-z0-9_]*)/gi, (_m, clause: string, space: string, name: string) => {
        countBinds.push(name);
        return `${clause}${space || ' '}${COUNT_BIND_BASE + countBinds.length - 1}`;
      })
    : lifted.text;
  const key = planKey(countBinds.length ? `${text}|${countBinds.join(',')}` : text, options);
  const hit = cache.get(key);
  if (hit && hit.schemaVersion === org.schema.version) return { plan: hit, literals: lifted.literals };
  let query;
  try {
    query = parseSoql(text);
  } catch (e) {
    parseSoql(soql); // reports the error against the text the caller sent
    throw e;
  }
  const plan = compilePlan(org, { query, source: soql, errors: new ErrorFactory(soql), options, literals: lifted.literals, countBinds });
  cache.set(key, plan);
  if (cache.size > PLAN_LIMIT) cache.delete(cache.keys().next().value!);
  return { plan, literals: lifted.literals };
}

// ---- execution -----------------------------------------------------------------------------------

function rows(org: OrgContext, plan: LevelPlan, ctx: ExecContext): Row[] {
  return prepared(org.db, plan.sql).all(...resolveParams(plan.params, ctx)) as Row[];
}

/** Shapes one page of rows of a level, running its child subqueries once for the whole page. */
export function shapeRows(org: OrgContext, plan: LevelPlan, page: Row[], ctx: ExecContext, shaper: Shaper): SObjectRecord[] {
  if (plan.aggregate) return page.map((r) => shaper.record(plan, r));
  const childValues: (ChildResult | null)[][] = page.map(() => []);
  if (plan.children.length && page.length) {
    const ids = [...new Set(page.map((r) => r[plan.idCol] as string))];
    plan.children.forEach((child, index) => {
      const childRows = rows(org, child.plan, { ...ctx, parentIds: ids });
      const records = shapeRows(org, child.plan, childRows, ctx, shaper);
      const byParent = new Map<string, SObjectRecord[]>();
      childRows.forEach((r, i) => {
        const fk = r[child.plan.fkCol] as string;
        let list = byParent.get(fk);
        if (!list) byParent.set(fk, (list = []));
        list.push(records[i]!);
      });
      page.forEach((r, i) => {
        const list = byParent.get(r[plan.idCol] as string);
        childValues[i]![index] = list ? { totalSize: list.length, done: true, records: list } : null;
      });
    });
  }
  return page.map((r, i) => shaper.record(plan, r, childValues[i]));
}

interface Cursor {
  id: string;
  /** User Id, or '' for system-mode callers. */
  owner: string;
  plan: QueryPlan;
  rows: Row[];
  ctx: ExecContext;
  tooling: boolean;
  batchSize: number;
  lastUsed: number;
}

const cursorStores = new WeakMap<OrgContext, Map<string, Cursor>>();

function cursors(org: OrgContext): Map<string, Cursor> {
  let store = cursorStores.get(org);
  if (!store) cursorStores.set(org, (store = new Map()));
  const now = Date.now();
  for (const [id, c] of store) if (now - c.lastUsed > CURSOR_IDLE_MS) store.delete(id);
  return store;
}

function ownerOf(user: UserContext | 'system'): string {
  return user === 'system' ? '' : user.userId;
}

function page(org: OrgContext, cursor: Cursor, offset: number, batchSize: number, apiVersion: string): QueryResult {
  const slice = cursor.rows.slice(offset, offset + batchSize);
  const records = shapeRows(org, cursor.plan.root, slice, cursor.ctx, new Shaper(apiVersion));
  const next = offset + slice.length;
  const result: QueryResult = { totalSize: cursor.rows.length, done: next >= cursor.rows.length, records };
  if (!result.done) {
    result.nextRecordsUrl = `/services/data/v${apiVersion}/${cursor.tooling ? 'tooling/' : ''}query/${cursor.id}-${next}`;
    return { totalSize: result.totalSize, done: false, nextRecordsUrl: result.nextRecordsUrl, records };
  }
  return result;
}

export interface ExecutedQuery {
  result: QueryResult;
  entityName: string;
}

/** runQuery, also telling which object was queried (for the audit log). */
export function executeQuery(org: OrgContext, soql: string, options: QueryOptions): ExecutedQuery {
  const { plan, literals } = planFor(org, soql, options);
  for (const o of plan.objectsRead) org.beforeRead(o);
  const ctx: ExecContext = { binds: options.binds, now: options.now ?? new Date(), literals, source: soql };
  const root = plan.root;
  if (root.countOnly) {
    const row = prepared(org.db, root.sql).get(...resolveParams(root.params, ctx)) as Row;
    return { result: { totalSize: Number(row[0]), done: true, records: [] }, entityName: plan.entityName };
  }
  const all = rows(org, root, ctx);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const cursor: Cursor = { id: '', owner: ownerOf(options.user), plan, rows: all, ctx, tooling: Boolean(options.tooling), batchSize, lastUsed: Date.now() };
  if (root.aggregate || all.length <= batchSize) {
    return { result: page(org, cursor, 0, all.length || 1, options.apiVersion), entityName: plan.entityName };
  }
  const store = cursors(org);
  const mine = [...store.values()].filter((c) => c.owner === cursor.owner).sort((a, b) => a.lastUsed - b.lastUsed);
  while (mine.length >= MAX_CURSORS_PER_USER) store.delete(mine.shift()!.id);
  cursor.id = newId('01g');
  store.set(cursor.id, cursor);
  return { result: page(org, cursor, 0, batchSize, options.apiVersion), entityName: plan.entityName };
}

/** Runs a SOQL query as `options.user`: the first page, and a cursor for the rest. */
export function runQuery(org: OrgContext, soql: string, options: QueryOptions): QueryResult {
  return executeQuery(org, soql, options).result;
}

export interface MoreOptions {
  user: UserContext | 'system';
  apiVersion: string;
  /** Defaults to the batch size of the query that opened the cursor. */
  batchSize?: number;
}

/** The next page of a query: `locator` is `01g…-<offset>` (the last segment of nextRecordsUrl). */
export function queryMoreWithEntity(org: OrgContext, locator: string, options: MoreOptions): ExecutedQuery {
  const m = /^(01g[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)-(\d+)$/.exec(locator);
  const invalid = () => new QueryError('INVALID_QUERY_LOCATOR', 'invalid query locator');
  if (!m) throw invalid();
  const store = cursors(org);
  const cursor = [...store.values()].find((c) => c.id.slice(0, 15) === m[1]!.slice(0, 15));
  if (!cursor || cursor.owner !== ownerOf(options.user)) throw invalid();
  const offset = Number(m[2]);
  if (offset > cursor.rows.length) throw invalid();
  cursor.lastUsed = Date.now();
  for (const o of cursor.plan.objectsRead) org.beforeRead(o);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? cursor.batchSize));
  return { result: page(org, cursor, offset, batchSize, options.apiVersion), entityName: cursor.plan.entityName };
}

export function queryMore(org: OrgContext, locator: string, options: MoreOptions): QueryResult {
  return queryMoreWithEntity(org, locator, options).result;
}

/** The SQL a query compiles to, with its parameters resolved (child subqueries for no parents). */
export function compile(org: OrgContext, soql: string, options: CompileOptions & { now?: Date }): CompiledQuery {
  const { plan, literals } = planFor(org, soql, options);
  const ctx: ExecContext = { binds: options.binds, now: options.now ?? new Date(), parentIds: [], literals, source: soql };
  return {
    sql: plan.root.sql,
    params: resolveParams(plan.root.params, ctx),
    entityName: plan.entityName,
    children: plan.root.children.map((c) => ({ relationshipName: c.relationshipName, sql: c.plan.sql, params: resolveParams(c.plan.params, ctx) })),
  };
}
