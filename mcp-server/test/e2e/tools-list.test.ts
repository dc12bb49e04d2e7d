/**
 * tools/list on an open session is answered from the pre-serialised catalog (JSON response) unless
 * the request is anything but the plainest one; then the SDK transport answers it (SSE) or refuses
 * it. Both answers must list exactly the same tools, and every refusal the SDK makes still happens.
 */
import { expect } from 'chai';
import { startHarness, type Harness } from '../helpers/harness.ts';

const PROTOCOL = '2025-06-18';

describe('mcp-server: tools/list fast path', function () {
  this.timeout(120_000);
  let h: Harness;
  let url: string;
  let token: string;
  let sid: string;
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    Authorization: `Bearer ${token}`,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'mcp-session-id': sid,
    'mcp-protocol-version': PROTOCOL,
    ...extra,
  });
  const post = (body: unknown, extra?: Record<string, string>): Promise<Response> => fetch(url, { method: 'POST', headers: headers(extra), body: JSON.stringify(body) });
  const resultOf = async (res: Response): Promise<Record<string, unknown>> => {
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('text/event-stream') ? text.split('\n').find((l) => l.startsWith('data: '))!.slice(6) : text;
    return JSON.parse(json) as Record<string, unknown>;
  };

  before(async () => {
    h = await startHarness();
    await h.setActive('platform/sobject-all', true);
    url = h.serverUrl('platform/sobject-all');
    token = await h.token('rep@forcegate.local');
    const init = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    await init.text();
    sid = init.headers.get('mcp-session-id')!;
    expect(sid).to.be.a('string');
    const ack = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(ack.status).to.equal(202);
  });
  after(async () => h?.close());

  it('answers a plain tools/list as JSON, with the same tools the SDK path lists', async () => {
    const fast = await post({ jsonrpc: '2.0', id: 'list-1', method: 'tools/list' });
    expect(fast.status).to.equal(200);
    expect(fast.headers.get('content-type')).to.equal('application/json');
    expect(fast.headers.get('mcp-session-id')).to.equal(sid);
    const fastBody = await resultOf(fast);
    expect(fastBody).to.include({ jsonrpc: '2.0', id: 'list-1' });
    // A cursor is not the plain request: the SDK's own handler answers (over SSE).
    const sdk = await post({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { cursor: 'x' } });
    expect(sdk.status).to.equal(200);
    expect(sdk.headers.get('content-type')).to.include('text/event-stream');
    const sdkBody = await resultOf(sdk);
    expect(sdkBody.id).to.equal(7);
    expect(fastBody.result).to.deep.equal(sdkBody.result);
    const names = ((fastBody.result as { tools: { name: string }[] }).tools).map((t) => t.name);
    expect(names).to.include.members(['soqlQuery', 'getUserInfo', 'createSobjectRecord']);
  });

  it('leaves every refusal to the SDK transport: bad protocol version, Accept, Content-Type; unknown session; another user', async () => {
    const badVersion = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-protocol-version': '1999-01-01' });
    expect(badVersion.status).to.equal(400);
    expect(await badVersion.text()).to.match(/Unsupported protocol version/);
    const badAccept = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' }, { Accept: 'application/json' });
    expect(badAccept.status).to.equal(406);
    await badAccept.text();
    const badType = await fetch(url, { method: 'POST', headers: headers({ 'Content-Type': 'text/plain' }), body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }) });
    expect(badType.status).to.be.within(400, 499);
    await badType.text();
    const unknown = await post({ jsonrpc: '2.0', id: 5, method: 'tools/list' }, { 'mcp-session-id': 'no-such-session' });
    expect(unknown.status).to.equal(404);
    await unknown.text();
    const other = await h.token('rep2@forcegate.local');
    const stolen = await post({ jsonrpc: '2.0', id: 6, method: 'tools/list' }, { Authorization: `Bearer ${other}` });
    expect(stolen.status).to.equal(403);
    await stolen.text();
    const anonymous = await fetch(url, { method: 'POST', headers: { ...headers(), Authorization: '' }, body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/list' }) });
    expect(anonymous.status).to.equal(401);
    await anonymous.text();
  });

  it('a batch, a notification-shaped body or extra members are not taken by the fast path', async () => {
    // The fast path's mark: 200 with an application/json JSON-RPC result. The SDK answers these
    // requests itself (202 for a notification, SSE or a JSON error otherwise).
    const fastShaped = (res: Response): boolean => res.status === 200 && res.headers.get('content-type') === 'application/json';
    const noId = await post({ jsonrpc: '2.0', method: 'tools/list' });
    expect(fastShaped(noId)).to.equal(false);
    await noId.text();
    for (const body of [{ jsonrpc: '2.0', id: 9, method: 'tools/list', extra: true }, [{ jsonrpc: '2.0', id: 10, method: 'tools/list' }], { jsonrpc: '1.0', id: 11, method: 'tools/list' }]) {
      const res = await post(body);
      expect(fastShaped(res), JSON.stringify(body)).to.equal(false);
      await res.text();
    }
  });
});
