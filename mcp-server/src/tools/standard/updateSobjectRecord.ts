/** updateSobjectRecord: updates fields of one record as the caller; omitted fields are unchanged. */
import { z } from 'zod';
import { assertApiName } from '../../org/client.ts';
import { UPDATE, type ToolSpec } from '../types.ts';
import { recordBody, recordId, sobjectName } from './common.ts';

export const updateSobjectRecord: ToolSpec = {
  name: 'updateSobjectRecord',
  title: 'Update Record',
  description:
    'Updates one record: only the fields in body change, the others are left as they are. You need edit access to the record (sharing) and to each field set.',
  inputSchema: z.object({ 'sobject-name': sobjectName, id: recordId, body: recordBody }).strict(),
  outputSchema: z.object({ id: z.string(), success: z.boolean(), sobjectName: z.string() }).passthrough(),
  annotations: { title: 'Update Record', ...UPDATE },
  async run(args, { org }) {
    const name = assertApiName('sobject-name', args['sobject-name'] as string);
    const id = args.id as string;
    await org.patch(`/sobjects/${name}/${id}`, args.body);
    return { id, success: true, sobjectName: name };
  },
};
