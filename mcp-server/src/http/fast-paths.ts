/**
 * Two shortcuts around the SDK transport's Node adapter on an open session, each measured in bench P3b/P4.
 *
 * `tools/list` on an open session, answered from the catalog's pre-serialised JSON instead of going
 * through the SDK transport (Node request → Web Request → JSON-RPC dispatch → JSON.stringify of the
 * whole listing → UTF-8 encode → SSE frame → Node response). With 200 tools the listing is ~150 kB
 * and that path cost more than everything else in a warm tools/list (bench P3b).
 *
 * Only the plainest request takes this path: a single JSON-RPC request, no cursor, the headers the
 * Streamable HTTP transport requires and a protocol version it supports. Anything else goes to the
 * SDK, which answers it (or refuses it) as before. Streamable HTTP lets a server answer a POST with
 * `application/json` instead of an SSE stream; every conforming client accepts both.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from './express-types.ts';

interface ListRequest {
  jsonrpc: '2.0';
  id: string | number;
  method: 'tools/list';
  params?: { _meta?: unknown };
}

function isPlainToolsList(body: unknown): body is ListRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const m = body as Record<string, unknown>;
  if (m.jsonrpc !== '2.0' || m.method !== 'tools/list') return false;
  if (!(typeof m.id === 'string' || (typeof m.id === 'number' && Number.isInteger(m.id)))) return false;
  for (const key of Object.keys(m)) if (!['jsonrpc', 'id', 'method', 'params'].includes(key)) return false;
  if (m.params === undefined) return true;
  if (!m.params || typeof m.params !== 'object' || Array.isArray(m.params)) return false;
  return Object.keys(m.params).every((k) => k === '_meta');
}

/** Answers the request and returns true, or returns false (nothing written) for the SDK to handle. */
export function answerToolsListFromCache(req: Request, res: Response, sessionId: string, listing: () => Buffer): boolean {
  if (req.method !== 'POST' || !isPlainToolsList(req.body)) return false;
  const accept = req.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
  if (!(req.get('content-type') ?? '').includes('application/json')) return false;
  const version = req.get('mcp-protocol-version');
  if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return false;
  const body = Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(req.body.id)},"result":`), listing(), Buffer.from('}')]);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'mcp-session-id': sessionId });
  res.end(body);
  return true;
}

/**
 * The SDK's Node adapter flushes a streamed (SSE) response's headers in a write of their own, then
 * writes the event, then the end of the stream. For a POST, whose stream carries the answer (and any
 * request the server makes meanwhile, e.g. an elicitation), nothing waits on the headers alone, so they
 * go out with the first event: one socket write less per tool call. GET streams are left alone (a
 * client waits for their headers before any event exists).
 */
export function holdHeadersForFirstWrite(res: Response): void {
  (res as unknown as { flushHeaders: () => void }).flushHeaders = () => undefined;
}
