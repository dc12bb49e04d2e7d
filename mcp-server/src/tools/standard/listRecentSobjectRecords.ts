/** listRecentSobjectRecords: the caller's most recently modified records of one object. */
import { z } from 'zod';
import { assertApiName } from '../../org/client.ts';
import { READ_ONLY, type ToolSpec } from '../types.ts';
import { defaultFields, hasField, recordShape, sobjectName } from './common.ts';

export const listRecentSobjectRecords: ToolSpec = {
  name: 'listRecentSobjectRecords',
  title: 'List Recent Records',
  description: 'Lists the most recently modified records of one object that you can see (Id, name field, last modified date), newest first.',
  inputSchema: z
    .object({
      'sobject-name': sobjectName,
      limit: z.number().int().min(1).max(200).optional().describe('How many records (1-200, default 20).'),
    })
    .strict(),
  outputSchema: z.object({ sobjectName: z.string(), records: z.array(recordShape) }).passthrough(),
  annotations: { title: 'List Recent Records', ...READ_ONLY },
  async run(args, { org, schema }) {
    const name = assertApiName('sobject-name', args['sobject-name'] as string);
    const d = await schema.describe(name);
    const order = hasField(d, 'LastModifiedDate') ? 'LastModifiedDate' : hasField(d, 'CreatedDate') ? 'CreatedDate' : 'Id';
    const fields = [...new Set([...defaultFields(d), ...(order !== 'Id' ? [order] : [])])];
    const result = await org.query(`SELECT ${fields.join(', ')} FROM ${d.name} ORDER BY ${order} DESC LIMIT ${(args.limit as number | undefined) ?? 20}`);
    return { sobjectName: d.name, records: result.records };
  },
};
