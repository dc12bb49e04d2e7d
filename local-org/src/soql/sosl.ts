/**
 * SOSL: `FIND {term} [IN ALL|NAME|EMAIL|PHONE|SIDEBAR FIELDS] [RETURNING Obj[(fields [WHERE …]
 * [ORDER BY …] [LIMIT n] [OFFSET n])], …] [WITH …] [LIMIT n]`, and the REST parameterizedSearch.
 *
 * @jetstreamapp/soql-parser-js parses SOQL only (its grammar starts at SELECT; there is no FIND), so
 * this is a small hand-written front end: it reads the search term and the clause skeleton, and
 * turns each RETURNING object into a SOQL query (`SELECT fields FROM Obj WHERE … ORDER BY … LIMIT n`)
 * that the library parses and the SOQL compiler compiles, with the search term as one more
 * condition. Security (CRUD, FLS, sharing) therefore works exactly as in SOQL, and only fields the
 * user can read are searched.
 *
 * Matching is a case-insensitive substring match of each word (or quoted phrase) against the scope's
 * text fields; `*` and `?` are wildcards; AND (also implicit between words), OR, AND NOT / NOT and
 * parentheses combine terms. Relevance ranking is not modelled: records come in storage order.
 */
import { parseQuery, type Query } from '@jetstreamapp/soql-parser-js';
import type { OrgContext } from '../org/context.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';
import type { UserContext } from '../security/types.ts';
import { compilePlan, type CompileOptions } from './compiler.ts';
import { prepared, shapeRows } from './engine.ts';
import { ErrorFactory, positionalMessage, QueryError } from './errors.ts';
import { PARSE_OPTIONS, translateParseError } from './parse.ts';
import { resolveParams, type ExecContext, type Frag } from './plan.ts';
import { Shaper, type SObjectRecord } from './shape.ts';

export const DEFAULT_SEARCH_LIMIT = 2000;

export type SearchScope = 'ALL' | 'NAME' | 'EMAIL' | 'PHONE';

export type TermNode = { k: 'word'; text: string } | { k: 'not'; operand: TermNode } | { k: 'and' | 'or'; operands: TermNode[] };

export interface ReturningSpec {
  object: string;
  /** SOQL text for the object (`SELECT … FROM Obj …`). */
  soql: string;
}

export interface SearchSpec {
  term: TermNode;
  scope: SearchScope;
  /** Empty: every searchable object the user can read, Id only. */
  returning: ReturningSpec[];
  limit: number;
  userMode?: boolean;
}

export interface SearchOptions {
  user: UserContext | 'system';
  mode?: 'user' | 'system';
  apiVersion: string;
  binds?: Record<string, unknown>;
  now?: Date;
}

export interface SearchResult {
  searchRecords: SObjectRecord[];
}

// ---- the search term ----------------------------------------------------------------------------

/** Characters that must be escaped inside `{…}`; unescaped they are a syntax error (the platform rejects `|`). */
const RESERVED_IN_BRACES = new Set(['|', '&', '!', '{', '[', ']', '^', '~']);

type TermToken = { t: 'word'; text: string } | { t: 'AND' | 'OR' | 'NOT' | '(' | ')' };

function tokenizeTerm(text: string): TermToken[] {
  const tokens: TermToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ t: c });
      i++;
      continue;
    }
    if (c === '"') {
      let phrase = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        phrase += text[i++];
      }
      i++;
      tokens.push({ t: 'word', text: phrase });
      continue;
    }
    let word = '';
    while (i < text.length && !/[\s()"]/.test(text[i]!)) {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      word += text[i++];
    }
    const upper = word.toUpperCase();
    if (word === 'AND' || word === 'OR' || word === 'NOT' || upper === 'AND' || upper === 'OR' || upper === 'NOT') {
      tokens.push({ t: upper as 'AND' | 'OR' | 'NOT' });
    } else tokens.push({ t: 'word', text: word });
  }
  return tokens;
}

