/**
 * The SOQL/SOSL engine's public surface, for every part of the org that reads records
 * (REST query and search, Named Queries, Flow Get Records, Apex inline SOQL):
 *
 *   runQuery(org, soql, { user, apiVersion, binds?, includeDeleted?, batchSize?, mode? })
 *     → { totalSize, done, nextRecordsUrl?, records }
 *   queryMore(org, locator, { user, apiVersion })
 *   compile(org, soql, { user, binds? }) → { sql, params, entityName, children }
 *   runSearch(org, sosl, { user, apiVersion }) → { searchRecords }
 *
 * `user` is a UserContext (its CRUD, FLS and sharing apply) or `'system'` (none apply). Errors are
 * QueryError (an ApiError: the platform's errorCode and message, HTTP 400).
 */
export { compile, DEFAULT_BATCH_SIZE, executeQuery, queryMore, runQuery } from './engine.ts';
export type { CompiledQuery, MoreOptions, QueryOptions, QueryResult } from './engine.ts';
export type { CompileOptions } from './compiler.ts';
export { QueryError } from './errors.ts';
export { queryColumns } from './columns.ts';
export { runParameterizedSearch, runSearch } from './sosl.ts';
export type { SearchOptions, SearchResult } from './sosl.ts';
export type { SObjectRecord } from './shape.ts';
