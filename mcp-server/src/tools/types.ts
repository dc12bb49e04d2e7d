/**
 * A tool independent of the MCP transport and SDK version: what it is called, what it takes and
 * returns (zod), how it may be described to a client (annotations), and what it does with the
 * caller's OrgClient. `mcp/build.ts` turns these into `registerTool` calls.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Caller } from '../auth/verifier.ts';
import type { OrgClient } from '../org/client.ts';
import type { OrgSchemaCache } from '../org/schema-cache.ts';

export interface ToolContext {
  org: OrgClient;
  caller: Caller;
  schema: OrgSchemaCache;
}

export interface ToolSpec {
  /** ≤ 64 characters, `^[A-Za-z0-9_./-]+$`. */
  name: string;
  title?: string;
  description: string;
  inputSchema: z.ZodTypeAny;
  outputSchema?: z.ZodTypeAny;
  annotations: ToolAnnotations;
  /** Changes whenever what the client would see of the tool changes (definition + describe). */
  signature?: string;
  /**
   * Cross-field rules a JSON Schema object cannot carry (e.g. "exactly one of q or query"); runs
   * after schema validation and before any org call. Returns the problem, or undefined.
   */
  check?(args: Record<string, unknown>): string | undefined;
  /** Returns the structured result; throws OrgApiError & co for tool errors. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<Record<string, unknown>>;
}

/** Truthful hints for the standard tools (and the default for custom ones). */
export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
export const CREATE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
export const UPDATE: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };
export const DELETE: ToolAnnotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

export const TOOL_NAME = /^[A-Za-z0-9_./-]{1,64}$/;

/** A valid MCP tool name from any label (invalid characters → `_`, at most 64 characters). */
export function toolName(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_./-]+/g, '_').replace(/^_+|_+$/g, '');
  return (cleaned || 'tool').slice(0, 64);
}
