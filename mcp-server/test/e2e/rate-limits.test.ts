/**
 * Per-user rate limits on tool calls: past the limit a call is refused with a clear MCP tool error
 * and a retry-after, before any org call; the limit follows the user across sessions and servers,
 * and other users keep their own allowance.
 */
import { expect } from 'chai';
import { RateLimiter } from '../../src/limits/rate-limiter.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

describe('mcp-server: per-user rate limits', function () {
  this.timeout(120_000);
  let h: Harness;
  const LIMIT = 3;

  before(async () => {
    h = await startHarness({ rateLimit: { callsPerMinute: LIMIT } });
    await h.setActive('platform/sobject-all', true);
    await h.setActive('platform/sobject-reads', true);
  });
  after(async () => h?.close());

  it('refuses the call past the limit with RATE_LIMITED and a retry-after, without calling the org', async () => {
    const rep = await h.connect('rep@forcegate.local', 'platform/sobject-all');
    for (let i = 0; i < LIMIT; i++) {
      const ok = await rep.callTool({ name: 'getUserInfo', arguments: {} });
      expect(ok.isError, JSON.stringify(ok.content)).to.not.equal(true);
    }
    const refused = await rep.callTool({ name: 'soqlQuery', arguments: { q: 'SELECT Id FROM Account' } });
    expect(refused.isError).to.equal(true);
    const text = (refused.content as { text: string }[])[0]!.text;
    expect(text).to.match(/^RATE_LIMITED: Too many tool calls for this user \(limit 3 per minute\)\. Retry after \d+ seconds\.$/);
    const retryAfter = (refused._meta as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(retryAfter).to.be.within(1, 20);
    // The refused call made no org call (the audit line counts the org requests of each tool call; the
    // org's own usage count is not used here because the change watcher polls the org in the background).
    const last = (await h.auditLines()).filter((l) => l.tool === 'soqlQuery').at(-1)!;
    expect(last).to.include({ orgCalls: 0 });
    expect(JSON.stringify(last)).to.include('RATE_LIMITED');
  });

  it('follows the user into a new session on another server', async () => {
    const again = await h.connect('rep@forcegate.local', 'platform/sobject-reads');
    const refused = await again.callTool({ name: 'getUserInfo', arguments: {} });
    expect(refused.isError).to.equal(true);
    expect((refused.content as { text: string }[])[0]!.text).to.match(/^RATE_LIMITED/);
  });

  it('leaves other users their own allowance', async () => {
    const admin = await h.connect('admin@forcegate.local', 'platform/sobject-all');
    const ok = await admin.callTool({ name: 'getUserInfo', arguments: {} });
    expect(ok.isError).to.not.equal(true);
  });

  it('refills continuously (token bucket)', () => {
    let now = 0;
    const limiter = new RateLimiter({ callsPerMinute: 60, burst: 2 }, () => now);
    expect(limiter.take('u')).to.deep.equal({ ok: true });
    expect(limiter.take('u')).to.deep.equal({ ok: true });
    expect(limiter.take('u')).to.deep.equal({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('v')).to.deep.equal({ ok: true });
    now += 1000;
    expect(limiter.take('u')).to.deep.equal({ ok: true });
    expect(limiter.take('u').ok).to.equal(false);
    expect(() => new RateLimiter({ callsPerMinute: 0 })).to.throw(/positive/);
  });
});
