/**
 * Hostile-argument fuzzing of every tool of sobject-all and the two custom servers, through the real
 * MCP SDK client over Streamable HTTP. Arguments mix the tool's own parameter names with
 * prototype-pollution keys, and values of every JSON type: unicode, control characters, long strings,
 * nested JSON, SOQL/SOSL metacharacters, real record Ids of another user.
 *
 * Every call must come back, within a bound, as a tool result (isError true or false, with content) or
 * an MCP invalid-params error — never a transport error (HTTP 5xx), a hang or a crash; the server
 * answers afterwards, and Object.prototype of this process (the server runs in it) is untouched.
 * numRuns is modest in `npm test`; FORCEGATE_LONG_TESTS=1 raises it.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, type Harness } from '../../mcp-server/test/helpers/harness.ts';
import { call, LONG, soql, textOf, withTimeout } from './helpers.ts';

const RUNS_PER_TOOL = LONG ? 300 : 12;
const CALL_TIMEOUT_MS = 15_000;
const SERVERS = ['platform/sobject-all', 'custom/ForceGate_Read', 'custom/ForceGate_Service'] as const;

const HOSTILE_STRINGS = [
  "' OR 1=1 --",
  "\\' OR Name != \\'",
  '%',
  '_',
  '*',
  '}',
  '{',
  'FIND {x} RETURNING User(Id)',
  'SELECT Id FROM User',
  '; DROP TABLE Account',
  '\u0000',
  '\u202e\u200b\ufeff',
  '🧨🔥𝕏',
  '../../../etc/passwd',
  '%00',
  '${7*7}',
  '<script>alert(1)</script>',
  'null',
  'undefined',
  '0'.repeat(18),
  '001000000000000AAA',
  '__proto__',
  'constructor',
  'Account',
  'Account.Owner',
  'Contacts.Cases.Tasks.Owner.Manager',
  '2026-02-30',
  '9999-99-99',
  'x'.repeat(20_000),
];
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', 'a'.repeat(300)];

/** An object whose keys may be `__proto__` & co. as own properties (JSON.stringify then sends them as is). */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });
  return o;
}

interface PropSchema {
  type?: string | string[];
  pattern?: string;
  enum?: unknown[];
  items?: PropSchema;
  anyOf?: PropSchema[];
}

/** Well-typed arguments (so calls get past the schema and reach the org) carrying hostile strings. */
function shapedArbitrary(schema: { properties?: Record<string, PropSchema>; required?: string[] }, ids: string[]): fc.Arbitrary<Record<string, unknown>> {
  const str = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: 'grapheme', maxLength: 60 }), fc.constantFrom(...ids));
  const forProp = (p: PropSchema): fc.Arbitrary<unknown> => {
    if (p.enum?.length) return fc.oneof(fc.constantFrom(...p.enum), str);
    const types = ([] as string[]).concat(p.type ?? p.anyOf?.flatMap((a) => ([] as string[]).concat(a.type ?? [])) ?? ['string']);
    const arbs: fc.Arbitrary<unknown>[] = [];
    for (const t of types) {
      if (t === 'string') arbs.push(p.pattern ? fc.oneof(fc.stringMatching(new RegExp(p.pattern)), fc.constantFrom(...ids), fc.constantFrom('2026-01-05', '1900-01-01', '9999-12-31')) : str);
      else if (t === 'integer') arbs.push(fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 200, 2001, 2 ** 31)));
      else if (t === 'number') arbs.push(fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -1, 1e308)));
      else if (t === 'boolean') arbs.push(fc.boolean());
      else if (t === 'array') arbs.push(fc.array(str, { maxLength: 4 }));
      else if (t === 'object') arbs.push(fc.array(fc.tuple(fc.oneof(fc.constantFrom('Name', 'Subject', 'OwnerId', 'Id', 'IsDeleted', 'Internal_Risk_Rating__c', ...HOSTILE_KEYS), fc.string({ maxLength: 20 })), fc.oneof(str, fc.integer(), fc.boolean(), fc.constant(null))), { maxLength: 4 }).map(objectOf));
    }
    return arbs.length ? fc.oneof(...arbs) : str;
  };
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const entries = Object.entries(props).map(([k, p]) => (required.has(k) ? forProp(p).map((v) => [[k, v]] as [string, unknown][]) : fc.option(forProp(p), { nil: undefined }).map((v) => (v === undefined ? [] : [[k, v]]) as [string, unknown][])));
  return fc.tuple(...entries).map((parts) => objectOf(parts.flat()));
}

function argsArbitrary(props: string[], ids: string[]): fc.Arbitrary<Record<string, unknown>> {
  const leaf = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom(...HOSTILE_STRINGS),
    fc.constantFrom(...ids),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -1, 2 ** 53, -(2 ** 31), 1e308),
    fc.boolean(),
    fc.constant(null),
  );
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(props.length ? props : ['q'])) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });
  const nested: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('v'), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie('v')), { maxLength: 4 }).map(objectOf),
    ),
  })).v;
  const value = fc.oneof({ weight: 5, arbitrary: leaf }, { weight: 2, arbitrary: nested }, { weight: 1, arbitrary: fc.constant(objectOf([['__proto__', { polluted: 'yes', isAdmin: true }]])) });
  return fc.array(fc.tuple(key, value), { maxLength: 5 }).map(objectOf);
}

