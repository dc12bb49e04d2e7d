/**
 * Small helpers shared by the security and reliability suites (on top of mcp-server/test/helpers/harness.ts).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Harness } from '../../mcp-server/test/helpers/harness.ts';

export type Rec = Record<string, unknown> & { Id: string };

export interface ToolOutcome {
  isError: boolean;
  text: string;
  structured: unknown;
}

/** The first text block of a tool result. */
export function textOf(r: unknown): string {
  const content = (r as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

/** Calls a tool and flattens the result; an MCP-level error (thrown) is rethrown. */
export async function call(c: Client, name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
  const r = await c.callTool({ name, arguments: args });
  return { isError: r.isError === true, text: textOf(r), structured: r.structuredContent };
}

/** Records of a SOQL query run through the soqlQuery tool (throws on a tool error). */
export async function soql(c: Client, q: string): Promise<Rec[]> {
  const r = await call(c, 'soqlQuery', { q });
  if (r.isError) throw new Error(`soqlQuery failed: ${r.text}`);
  return (r.structured as { records: Rec[] }).records;
}

/** Row count of an object straight from the org's store (no security; test oracle only). */
export function rowCount(h: Harness, object: string, where = '1=1', ...params: unknown[]): number {
  return (h.org.org.db.prepare(`SELECT COUNT(*) AS n FROM "${object}" WHERE ${where}`).get(...params) as { n: number }).n;
}

/** A raw row straight from the org's store (test oracle only). */
export function rawRow(h: Harness, object: string, id: string): Record<string, unknown> | undefined {
  return h.org.org.db.prepare(`SELECT * FROM "${object}" WHERE Id = ?`).get(id) as Record<string, unknown> | undefined;
}

/** Rejects after `ms` (bounds every call in fuzz and load tests: a hang is a failure, not a stuck suite). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Long variants (FORCEGATE_LONG_TESTS=1). */
export const LONG = process.env.FORCEGATE_LONG_TESTS === '1';