/** Parses a search expression (the text inside the braces, unescaped by the tokenizer). */
export function parseTerm(text: string, malformed: (detail: string) => QueryError): TermNode {
  const tokens = tokenizeTerm(text);
  let pos = 0;
  const expr = (): TermNode => {
    const operands = [and()];
    while (tokens[pos]?.t === 'OR') {
      pos++;
      operands.push(and());
    }
    return operands.length === 1 ? operands[0]! : { k: 'or', operands };
  };
  const and = (): TermNode => {
    const operands = [unary()];
    for (;;) {
      const t = tokens[pos];
      if (!t || t.t === 'OR' || t.t === ')') break;
      if (t.t === 'AND') pos++;
      operands.push(unary());
    }
    return operands.length === 1 ? operands[0]! : { k: 'and', operands };
  };
  const unary = (): TermNode => {
    const t = tokens[pos++];
    if (!t) throw malformed("unexpected token: '<EOF>'");
    if (t.t === 'NOT') return { k: 'not', operand: unary() };
    if (t.t === '(') {
      const inner = expr();
      if (tokens[pos]?.t !== ')') throw malformed("missing ')' in search expression");
      pos++;
      return inner;
    }
    if (t.t === 'word') return { k: 'word', text: t.text };
    throw malformed(`unexpected token: '${t.t}'`);
  };
  const tree = expr();
  if (pos < tokens.length) throw malformed(`unexpected token: '${tokens[pos]!.t === 'word' ? (tokens[pos] as { text: string }).text : tokens[pos]!.t}'`);
  const words: string[] = [];
  const collect = (n: TermNode): void => {
    if (n.k === 'word') words.push(n.text);
    else if (n.k === 'not') collect(n.operand);
    else n.operands.forEach(collect);
  };
  collect(tree);
  if (words.join('').replace(/[*?]/g, '').length < 2) throw new QueryError('INVALID_SEARCH', 'search term must be longer than one character');
  return tree;
}

/** A word or phrase as a LIKE pattern (`*` → `%`, `?` → `_`), matched anywhere in the field. */
function likePattern(word: string): string {
  const escaped = word.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
  return `%${escaped}%`;
}

function termSql(term: TermNode, columns: string[]): Frag {
  switch (term.k) {
    case 'word': {
      const pattern = likePattern(term.text);
      return { sql: `(${columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`, params: columns.map(() => pattern) };
    }
    case 'not': {
      const inner = termSql(term.operand, columns);
      return { sql: `NOT IFNULL(${inner.sql}, 0)`, params: inner.params };
    }
    default: {
      const parts = term.operands.map((o) => termSql(o, columns));
      return { sql: `(${parts.map((p) => p.sql).join(term.k === 'and' ? ' AND ' : ' OR ')})`, params: parts.flatMap((p) => p.params) };
    }
  }
}

const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'combobox']);

/** The fields a scope searches on an object. */
export function searchFields(o: ObjectDef, scope: SearchScope): FieldDef[] {
  switch (scope) {
    case 'NAME':
      return o.fields.filter((f) => f.nameField || ((o.name === 'Contact' || o.name === 'User') && (f.name === 'FirstName' || f.name === 'LastName')));
    case 'EMAIL':
      return o.fields.filter((f) => f.type === 'email');
    case 'PHONE':
      return o.fields.filter((f) => f.type === 'phone');
    default:
      return o.fields.filter((f) => TEXT_TYPES.has(f.type));
  }
}

// ---- the SOSL statement -------------------------------------------------------------------------

const CLAUSE_KEYWORDS = ['IN', 'RETURNING', 'WITH', 'LIMIT', 'UPDATE', 'OFFSET'];

