/**
 * The server's own audit trail: one JSON line per `tools/call`, whatever its outcome (success, org
 * error, schema refusal, unknown tool). Lines carry who (user id, username, client id), where
 * (server, session), what (tool, argument names), how it went (outcome, error code, duration) and
 * the org request ids of the calls made — so a line can be matched with the org's ApiTotalUsage
 * rows. Argument values are not written unless `--audit-arguments` is given.
 *
 * Calls are observed at the transport (JSON-RPC request in, response out), so nothing a tool does or
 * fails to do can skip its line.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../auth/verifier.ts';
import type { OrgCallRecord } from '../org/client.ts';

export interface AuditEntry {
  time: string;
  event: 'tool_call';
  userId: string | null;
  username: string | null;
  clientId: string | null;
  server: string;
  sessionId: string | null;
  transport: 'http' | 'stdio';
  tool: string;
  outcome: 'success' | 'error';
  errorCode?: string;
  durationMs: number;
  orgCalls: number;
  orgRequestIds: string[];
  argumentNames: string[];
  arguments?: unknown;
}

export class AuditLog {
  /**
   * Lines are appended with a synchronous write before the response leaves (the tracker writes as the
   * JSON-RPC response is sent): once a client has heard of a call, its line is in the file, even if
   * the process is killed right after. A stream would buffer it in this process until a later tick.
   */
  private fd?: number;
  private lines = 0;

  constructor(
    readonly file: string | undefined,
    readonly options: { logArguments?: boolean } = {},
  ) {
    if (file && file !== '-') {
      mkdirSync(dirname(file), { recursive: true });
      this.fd = openSync(file, 'a');
    }
  }

  get count(): number {
    return this.lines;
  }

  /** Lines that could not be written (disk full, I/O error): each was reported on stderr. */
  failures = 0;

  write(entry: AuditEntry): void {
    this.lines++;
    const line = `${JSON.stringify(entry)}\n`;
    if (this.fd !== undefined) {
      // Never throws into the caller: the line is written as the call's answer goes out, and an answer
      // lost to a full disk would leave the client retrying a call that already ran.
      try {
        const bytes = Buffer.from(line);
        for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off);
      } catch (err) {
        this.failures++;
        process.stderr.write(`forcegate-mcp: AUDIT LOG WRITE FAILED (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) for ${this.file}; the line was: ${line}`);
      }
    } else if (this.file === '-') process.stderr.write(line);
  }

  /** Writes the line of one tools/call: the fields every line shares are filled in here. */
  toolCall(call: {
    caller: Caller | undefined;
    server: string;
    sessionId: string | undefined;
    transport: 'http' | 'stdio';
    tool: string;
    args: Record<string, unknown>;
    started: number;
    errorCode?: string;
    failed: boolean;
    orgCalls: OrgCallRecord[];
  }): void {
    this.write({
      time: new Date().toISOString(),
      event: 'tool_call',
      userId: call.caller?.userId ?? null,
      username: call.caller?.username ?? null,
      clientId: call.caller?.clientId ?? null,
      server: call.server,
      sessionId: call.sessionId ?? null,
      transport: call.transport,
      tool: call.tool,
      outcome: call.failed ? 'error' : 'success',
      ...(call.failed ? { errorCode: call.errorCode } : {}),
      durationMs: Math.round((performance.now() - call.started) * 10) / 10,
      orgCalls: call.orgCalls.length,
      orgRequestIds: call.orgCalls.map((c) => c.requestId).filter((r): r is string => !!r),
      argumentNames: Object.keys(call.args),
      ...(this.options.logArguments ? { arguments: call.args } : {}),
    });
  }

  /** Every line written so far is already in the file (writes are synchronous); kept for callers that wait. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return Promise.resolve();
  }
}

/** What a tool handler adds to its call's audit line. */
export interface CallRecord {
  orgCalls: OrgCallRecord[];
  errorCode?: string;
}

/** The tool name and arguments of a JSON-RPC `tools/call` request, or undefined for any other message. */
export function toolCallOf(message: unknown): { id: string | number; tool: string; args: Record<string, unknown> } | undefined {
  const m = message as { method?: unknown; id?: unknown; params?: { name?: unknown; arguments?: unknown } } | null;
  if (!m || typeof m !== 'object' || m.method !== 'tools/call' || (typeof m.id !== 'string' && typeof m.id !== 'number')) return undefined;
  const params = m.params ?? {};
  return {
    id: m.id,
    tool: String(params.name ?? ''),
    args: params.arguments && typeof params.arguments === 'object' ? (params.arguments as Record<string, unknown>) : {},
  };
}

/**
 * One error line per tools/call in a request body refused before it reached a tool (at the HTTP
 * door, after the caller's token was verified). A batch is bounded by the body size; the SDK would
 * not take more than 100 messages either.
 */
export function auditRefusedCalls(
  log: AuditLog,
  body: unknown,
  ctx: { caller: Caller; server: string; sessionId: string | undefined; errorCode: string; started: number },
): void {
  for (const m of (Array.isArray(body) ? body : [body]).slice(0, 100)) {
    const call = toolCallOf(m);
    if (call) log.toolCall({ ...ctx, transport: 'http', tool: call.tool, args: call.args, failed: true, orgCalls: [] });
  }
}

interface Pending extends CallRecord {
  tool: string;
  started: number;
  caller?: Caller;
  args: Record<string, unknown>;
}

/**
 * Wraps a connected transport so every tools/call request and its response produce one audit line.
 * Call after `McpServer.connect(transport)` (which installs `onmessage`).
 */
export class CallTracker {
  private readonly pending = new Map<string | number, Pending>();

  constructor(
    private readonly log: AuditLog,
    private readonly context: { server: string; transport: 'http' | 'stdio'; sessionId: () => string | undefined; caller: (extra?: MessageExtraInfo) => Caller | undefined },
  ) {}

  /** The record of an in-flight call (tool handlers attach org request ids to it). */
  record(requestId: string | number): CallRecord | undefined {
    return this.pending.get(requestId);
  }

  attach(transport: Transport): void {
    const onmessage = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
      const call = toolCallOf(message);
      if (call) this.pending.set(call.id, { tool: call.tool, args: call.args, started: performance.now(), caller: this.context.caller(extra), orgCalls: [] });
      onmessage?.(message, extra);
    };
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      if ('id' in message && message.id !== undefined && ('result' in message || 'error' in message)) {
        const p = this.pending.get(message.id);
        if (p) {
          this.pending.delete(message.id);
          this.finish(p, message);
        }
      }
      return send(message, options);
    };
  }

  private finish(p: Pending, message: JSONRPCMessage): void {
    const result = 'result' in message ? (message.result as { isError?: boolean; content?: { type: string; text?: string }[] }) : undefined;
    const failed = !result || result.isError === true;
    let errorCode = p.errorCode;
    if (failed && !errorCode) {
      const text = result?.content?.find((c) => c.type === 'text')?.text ?? ('error' in message ? String(message.error.message) : '');
      errorCode = /Input validation error|Invalid arguments/i.test(text) ? 'INVALID_ARGUMENTS' : /not found/i.test(text) ? 'TOOL_NOT_FOUND' : 'ERROR';
    }
    this.log.toolCall({
      caller: p.caller,
      server: this.context.server,
      sessionId: this.context.sessionId(),
      transport: this.context.transport,
      tool: p.tool,
      args: p.args,
      started: p.started,
      errorCode,
      failed,
      orgCalls: p.orgCalls,
    });
  }
}
