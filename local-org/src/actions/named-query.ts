/**
 * Named Query API (platform.md §7): runs a deployed ApiNamedQuery's SOQL (`body2`) with the
 * request's URL parameters as typed bind values, as the calling user.
 *
 * Parameter typing: each `:param` is typed by the field (or date function) it is compared with,
 * found by walking the parsed query (the SOQL engine's own parser, never text matching):
 *
 *   text, picklist, email, phone, url, textarea  → String, the value as given (for LIKE, a pattern)
 *   Id / lookup                                   → Id: 15 or 18 characters, else `invalid ID field: …`
 *   checkbox                                      → Boolean: `true` / `false` (any case)
 *   number (scale 0), int                         → Integer: `36`, `-2`
 *   number, currency, percent                     → Decimal: `10.99`, `-1`, or `USD20000` (the org currency)
 *   date                                          → Date `2025-10-14`, or a date literal (`TODAY`, `LAST_N_DAYS:10`)
 *   datetime                                      → Datetime `2025-10-14T09:00:00-07:00` / `…Z`, or a date literal
 *   time                                          → Time `17:30:00-07:00`, `17:30:00.000Z`
 *   not compared with a field (e.g. LIMIT)        → String
 *
 * Values travel as bind variables; a value never becomes SOQL text. The one exception is a date
 * literal (the platform accepts `TODAY` or `LAST_N_DAYS:10` as a Date parameter): a value that
 * matches the date-literal grammar exactly is put into the parsed query as a date-literal token and
 * the query is recomposed from the tree — never by pasting the value into the text.
 */
import { composeQuery, type Query } from '@jetstreamapp/soql-parser-js';
import { ApiError } from '../http/errors.ts';
import { isValidId } from '../ids.ts';
import { storedComponents, type StoredComponent } from '../metadata/apply.ts';
import { list, parseMetadataXml, text, type XmlNode } from '../metadata/xml.ts';
import type { FieldDef, ObjectDef, SchemaRegistry } from '../schema/types.ts';
import { N_LITERALS } from '../soql/date-literals.ts';
import { parseSoql } from '../soql/parse.ts';
import { normalizeDatetime, normalizeIdValue, soapTypeName, typeClass, type TypeClass } from '../soql/values.ts';
import { whereTree, type BoolNode } from '../soql/where-tree.ts';

/** The first API version that serves `/named/query`. */
export const NAMED_QUERY_MIN_VERSION = 65;

/** The org's currency (the local org is single-currency). */
export const ORG_CURRENCY = 'USD';

export interface NamedQueryParameter {
  name: string;
  label: string | null;
  description: string | null;
}

export interface NamedQueryDef {
  name: string;
  label: string;
  description: string | null;
  apiVersion: string | null;
  soql: string;
  parameters: NamedQueryParameter[];
}

export function parseNamedQuery(c: StoredComponent): NamedQueryDef {
  const { body } = parseMetadataXml(c.xml, 'ApiNamedQuery');
  return {
    name: c.fullName,
    label: text(body.masterLabel) ?? c.fullName,
    description: text(body.description) ?? null,
    apiVersion: text(body.apiVersion) ?? null,
    soql: text(body.body2) ?? '',
    parameters: list<XmlNode>(body.apiNamedQueryParameters).map((p) => ({
      name: text(p.parameterName) ?? '',
      label: text(p.parameterLabel) ?? null,
      description: text(p.description) ?? null,
    })),
  };
}

/** The deployed named query (exact name first, then case-insensitive), or undefined. */
export function findNamedQuery(db: Parameters<typeof storedComponents>[0], name: string): NamedQueryDef | undefined {
  const all = storedComponents(db, 'ApiNamedQuery');
  const c = all.find((x) => x.fullName === name) ?? all.find((x) => x.fullName.toLowerCase() === name.toLowerCase());
  return c ? parseNamedQuery(c) : undefined;
}

