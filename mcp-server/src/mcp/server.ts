/**
 * One MCP server instance (per session, or per request in stateless mode): the SDK's McpServer with
 * the caller's current tool catalog registered through `registerTool`. `sync()` applies a new
 * catalog in place (remove / update / add); the SDK then sends one debounced
 * `notifications/tools/list_changed`.
 */
import { McpServer, type RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import { AuditLog, CallTracker } from '../audit/jsonl.ts';
import type { Caller } from '../auth/verifier.ts';
import type { OrgClient, OrgCallRecord } from '../org/client.ts';
import { describeError } from '../org/errors.ts';
import { OrgSchemaCache } from '../org/schema-cache.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { ToolSpec } from '../tools/types.ts';

export const SERVER_VERSION = '0.1.0';

/** How a tool call reaches the org: HTTP mode builds a client from the request's token, stdio from the sf CLI auth. */
export interface ToolRuntime {
  caller(auth: AuthInfo | undefined): Caller;
  org(auth: AuthInfo | undefined, opts: { onCall: (r: OrgCallRecord) => void; signal: AbortSignal }): OrgClient;
  /** `<orgKey>|<userId>`: the cache scope of the caller's describes (and the user's rate-limit bucket). */
  scope(caller: Caller): string;
  /** Per-user limit on tool calls, when configured. */
  rateLimiter?: RateLimiter;
}

export interface ServerIdentity {
  /** `platform/sobject-reads`, `custom/ForceGate_Read`. */
  key: string;
  label: string;
  description?: string;
}

export class ForceGateMcpServer {
  readonly mcp: McpServer;
  private tracker?: CallTracker;
  private readonly registered = new Map<string, { signature: string; handle: RegisteredTool; definition: Tool }>();
  /** tools/list as last computed: JSON Schemas are converted once per tool version, not per request. */
  private listing?: { tools: Tool[] };
  /** The same, serialised once (UTF-8 JSON of the result), for the HTTP fast path. */
  private listingJson?: Buffer;

  constructor(
    readonly identity: ServerIdentity,
    private readonly runtime: ToolRuntime,
    private readonly audit: AuditLog,
    private readonly transportKind: 'http' | 'stdio',
    /** Ask the user (MCP elicitation) before a destructive tool runs, when the client supports it. Off in stateless mode: no session carries the answer back. */
    private readonly confirmDestructive = true,
  ) {
    this.mcp = new McpServer(
      { name: `forcegate/${identity.key}`, title: `ForceGate ${identity.label}`, version: SERVER_VERSION },
      {
        capabilities: { tools: { listChanged: true }, logging: {} },
        debouncedNotificationMethods: ['notifications/tools/list_changed'],
        instructions:
          `${identity.description ?? identity.label} Every tool runs as the signed-in Salesforce user: the org applies that user's object permissions, field-level security and sharing, and each call appears in the org's API event log.`,
      },
    );
    // The SDK's own tools/list handler converts every zod schema to JSON Schema on every request;
    // this one serves the same definitions, converted once per tool version.
    this.mcp.server.setRequestHandler(ListToolsRequestSchema, () => this.listTools());
  }

  /** Applies a catalog; returns whether the tool list changed. */
  sync(tools: ToolSpec[]): boolean {
    let changed = false;
    const wanted = new Map(tools.map((t) => [t.name, t]));
    for (const [name, reg] of this.registered) {
      const next = wanted.get(name);
      if (!next || (next.signature ?? next.name) !== reg.signature) {
        reg.handle.remove();
        this.registered.delete(name);
        this.listing = undefined;
        this.listingJson = undefined;
        changed = true;
      }
    }
    for (const spec of tools) {
      if (this.registered.has(spec.name)) continue;
      this.registered.set(spec.name, { signature: spec.signature ?? spec.name, handle: this.register(spec), definition: definitionOf(spec) });
      changed = true;
    }
    if (changed) {
      this.listing = undefined;
      this.listingJson = undefined;
    }
    return changed;
  }

  /** The tools/list result as UTF-8 JSON, serialised once per catalog version. */
  serializedListing(): Buffer {
    return (this.listingJson ??= Buffer.from(JSON.stringify(this.listTools())));
  }

  private listTools(): { tools: Tool[] } {
    return (this.listing ??= { tools: [...this.registered.values()].map((r) => r.definition) });
  }

  get toolNames(): string[] {
    return [...this.registered.keys()];
  }

  async connect(transport: Transport, sessionId: () => string | undefined): Promise<void> {
    await this.mcp.connect(transport);
    this.tracker = new CallTracker(this.audit, {
      server: this.identity.key,
      transport: this.transportKind,
      sessionId,
      caller: (extra) => {
        try {
          return this.runtime.caller(extra?.authInfo);
        } catch {
          return undefined;
        }
      },
    });
    this.tracker.attach(transport);
  }

  notifyToolsChanged(): void {
    if (this.mcp.isConnected()) this.mcp.sendToolListChanged();
  }

  close(): Promise<void> {
    return this.mcp.close();
  }

  /**
   * For a destructive tool and a client that declared the elicitation capability: asks the person to
   * confirm. A decline, a cancel or a failed elicitation means no. Clients without elicitation run the
   * tool as before (its destructiveHint tells them to confirm in their own UI).
   */
  private async confirmed(spec: ToolSpec, username: string): Promise<boolean> {
    if (!this.confirmDestructive || spec.annotations?.readOnlyHint || !spec.annotations?.destructiveHint) return true;
    if (!this.mcp.server.getClientCapabilities()?.elicitation?.form) return true;
    try {
      const answer = await this.mcp.server.elicitInput(
        {
          mode: 'form',
          message: `${spec.title ?? spec.name} changes or deletes Salesforce data as ${username}. Run it?`,
          requestedSchema: {
            type: 'object',
            properties: { confirm: { type: 'boolean', title: 'Run this tool', description: `Run ${spec.name} now` } },
            required: ['confirm'],
          },
        },
        { timeout: CONFIRMATION_TIMEOUT_MS },
      );
      return answer.action === 'accept' && answer.content?.confirm === true;
    } catch {
      return false;
    }
  }

  private register(spec: ToolSpec): RegisteredTool {
    // The output schema is listed (definitionOf) but not given to the SDK: it would re-validate every
    // structuredContent we built from the org's answer with zod — for a 200-row query, more CPU than the
    // rest of the call. Clients validate against the listed schema (the SDK client does); the e2e tests
    // call every tool through such a client.
    const config = {
      title: spec.title,
      description: spec.description,
      inputSchema: spec.inputSchema,
      annotations: spec.annotations,
    };
    const handler = async (args: Record<string, unknown>, extra: { authInfo?: AuthInfo; requestId: string | number; signal: AbortSignal }): Promise<CallToolResult> => {
      const record = this.tracker?.record(extra.requestId);
      const problem = spec.check?.(args);
      if (problem) {
        if (record) record.errorCode = 'INVALID_ARGUMENTS';
        return { isError: true, content: [{ type: 'text', text: `Input validation error: Invalid arguments for tool ${spec.name}: ${problem}` }] };
      }
      try {
        const caller = this.runtime.caller(extra.authInfo);
        const admission = this.runtime.rateLimiter?.take(this.runtime.scope(caller));
        if (admission && !admission.ok) {
          if (record) record.errorCode = 'RATE_LIMITED';
          const perMinute = this.runtime.rateLimiter!.limit.callsPerMinute;
          return {
            isError: true,
            content: [{ type: 'text', text: `RATE_LIMITED: Too many tool calls for this user (limit ${perMinute} per minute). Retry after ${admission.retryAfterSeconds} seconds.` }],
            _meta: { retryAfterSeconds: admission.retryAfterSeconds },
          };
        }
        if (!(await this.confirmed(spec, caller.username ?? caller.userId))) {
          if (record) record.errorCode = 'NOT_CONFIRMED';
          return { isError: true, content: [{ type: 'text', text: `NOT_CONFIRMED: The user did not confirm ${spec.name}; nothing was changed.` }] };
        }
        const org = this.runtime.org(extra.authInfo, { onCall: (r) => record?.orgCalls.push(r), signal: extra.signal });
        const result = await spec.run(args, { org, caller, schema: new OrgSchemaCache(org, this.runtime.scope(caller)) });
        return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
      } catch (err) {
        const { errorCode, text } = describeError(err);
        if (record) record.errorCode = errorCode;
        return { isError: true, content: [{ type: 'text', text }] };
      }
    };
    return this.mcp.registerTool(spec.name, config as never, handler as never);
  }
}

/** Bound on how long a confirmation may wait for the person at the client. */
const CONFIRMATION_TIMEOUT_MS = 5 * 60_000;

const definitions = new WeakMap<ToolSpec['inputSchema'], Record<string, unknown>>();

function jsonSchema(schema: ToolSpec['inputSchema'], io: 'input' | 'output'): Tool['inputSchema'] {
  let cached = definitions.get(schema);
  if (!cached) {
    cached = toJsonSchemaCompat(schema as never, { strictUnions: true, pipeStrategy: io }) as Record<string, unknown>;
    definitions.set(schema, cached);
  }
  return cached as Tool['inputSchema'];
}

/** The tools/list entry for a tool (the fields the SDK would list). */
function definitionOf(spec: ToolSpec): Tool {
  return {
    name: spec.name,
    ...(spec.title ? { title: spec.title } : {}),
    description: spec.description,
    inputSchema: jsonSchema(spec.inputSchema, 'input'),
    ...(spec.outputSchema ? { outputSchema: jsonSchema(spec.outputSchema, 'output') as Tool['outputSchema'] } : {}),
    annotations: spec.annotations,
  };
}
