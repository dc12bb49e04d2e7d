/**
 * Attacks no other suite covers (test/security/README.md lists every case and where it is tested):
 * oversized bodies, SOQL injection through soqlQuery and Named Query parameters, record-Id tampering
 * through every tool that takes an Id, write tools called on read-only servers, DNS-rebinding variants
 * with a valid token, and stolen/stale tokens at the MCP door (refresh reuse, deactivated user).
 * Every test asserts the refusal AND that nothing leaked or changed (checked in the org's own store).
 */
import { request } from 'node:http';
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHarness, type Harness } from '../../mcp-server/test/helpers/harness.ts';
import { consumerKeyOf, mcpLogin, OAuthFlowError, refreshTokens } from '../../local-org/test/helpers/oauth.ts';
import { call, rawRow, rowCount, soql, type Rec } from './helpers.ts';

const REP = 'rep@forcegate.local';
const REP2 = 'rep2@forcegate.local';

function rawPost(url: string, headers: Record<string, string>, body: string | Buffer): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    r.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve({ status: -1, body: e.code }) : reject(e)));
    r.end(body);
  });
}

describe('security: attacks not covered elsewhere', function () {
  this.timeout(120_000);
  let h: Harness;
  let admin: Client;
  let rep: Client;
  let repRead: Client;
  let repService: Client;
  /** rep2's records: the rep must neither see nor change them. */
  let theirOpp: Rec & { Name: string; StageName: string; AccountId: string };
  let theirCase: Rec & { Subject: string; AccountId: string; Status: string };
  let theirAccountId: string;

  before(async () => {
    h = await startHarness();
    for (const s of ['platform/sobject-all', 'platform/sobject-reads', 'custom/ForceGate_Read', 'custom/ForceGate_Service']) await h.setActive(s, true);
    admin = await h.connect('admin', 'platform/sobject-all');
    rep = await h.connect(REP, 'platform/sobject-all');
    repRead = await h.connect(REP, 'custom/ForceGate_Read');
    repService = await h.connect(REP, 'custom/ForceGate_Service');
    theirOpp = (await soql(admin, `SELECT Id, Name, StageName, AccountId FROM Opportunity WHERE Owner.Username = '${REP2}' AND IsClosed = false LIMIT 1`))[0] as typeof theirOpp;
    theirCase = (await soql(admin, `SELECT Id, Subject, AccountId, Status FROM Case WHERE Owner.Username = '${REP2}' AND IsClosed = false LIMIT 1`))[0] as typeof theirCase;
    theirAccountId = theirCase.AccountId;
    expect(theirOpp?.Id).to.match(/^006/);
    expect(theirCase?.Id).to.match(/^500/);
  });
  after(async () => h?.close());

  /** Nothing of rep2's private records in a text the rep received. */
  function expectNoLeak(text: string): void {
    for (const secret of [theirOpp.Id, theirOpp.Name, theirCase.Id, theirCase.Subject]) expect(text, `leaked ${secret}`).to.not.include(secret);
  }

  describe('oversized bodies', () => {
    it('the org refuses a body over 10 MB with 413 REQUEST_TOO_LARGE and creates nothing', async () => {
      const token = await h.adminApiToken();
      const before = rowCount(h, 'Case');
      const auditBefore = rowCount(h, '_api_usage', 'status_code = 413');
      const body = JSON.stringify({ Subject: 'big', Description: 'x'.repeat(11 * 1024 * 1024) });
      const res = await rawPost(`${h.org.url}/services/data/v66.0/sobjects/Case`, { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }, body);
      expect(res.status, res.body).to.be.oneOf([413, -1]);
      if (res.status === 413) expect(res.body).to.include('REQUEST_TOO_LARGE');
      // Streamed without Content-Length (chunked): refused while reading too.
      const chunked = await rawPost(`${h.org.url}/services/data/v66.0/sobjects/Case`, { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, body);
      expect(chunked.status).to.be.oneOf([413, -1]);
      expect(rowCount(h, 'Case')).to.equal(before);
      // The refusal is still an audited API call (it used to become a 500 with no ApiTotalUsage row).
      expect(rowCount(h, '_api_usage', 'status_code = 413')).to.be.at.least(auditBefore + (res.status === 413 ? 1 : 0));
      expect((await fetch(`${h.org.url}/services/data/v66.0/limits`, { headers: { Authorization: `Bearer ${token}` } })).status).to.equal(200);
    });

    it('the MCP server refuses an oversized JSON-RPC body (413) before any tool runs, and keeps serving', async () => {
      const token = await h.token(REP);
      const auditBefore = (await h.auditLines()).length;
      const before = rowCount(h, 'Case');
      const msg = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'createSobjectRecord', arguments: { 'sobject-name': 'Case', body: { Subject: 'big', Description: 'x'.repeat(5 * 1024 * 1024) } } },
      });
      const res = await rawPost(h.serverUrl('platform/sobject-all'), { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'Content-Length': String(Buffer.byteLength(msg)) }, msg);
      expect(res.status).to.be.oneOf([413, -1]);
      expect(res.status).to.not.be.within(500, 599);
      if (res.status === 413) {
        // JSON-RPC error, never Express's HTML page with a stack trace (fixed in mcp-server/src/http/app.ts).
        expect(JSON.parse(res.body)).to.deep.include({ jsonrpc: '2.0', error: { code: -32600, message: 'Request body too large' } });
        expect(res.body).to.not.match(/node_modules|\bat \w|<html/i);
      }
      const malformed = await rawPost(h.serverUrl('platform/sobject-all'), { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, '{"jsonrpc": "2.0", "id": 1,');
      expect(malformed.status).to.equal(400);
      expect(malformed.body).to.not.match(/node_modules|\bat \w|<html|SyntaxError/i);
      expect(rowCount(h, 'Case')).to.equal(before);
      expect((await h.auditLines()).length).to.equal(auditBefore);
      expect((await call(rep, 'getUserInfo', {})).isError).to.equal(false);
    });
  });

  describe('SOQL injection', () => {
    it('soqlQuery: quote breaking, stacked statements and comment tricks never widen the result or change data', async () => {
      const repOpps = (await soql(rep, 'SELECT Id FROM Opportunity')).map((r) => r.Id);
      const before = rowCount(h, 'Opportunity');
      const attempts = [
        "SELECT Id, Name FROM Opportunity WHERE Name = 'x\\' OR Name != \\''",
        "SELECT Id, Name FROM Opportunity WHERE Name = 'x' OR Name != ''",
        "SELECT Id, Name FROM Opportunity WHERE Name = '' OR 1=1 --'",
        'SELECT Id, Name FROM Opportunity; DELETE FROM Opportunity',
        "SELECT Id, Name FROM Opportunity WHERE Name = 'a' UNION SELECT Id, Name FROM Opportunity",
        `SELECT Id, Name FROM Opportunity WHERE Id = '${theirOpp.Id}'`,
        'SELECT Id, Name FROM Opportunity WITH SYSTEM_MODE',
        'SELECT Id, Name FROM Opportunity ALL ROWS',
        "SELECT Id, Name FROM Opportunity WHERE Name LIKE '%' /* */",
        `SELECT Id, Name, (SELECT Id, Subject FROM Cases) FROM Account WHERE Id = '${theirAccountId}'`,
      ];
      for (const q of attempts) {
        const r = await call(rep, 'soqlQuery', { q });
        expectNoLeak(r.text);
        if (r.isError) expect(r.text, q).to.match(/^[A-Z_]+: /);
        else for (const rec of (r.structured as { records: Rec[] }).records) if (rec.attributes && (rec.attributes as { type: string }).type === 'Opportunity') expect(repOpps, q).to.include(rec.Id);
      }
      expect(rowCount(h, 'Opportunity')).to.equal(before);
    });

    it('find: SOSL braces and RETURNING injection in plain text are escaped; no private record comes back', async () => {
      for (const q of [`x} RETURNING Opportunity(Id, Name) LIMIT 200 //`, `${theirOpp.Name}`, `{${theirCase.Subject}}`]) {
        const r = await call(rep, 'find', { q: q.replace(/[{}]/g, '') === q ? q : q });
        expectNoLeak(r.text);
      }
      const sosl = await call(rep, 'find', { q: `FIND {${theirOpp.Name.split(' ')[0]}} RETURNING Opportunity(Id, Name), Case(Id, Subject)` });
      expect(sosl.isError).to.equal(false);
      expectNoLeak(sosl.text);
    });

    it('Named Query parameters are bound, not spliced: injected quotes match nothing or are refused', async () => {
      const idInjection = await call(repRead, 'open_cases_by_account', { accountId: "001' OR Id != '" });
      expect(idInjection.isError).to.equal(true);
      expect(idInjection.text).to.match(/^INVALID_QUERY_FILTER_OPERATOR: /);
      const like = await call(repRead, 'contacts_by_email_domain', { emailPattern: "x' OR Email != '" });
      expect(like.isError, like.text).to.equal(false);
      expect((like.structured as { records: unknown[] }).records).to.have.length(0);
      const status = await call(repRead, 'account_plans_by_status', { status: "Draft' OR Status__c != '" });
      expect(status.isError, status.text).to.equal(false);
      expect((status.structured as { records: unknown[] }).records).to.have.length(0);
      const amount = await call(repRead, 'my_open_opportunities_this_quarter', { minAmount: '0 OR Amount = null' });
      expectNoLeak(amount.text);
      if (amount.isError) expect(amount.text).to.match(/^[A-Z_]+: /);
      for (const r of [idInjection, like, status]) expectNoLeak(r.text);
    });
  });

  describe('Id tampering: the rep names rep2\'s records', () => {
    it('read tools: getRelatedRecords, soqlQuery by Id, listRecentSobjectRecords, Named Query and Apex read action show nothing private', async () => {
      const related = await call(rep, 'getRelatedRecords', { 'sobject-name': 'Account', id: theirAccountId, 'relationship-path': 'Opportunities' });
      expect(related.isError).to.equal(false);
      expect((related.structured as { records: unknown[] }).records).to.have.length(0);
      const cases = await call(rep, 'getRelatedRecords', { 'sobject-name': 'Account', id: theirAccountId, 'relationship-path': 'Cases' });
      expect((cases.structured as { records: unknown[] }).records).to.have.length(0);
      // Starting from the private record itself: the parent is not visible, so no hop.
      const fromOpp = await call(rep, 'getRelatedRecords', { 'sobject-name': 'Opportunity', id: theirOpp.Id, 'relationship-path': 'Tasks' });
      expect((fromOpp.structured as { records?: unknown[] } | undefined)?.records ?? []).to.have.length(0);
      const recent = await call(rep, 'listRecentSobjectRecords', { 'sobject-name': 'Opportunity', limit: 200 });
      const nq = await call(repRead, 'open_cases_by_account', { accountId: theirAccountId });
      expect((nq.structured as { records: unknown[] }).records).to.have.length(0);
      const apex = await call(repRead, 'account_health_summary', { accountId: theirAccountId });
      expect(apex.isError, apex.text).to.equal(false);
      // The summary counts only what the rep may see (user mode): rep2's open cases/opps are not counted.
      expect(apex.structured).to.include({ openCaseCount: 0, openOpportunityCount: 0 });
      // fromOpp may echo the Id the caller sent ("No Opportunity with Id …"), the same text as for an Id that does not exist.
      expectNoLeak(fromOpp.text.replaceAll(theirOpp.Id, ''));
      for (const r of [related, cases, recent, nq, apex]) expectNoLeak(r.text);
    });

    it('write tools: update/delete (direct and through a relationship), Flow and Apex actions change nothing', async () => {
      const oppBefore = rawRow(h, 'Opportunity', theirOpp.Id);
      const caseBefore = rawRow(h, 'Case', theirCase.Id);
      const tasksBefore = rowCount(h, 'Task');
      const outcomes = [
        await call(rep, 'updateSobjectRecord', { 'sobject-name': 'Opportunity', id: theirOpp.Id, body: { StageName: 'Closed Lost' } }),
        await call(rep, 'deleteSobjectRecord', { 'sobject-name': 'Opportunity', id: theirOpp.Id }),
        await call(rep, 'updateSobjectRecord', { 'sobject-name': 'Case', id: theirCase.Id, body: { Status: 'Closed' } }),
        await call(rep, 'deleteSobjectRecord', { 'sobject-name': 'Case', id: theirCase.Id }),
        await call(rep, 'updateRelatedRecord', { 'sobject-name': 'Account', id: theirAccountId, 'relationship-path': 'Opportunities', 'related-id': theirOpp.Id, body: { Name: 'pwned' } }),
        await call(rep, 'deleteRelatedRecord', { 'sobject-name': 'Account', id: theirAccountId, 'relationship-path': 'Cases', 'related-id': theirCase.Id }),
        // A record of the rep's own account named with rep2's child: the membership check must refuse it.
        await call(rep, 'updateRelatedRecord', { 'sobject-name': 'Opportunity', id: theirOpp.Id, 'relationship-path': 'Account', body: { Name: 'pwned' } }),
      ];
      for (const r of outcomes) {
        expect(r.isError, r.text).to.equal(true);
        expect(r.text).to.match(/^(INSUFFICIENT_ACCESS_OR_READONLY|INSUFFICIENT_ACCESS|NOT_FOUND|ENTITY_IS_DELETED|INVALID_CROSS_REFERENCE_KEY|INVALID_FIELD): /);
        expectNoLeak(r.text.replace(theirOpp.Id, '').replace(theirCase.Id, '')); // the caller's own input may be echoed, nothing else
      }
      const flowOpp = await call(repService, 'update_opportunity_stage', { opportunityId: theirOpp.Id, stageName: 'Closed Won' });
      expect(flowOpp.structured).to.include({ success: false });
      const flowCase = await call(repService, 'escalate_case', { caseId: theirCase.Id, reason: 'tampering' });
      expect(flowCase.structured).to.include({ success: false });
      const task = await call(repService, 'log_call_activity', { recordId: theirOpp.Id, callOutcome: 'Connected', callDate: '2026-01-05', durationMinutes: 5 });
      expect(task.isError, task.text).to.equal(true);
      for (const r of [flowOpp, flowCase, task]) expectNoLeak(r.text.replaceAll(theirOpp.Id, '').replaceAll(theirCase.Id, ''));
      expect(rawRow(h, 'Opportunity', theirOpp.Id)).to.deep.equal(oppBefore);
      expect(rawRow(h, 'Case', theirCase.Id)).to.deep.equal(caseBefore);
      expect(rowCount(h, 'Task')).to.equal(tasksBefore);
      // The Account (public read, owned by rep2) is not editable by the rep either.
      const acc = rawRow(h, 'Account', theirAccountId);
      expect(acc?.Name).to.not.equal('pwned');
    });
  });

  describe('write tools on read-only servers', () => {
    it('sobject-reads and ForceGate_Read refuse write tool names as unknown tools; nothing is written', async () => {
      const reads = await h.connect(REP, 'platform/sobject-reads');
      const before = rowCount(h, 'Case');
      const oppBefore = rawRow(h, 'Opportunity', theirOpp.Id);
      const attempts: [Client, string, Record<string, unknown>][] = [
        [reads, 'createSobjectRecord', { 'sobject-name': 'Case', body: { Subject: 'via reads' } }],
        [reads, 'updateSobjectRecord', { 'sobject-name': 'Opportunity', id: theirOpp.Id, body: { Name: 'x' } }],
        [reads, 'deleteSobjectRecord', { 'sobject-name': 'Case', id: theirCase.Id }],
        [repRead, 'create_support_case', { accountId: theirAccountId, subject: 'via read server' }],
        [repRead, 'escalate_case', { caseId: theirCase.Id, reason: 'x' }],
      ];
      for (const [c, name, args] of attempts) {
        let text: string;
        try {
          const r = await call(c, name, args);
          expect(r.isError, name).to.equal(true);
          text = r.text;
        } catch (e) {
          text = (e as Error).message;
        }
        expect(text, name).to.match(/not found|unknown tool/i);
      }
      expect(rowCount(h, 'Case')).to.equal(before);
      expect(rawRow(h, 'Opportunity', theirOpp.Id)).to.deep.equal(oppBefore);
    });
  });

  describe('DNS rebinding with a valid token', () => {
    it('foreign Host variants and hostile Origins get 403 even with a valid bearer token; no tool runs', async () => {
      const token = await h.token(REP);
      const url = h.serverUrl('platform/sobject-all');
      const port = new URL(url).port;
      const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
      const base = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
      const auditBefore = (await h.auditLines()).length;
      for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost.evil.example`, `[::2]:${port}`, `localhost@evil.example:${port}`]) {
        const res = await rawPost(url, { ...base, Host: host }, init);
        expect(res.status, `Host ${host}`).to.be.oneOf([400, 403]);
        expect(res.body).to.not.match(/serverInfo|tools/);
      }
      for (const origin of ['https://evil.example', 'null', `http://127.0.0.1.evil.example:${port}`, `http://localhost.evil.example`, 'file://']) {
        const res = await rawPost(url, { ...base, Host: `127.0.0.1:${port}`, Origin: origin }, init);
        expect(res.status, `Origin ${origin}`).to.equal(403);
      }
      // CORS preflight from a hostile origin grants nothing.
      const pre = await fetch(url, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
      expect(pre.headers.get('access-control-allow-origin')).to.not.equal('https://evil.example');
      expect(pre.headers.get('access-control-allow-origin')).to.not.equal('*');
      expect((await h.auditLines()).length).to.equal(auditBefore);
    });
  });

  describe('stolen and stale tokens at the MCP door', () => {
    it('refresh-token reuse after rotation revokes the family: the MCP server then refuses the family\'s access token', async () => {
      const resource = h.serverUrl('platform/sobject-reads');
      const clientId = consumerKeyOf('ForceGate_Local_Tools');
      const first = await mcpLogin(h.org.url, REP, { resource });
      const c = await h.connect(REP, 'platform/sobject-reads', { token: first.access_token });
      expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);
      await refreshTokens(h.org.url, { refreshToken: first.refresh_token!, clientId });
      const reuse = await refreshTokens(h.org.url, { refreshToken: first.refresh_token!, clientId }).catch((e: unknown) => e);
      expect(reuse).to.be.instanceOf(OAuthFlowError);
      expect((reuse as OAuthFlowError).error).to.equal('invalid_grant');
      // The open session: the org refuses the token → tool error asking to re-authenticate, no data.
      const r = await call(c, 'soqlQuery', { q: 'SELECT Id, Name FROM Opportunity' });
      expect(r.isError).to.equal(true);
      expect(r.text).to.match(/INVALID_SESSION_ID/);
      expect(r.text).to.not.match(/"records"/);
    });

    it('a deactivated user: open session gets a tool error, a new connection is refused, nothing is returned', async () => {
      const manager = 'manager@forcegate.local';
      const c = await h.connect(manager, 'platform/sobject-all');
      expect((await call(c, 'getUserInfo', {})).isError).to.equal(false);
      const id = (h.org.org.db.prepare('SELECT Id FROM "User" WHERE Username = ?').get(manager) as { Id: string }).Id;
      h.org.org.db.prepare('UPDATE "User" SET IsActive = 0 WHERE Id = ?').run(id);
      h.org.org.access.invalidate();
      try {
        // The door (401 invalid_token, or 403 mcp_server_unavailable when the activation state can no longer be
        // read with this token: fail closed) or the tool's org call (INVALID_SESSION_ID) refuses it.
        const r = await call(c, 'soqlQuery', { q: 'SELECT Id, Name FROM Opportunity' }).then(
          (x) => `${x.isError ? 'tool error' : 'ok'} ${x.text}`,
          (e: unknown) => String(e),
        );
        expect(r).to.match(/INVALID_SESSION_ID|invalid_token|mcp_server_unavailable/);
        expect(r).to.not.match(/^ok|"records"/);
        // A new connection with the same (still unexpired) token: refused at the door.
        const fresh = await h.connect(manager, 'platform/sobject-all').then(
          (client) => client,
          (e: unknown) => String(e),
        );
        // Documented (mcp-server/README.md): the door may accept the unexpired token while the activation
        // snapshot is cached; every org call is refused, so nothing can be read.
        if (typeof fresh !== 'string') {
          const r2 = await call(fresh, 'soqlQuery', { q: 'SELECT Id, Name FROM Opportunity' }).then(
            (x) => `${x.isError ? 'tool error' : 'ok'} ${x.text}`,
            (e: unknown) => String(e),
          );
          expect(r2).to.match(/INVALID_SESSION_ID|invalid_token|mcp_server_unavailable/);
          expect(r2).to.not.match(/^ok|"records"/);
        } else expect(fresh).to.match(/401|403|invalid_token|mcp_server_unavailable|Unauthorized/i);
      } finally {
        h.org.org.db.prepare('UPDATE "User" SET IsActive = 1 WHERE Id = ?').run(id);
        h.org.org.access.invalidate();
      }
    });
  });
});