/** Where a bind variable is used: the field (or function) it is compared with and the operator. */
export interface BindUse {
  param: string;
  /** `CloseDate`, `Account.Name`, `CALENDAR_YEAR(CloseDate)`. */
  target: string;
  cls: TypeClass | 'unknown';
  fd?: FieldDef;
  operator: string;
  /** The condition object inside the parsed query (for date-literal substitution). */
  condition: Record<string, unknown>;
  /** Index inside a value list (`IN (:a, :b)`), or undefined for a single value. */
  index?: number;
}

const INT_FUNCTIONS = new Set([
  'CALENDAR_MONTH', 'CALENDAR_QUARTER', 'CALENDAR_YEAR', 'DAY_IN_MONTH', 'DAY_IN_WEEK', 'DAY_IN_YEAR', 'FISCAL_MONTH', 'FISCAL_QUARTER',
  'FISCAL_YEAR', 'HOUR_IN_DAY', 'WEEK_IN_MONTH', 'WEEK_IN_YEAR',
]);

/** Every bind variable use in a (cloned) parsed query, with the type of what it is compared with. */
export function bindUses(schema: SchemaRegistry, query: Query): BindUse[] {
  const uses: BindUse[] = [];
  const visit = (q: Query, object: ObjectDef | undefined): void => {
    const alias = (q as { sObjectAlias?: string }).sObjectAlias;
    walk(whereTree(q.where), object, alias);
    for (const f of q.fields ?? []) {
      if (f.type !== 'FieldSubquery' || !object) continue;
      const rel = schema.childRelationships(object.name).find((r) => r.relationshipName.toLowerCase() === f.subquery.relationshipName.toLowerCase());
      visit(f.subquery as unknown as Query, rel ? schema.get(rel.childSObject) : undefined);
    }
  };
  const walk = (node: BoolNode | undefined, object: ObjectDef | undefined, alias: string | undefined): void => {
    if (!node) return;
    if (node.kind === 'not') return walk(node.operand, object, alias);
    if (node.kind !== 'cond') {
      for (const o of node.operands) walk(o, object, alias);
      return;
    }
    const cond = node.cond as unknown as Record<string, unknown>;
    if (cond.valueQuery) {
      const sub = cond.valueQuery as Query;
      visit(sub, schema.get(sub.sObject ?? ''));
    }
    const types = Array.isArray(cond.literalType) ? (cond.literalType as string[]) : undefined;
    const values = Array.isArray(cond.value) ? (cond.value as string[]) : [cond.value as string];
    values.forEach((value, i) => {
      const literalType = types ? types[i] : (cond.literalType as string | undefined);
      if (literalType !== 'APEX_BIND_VARIABLE') return;
      let target: string;
      let cls: BindUse['cls'] = 'unknown';
      let fd: FieldDef | undefined;
      const fn = cond.fn as { functionName?: string; rawValue?: string; parameters?: unknown[] } | undefined;
      if (fn) {
        target = fn.rawValue ?? fn.functionName ?? '';
        const name = (fn.functionName ?? '').toUpperCase();
        if (INT_FUNCTIONS.has(name)) cls = 'int';
        else if (name === 'DAY_ONLY') cls = 'date';
      } else {
        target = String(cond.field ?? '');
        fd = resolveField(schema, object, alias, target);
        if (fd) cls = typeClass(fd.type);
      }
      uses.push({ param: value, target, cls, fd, operator: String(cond.operator ?? '').toUpperCase(), condition: cond, index: types || Array.isArray(cond.value) ? i : undefined });
    });
  };
  visit(query, schema.get(query.sObject ?? ''));
  return uses;
}

