/**
 * getRelatedRecords: records reached from one record through child relationships
 * (`Contacts`, `Opportunities.OpportunityLineItems`). Each hop is a SOQL parent-to-child subquery, so
 * the org checks the parent's visibility as well as the children's.
 */
import { z } from 'zod';
import { assertApiName, soqlString } from '../../org/client.ts';
import { ToolInputError } from '../../org/errors.ts';
import { READ_ONLY, type ToolSpec } from '../types.ts';
import { defaultFields, fieldList, recordId, recordShape, relationshipPath, requireChildRelationship, sobjectName } from './common.ts';

const MAX_PARENTS = 200;

export const getRelatedRecords: ToolSpec = {
  name: 'getRelatedRecords',
  title: 'Get Related Records',
  description:
    'Lists records related to one record through child relationships, e.g. sobject-name Account, id 001…, relationship-path "Contacts" or "Opportunities.OpportunityLineItems" (up to 5 levels). Returns the records of the last level that you can see.',
  inputSchema: z
    .object({
      'sobject-name': sobjectName,
      id: recordId,
      'relationship-path': relationshipPath,
      fields: fieldList.optional(),
      limit: z.number().int().min(1).max(2000).optional().describe('At most this many records of the last level (default 200).'),
    })
    .strict(),
  outputSchema: z
    .object({ sobjectName: z.string(), id: z.string(), relationshipPath: z.string(), relatedObject: z.string(), totalSize: z.number(), records: z.array(recordShape) })
    .passthrough(),
  annotations: { title: 'Get Related Records', ...READ_ONLY },
  async run(args, ctx) {
    const root = assertApiName('sobject-name', args['sobject-name'] as string);
    const id = args.id as string;
    const path = args['relationship-path'] as string;
    const limit = (args.limit as number | undefined) ?? 200;
    let objectName = (await ctx.schema.describe(root)).name;
    let ids = [id];
    const segments = path.split('.');
    for (let i = 0; i < segments.length; i++) {
      const hop = await requireChildRelationship(ctx, objectName, segments[i]!);
      const last = i === segments.length - 1;
      const childFields = last ? ((args.fields as string[] | undefined) ?? defaultFields(await ctx.schema.describe(hop.childObject))) : ['Id'];
      const sub = `SELECT ${[...new Set(childFields)].join(', ')} FROM ${hop.relationshipName}${last ? ` LIMIT ${limit}` : ''}`;
      const result = await ctx.org.query<Record<string, unknown>>(
        `SELECT Id, (${sub}) FROM ${objectName} WHERE Id IN (${ids.map(soqlString).join(', ')})`,
      );
      if (i === 0 && !result.records.length) throw new ToolInputError(`No ${objectName} with Id ${id} is visible to you.`, 'NOT_FOUND');
      const children = result.records.flatMap((r) => subRecords(r, hop.relationshipName));
      if (last) {
        const records = children.slice(0, limit);
        return { sobjectName: root, id, relationshipPath: path, relatedObject: hop.childObject, totalSize: records.length, records };
      }
      ids = children.map((c) => c.Id as string).slice(0, MAX_PARENTS);
      objectName = hop.childObject;
      if (!ids.length) {
        return { sobjectName: root, id, relationshipPath: path, relatedObject: objectName, totalSize: 0, records: [] };
      }
    }
    throw new ToolInputError('relationship-path is empty');
  },
};

function subRecords(parent: Record<string, unknown>, relationship: string): Record<string, unknown>[] {
  const key = Object.keys(parent).find((k) => k.toLowerCase() === relationship.toLowerCase());
  const value = key ? (parent[key] as { records?: Record<string, unknown>[] } | null) : null;
  return value?.records ?? [];
}
