/**
 * Data-access matrix: persona × read tool (standard and custom) × protected target, each cell the
 * exact platform outcome, and zero leaks of the protected data in any result text or structure —
 * describes, SOSL, related records, Named Queries, Apex actions and error messages included.
 *
 * Targets: EventLogFile (object the rep may not read; admin and auditor may), Account.Internal_Risk_Rating__c
 * (field hidden from the auditor), rep2's open Opportunity and Case (records not shared with the rep or
 * the auditor). The outsider never gets an MCP token: the login is refused (asserted below).
 */
import { expect } from 'chai';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHarness, type Harness } from '../../mcp-server/test/helpers/harness.ts';
import { mcpLogin, OAuthFlowError, personaToken } from '../../local-org/test/helpers/oauth.ts';
import { call, soql, type ToolOutcome } from './helpers.ts';

type Persona = 'admin' | 'rep' | 'auditor';
const USERS: Record<Persona, string> = { admin: 'admin@forcegate.local', rep: 'rep@forcegate.local', auditor: 'auditor@forcegate.local' };
const PERSONAS = Object.keys(USERS) as Persona[];

interface Secrets {
  oppId: string;
  oppName: string;
  oppCloseDate: string;
  caseId: string;
  caseSubject: string;
  accountId: string;
  eventLogIds: string[];
}

/** What a cell must be: a tool error with this code, a success whose text includes/excludes the secret, or a custom check. */
type Cell = { error: RegExp } | { ok: 'has' | 'hasNot' } | { check: (r: ToolOutcome, s: Secrets) => void };

interface Probe {
  target: 'EventLogFile' | 'Internal_Risk_Rating__c' | "rep2's Opportunity" | "rep2's Case";
  server: 'platform/sobject-all' | 'custom/ForceGate_Read';
  tool: string;
  args: (s: Secrets) => Record<string, unknown>;
  /** The secret a success is checked for (has/hasNot). */
  secret?: (s: Secrets) => string;
  cells: Record<Persona, Cell>;
}

const hasKey = (v: unknown, key: string): boolean =>
  v !== null && typeof v === 'object' && (Object.prototype.hasOwnProperty.call(v, key) || Object.values(v as object).some((x) => hasKey(x, key)));

const fieldNames = (r: ToolOutcome): string[] => ((r.structured as { objects?: { fields: { name: string }[] }[] }).objects?.[0]?.fields ?? []).map((f) => f.name);

const RISK = 'Internal_Risk_Rating__c';
const riskVisible: Cell = { check: (r) => (expect(r.isError, r.text).to.equal(false), expect(fieldNames(r)).to.include(RISK)) };
const riskHidden: Cell = { check: (r) => (expect(r.isError, r.text).to.equal(false), expect(fieldNames(r)).to.not.include(RISK), expect(r.text).to.not.include(RISK)) };

