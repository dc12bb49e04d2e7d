/**
 * The standard sObject servers and their tools (platform.md §4.1). A server registers only its own
 * tools: `sobject-reads` has no write tool at all, not even a disabled one.
 */
import type { ToolSpec } from '../types.ts';
import { createSobjectRecord } from './createSobjectRecord.ts';
import { deleteRelatedRecord } from './deleteRelatedRecord.ts';
import { deleteSobjectRecord } from './deleteSobjectRecord.ts';
import { find } from './find.ts';
import { getObjectSchema } from './getObjectSchema.ts';
import { getRelatedRecords } from './getRelatedRecords.ts';
import { getUserInfo } from './getUserInfo.ts';
import { listRecentSobjectRecords } from './listRecentSobjectRecords.ts';
import { soqlQuery } from './soqlQuery.ts';
import { updateRelatedRecord } from './updateRelatedRecord.ts';
import { updateSobjectRecord } from './updateSobjectRecord.ts';

export const READ_TOOLS: ToolSpec[] = [getUserInfo, getObjectSchema, soqlQuery, find, listRecentSobjectRecords, getRelatedRecords];
export const MUTATION_TOOLS: ToolSpec[] = [createSobjectRecord, updateSobjectRecord, updateRelatedRecord];
export const DELETE_TOOLS: ToolSpec[] = [deleteSobjectRecord, deleteRelatedRecord];

export interface StandardServer {
  /** URL segment after `platform/`. */
  name: string;
  label: string;
  /** McpServerAccess.DeveloperName. */
  accessName: string;
  description: string;
  tools: ToolSpec[];
}

export const STANDARD_SERVERS: StandardServer[] = [
  {
    name: 'sobject-reads',
    label: 'SObject Reads',
    accessName: 'platform_sobject_reads',
    description: 'Read-only access to standard and custom objects: schema, SOQL, SOSL, recent records, related records.',
    tools: READ_TOOLS,
  },
  {
    name: 'sobject-mutations',
    label: 'SObject Mutations',
    accessName: 'platform_sobject_mutations',
    description: 'Reads plus creating and updating records.',
    tools: [...READ_TOOLS, ...MUTATION_TOOLS],
  },
  {
    name: 'sobject-deletes',
    label: 'SObject Deletes',
    accessName: 'platform_sobject_deletes',
    description: 'Reads plus deleting records (to the Recycle Bin).',
    tools: [...READ_TOOLS, ...DELETE_TOOLS],
  },
  {
    name: 'sobject-all',
    label: 'SObject All',
    accessName: 'platform_sobject_all',
    description: 'Every sObject tool: reads, create, update and delete.',
    tools: [...READ_TOOLS, ...MUTATION_TOOLS, ...DELETE_TOOLS],
  },
];

export const ALL_STANDARD_TOOLS: ToolSpec[] = [...READ_TOOLS, ...MUTATION_TOOLS, ...DELETE_TOOLS];

export function standardServer(name: string): StandardServer | undefined {
  return STANDARD_SERVERS.find((s) => s.name === name);
}