describe('security: fuzzing every tool with hostile arguments', function () {
  this.timeout(LONG ? 3_600_000 : 120_000);
  let h: Harness;
  const clients = new Map<string, Client>();
  let ids: string[] = [];

  before(async () => {
    h = await startHarness();
    for (const s of SERVERS) await h.setActive(s, true);
    for (const s of SERVERS) clients.set(s, await h.connect('rep@forcegate.local', s));
    const admin = await h.connect('admin', 'platform/sobject-all');
    ids = (await soql(admin, "SELECT Id, AccountId FROM Opportunity WHERE Owner.Username = 'rep2@forcegate.local' LIMIT 3")).flatMap((r) => [r.Id, r.AccountId as string]);
    ids.push(...(await soql(admin, 'SELECT Id FROM Case LIMIT 3')).map((r) => r.Id), ...(await soql(admin, 'SELECT Id FROM User LIMIT 2')).map((r) => r.Id));
  });
  after(async () => h?.close());

  for (const server of SERVERS) {
    it(`${server}: every tool answers a result or a schema error, never a 5xx/hang/crash`, async () => {
      const c = clients.get(server)!;
      const tools = (await c.listTools()).tools;
      expect(tools.length).to.be.greaterThan(2);
      const outcomes = { ok: 0, toolError: 0, schemaError: 0 };
      for (const tool of tools) {
        const schema = tool.inputSchema as { properties?: Record<string, PropSchema>; required?: string[] };
        const props = Object.keys(schema.properties ?? {});
        const arbitrary = fc.oneof({ weight: 3, arbitrary: shapedArbitrary(schema, ids) }, { weight: 2, arbitrary: argsArbitrary(props, ids) });
        await fc.assert(
          fc.asyncProperty(arbitrary, async (args) => {
            let r: unknown;
            try {
              r = await withTimeout(c.callTool({ name: tool.name, arguments: args }), CALL_TIMEOUT_MS, `${tool.name}(${JSON.stringify(args).slice(0, 200)})`);
            } catch (e) {
              // Only the SDK's own invalid-params answer is acceptable as a thrown error.
              if (e instanceof McpError && e.code === ErrorCode.InvalidParams) {
                outcomes.schemaError++;
                return;
              }
              throw e;
            }
            const res = r as { isError?: boolean; content?: unknown[] };
            expect(res.content, JSON.stringify(r).slice(0, 300)).to.be.an('array').with.length.above(0);
            const text = textOf(r);
            if (res.isError) {
              outcomes.toolError++;
              if (/Input validation error/.test(text)) outcomes.schemaError++;
              // Errors are the platform's `CODE: message` or the schema's; never a stack trace or an internal error.
              // The platform's shape for an exception an Apex action throws is allowed; any other UNKNOWN_EXCEPTION is an internal failure.
              if (/UNKNOWN_EXCEPTION/.test(text)) expect(text).to.match(/^UNKNOWN_EXCEPTION: An Apex error occurred: ForceGateActionException: /);
              expect(text).to.not.match(/\n\s+at [\w.<>]+ \(|node_modules|Internal server error|TypeError|ReferenceError/);
            } else outcomes.ok++;
          }),
          { numRuns: RUNS_PER_TOOL, endOnFailure: true },
        );
      }
      // The server still answers, and nothing polluted Object.prototype (the server runs in this process).
      const alive = server === 'platform/sobject-all' ? await call(c, 'getUserInfo', {}) : { isError: false };
      expect(alive.isError).to.equal(false);
      expect((await withTimeout(c.listTools(), CALL_TIMEOUT_MS, 'tools/list')).tools.length).to.equal(tools.length);
      expect(Object.keys(Object.prototype)).to.deep.equal([]);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(({} as Record<string, unknown>).isAdmin).to.equal(undefined);
      console.log(`      ${server}: ${tools.length} tools × ${RUNS_PER_TOOL} runs → ${JSON.stringify(outcomes)}`);
    });
  }

  it('hostile bodies on the write tools: __proto__/constructor keys are refused or ignored, never applied to other records', async () => {
    const c = clients.get('platform/sobject-all')!;
    const before = (h.org.org.db.prepare('SELECT COUNT(*) AS n FROM "Case"').get() as { n: number }).n;
    const body = JSON.parse('{"Subject":"proto test","__proto__":{"OwnerId":"005000000000000AAA","IsDeleted":true},"constructor":{"prototype":{"x":1}}}') as Record<string, unknown>;
    const r = await call(c, 'createSobjectRecord', { 'sobject-name': 'Case', body });
    expect(r.isError, r.text).to.equal(true);
    expect(r.text).to.match(/Input validation error|INVALID_FIELD|^[A-Z_]+: /);
    expect((h.org.org.db.prepare('SELECT COUNT(*) AS n FROM "Case"').get() as { n: number }).n).to.equal(before);
    expect(Object.keys(Object.prototype)).to.deep.equal([]);
  });
});