/** A field path (`Name`, `Account.Name`, `a.Owner.Name`) from an object, through parent relationships. */
function resolveField(schema: SchemaRegistry, object: ObjectDef | undefined, alias: string | undefined, path: string): FieldDef | undefined {
  if (!object) return undefined;
  let parts = path.split('.');
  if (parts.length > 1 && (parts[0]!.toLowerCase() === alias?.toLowerCase() || parts[0]!.toLowerCase() === object.name.toLowerCase())) parts = parts.slice(1);
  let current: ObjectDef | undefined = object;
  for (let i = 0; i < parts.length - 1; i++) {
    const rel: FieldDef | undefined = schema.fieldByRelationshipName(current!.name, parts[i]!);
    if (!rel?.referenceTo?.length) return undefined;
    if (rel.referenceTo.length > 1) {
      // Polymorphic: only the common Name/Id/Type fields can be compared.
      const last = parts[parts.length - 1]!.toLowerCase();
      return last === 'id' ? ({ name: 'Id', type: 'id' } as FieldDef) : ({ name: parts[parts.length - 1]!, type: 'string' } as FieldDef);
    }
    current = schema.get(rel.referenceTo[0]!);
    if (!current) return undefined;
  }
  return schema.field(current!.name, parts[parts.length - 1]!);
}

/** A request error in the platform's shape (always 400 for named queries). */
function badRequest(errorCode: string, message: string): ApiError {
  return new ApiError(400, errorCode, message);
}

const DATE_LITERALS = new Set([
  'YESTERDAY', 'TODAY', 'TOMORROW', 'LAST_WEEK', 'THIS_WEEK', 'NEXT_WEEK', 'LAST_MONTH', 'THIS_MONTH', 'NEXT_MONTH', 'LAST_90_DAYS',
  'NEXT_90_DAYS', 'THIS_QUARTER', 'LAST_QUARTER', 'NEXT_QUARTER', 'THIS_YEAR', 'LAST_YEAR', 'NEXT_YEAR', 'THIS_FISCAL_QUARTER',
  'LAST_FISCAL_QUARTER', 'NEXT_FISCAL_QUARTER', 'THIS_FISCAL_YEAR', 'LAST_FISCAL_YEAR', 'NEXT_FISCAL_YEAR',
]);

/** `TODAY` → {literal}; `LAST_N_DAYS:10` → {literal, n}; anything else → undefined. */
export function parseDateLiteral(value: string): { literal: string; n?: number } | undefined {
  const m = /^([A-Za-z_0-9]+)(?::(\d{1,6}))?$/.exec(value.trim());
  if (!m) return undefined;
  const literal = m[1]!.toUpperCase();
  if (m[2] !== undefined) return N_LITERALS.has(literal) ? { literal, n: Number(m[2]) } : undefined;
  return DATE_LITERALS.has(literal) ? { literal } : undefined;
}

type Typed = { kind: 'bind'; value: unknown } | { kind: 'dateLiteral'; literal: string; n?: number };

function typeValue(use: BindUse, raw: string): Typed {
  const mismatch = (type: string) =>
    badRequest('INVALID_QUERY_FILTER_OPERATOR', `value of filter criterion for field '${use.fd?.name ?? use.target}' must be of type ${type}`);
  const type = use.fd ? soapTypeName(use.fd) : use.cls === 'unknown' ? 'string' : use.cls;
  const v = raw;
  switch (use.cls) {
    case 'id': {
      if (use.operator === 'LIKE') return { kind: 'bind', value: v };
      const id = normalizeIdValue(v);
      if (!id || !isValidId(v)) throw badRequest('INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${v}`);
      return { kind: 'bind', value: id };
    }
    case 'boolean':
      if (!/^(true|false)$/i.test(v)) throw mismatch(type);
      return { kind: 'bind', value: v.toLowerCase() === 'true' };
    case 'int':
      if (!/^[+-]?\d+$/.test(v)) throw mismatch(type);
      return { kind: 'bind', value: Number(v) };
    case 'double': {
      const m = /^(?:([A-Za-z]{3}))?([+-]?(?:\d+(?:\.\d*)?|\.\d+))$/.exec(v);
      if (!m) throw mismatch(type);
      if (m[1] && m[1].toUpperCase() !== ORG_CURRENCY) {
        throw badRequest('INVALID_QUERY_FILTER_OPERATOR', `currency ISO code ${m[1].toUpperCase()} is not supported: the org's currency is ${ORG_CURRENCY}`);
      }
      return { kind: 'bind', value: Number(m[2]) };
    }
    case 'date': {
      const lit = parseDateLiteral(v);
      if (lit) return { kind: 'dateLiteral', ...lit };
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
      if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) throw mismatch(type);
      return { kind: 'bind', value: v };
    }
    case 'datetime': {
      const lit = parseDateLiteral(v);
      if (lit) return { kind: 'dateLiteral', ...lit };
      const iso = normalizeDatetime(v);
      if (!iso) throw mismatch(type);
      return { kind: 'bind', value: iso };
    }
    case 'time':
      if (!/^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) throw mismatch(type);
      return { kind: 'bind', value: v };
    default:
      return { kind: 'bind', value: v };
  }
}

