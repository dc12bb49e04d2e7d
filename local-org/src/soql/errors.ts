/**
 * SOQL/SOSL errors in the platform's shapes. Query errors are 400s whose message points into the
 * query text the way the platform does:
 *
 *   "\nSELECT Id, Foo__c FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo__c' on entity 'Account'. …"
 *
 * The parser we use (@jetstreamapp/soql-parser-js) does not report token positions, so the position
 * is found by searching the query text for the offending token (outside string literals). When the
 * token cannot be found the message is given without the positional prefix.
 */
import { ApiError } from '../http/errors.ts';

export const NO_SUCH_COLUMN_HINT =
  "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
export const NO_SUCH_TYPE_HINT =
  "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.";
export const RELATIONSHIP_HINT =
  "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";

/** A SOQL/SOSL error: always HTTP 400 with the platform's error code. */
export class QueryError extends ApiError {
  constructor(errorCode: string, message: string, status = 400) {
    super(status, errorCode, message);
  }
}

/** Replaces the contents of string literals with spaces so token searches skip them. */
function maskStrings(source: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (inString) {
      if (c === '\\') {
        out += '  ';
        i++;
        continue;
      }
      if (c === "'") {
        inString = false;
        out += c;
      } else out += c === '\n' ? '\n' : ' ';
    } else {
      if (c === "'") inString = true;
      out += c;
    }
  }
  return out;
}

/** 0-based index of `token` (case-insensitive, whole word, outside strings) at or after `from`, or -1. */
export function locate(source: string, token: string, from = 0): number {
  if (!token) return -1;
  const masked = maskStrings(source);
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(?<![A-Za-z0-9_.])${escaped}(?![A-Za-z0-9_])`, 'gi');
  re.lastIndex = from;
  const m = re.exec(masked);
  return m ? m.index : -1;
}

/** The platform's positional message for a 0-based index into `source` (or the bare detail). */
export function positionalMessage(source: string, index: number, detail: string): string {
  if (index < 0) return detail;
  const before = source.slice(0, index);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = source.indexOf('\n', index);
  const line = source.slice(lineStart, lineEnd < 0 ? source.length : lineEnd);
  const column = index - lineStart + 1;
  return `\n${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${detail}`;
}

/** Builds errors against one query text. */
export class ErrorFactory {
  constructor(
    readonly source: string,
    /** SOSL reports syntax problems as MALFORMED_SEARCH. */
    readonly malformedCode: 'MALFORMED_QUERY' | 'MALFORMED_SEARCH' = 'MALFORMED_QUERY',
  ) {}

  at(errorCode: string, token: string | undefined, detail: string, from = 0): QueryError {
    const index = token ? locate(this.source, token, from) : -1;
    return new QueryError(errorCode, positionalMessage(this.source, index, detail));
  }

  malformed(token: string | undefined, detail: string): QueryError {
    return this.at(this.malformedCode, token, detail);
  }

  noSuchColumn(token: string, column: string, entity: string): QueryError {
    return this.at('INVALID_FIELD', token, `No such column '${column}' on entity '${entity}'. ${NO_SUCH_COLUMN_HINT}`);
  }

  unknownRelationship(token: string, relationship: string): QueryError {
    return this.at('INVALID_FIELD', token, `Didn't understand relationship '${relationship}' in field path. ${RELATIONSHIP_HINT}`);
  }

  unknownChildRelationship(relationship: string): QueryError {
    return this.at('INVALID_TYPE', relationship, `Didn't understand relationship '${relationship}' in FROM part of query call. ${RELATIONSHIP_HINT}`);
  }

  unsupportedType(name: string): QueryError {
    const from = /\b(FROM|RETURNING)\s+/i.exec(maskStrings(this.source));
    return this.at('INVALID_TYPE', name, `sObject type '${name}' is not supported. ${NO_SUCH_TYPE_HINT}`, from ? from.index : 0);
  }
}
