/**
 * updateRelatedRecord: updates a record reached from another one — a parent through lookups
 * (`Account`, `Account.Owner`) or a child named with `related-id` in a child relationship
 * (`Contacts`). The relationship is resolved with SOQL as the caller before the update.
 */
import { z } from 'zod';
import { UPDATE, type ToolSpec } from '../types.ts';
import { recordBody, recordId, relationshipPath, resolveRelatedRecord, sobjectName } from './common.ts';

export const updateRelatedRecord: ToolSpec = {
  name: 'updateRelatedRecord',
  title: 'Update Related Record',
  description:
    'Updates a record related to another one. Lookup path: sobject-name Contact, id 003…, relationship-path "Account" updates the Contact\'s Account. Child relationship: sobject-name Account, id 001…, relationship-path "Cases", related-id 500… updates that Case (it must belong to the Account). Only the fields in body change.',
  inputSchema: z
    .object({
      'sobject-name': sobjectName,
      id: recordId,
      'relationship-path': relationshipPath,
      'related-id': recordId.optional().describe('With a child relationship: the Id of the related record to update.'),
      body: recordBody,
    })
    .strict(),
  outputSchema: z.object({ id: z.string(), sobjectName: z.string(), success: z.boolean() }).passthrough(),
  annotations: { title: 'Update Related Record', ...UPDATE },
  async run(args, ctx) {
    const target = await resolveRelatedRecord(
      ctx,
      args['sobject-name'] as string,
      args.id as string,
      args['relationship-path'] as string,
      args['related-id'] as string | undefined,
    );
    await ctx.org.patch(`/sobjects/${target.objectName}/${target.id}`, args.body);
    return { id: target.id, sobjectName: target.objectName, success: true };
  },
};
