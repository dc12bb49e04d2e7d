/**
 * SOQL parsing through @jetstreamapp/soql-parser-js, with its errors translated into the platform's
 * MALFORMED_QUERY messages. Parse results are cached by query text (the compiler never mutates them).
 */
import { parseQuery, type Query } from '@jetstreamapp/soql-parser-js';
import { locate, positionalMessage, QueryError } from './errors.ts';

const CACHE_LIMIT = 1000;

/**
 * `ignoreParseErrors` must be passed explicitly: the library rebuilds its whole grammar (hundreds of
 * milliseconds) on every call whose `ignoreParseErrors` differs from its cached parser's, and an
 * omitted option (undefined) never equals the cached parser's `false`.
 */
export const PARSE_OPTIONS = { allowApexBindVariables: true, ignoreParseErrors: false } as const;
const cache = new Map<string, Query>();

/** Parses SOQL (bind variables allowed; the compiler decides whether they are). */
export function parseSoql(soql: string, malformedCode: 'MALFORMED_QUERY' | 'MALFORMED_SEARCH' = 'MALFORMED_QUERY'): Query {
  const hit = cache.get(soql);
  if (hit) {
    cache.delete(soql);
    cache.set(soql, hit);
    return hit;
  }
  let parsed: Query;
  try {
    parsed = parseQuery(soql, PARSE_OPTIONS);
  } catch (e) {
    throw translateParseError(soql, e, malformedCode);
  }
  if (!parsed || typeof parsed !== 'object' || !parsed.sObject) {
    throw new QueryError(malformedCode, "unexpected token: '<EOF>'");
  }
  cache.set(soql, parsed);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return parsed;
}

export interface LiftedQuery {
  /** The query with every string literal replaced by a numbered placeholder (`'~0~'`, `'~1~'`, …). */
  text: string;
  /** The literals, quotes included, in order. */
  literals: string[];
}

const PLACEHOLDER = /^'~(\d+)~'$/;

/**
 * Lifts string literals out of a query so that queries differing only in their literals share one
 * parse and one compiled plan; the literal values become statement parameters at execution time.
 * Every string literal is replaced, so a placeholder can never be confused with a user's string.
 */
export function liftLiterals(soql: string): LiftedQuery {
  const literals: string[] = [];
  let text = '';
  let i = 0;
  while (i < soql.length) {
    const c = soql[i]!;
    if (c !== "'") {
      text += c;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < soql.length && soql[j] !== "'") j += soql[j] === '\\' ? 2 : 1;
    if (j >= soql.length) {
      text += soql.slice(i); // unterminated: leave it to the parser to report
      break;
    }
    text += `'~${literals.length}~'`;
    literals.push(soql.slice(i, j + 1));
    i = j + 1;
  }
  return { text, literals };
}

/** The literal index of a placeholder value, or undefined for an ordinary string. */
export function placeholderIndex(raw: string): number | undefined {
  const m = PLACEHOLDER.exec(raw);
  return m ? Number(m[1]) : undefined;
}

/** The parser's message → `unexpected token: 'X'`, positioned where the token is. */
export function translateParseError(source: string, e: unknown, code: string): QueryError {
  const msg = e instanceof Error ? e.message : String(e);
  const lexing = /unexpected character: ->(.)<- at offset: (\d+)/.exec(msg);
  if (lexing) {
    return new QueryError(code, positionalMessage(source, Number(lexing[2]), `unexpected token: '${lexing[1]}'`));
  }
  const found = /but found --> '(.*?)' <--/.exec(msg)?.[1] ?? /but found: '(.*)'\s*$/.exec(msg)?.[1] ?? /but found: (\S+)/.exec(msg)?.[1];
  if (found === undefined || found === '') return new QueryError(code, positionalMessage(source, source.trimEnd().length, "unexpected token: '<EOF>'"));
  // "Redundant input" is about a repeated clause: point at the last occurrence.
  let index = locate(source, found);
  if (/Redundant input/.test(msg)) {
    for (let next = index; next >= 0; next = locate(source, found, next + 1)) index = next;
  }
  // The platform reports a bad first token without a position (`q=invalid`).
  if (index <= 0) return new QueryError(code, `unexpected token: '${found}'`);
  return new QueryError(code, positionalMessage(source, index, `unexpected token: '${found}'`));
}
