/**
 * Keeps open sessions' tool lists current. While sessions are open, each server path is polled
 * (default every 15 s, at most 30 s) with the token of one of its live sessions: activation and the
 * tool catalog are re-read from the org, bypassing caches (API Catalog / McpServerDefinition,
 * action describes through one Composite call, Named Query definitions). The catalog fingerprint
 * covers everything a client sees, so a Flow edited or activated in Setup, a deploy that adds an
 * action, or a server deactivated shows up as a different fingerprint. Then the caches of that org
 * and server are dropped, every session of the server is rebuilt with its own user's token, and the
 * SDK sends `notifications/tools/list_changed` to each session whose list changed (a deactivated
 * server notifies all its sessions; their next request is answered 404).
 */
import type { McpSession, SessionStore } from '../http/sessions.ts';
import { usable } from '../http/sessions.ts';
import type { ToolCatalog } from './catalog.ts';
import type { Resolution } from './registry.ts';

export interface WatcherDeps {
  intervalMs: number;
  sessions: SessionStore;
  /** Fresh (uncached) activation + catalog for this session's user. */
  probe(session: McpSession): Promise<{ resolution: Resolution; catalog?: ToolCatalog }>;
  /** Drops the caches of one server (all users) so rebuilds read the org again. */
  invalidate(serverKey: string): void;
  /** Rebuilds a session's catalog with its own token (after invalidate). */
  catalogFor(session: McpSession, resolution: Resolution): Promise<ToolCatalog>;
  log(message: string): void;
}

export class ToolWatcher {
  private timer?: NodeJS.Timeout;
  private running = false;
  private current?: Promise<void>;
  /** Sessions notified per tick, for tests and metrics. */
  notifications = 0;

  constructor(private readonly deps: WatcherDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  /** Stops polling and waits for a check in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.current;
  }

  tick(): Promise<void> {
    if (this.running || this.deps.sessions.size === 0) return Promise.resolve();
    this.running = true;
    this.current = this.run();
    return this.current;
  }

  private async run(): Promise<void> {
    try {
      for (const [key, group] of this.deps.sessions.byServer()) {
        try {
          await this.checkServer(key, group);
        } catch (err) {
          this.deps.log(`watch ${key}: ${(err as Error).message}`);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async checkServer(key: string, group: McpSession[]): Promise<void> {
    const probeSession = group.filter((s) => usable(s.auth)).sort((a, b) => b.lastSeen - a.lastSeen)[0];
    if (!probeSession) return;
    const { resolution, catalog } = await this.deps.probe(probeSession);
    const fingerprint = resolution.status === 'active' ? catalog!.fingerprint : `${resolution.status}`;
    if (fingerprint === probeSession.fingerprint) return;
    this.deps.log(`${key} changed in the org (${resolution.status}); updating ${group.length} session(s)`);
    this.deps.invalidate(key);
    for (const s of group) {
      if (resolution.status !== 'active') {
        s.fingerprint = fingerprint;
        s.server.notifyToolsChanged();
        this.notifications++;
        continue;
      }
      if (!usable(s.auth)) {
        // Rebuilt on the session's next request, which brings a fresh token.
        s.stale = true;
        s.server.notifyToolsChanged();
        this.notifications++;
        continue;
      }
      try {
        const next = s === probeSession ? catalog! : await this.deps.catalogFor(s, resolution);
        s.fingerprint = next.fingerprint;
        s.stale = false;
        if (s.server.sync(next.tools)) this.notifications++;
      } catch (err) {
        s.stale = true;
        s.server.notifyToolsChanged();
        this.notifications++;
        this.deps.log(`rebuild ${key} for ${s.userId}: ${(err as Error).message}`);
      }
    }
  }
}
