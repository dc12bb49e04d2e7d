/**
 * The DML service's public shapes: per-record SaveResults as the platform returns them from
 * `Database.insert/update/delete` (and, with `statusCode`, from the REST sObject Collections).
 */
import type { UserContext } from '../security/types.ts';

/** Who performs the DML: a user (user mode: CRUD, FLS and sharing enforced) or the system. */
export type DmlUser = UserContext | 'system';

export interface SaveError {
  statusCode: string;
  message: string;
  fields: string[];
}

export interface SaveResult {
  /** The record's Id; null for a failed insert. */
  id: string | null;
  success: boolean;
  errors: SaveError[];
}

export interface DmlOptions {
  /** Roll back every record when any fails (ALL_OR_NONE_OPERATION_ROLLED_BACK on the others). */
  allOrNone?: boolean;
}

/** A record in API form: field API names (any case) → JSON values; `attributes` is ignored. */
export type ApiRecord = Record<string, unknown>;

/** One operation of a (possibly mixed-object) DML batch. */
export type DmlOperation =
  | { op: 'insert'; objectName: string; record: ApiRecord }
  | { op: 'update'; objectName: string; record: ApiRecord }
  | { op: 'delete'; objectName?: string; id: string };

export const ALL_OR_NONE_ERROR: SaveError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};
