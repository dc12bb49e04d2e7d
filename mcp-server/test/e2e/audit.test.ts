/**
 * Audit: one JSON line per tools/call whatever the outcome (argument values left out), and every org
 * call tagged `Sforce-Call-Options: client=ForceGate`, so the org's ApiTotalUsage rows name the
 * server and the user the call ran as.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { personaToken } from '../../../local-org/test/helpers/oauth.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

describe('mcp-server: audit', function () {
  this.timeout(120_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
    await h.setActive('platform/sobject-all', true);
    await h.setActive('platform/sobject-reads', true);
  });
  after(async () => h?.close());

  it('writes exactly one line per tool call, with who, where, what, outcome and duration, but no argument values', async () => {
    const rep = await h.connect('rep@forcegate.local', 'platform/sobject-all');
    const auditor = await h.connect('auditor', 'platform/sobject-reads');
    const SECRET = 'Zebra-Quokka-4711';
    const calls: [typeof rep, string, Record<string, unknown>][] = [
      [rep, 'getUserInfo', {}],
      [rep, 'soqlQuery', { q: `SELECT Id FROM Account WHERE Name = '${SECRET}'` }],
      [rep, 'soqlQuery', { q: 'SELECT Bogus FROM Account' }],
      [rep, 'createSobjectRecord', { 'sobject-name': 'Case', body: 'not an object' }],
      [rep, 'noSuchTool', {}],
      [auditor, 'find', { q: SECRET }],
      [auditor, 'getObjectSchema', {}],
      [auditor, 'listRecentSobjectRecords', { 'sobject-name': 'Account', limit: 3 }],
    ];
    const before = (await h.auditLines()).length;
    await Promise.all(calls.map(([c, name, args]) => c.callTool({ name, arguments: args }).catch(() => undefined)));
    const lines = (await h.auditLines()).slice(before);
    expect(lines).to.have.length(calls.length);
    expect(readFileSync(h.auditFile, 'utf8')).to.not.include(SECRET);
    const byTool = (t: string) => lines.filter((l) => l.tool === t);
    expect(byTool('soqlQuery').map((l) => l.outcome).sort()).to.deep.equal(['error', 'success']);
    expect(byTool('noSuchTool')[0]).to.include({ outcome: 'error', orgCalls: 0 });
    expect(byTool('createSobjectRecord')[0]).to.include({ outcome: 'error', errorCode: 'INVALID_ARGUMENTS', orgCalls: 0 });
    expect(byTool('soqlQuery').find((l) => l.outcome === 'error')).to.include({ errorCode: 'INVALID_FIELD' });
    for (const l of lines) {
      expect(l).to.include.keys('time', 'userId', 'username', 'clientId', 'server', 'sessionId', 'tool', 'outcome', 'durationMs', 'orgRequestIds', 'argumentNames');
      expect(l).to.not.have.property('arguments');
      expect(l.transport).to.equal('http');
    }
    expect(byTool('find')[0]).to.include({ username: 'auditor@forcegate.local', server: 'platform/sobject-reads' });
    expect(byTool('find')[0]!.argumentNames).to.deep.equal(['q']);
    expect(byTool('getUserInfo')[0]).to.include({ username: 'rep@forcegate.local', server: 'platform/sobject-all', outcome: 'success' });
  });

  it("the org's ApiTotalUsage event log names ForceGate as the client of the tool calls", async () => {
    const rep = await h.connect('rep@forcegate.local', 'platform/sobject-reads');
    await rep.callTool({ name: 'soqlQuery', arguments: { q: 'SELECT Id FROM Contact LIMIT 1' } });
    const lines = await h.auditLines();
    const repOrgCalls = lines.filter((l) => l.username === 'rep@forcegate.local').reduce((n, l) => n + (l.orgCalls as number), 0);
    expect(repOrgCalls).to.be.greaterThan(0);

    const admin = await personaToken(h.org.url, 'admin');
    const headers = { Authorization: `Bearer ${admin}` };
    const q = "SELECT Id, LogFile FROM EventLogFile WHERE EventType = 'ApiTotalUsage'";
    const list = (await (await fetch(`${h.org.url}/services/data/v66.0/query?q=${encodeURIComponent(q)}`, { headers })).json()) as { records: { Id: string; LogFile: string }[] };
    expect(list.records.length).to.be.greaterThan(0);
    let forceGateRows = 0;
    for (const r of list.records) {
      const csv = await (await fetch(`${h.org.url}${r.LogFile}`, { headers })).text();
      const [head, ...rows] = csv.trim().split('\n');
      const cols = head!.split(',').map((c) => c.replace(/"/g, ''));
      const clientCol = cols.indexOf('CLIENT_NAME');
      const userCol = cols.indexOf('USER_NAME');
      const categoryCol = cols.indexOf('API_CLIENT_CATEGORY');
      for (const row of rows) {
        const cells = row.split(',').map((c) => c.replace(/"/g, ''));
        if (cells[userCol] === 'rep@forcegate.local' && cells[clientCol] === 'ForceGate') {
          forceGateRows++;
          expect(cells[categoryCol]).to.equal('SALESFORCE_HOSTED_MCP');
        }
      }
    }
    // Tool calls plus activation/catalog reads made with the rep's token: at least one row per tool org call.
    expect(forceGateRows).to.be.at.least(repOrgCalls);
  });

  it('tool calls refused at the door (unknown session, another user\'s session, no session, inactive server) still get a line', async () => {
    const url = h.serverUrl('platform/sobject-all');
    const post = async (token: string, sid: string, id: number): Promise<number> => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...(sid ? { 'mcp-session-id': sid } : {}), 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'getUserInfo', arguments: {} } }),
      });
      await res.text();
      return res.status;
    };
    const rep = await h.connect('rep@forcegate.local', 'platform/sobject-all');
    const sid = (rep.transport as unknown as { sessionId: string }).sessionId;
    const rep2Token = await h.token('rep2@forcegate.local');
    const before = (await h.auditLines()).length;
    expect(await post(await h.token('rep@forcegate.local'), 'no-such-session', 1)).to.equal(404);
    expect(await post(rep2Token, sid, 2)).to.equal(403);
    expect(await post(rep2Token, '', 3)).to.equal(400);
    await h.setActive('platform/sobject-all', false);
    try {
      // The activation cache of the harness lives 1 s.
      await new Promise((r) => setTimeout(r, 1200));
      expect(await post(rep2Token, '', 4)).to.equal(404);
    } finally {
      await h.setActive('platform/sobject-all', true);
    }
    // A refused batch is audited up to the 100 messages the SDK would take, no more.
    const batch = Array.from({ length: 150 }, (_, i) => ({ jsonrpc: '2.0', id: 100 + i, method: 'tools/call', params: { name: 'getUserInfo', arguments: {} } }));
    const batchRes = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${rep2Token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'mcp-session-id': 'no-such-session' },
      body: JSON.stringify(batch),
    });
    await batchRes.text();
    expect(batchRes.status).to.equal(404);
    const all = (await h.auditLines()).slice(before);
    const batchLines = all.splice(4);
    expect(batchLines).to.have.length(100);
    expect(batchLines.every((l) => l.errorCode === 'SESSION_NOT_FOUND' && l.username === 'rep2@forcegate.local')).to.equal(true);
    const lines = all;
    expect(lines.map((l) => [l.username, l.tool, l.outcome, l.errorCode, l.orgCalls])).to.deep.equal([
      ['rep@forcegate.local', 'getUserInfo', 'error', 'SESSION_NOT_FOUND', 0],
      ['rep2@forcegate.local', 'getUserInfo', 'error', 'SESSION_OF_ANOTHER_USER', 0],
      ['rep2@forcegate.local', 'getUserInfo', 'error', 'NO_SESSION', 0],
      ['rep2@forcegate.local', 'getUserInfo', 'error', 'MCP_SERVER_INACTIVE', 0],
    ]);
  });
});
