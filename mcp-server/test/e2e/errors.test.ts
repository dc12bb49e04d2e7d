/**
 * Errors: the org's own errors become MCP tool errors with the platform's code and message; a token
 * the org stops accepting tells the client to sign in again; an org that is down or slow gives a
 * clear error within a bounded time, never a hang.
 */
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHarness, type Harness } from '../helpers/harness.ts';

const text = (r: unknown): string => (r as { content: { text: string }[] }).content[0]!.text;

describe('mcp-server: errors', function () {
  this.timeout(120_000);
  let h: Harness;
  let client: Client;

  before(async () => {
    // Activation cached for a minute and no background polling, so the tool calls themselves meet
    // the faults below.
    h = await startHarness({ faultProxy: true, orgTimeoutMs: 1500, activationTtlMs: 60_000, pollIntervalMs: 30_000 });
    await h.setActive('platform/sobject-all', true);
    client = await h.connect('rep@forcegate.local', 'platform/sobject-all');
  });
  after(async () => h?.close());

  it('bad SOQL comes back as the platform error, as a tool error', async () => {
    const r = await client.callTool({ name: 'soqlQuery', arguments: { q: 'SELECT Nope FROM Account' } });
    expect(r.isError).to.equal(true);
    expect(text(r)).to.match(/^INVALID_FIELD: /).and.match(/No such column 'Nope'/);
  });

  it('a validation failure (required field) keeps the platform code and message', async () => {
    const r = await client.callTool({ name: 'createSobjectRecord', arguments: { 'sobject-name': 'Account', body: { Phone: '555' } } });
    expect(r.isError).to.equal(true);
    expect(text(r)).to.match(/^[A-Z_]+: /);
  });

  it('a cross-field rule the schema cannot express is refused before any org call', async () => {
    const r = await client.callTool({ name: 'soqlQuery', arguments: { q: 'SELECT Id FROM Account', query: 'SELECT Id FROM Contact' } });
    expect(r.isError).to.equal(true);
    expect(text(r)).to.match(/Input validation error: .*exactly one of q, query/);
  });

  it('a token the org revoked mid-session gives a tool error asking to re-authenticate', async () => {
    const token = await h.token('manager@forcegate.local', 'platform/sobject-all');
    const c = await h.connect('manager@forcegate.local', 'platform/sobject-all', { token });
    await fetch(`${h.org.url}/services/oauth2/revoke`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
    const r = await c.callTool({ name: 'soqlQuery', arguments: { q: 'SELECT Id FROM Account LIMIT 1' } });
    expect(r.isError).to.equal(true);
    expect(text(r)).to.match(/INVALID_SESSION_ID/).and.match(/re-authenticate/);
  });

  it('a slow org gives a clear timeout error within the bound, not a hang', async () => {
    h.proxy!.mode = 'hang';
    try {
      const t0 = performance.now();
      const r = await client.callTool({ name: 'soqlQuery', arguments: { q: 'SELECT Id FROM Account' } });
      const elapsed = performance.now() - t0;
      expect(r.isError).to.equal(true);
      expect(text(r)).to.match(/^ORG_TIMEOUT: .*did not answer .* within 1.5 s/);
      expect(elapsed).to.be.below(5000);
    } finally {
      h.proxy!.mode = 'pass';
    }
  });

  it('an org that is down gives a clear error at once', async () => {
    h.proxy!.mode = 'down';
    try {
      const t0 = performance.now();
      const r = await client.callTool({ name: 'getUserInfo', arguments: {} });
      expect(r.isError).to.equal(true);
      expect(text(r)).to.match(/^ORG_UNREACHABLE: Could not reach the org/);
      expect(performance.now() - t0).to.be.below(3000);
    } finally {
      h.proxy!.mode = 'pass';
    }
  });
});