/** Parses a SOSL statement. Syntax errors are MALFORMED_SEARCH with the platform's positional form. */
export function parseSosl(sosl: string): SearchSpec {
  const errorAt = (index: number, detail: string) => new QueryError('MALFORMED_SEARCH', positionalMessage(sosl, index, detail));
  let i = 0;
  const skipWs = () => {
    while (i < sosl.length && /\s/.test(sosl[i]!)) i++;
  };
  const word = (): string => {
    skipWs();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sosl.slice(i));
    return m ? m[0] : '';
  };
  const expectWord = (w: string) => {
    const got = word();
    if (got.toUpperCase() !== w) throw errorAt(i, `unexpected token: '${got || sosl.slice(i, i + 1) || '<EOF>'}'`);
    i += got.length;
  };

  expectWord('FIND');
  skipWs();
  let termText = '';
  const open = sosl[i];
  if (open === '{') {
    const start = ++i;
    let escaped = false;
    for (; i < sosl.length; i++) {
      const c = sosl[i]!;
      if (escaped) {
        escaped = false;
        continue;
      }
      if (c === '\\') {
        escaped = true;
        continue;
      }
      if (c === '}') break;
      // The platform's lexer reports the 0-based offset as the column (Column:10 for a '|' at offset 10).
      if (RESERVED_IN_BRACES.has(c)) throw errorAt(i - 1, `line 1:${i} mismatched character '${c}' expecting '}'`);
    }
    if (i >= sosl.length) throw errorAt(sosl.length, "line 1:" + sosl.length + " mismatched character '<EOF>' expecting '}'");
    termText = sosl.slice(start, i);
    i++;
  } else if (open === "'") {
    const start = ++i;
    for (; i < sosl.length && sosl[i] !== "'"; i++) if (sosl[i] === '\\') i++;
    if (i >= sosl.length) throw errorAt(sosl.length, "unexpected token: '<EOF>'");
    termText = sosl.slice(start, i);
    i++;
  } else {
    throw errorAt(i, `unexpected token: '${open ?? '<EOF>'}'`);
  }
  const term = parseTerm(termText, (detail) => errorAt(sosl.indexOf(termText), detail));

  let scope: SearchScope = 'ALL';
  const returning: ReturningSpec[] = [];
  let limit = DEFAULT_SEARCH_LIMIT;
  let userMode = false;
  for (;;) {
    skipWs();
    if (i >= sosl.length) break;
    const kw = word().toUpperCase();
    const kwStart = i;
    if (!CLAUSE_KEYWORDS.includes(kw)) throw errorAt(i, `unexpected token: '${word() || sosl[i]}'`);
    i += kw.length;
    switch (kw) {
      case 'IN': {
        const which = word().toUpperCase();
        if (!['ALL', 'NAME', 'EMAIL', 'PHONE', 'SIDEBAR'].includes(which)) throw errorAt(i, `unexpected token: '${word() || sosl[i]}'`);
        i += which.length;
        expectWord('FIELDS');
        scope = which === 'SIDEBAR' ? 'ALL' : (which as SearchScope);
        break;
      }
      case 'RETURNING':
        for (;;) {
          const object = word();
          if (!object) throw errorAt(i, `unexpected token: '${sosl[i] ?? '<EOF>'}'`);
          i += object.length;
          skipWs();
          let inner = '';
          if (sosl[i] === '(') {
            const start = i + 1;
            i = matchingParen(sosl, i);
            if (i < 0) throw errorAt(sosl.length, "unexpected token: '<EOF>'");
            inner = sosl.slice(start, i);
            i++;
          }
          returning.push({ object, soql: returningSoql(object, inner) });
          skipWs();
          if (sosl[i] !== ',') break;
          i++;
        }
        break;
      case 'WITH': {
        // WITH DIVISION / HIGHLIGHT / SNIPPET / NETWORK / METADATA / SPELL_CORRECTION / PricebookId /
        // DATA CATEGORY: accepted and ignored; WITH USER_MODE / SYSTEM_MODE select the access mode.
        const what = word().toUpperCase();
        if (what === 'USER_MODE') userMode = true;
        i = skipClause(sosl, i);
        break;
      }
      case 'LIMIT': {
        skipWs();
        const m = /^\d+/.exec(sosl.slice(i));
        if (!m) throw errorAt(i, `unexpected token: '${sosl[i] ?? '<EOF>'}'`);
        limit = Math.min(Number(m[0]), DEFAULT_SEARCH_LIMIT);
        i += m[0].length;
        break;
      }
      case 'UPDATE':
        i = skipClause(sosl, i);
        break;
      default:
        throw errorAt(kwStart, `unexpected token: '${kw}'`);
    }
  }
  return { term, scope, returning, limit, userMode };
}

function matchingParen(text: string, openIndex: number): number {
  let depth = 0;
  let inString = false;
  for (let i = openIndex; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === "'") inString = false;
      continue;
    }
    if (c === "'") inString = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Skips a clause's arguments up to the next top-level clause keyword. */
function skipClause(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    if (text[i] === "'") {
      i++;
      while (i < text.length && text[i] !== "'") i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (text[i] === '(') {
      const end = matchingParen(text, i);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    const m = /^[A-Za-z_]+/.exec(text.slice(i));
    if (m) {
      if (CLAUSE_KEYWORDS.includes(m[0].toUpperCase()) && m[0].toUpperCase() !== 'IN') return i;
      i += m[0].length;
      continue;
    }
    i++;
  }
  return i;
}

/** `Account(Id, Name WHERE Industry = 'x' LIMIT 5)` → `SELECT Id, Name FROM Account WHERE Industry = 'x' LIMIT 5`. */
function returningSoql(object: string, inner: string): string {
  // The first top-level clause keyword ends the field list.
  const masked = inner.replace(/'(?:\\.|[^'\\])*'/g, (s) => ' '.repeat(s.length));
  const m = /\b(WHERE|ORDER\s+BY|LIMIT|OFFSET|USING\s+LISTVIEW|WITH)\b/i.exec(masked);
  const fields = (m ? inner.slice(0, m.index) : inner).trim() || 'Id';
  let clauses = m ? inner.slice(m.index) : '';
  // USING LISTVIEW=… has no SOQL counterpart: ignored.
  clauses = clauses.replace(/\bUSING\s+LISTVIEW\s*=\s*[A-Za-z0-9_]+/i, '');
  return `SELECT ${fields} FROM ${object} ${clauses}`.trim();
}

