/** deleteRelatedRecord: deletes a record reached from another one (see updateRelatedRecord). */
import { z } from 'zod';
import { DELETE, type ToolSpec } from '../types.ts';
import { recordId, relationshipPath, resolveRelatedRecord, sobjectName } from './common.ts';

export const deleteRelatedRecord: ToolSpec = {
  name: 'deleteRelatedRecord',
  title: 'Delete Related Record',
  description:
    'Deletes a record related to another one, e.g. sobject-name Account, id 001…, relationship-path "Cases", related-id 500… deletes that Case if it belongs to the Account. A lookup path (e.g. "Account" from a Contact) deletes the parent. Deleted records go to the Recycle Bin.',
  inputSchema: z
    .object({
      'sobject-name': sobjectName,
      id: recordId,
      'relationship-path': relationshipPath,
      'related-id': recordId.optional().describe('With a child relationship: the Id of the related record to delete.'),
    })
    .strict(),
  outputSchema: z.object({ id: z.string(), sobjectName: z.string(), success: z.boolean() }).passthrough(),
  annotations: { title: 'Delete Related Record', ...DELETE },
  async run(args, ctx) {
    const target = await resolveRelatedRecord(
      ctx,
      args['sobject-name'] as string,
      args.id as string,
      args['relationship-path'] as string,
      args['related-id'] as string | undefined,
    );
    await ctx.org.delete(`/sobjects/${target.objectName}/${target.id}`);
    return { id: target.id, sobjectName: target.objectName, success: true };
  },
};
