/**
 * Errors shared by the commands, each with the action hint the sf CLI prints under "Try this:".
 * Texts live in messages/shared.md.
 */
import { Messages, SfError } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'shared');

/** The error code of a failed API call (jsforce puts the platform's `errorCode` in `errorCode` and `name`). */
export function apiErrorCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { errorCode?: unknown; name?: unknown; data?: { errorCode?: unknown } };
  if (typeof e.errorCode === 'string') return e.errorCode;
  if (typeof e.data?.errorCode === 'string') return e.data.errorCode;
  if (typeof e.name === 'string' && /^[A-Z_]+$/.test(e.name)) return e.name;
  return undefined;
}

export function apiErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The org has no McpServerAccess / McpServerDefinition (no Hosted MCP, or an API version before it). */
export function noMcpSupport(username: string, cause?: unknown): SfError {
  const err = messages.createError('error.NoMcpSupport', [username, cause ? apiErrorMessage(cause) : ''], [username]);
  if (cause instanceof Error) err.setData({ cause: cause.message });
  return err;
}

export function unknownServer(name: string, known: string[]): SfError {
  return messages.createError('error.UnknownServer', [name, known.join(', ') || '(none)']);
}

export function noEventLogAccess(username: string, cause?: unknown): SfError {
  return messages.createError('error.NoEventLogAccess', [username, cause ? apiErrorMessage(cause) : ''], [username]);
}

export function emptyDateRange(start: string, end: string): SfError {
  return messages.createError('error.EmptyDateRange', [start, end]);
}

export function invalidDate(flag: string, value: string): SfError {
  return messages.createError('error.InvalidDate', [flag, value]);
}

/** The error codes by which an org says it does not know an sObject type or an API resource. */
export function isMissingType(error: unknown): boolean {
  const code = apiErrorCode(error);
  return code === 'INVALID_TYPE' || code === 'NOT_FOUND' || code === 'INVALID_FIELD';
}

export function isAccessDenied(error: unknown): boolean {
  const code = apiErrorCode(error);
  return code === 'INSUFFICIENT_ACCESS' || code === 'INSUFFICIENT_ACCESS_OR_READONLY' || code === 'API_DISABLED_FOR_ORG' || code === 'FORBIDDEN';
}