// ---- execution ----------------------------------------------------------------------------------

/** Runs a parsed search as `options.user`. */
export function executeSearch(org: OrgContext, spec: SearchSpec, source: string, options: SearchOptions): SearchResult {
  const mode = spec.userMode ? 'user' : (options.mode ?? 'user');
  const fls = options.user !== 'system' && mode === 'user';
  const user = options.user;
  const compileOptions: CompileOptions = { user, mode, binds: options.binds };
  const errors = new ErrorFactory(source, 'MALFORMED_SEARCH');
  const shaper = new Shaper(options.apiVersion);
  const ctx: ExecContext = { binds: options.binds, now: options.now ?? new Date() };

  let targets = spec.returning;
  if (targets.length === 0) {
    targets = org.schema
      .objects()
      .filter((o) => o.searchable && !o.toolingOnly && (user === 'system' || user.objectAccess(o.name).read))
      .map((o) => ({ object: o.name, soql: `SELECT Id FROM ${o.name}` }));
  }
  const records: SObjectRecord[] = [];
  for (const target of targets) {
    let query: Query;
    try {
      query = parseQuery(target.soql, PARSE_OPTIONS);
    } catch (e) {
      throw translateParseError(source, e instanceof Error && /unexpected character/.test(e.message) ? new Error(e.message.replace(/at offset: \d+/, '')) : e, 'MALFORMED_SEARCH');
    }
    const extraWhere = ({ object, alias }: { object: ObjectDef; alias: string }): Frag => {
      const columns = searchFields(object, spec.scope)
        .filter((f) => !fls || (user as UserContext).fieldAccess(object.name, f.name).read)
        .map((f) => `${alias}."${f.name}"`);
      if (columns.length === 0) return { sql: '0', params: [] };
      return termSql(spec.term, columns);
    };
    const plan = compilePlan(org, { query, source, errors, options: compileOptions, extraWhere });
    if (plan.root.aggregate || plan.root.countOnly) throw errors.malformed(target.object, 'Aggregate functions are not supported in SOSL');
    for (const o of plan.objectsRead) org.beforeRead(o);
    const rows = prepared(org.db, plan.root.sql).all(...resolveParams(plan.root.params, ctx)) as unknown[][];
    const room = spec.limit - records.length;
    if (room <= 0) break;
    records.push(...shapeRows(org, plan.root, rows.slice(0, room), ctx, shaper));
  }
  return { searchRecords: records };
}

/** Runs a SOSL statement as `options.user`: `{searchRecords: […]}`. */
export function runSearch(org: OrgContext, sosl: string, options: SearchOptions): SearchResult {
  return executeSearch(org, parseSosl(sosl), sosl, options);
}

/**
 * REST parameterizedSearch (`GET /parameterizedSearch?q=…&sobject=Account&Account.fields=Id,Name&in=ALL`).
 * `q` is plain text (no braces, no escaping). Unknown parameters are ignored.
 */
export function runParameterizedSearch(org: OrgContext, params: URLSearchParams, options: SearchOptions): SearchResult {
  const q = params.get('q') ?? '';
  if (!q.trim()) throw new QueryError('MALFORMED_SEARCH', 'The q parameter is required');
  const term = parseTerm(q.replace(/[{}|&!^~[\]]/g, ' '), (detail) => new QueryError('MALFORMED_SEARCH', detail));
  const scopeParam = (params.get('in') ?? 'ALL').toUpperCase();
  const scope: SearchScope = scopeParam === 'NAME' || scopeParam === 'EMAIL' || scopeParam === 'PHONE' ? scopeParam : 'ALL';
  const defaultFields = params.get('fields');
  const defaultLimit = params.get('defaultLimit');
  const objects = params.getAll('sobject').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const returning: ReturningSpec[] = objects.map((object) => {
    const get = (suffix: string) => {
      for (const [k, v] of params) if (k.toLowerCase() === `${object}.${suffix}`.toLowerCase()) return v;
      return undefined;
    };
    const fields = get('fields') ?? defaultFields ?? 'Id';
    const where = get('where');
    const limit = get('limit') ?? defaultLimit;
    return { object, soql: `SELECT ${fields} FROM ${object}${where ? ` WHERE ${where}` : ''}${limit && /^\d+$/.test(limit) ? ` LIMIT ${limit}` : ''}` };
  });
  const overall = params.get('overallLimit');
  const limit = overall && /^\d+$/.test(overall) ? Math.min(Number(overall), DEFAULT_SEARCH_LIMIT) : DEFAULT_SEARCH_LIMIT;
  const source = returning.map((r) => r.soql).join('\n') || q;
  return executeSearch(org, { term, scope, returning, limit }, source, options);
}
