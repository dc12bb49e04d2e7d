/**
 * Stateful Streamable HTTP sessions. Each session belongs to the user whose token opened it (another
 * user's token on the same `Mcp-Session-Id` is refused), serves one server path, keeps the caller's
 * most recent token (used for its catalog rebuilds), and expires when idle.
 */
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Caller } from '../auth/verifier.ts';
import type { ForceGateMcpServer } from '../mcp/server.ts';
import type { ServerRef } from '../servers/paths.ts';

export interface McpSession {
  id: string;
  ref: ServerRef;
  userId: string;
  caller: Caller;
  auth: AuthInfo;
  server: ForceGateMcpServer;
  transport: StreamableHTTPServerTransport;
  /** Catalog fingerprint the session's tools were built from. */
  fingerprint: string;
  /** Set when the org changed and the tools could not be rebuilt yet (token expired). */
  stale: boolean;
  lastSeen: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, McpSession>();
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly idleMs: number) {}

  start(): void {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, this.idleMs / 4)));
    this.sweeper.unref();
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  add(session: McpSession): void {
    this.sessions.set(session.id, session);
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): McpSession[] {
    return [...this.sessions.values()];
  }

  byServer(): Map<string, McpSession[]> {
    const groups = new Map<string, McpSession[]>();
    for (const s of this.sessions.values()) {
      const list = groups.get(s.ref.key) ?? [];
      list.push(s);
      groups.set(s.ref.key, list);
    }
    return groups;
  }

  async close(session: McpSession): Promise<void> {
    this.sessions.delete(session.id);
    await session.transport.close().catch(() => undefined);
    await session.server.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all(this.all().map((s) => this.close(s)));
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const s of this.all()) if (s.lastSeen < cutoff) void this.close(s);
  }
}

/** A token still usable for background work (catalog rebuilds) for at least a few seconds. */
export function usable(auth: AuthInfo): boolean {
  return typeof auth.expiresAt === 'number' && auth.expiresAt * 1000 > Date.now() + 5000;
}