const PROBES: Probe[] = [
  // EventLogFile: View Event Log Files (admin's profile, the auditor's ForceGate_Event_Log_Viewer); the rep has none.
  { target: 'EventLogFile', server: 'platform/sobject-all', tool: 'soqlQuery', args: () => ({ q: 'SELECT Id, EventType FROM EventLogFile' }), secret: (s) => s.eventLogIds[0]!,
    cells: { admin: { ok: 'has' }, auditor: { ok: 'has' }, rep: { error: /^INVALID_TYPE: [\s\S]*sObject type 'EventLogFile' is not supported/ } } },
  { target: 'EventLogFile', server: 'platform/sobject-all', tool: 'getObjectSchema', args: () => ({ 'object-name': 'EventLogFile' }), secret: () => 'LogFile',
    cells: { admin: { ok: 'has' }, auditor: { ok: 'has' }, rep: { error: /^NOT_FOUND: / } } },
  { target: 'EventLogFile', server: 'platform/sobject-all', tool: 'listRecentSobjectRecords', args: () => ({ 'sobject-name': 'EventLogFile', limit: 200 }), secret: (s) => s.eventLogIds[0]!,
    cells: { admin: { ok: 'has' }, auditor: { ok: 'has' }, rep: { error: /^(NOT_FOUND|INVALID_TYPE): / } } },
  { target: 'EventLogFile', server: 'platform/sobject-all', tool: 'getObjectSchema', args: () => ({}), secret: () => '"EventLogFile"',
    cells: { admin: { ok: 'has' }, auditor: { ok: 'has' }, rep: { ok: 'hasNot' } } },

  // Internal_Risk_Rating__c: System Administrator and ForceGate_Agent_Service (rep) read it; ForceGate_Agent_Read (auditor) does not.
  { target: RISK, server: 'platform/sobject-all', tool: 'soqlQuery', args: () => ({ q: `SELECT Id, ${RISK} FROM Account` }), secret: () => RISK,
    cells: { admin: { ok: 'has' }, rep: { ok: 'has' }, auditor: { error: /^INVALID_FIELD: [\s\S]*Internal_Risk_Rating__c/ } } },
  { target: RISK, server: 'platform/sobject-all', tool: 'soqlQuery', args: () => ({ q: `SELECT Id FROM Account WHERE ${RISK} = 'High'` }), // a filter is an oracle too
    cells: { admin: { check: (r) => expect(r.isError).to.equal(false) }, rep: { check: (r) => expect(r.isError).to.equal(false) }, auditor: { error: /^INVALID_FIELD: / } } },
  { target: RISK, server: 'platform/sobject-all', tool: 'getObjectSchema', args: () => ({ 'object-name': 'Account' }), cells: { admin: riskVisible, rep: riskVisible, auditor: riskHidden } },
  { target: RISK, server: 'platform/sobject-all', tool: 'find', args: () => ({ q: `FIND {Acme} RETURNING Account(Id, Name, ${RISK})` }), secret: () => RISK,
    cells: { admin: { ok: 'has' }, rep: { ok: 'has' }, auditor: { error: /^INVALID_FIELD: / } } },
  { target: RISK, server: 'platform/sobject-all', tool: 'listRecentSobjectRecords', args: () => ({ 'sobject-name': 'Account', limit: 200 }), secret: () => RISK,
    cells: { admin: { ok: 'hasNot' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: RISK, server: 'custom/ForceGate_Read', tool: 'account_health_summary', args: (s) => ({ accountId: s.accountId }),
    cells: Object.fromEntries(PERSONAS.map((p): [Persona, Cell] => [p, { check: (r) => (expect(r.isError, r.text).to.equal(false), expect(hasKey(r.structured, RISK)).to.equal(false)) }])) as Record<Persona, Cell> },

  // rep2's Opportunity: Private; admin (View All Data) sees it, the rep and the auditor (other branch of the role tree) do not.
  { target: "rep2's Opportunity", server: 'platform/sobject-all', tool: 'soqlQuery', args: (s) => ({ q: `SELECT Id, Name FROM Opportunity WHERE Id = '${s.oppId}'` }), secret: (s) => s.oppName,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Opportunity", server: 'platform/sobject-all', tool: 'soqlQuery', args: () => ({ q: 'SELECT Id, Name, (SELECT Id, Name FROM Opportunities) FROM Account' }), secret: (s) => s.oppId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Opportunity", server: 'platform/sobject-all', tool: 'soqlQuery', args: () => ({ q: 'SELECT AccountId, COUNT(Id) n FROM Opportunity GROUP BY AccountId' }), secret: (s) => s.accountId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Opportunity", server: 'platform/sobject-all', tool: 'find', args: (s) => ({ q: s.oppName.split(' ')[0], 'sobject-names': ['Opportunity'] }), secret: (s) => s.oppId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Opportunity", server: 'platform/sobject-all', tool: 'getRelatedRecords', args: (s) => ({ 'sobject-name': 'Account', id: s.accountId, 'relationship-path': 'Opportunities' }), secret: (s) => s.oppId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Opportunity", server: 'platform/sobject-all', tool: 'listRecentSobjectRecords', args: () => ({ 'sobject-name': 'Opportunity', limit: 200 }), secret: (s) => s.oppId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Opportunity", server: 'custom/ForceGate_Read', tool: 'opportunities_closing_in_range', args: (s) => ({ startDate: s.oppCloseDate, endDate: s.oppCloseDate, maxResults: 200 }), secret: (s) => s.oppId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Opportunity", server: 'custom/ForceGate_Read', tool: 'my_open_opportunities_this_quarter', args: () => ({ minAmount: 0 }), secret: (s) => s.oppId,
    cells: { admin: { ok: 'hasNot' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Opportunity", server: 'custom/ForceGate_Read', tool: 'account_health_summary', args: (s) => ({ accountId: s.accountId }),
    cells: {
      admin: { check: (r) => expect((r.structured as { openOpportunityCount: number }).openOpportunityCount).to.be.greaterThan(0) },
      rep: { check: (r) => expect(r.structured).to.include({ openOpportunityCount: 0, openPipelineAmount: 0 }) },
      auditor: { check: (r) => expect(r.structured).to.include({ openOpportunityCount: 0, openPipelineAmount: 0 }) },
    } },

  // rep2's Case: Private likewise.
  { target: "rep2's Case", server: 'platform/sobject-all', tool: 'getRelatedRecords', args: (s) => ({ 'sobject-name': 'Account', id: s.accountId, 'relationship-path': 'Cases' }), secret: (s) => s.caseId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Case", server: 'platform/sobject-all', tool: 'find', args: (s) => ({ q: `FIND {"${s.caseSubject.split(' ')[0]}"} RETURNING Case(Id, Subject)` }), secret: (s) => s.caseId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
  { target: "rep2's Case", server: 'custom/ForceGate_Read', tool: 'open_cases_by_account', args: (s) => ({ accountId: s.accountId }), secret: (s) => s.caseId,
    cells: { admin: { ok: 'has' }, rep: { ok: 'hasNot' }, auditor: { ok: 'hasNot' } } },
];

describe('security: data-access matrix (persona × tool × protected target)', function () {
  this.timeout(120_000);
  let h: Harness;
  const clients = new Map<string, Client>();
  let s: Secrets;

  before(async () => {
    h = await startHarness();
    for (const k of ['platform/sobject-all', 'custom/ForceGate_Read']) await h.setActive(k, true);
    for (const p of PERSONAS) for (const k of ['platform/sobject-all', 'custom/ForceGate_Read']) clients.set(`${p}|${k}`, await h.connect(USERS[p], k));
    const admin = clients.get('admin|platform/sobject-all')!;
    const opp = (await soql(admin, "SELECT Id, Name, AccountId, CloseDate FROM Opportunity WHERE Owner.Username = 'rep2@forcegate.local' AND IsClosed = false LIMIT 1"))[0]!;
    const cs = (await soql(admin, `SELECT Id, Subject FROM Case WHERE AccountId = '${opp.AccountId as string}' AND IsClosed = false LIMIT 1`))[0]!;
    const logs = await soql(admin, 'SELECT Id FROM EventLogFile');
    s = { oppId: opp.Id, oppName: opp.Name as string, oppCloseDate: opp.CloseDate as string, accountId: opp.AccountId as string, caseId: cs.Id, caseSubject: cs.Subject as string, eventLogIds: logs.map((r) => r.Id) };
    expect(s.eventLogIds.length, 'the setup calls above produce ApiTotalUsage event log files').to.be.greaterThan(0);
  });
  after(async () => h?.close());

  it('outsider (no ForceGate_MCP_Access): refused at login for the MCP app; its REST token cannot read Account nor pass the MCP door', async () => {
    const err = await mcpLogin(h.org.url, 'outsider', { resource: h.serverUrl('platform/sobject-all') }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OAuthFlowError);
    expect(err).to.include({ error: 'access_denied', description: 'user is not admin approved to access this app' });
    const api = await personaToken(h.org.url, 'outsider');
    const rest = await fetch(`${h.org.url}/services/data/v66.0/query?q=${encodeURIComponent('SELECT Id, Name FROM Account')}`, { headers: { Authorization: `Bearer ${api}` } });
    expect(rest.status).to.equal(400);
    expect(((await rest.json()) as { errorCode: string }[])[0]!.errorCode).to.equal('INVALID_TYPE');
    const mcp = await fetch(h.serverUrl('platform/sobject-all'), { method: 'POST', headers: { Authorization: `Bearer ${api}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(mcp.status).to.equal(401);
  });

  for (const probe of PROBES) {
    for (const persona of PERSONAS) {
      const cell = probe.cells[persona];
      const label = 'error' in cell ? `error ${cell.error.source.slice(1, 30)}` : 'ok' in cell ? (cell.ok === 'has' ? 'sees it' : 'does not see it') : 'checked';
      it(`${probe.target} | ${persona} | ${probe.server.split('/')[1]} ${probe.tool} → ${label}`, async () => {
        const r = await call(clients.get(`${persona}|${probe.server}`)!, probe.tool, probe.args(s));
        if ('error' in cell) {
          expect(r.isError, r.text).to.equal(true);
          expect(r.text).to.match(cell.error);
          expect(r.structured ?? {}).to.not.have.property('records');
        } else if ('ok' in cell) {
          expect(r.isError, r.text).to.equal(false);
          const secret = probe.secret!(s);
          if (cell.ok === 'has') expect(r.text).to.include(secret);
          else expect(r.text).to.not.include(secret);
        } else cell.check(r, s);
        // Zero leaks, whatever the outcome: the persona's protected data appears nowhere in the result.
        const all = `${r.text}\n${JSON.stringify(r.structured ?? null)}`;
        if (persona !== 'admin') for (const secret of [s.oppId, s.oppName, s.caseId, s.caseSubject]) if (!JSON.stringify(probe.args(s)).includes(secret)) expect(all).to.not.include(secret);
        if (persona === 'rep') for (const id of s.eventLogIds) expect(all).to.not.include(id);
        if (persona === 'auditor' && !('error' in cell)) expect(hasKey(r.structured, RISK)).to.equal(false);
      });
    }
  }
});
