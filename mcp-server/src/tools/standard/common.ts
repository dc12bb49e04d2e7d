/**
 * Pieces the standard (sObject) tools share: argument schemas with the kebab-case names
 * independent reimplementations of the hosted tools agree on, relationship resolution from
 * describes, and record clean-up.
 */
import { z } from 'zod';
import { API_NAME, SALESFORCE_ID, assertApiName, soqlString } from '../../org/client.ts';
import { ToolInputError } from '../../org/errors.ts';
import type { FieldDescribe, SObjectDescribe } from '../../org/schema-cache.ts';
import type { ToolContext } from '../types.ts';

export const sobjectName = z
  .string()
  .regex(API_NAME, 'must be an sObject API name such as Account or Account_Plan__c')
  .describe('API name of the object, e.g. Account, Contact, Case or Account_Plan__c (see getObjectSchema).');

export const recordId = z
  .string()
  .regex(SALESFORCE_ID, 'must be a 15- or 18-character Salesforce Id')
  .describe('15- or 18-character Salesforce record Id.');

export const relationshipPath = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*){0,4}$/, 'must be relationship names separated by dots')
  .describe(
    'Relationship names separated by dots. Child relationships (e.g. Contacts, Opportunities, Cases) go down to related lists; lookup relationships (e.g. Account, Owner) go up to a parent. getObjectSchema lists them.',
  );

/** Field values for create/update: field API name → primitive value (dates as YYYY-MM-DD strings). */
export const recordBody = z
  .record(z.string().regex(API_NAME, 'field names must be API names'), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .refine((b) => Object.keys(b).length > 0, 'body must set at least one field')
  .describe('Field API names and values, e.g. {"Subject": "Printer jammed", "Priority": "High"}. Use null to clear a field.');

export const fieldList = z
  .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'must be field API names'))
  .min(1)
  .max(100)
  .describe('Field API names to return (relationship fields with dots allowed, e.g. Owner.Name). Defaults to Id and the name field.');

/** A record as returned by the org (with `attributes`). */
export const recordShape = z.object({}).passthrough();

export function nameFieldOf(d: SObjectDescribe): string | undefined {
  return d.fields.find((f) => f.nameField)?.name ?? d.fields.find((f) => f.name === 'Name')?.name;
}

export function defaultFields(d: SObjectDescribe): string[] {
  const name = nameFieldOf(d);
  return ['Id', ...(name && name !== 'Id' ? [name] : [])];
}

export function hasField(d: SObjectDescribe, name: string): FieldDescribe | undefined {
  return d.fields.find((f) => f.name.toLowerCase() === name.toLowerCase());
}

export interface ChildHop {
  parentObject: string;
  relationshipName: string;
  childObject: string;
  field: string;
}

/** A child relationship of `objectName`, by name (case-insensitive), from the caller's describe. */
export async function childRelationship(ctx: ToolContext, objectName: string, name: string): Promise<ChildHop | undefined> {
  const d = await ctx.schema.describe(objectName);
  const rel = (d.childRelationships ?? []).find((r) => r.relationshipName?.toLowerCase() === name.toLowerCase());
  if (!rel?.relationshipName) return undefined;
  return { parentObject: d.name, relationshipName: rel.relationshipName, childObject: rel.childSObject, field: rel.field };
}

export async function requireChildRelationship(ctx: ToolContext, objectName: string, name: string): Promise<ChildHop> {
  const hop = await childRelationship(ctx, objectName, name);
  if (hop) return hop;
  const d = await ctx.schema.describe(objectName);
  const known = (d.childRelationships ?? []).map((r) => r.relationshipName).filter(Boolean).slice(0, 30);
  throw new ToolInputError(
    `${d.name} has no child relationship named ${name} that you can see.${known.length ? ` Child relationships: ${known.join(', ')}.` : ''}`,
    'INVALID_FIELD',
  );
}

/**
 * The record that `path` leads to from `objectName`/`id`: either a child reached through one child
 * relationship (the caller names it with `relatedId`; it must belong to that relationship), or a
 * parent reached through lookups (`Account`, `Account.Owner`).
 */
export async function resolveRelatedRecord(
  ctx: ToolContext,
  objectName: string,
  id: string,
  path: string,
  relatedId: string | undefined,
): Promise<{ objectName: string; id: string; via: 'child' | 'parent' }> {
  assertApiName('sobject-name', objectName);
  const segments = path.split('.');
  const child = await childRelationship(ctx, objectName, segments[0]!);
  if (child) {
    if (segments.length > 1) throw new ToolInputError('A child relationship path must have exactly one segment, e.g. Contacts.', 'INVALID_FIELD');
    if (!relatedId) throw new ToolInputError(`related-id is required: name the ${child.childObject} record in ${child.relationshipName} to act on.`);
    const found = await ctx.org.query<{ Id: string }>(
      `SELECT Id FROM ${child.childObject} WHERE Id = ${soqlString(relatedId)} AND ${child.field} = ${soqlString(id)}`,
    );
    if (!found.records.length) {
      throw new ToolInputError(`No ${child.childObject} ${relatedId} that you can see belongs to ${objectName} ${id} through ${child.relationshipName}.`, 'NOT_FOUND');
    }
    return { objectName: child.childObject, id: found.records[0]!.Id, via: 'child' };
  }
  // Lookup path: let the org resolve it (it enforces FLS and sharing on every hop).
  const d = await ctx.schema.describe(objectName);
  const first = d.fields.find((f) => f.relationshipName?.toLowerCase() === segments[0]!.toLowerCase());
  if (!first) {
    const lookups = d.fields.map((f) => f.relationshipName).filter(Boolean);
    const children = (d.childRelationships ?? []).map((r) => r.relationshipName).filter(Boolean);
    throw new ToolInputError(
      `${d.name} has no relationship named ${segments[0]} that you can see. Lookups: ${lookups.join(', ') || 'none'}; child relationships: ${children.slice(0, 30).join(', ') || 'none'}.`,
      'INVALID_FIELD',
    );
  }
  const result = await ctx.org.query<Record<string, unknown>>(`SELECT Id, ${path}.Id FROM ${d.name} WHERE Id = ${soqlString(id)}`);
  const root = result.records[0];
  if (!root) throw new ToolInputError(`No ${d.name} with Id ${id} is visible to you.`, 'NOT_FOUND');
  let node: unknown = root;
  for (const seg of segments) {
    const next = findKey(node as Record<string, unknown>, seg);
    if (!next || typeof next !== 'object') throw new ToolInputError(`${d.name} ${id} has no related record at ${path}.`, 'NOT_FOUND');
    node = next;
  }
  const target = node as { Id?: string; attributes?: { type?: string } };
  if (!target.Id || !target.attributes?.type) throw new ToolInputError(`Could not resolve ${path} from ${d.name} ${id}.`, 'NOT_FOUND');
  return { objectName: target.attributes.type, id: target.Id, via: 'parent' };
}

function findKey(obj: Record<string, unknown>, key: string): unknown {
  const k = Object.keys(obj).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : obj[k];
}

/** Splits `"Account, Contact"` or `["Account","Contact"]` into names. */
export function nameList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : value.split(',');
  return [...new Set(list.map((s) => s.trim()).filter(Boolean))];
}
