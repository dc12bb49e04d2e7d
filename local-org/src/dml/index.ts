/**
 * The DML service (see service.ts): user-mode and system-mode insert/update/delete with the
 * platform's SaveResults. Reused by the REST sObject surface, composite requests, Flows, Apex and
 * the MCP server paths.
 */
export { canRead, deleteRecords, executeDml, idOf, insertRecords, recordAccess, updateRecords } from './service.ts';
export { ensureRecentItems, recentItemIds, touchRecentItem } from './recent-items.ts';
export type { ApiRecord, DmlOperation, DmlOptions, DmlUser, SaveError, SaveResult } from './types.ts';
export { ALL_OR_NONE_ERROR } from './types.ts';
export { coerceValue, parseDate, parseDatetime } from './values.ts';
