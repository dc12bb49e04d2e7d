/**
 * Org changes reach open sessions: a Flow deployed with a new input, and a server deactivated, each
 * produce `notifications/tools/list_changed` (polling every 300 ms here; ≤ 30 s by default), and the
 * next tools/list is current.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { deployComponents } from '../../../local-org/src/metadata/deploy.ts';
import { repoRoot, startHarness, type Harness } from '../helpers/harness.ts';

function listChanged(client: Client): { next(timeoutMs: number): Promise<number>; count: () => number } {
  let count = 0;
  let waiters: (() => void)[] = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    count++;
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  });
  return {
    count: () => count,
    next: (timeoutMs) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const timer = setTimeout(() => reject(new Error(`no tools/list_changed within ${timeoutMs} ms`)), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve(performance.now() - started);
        });
      }),
  };
}

describe('mcp-server: tools/list_changed', function () {
  this.timeout(120_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({ pollIntervalMs: 300 });
    await h.setActive('custom/ForceGate_Service', true);
  });
  after(async () => h?.close());

  it('a Flow change in the org triggers tools/list_changed and the next tools/list is current', async () => {
    const client = await h.connect('admin', 'custom/ForceGate_Service');
    const events = listChanged(client);
    const before = (await client.listTools()).tools.find((t) => t.name === 'escalate_case')!;
    expect(Object.keys((before.inputSchema as { properties: object }).properties)).to.not.include('ticketRef');
    await new Promise((r) => setTimeout(r, 700)); // let the watcher take its baseline

    const path = join(repoRoot, 'force-app/main/default/flows/Escalate_Case.flow-meta.xml');
    const xml = readFileSync(path, 'utf8').replace(
      '    <variables>',
      `    <variables>
        <description>Optional reference of the customer's ticket in their own system.</description>
        <name>ticketRef</name>
        <dataType>String</dataType>
        <isCollection>false</isCollection>
        <isInput>true</isInput>
        <isOutput>false</isOutput>
    </variables>
    <variables>`,
    );
    const wait = events.next(60_000);
    const outcome = deployComponents(h.org.org, [{ type: 'Flow', fullName: 'Escalate_Case', xml, path: 'flows/Escalate_Case.flow-meta.xml' }], h.org.org.systemUserId);
    expect(outcome.problems.filter((p) => p.problemType === 'Error'), JSON.stringify(outcome.problems)).to.deep.equal([]);
    const latency = await wait;
    console.log(`      list_changed ${latency.toFixed(0)} ms after the deploy (poll interval 300 ms)`);
    const after = (await client.listTools()).tools.find((t) => t.name === 'escalate_case')!;
    expect(Object.keys((after.inputSchema as { properties: object }).properties)).to.include('ticketRef');
    // The other tools are unchanged and still listed.
    expect((await client.listTools()).tools.map((t) => t.name)).to.include('create_support_case');
  });

  it('deactivating the server notifies open sessions; their next request is refused with 404', async () => {
    const client = await h.connect('admin', 'custom/ForceGate_Service');
    const events = listChanged(client);
    await client.listTools();
    await new Promise((r) => setTimeout(r, 700));
    const wait = events.next(60_000);
    await h.setActive('custom/ForceGate_Service', false);
    await wait;
    let error: unknown;
    try {
      await client.listTools();
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.match(/404|not active|Session not found/i);
  });
});
