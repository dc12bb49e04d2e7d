/** deleteSobjectRecord: deletes one record as the caller (it goes to the Recycle Bin; no undelete tool). */
import { z } from 'zod';
import { assertApiName } from '../../org/client.ts';
import { DELETE, type ToolSpec } from '../types.ts';
import { recordId, sobjectName } from './common.ts';

export const deleteSobjectRecord: ToolSpec = {
  name: 'deleteSobjectRecord',
  title: 'Delete Record',
  description:
    'Deletes one record. It goes to the Recycle Bin (restorable in Salesforce for 15 days; there is no undelete tool). You need delete access to the object and to the record.',
  inputSchema: z.object({ 'sobject-name': sobjectName, id: recordId }).strict(),
  outputSchema: z.object({ id: z.string(), sobjectName: z.string(), success: z.boolean() }).passthrough(),
  annotations: { title: 'Delete Record', ...DELETE },
  async run(args, { org }) {
    const name = assertApiName('sobject-name', args['sobject-name'] as string);
    const id = args.id as string;
    await org.delete(`/sobjects/${name}/${id}`);
    return { id, sobjectName: name, success: true };
  },
};
