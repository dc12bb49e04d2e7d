/**
 * Zod schemas from invocable-action describes: types, required flags, picklist enums, collections
 * and descriptions, so the client sees (and the SDK enforces) the action's own contract before any
 * org call.
 */
import { z } from 'zod';
import { SALESFORCE_ID } from '../../org/client.ts';
import type { ActionParameter } from '../../org/actions.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/;

function base(p: ActionParameter, mode: 'input' | 'output'): z.ZodTypeAny {
  const type = String(p.type ?? 'STRING').toUpperCase();
  const picklist = (p.picklistValues ?? []).filter((v) => v.active !== false).map((v) => v.value);
  switch (type) {
    case 'BOOLEAN':
      return z.boolean();
    case 'INTEGER':
    case 'INT':
    case 'LONG':
      return z.number().int();
    case 'DOUBLE':
    case 'DECIMAL':
    case 'CURRENCY':
    case 'PERCENT':
    case 'NUMBER':
      return z.number();
    case 'DATE':
      return mode === 'input' ? z.string().regex(DATE, 'must be a date as YYYY-MM-DD') : z.string();
    case 'DATETIME':
      return mode === 'input' ? z.string().regex(DATETIME, 'must be an ISO 8601 date-time with a time zone, e.g. 2026-05-01T09:00:00Z') : z.string();
    case 'TIME':
      return mode === 'input' ? z.string().regex(TIME, 'must be a time as HH:MM:SS') : z.string();
    case 'ID':
    case 'REFERENCE':
      return mode === 'input' ? z.string().regex(SALESFORCE_ID, 'must be a 15- or 18-character Salesforce Id') : z.string();
    case 'SOBJECT':
    case 'APEX':
      return z.object({}).passthrough();
    default:
      return picklist.length && mode === 'input' ? z.enum(picklist as [string, ...string[]]) : z.string();
  }
}

export function describeParameter(p: ActionParameter): string | undefined {
  const label = p.label?.trim();
  const description = p.description?.trim();
  if (description && label && !description.toLowerCase().startsWith(label.toLowerCase())) return `${label}: ${description}`;
  return description || label || undefined;
}

export function parameterSchema(p: ActionParameter, mode: 'input' | 'output'): z.ZodTypeAny {
  let s = base(p, mode);
  if ((p.maxOccurs ?? 1) > 1) s = mode === 'input' ? z.array(s).max(p.maxOccurs!) : z.array(s);
  const description = describeParameter(p);
  if (description) s = s.describe(description);
  if (mode === 'output') return s.nullable().optional();
  return p.required ? s : s.optional();
}

/** Input object for an action: unknown keys are refused (the org would refuse them too). */
export function inputObject(params: ActionParameter[]): z.ZodObject<z.ZodRawShape> {
  const shape: z.ZodRawShape = {};
  for (const p of params) shape[p.name] = parameterSchema(p, 'input');
  return z.object(shape).strict();
}

/** Output object: declared outputs (nullable) plus whatever else the org adds (flow status keys). */
export function outputObject(params: ActionParameter[]): z.ZodTypeAny {
  const shape: z.ZodRawShape = {};
  for (const p of params) shape[p.name] = parameterSchema(p, 'output');
  return z.object(shape).passthrough();
}