export interface PreparedNamedQuery {
  soql: string;
  binds: Record<string, unknown>;
}

/**
 * Checks the request's parameters against the named query and types them. Every declared (or
 * used) parameter is required; a parameter the query does not take is refused.
 */
export function prepareNamedQuery(schema: SchemaRegistry, nq: NamedQueryDef, params: URLSearchParams): PreparedNamedQuery {
  const parsed = structuredClone(parseSoql(nq.soql)) as Query;
  const uses = bindUses(schema, parsed);
  const names: string[] = [];
  const seen = new Set<string>();
  for (const n of [...nq.parameters.map((p) => p.name), ...uses.map((u) => u.param)]) {
    if (n && !seen.has(n.toLowerCase())) {
      seen.add(n.toLowerCase());
      names.push(n);
    }
  }
  // Parameter names match case-sensitively first, then case-insensitively (UNCONFIRMED which the platform does).
  const given = new Map<string, string>();
  for (const [k, v] of params) {
    const name = names.find((n) => n === k) ?? names.find((n) => n.toLowerCase() === k.toLowerCase());
    if (!name) {
      throw badRequest(
        'MALFORMED_QUERY',
        `Unknown parameter '${k}' for the named query ${nq.name}. ${names.length ? `It takes: ${names.join(', ')}.` : 'It takes no parameters.'}`,
      );
    }
    if (given.has(name)) throw badRequest('MALFORMED_QUERY', `Parameter '${name}' is given more than once.`);
    given.set(name, v);
  }
  for (const n of names) if (!given.has(n)) throw badRequest('MALFORMED_QUERY', `Missing value for parameter '${n}'`);

  const binds: Record<string, unknown> = {};
  let substituted = false;
  for (const name of names) {
    const raw = given.get(name)!;
    const mine = uses.filter((u) => u.param.toLowerCase() === name.toLowerCase());
    let value: unknown = raw;
    for (const use of mine) {
      const typed = typeValue(use, raw);
      if (typed.kind === 'dateLiteral') {
        // Replace the bind in the parsed tree with a date-literal token of the same condition.
        const c = use.condition;
        const literalValue = typed.n === undefined ? typed.literal : `${typed.literal}:${typed.n}`;
        const literalType = typed.n === undefined ? 'DATE_LITERAL' : 'DATE_N_LITERAL';
        if (use.index !== undefined && Array.isArray(c.value)) {
          (c.value as string[])[use.index] = literalValue;
          if (Array.isArray(c.literalType)) (c.literalType as string[])[use.index] = literalType;
        } else {
          c.value = literalValue;
          c.literalType = literalType;
          if (typed.n !== undefined) c.dateLiteralVariable = typed.n;
        }
        substituted = true;
      } else {
        value = typed.value;
      }
    }
    const bound = use0IsList(mine) ? [value] : value;
    binds[name] = bound;
    for (const use of mine) binds[use.param] = bound;
  }
  return { soql: substituted ? composeQuery(parsed) : nq.soql, binds };
}

/** `IN :p` / `NOT IN :p` bind a list: the single parameter value becomes a one-element list. */
function use0IsList(uses: BindUse[]): boolean {
  return uses.length > 0 && uses.every((u) => u.index === undefined && (u.operator === 'IN' || u.operator === 'NOT IN' || u.operator === 'INCLUDES' || u.operator === 'EXCLUDES'));
}
