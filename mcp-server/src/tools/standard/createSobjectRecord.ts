/** createSobjectRecord: inserts one record as the caller. */
import { z } from 'zod';
import { assertApiName } from '../../org/client.ts';
import { CREATE, type ToolSpec } from '../types.ts';
import { recordBody, sobjectName } from './common.ts';

export const createSobjectRecord: ToolSpec = {
  name: 'createSobjectRecord',
  title: 'Create Record',
  description:
    'Creates one record, e.g. sobject-name "Case", body {"Subject": "Printer jammed", "AccountId": "001…"}. You need create access to the object and edit access to every field you set; validation rules and required fields apply. Returns the new Id.',
  inputSchema: z.object({ 'sobject-name': sobjectName, body: recordBody }).strict(),
  outputSchema: z.object({ id: z.string(), success: z.boolean(), sobjectName: z.string() }).passthrough(),
  annotations: { title: 'Create Record', ...CREATE },
  async run(args, { org }) {
    const name = assertApiName('sobject-name', args['sobject-name'] as string);
    const res = await org.post<{ id: string; success: boolean; errors?: unknown[] }>(`/sobjects/${name}`, args.body);
    return { id: res.id, success: res.success ?? true, sobjectName: name };
  },
};
