/** find: SOSL search as the caller (`/search`), either a full `FIND {…}` statement or plain search text. */
import { z } from 'zod';
import { API_NAME } from '../../org/client.ts';
import { READ_ONLY, type ToolSpec } from '../types.ts';
import { defaultFields, recordShape } from './common.ts';

const text = z.string().min(1).max(10_000);

export const find: ToolSpec = {
  name: 'find',
  title: 'Search Records (SOSL)',
  description:
    'Full-text search across objects with SOSL, as you. Pass a complete statement such as "FIND {Acme} IN NAME FIELDS RETURNING Account(Id, Name), Contact(Id, Name)" in q (alias search), or plain words to search all fields (optionally limited to sobject-names). At most 2,000 results.',
  inputSchema: z
    .object({
      q: text.optional().describe('SOSL statement starting with FIND, or plain search text.'),
      search: text.optional().describe('Alias of q.'),
      'sobject-names': z
        .array(z.string().regex(API_NAME))
        .min(1)
        .max(20)
        .optional()
        .describe('With plain search text: only search these objects (Id and name field returned).'),
      limit: z.number().int().min(1).max(2000).optional().describe('With plain search text: at most this many results (default 200).'),
    })
    .strict(),
  check: (a) => ((a.q === undefined) !== (a.search === undefined) ? undefined : 'Pass exactly one of q or search'),
  outputSchema: z.object({ searchRecords: z.array(recordShape) }).passthrough(),
  annotations: { title: 'Search Records (SOSL)', ...READ_ONLY },
  async run(args, { org, schema }) {
    const input = ((args.q ?? args.search) as string).trim();
    let sosl = input;
    if (!/^FIND\s/i.test(input)) {
      const objects = (args['sobject-names'] as string[] | undefined) ?? [];
      const returning = await Promise.all(objects.map(async (o) => `${o}(${defaultFields(await schema.describe(o)).join(', ')})`));
      sosl = plainSearch(input, returning, args.limit as number | undefined);
    }
    const body = await org.get<{ searchRecords?: unknown[] } | unknown[]>('/search', { q: sosl });
    const searchRecords = Array.isArray(body) ? body : (body?.searchRecords ?? []);
    return { searchRecords: searchRecords as Record<string, unknown>[] };
  },
};

function plainSearch(term: string, returning: string[], limit = 200): string {
  const escaped = term.replace(/[?&|!{}[\]()^~*:\\"'+-]/g, (c) => `\\${c}`);
  return `FIND {${escaped}} IN ALL FIELDS${returning.length ? ` RETURNING ${returning.join(', ')}` : ''} LIMIT ${limit}`;
}
