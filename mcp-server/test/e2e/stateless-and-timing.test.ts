/**
 * `--stateless` (a fresh server per POST, no Mcp-Session-Id) and the costs a client sees: initialize
 * and tools/list cold (describes fetched from the org) and warm (cached per user).
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHarness, type Harness } from '../helpers/harness.ts';

describe('mcp-server: stateless mode and timings', function () {
  this.timeout(180_000);

  describe('stateless', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ stateless: true });
      await h.setActive('platform/sobject-reads', true);
    });
    after(async () => h?.close());

    it('serves every request without a session, each with its own token check', async () => {
      const client = await h.connect('rep@forcegate.local', 'platform/sobject-reads');
      expect((client.transport as StreamableHTTPClientTransport).sessionId).to.equal(undefined);
      expect((await client.listTools()).tools).to.have.length(6);
      const r = await client.callTool({ name: 'getUserInfo', arguments: {} });
      expect((r.structuredContent as { username: string }).username).to.equal('rep@forcegate.local');
      expect(h.mcp.sessions.size).to.equal(0);
      const lines = await h.auditLines();
      expect(lines.at(-1)).to.include({ tool: 'getUserInfo', sessionId: null, outcome: 'success' });
    });
  });

  describe('timings', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
      for (const k of ['platform/sobject-all', 'custom/ForceGate_Service']) await h.setActive(k, true);
    });
    after(async () => h?.close());

    const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const t0 = performance.now();
      const v = await fn();
      return [v, performance.now() - t0];
    };

    it('measures initialize + tools/list cold and warm, and a simple tool call', async () => {
      const report: string[] = [];
      for (const key of ['platform/sobject-all', 'custom/ForceGate_Service']) {
        const token = await h.token('admin', key);
        const open = async (): Promise<Client> => {
          const c = new Client({ name: 'timing', version: '1' });
          await c.connect(new StreamableHTTPClientTransport(new URL(h.serverUrl(key)), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
          return c;
        };
        const [cold, coldInit] = await time(open);
        const [, coldList] = await time(() => cold.listTools());
        const [, warmList] = await time(() => cold.listTools());
        const [warm, warmInit] = await time(open);
        const [, secondSessionList] = await time(() => warm.listTools());
        // The server's own share: a raw tools/list POST on the session (no client-side schema compilation).
        const sid = (warm.transport as StreamableHTTPClientTransport).sessionId!;
        const raw = async (): Promise<void> => {
          const r = await fetch(h.serverUrl(key), {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${token}`, 'Mcp-Session-Id': sid, 'Mcp-Protocol-Version': '2025-11-25' },
            body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
          });
          await r.text();
        };
        await raw();
        const samples: number[] = [];
        for (let i = 0; i < 10; i++) samples.push((await time(raw))[1]);
        samples.sort((a, b) => a - b);
        report.push(
          `${key}: initialize cold ${coldInit.toFixed(1)} ms / warm ${warmInit.toFixed(1)} ms; SDK client tools/list first ${coldList.toFixed(1)} ms, again ${warmList.toFixed(1)} ms, new session ${secondSessionList.toFixed(1)} ms; raw HTTP tools/list median ${samples[5]!.toFixed(1)} ms (min ${samples[0]!.toFixed(1)})`,
        );
        expect(samples[5]).to.be.below(250);
        await cold.close();
        await warm.close();
      }
      const c = await h.connect('admin', 'platform/sobject-all');
      await c.callTool({ name: 'getUserInfo', arguments: {} });
      const [, call] = await time(() => c.callTool({ name: 'soqlQuery', arguments: { q: 'SELECT Id, Name FROM Account LIMIT 5' } }));
      report.push(`soqlQuery round trip (MCP → org → MCP): ${call.toFixed(1)} ms`);
      for (const line of report) console.log(`      ${line}`);
    });
  });
});
