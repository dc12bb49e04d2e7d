/** soqlQuery: runs SOQL as the caller (the org applies object access, field-level security and sharing). */
import { z } from 'zod';
import { READ_ONLY, type ToolSpec } from '../types.ts';
import { recordShape } from './common.ts';

const soql = z.string().min(1).max(100_000);

export const soqlQuery: ToolSpec = {
  name: 'soqlQuery',
  title: 'SOQL Query',
  description:
    'Runs a SOQL query as you, e.g. "SELECT Id, Name FROM Account WHERE Industry = \'Energy\' LIMIT 20". Only records and fields you may see are returned; a field you cannot read fails like an unknown field. Pass q (or its alias query). When done is false, call again with next-records-url to get the next page.',
  inputSchema: z
    .object({
      q: soql.optional().describe('The SOQL statement.'),
      query: soql.optional().describe('Alias of q.'),
      'next-records-url': z
        .string()
        .regex(/^\/services\/data\/v\d+\.\d\/query\/[^/?#]+$/, 'must be the nextRecordsUrl of a previous result')
        .optional()
        .describe('nextRecordsUrl from a previous result, to fetch the next page.'),
    })
    .strict(),
  check: (a) =>
    [a.q, a.query, a['next-records-url']].filter((v) => v !== undefined).length === 1 ? undefined : 'Pass exactly one of q, query or next-records-url',
  outputSchema: z
    .object({ totalSize: z.number(), done: z.boolean(), records: z.array(recordShape), nextRecordsUrl: z.string().optional() })
    .passthrough(),
  annotations: { title: 'SOQL Query', ...READ_ONLY },
  async run(args, { org }) {
    const next = args['next-records-url'] as string | undefined;
    const result = next ? await org.queryMore(next) : await org.query((args.q ?? args.query) as string);
    return {
      totalSize: result.totalSize,
      done: result.done ?? true,
      records: result.records,
      ...(result.nextRecordsUrl ? { nextRecordsUrl: result.nextRecordsUrl } : {}),
    };
  },
};
