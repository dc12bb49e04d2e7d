/**
 * Scale-out: three MCP server replicas, each its own `--stateless` CLI process with its own audit log,
 * behind Debian's nginx (round robin, no sticky sessions, `proxy_next_upstream error timeout` without
 * `non_idempotent`), one real local org over HTTP. One MCP SDK client talks to nginx only.
 *
 * - Calls are spread over all three replicas with no session (no `Mcp-Session-Id` anywhere), and a
 *   write acknowledged through one replica is read back through another.
 * - SIGKILL of a replica while a write it sent has been applied by the org but not yet answered (held
 *   at a gate between that replica and the org), with other calls in flight: the client gets a clear
 *   error for it (no hang), nginx does not replay it elsewhere (the Task exists exactly once), every
 *   call the client saw succeed exists exactly once in the org and has its audit line in one replica's
 *   log, and calls after the kill succeed on the two replicas left.
 * - SIGTERM of a replica while it has a write in flight: it stops taking requests, finishes that call
 *   (acknowledged, audited, applied once) and exits 0; calls go on through the last replica.
 * - The org's ApiTotalUsage rows for ForceGate account for every audited org call, and the difference
 *   is only calls that never got an answer.
 *
 * Needs nginx (`/usr/sbin/nginx`, Debian's nginx-light; `.ci/run` installs it): fails, not skips, without it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startLocalOrg, type LocalOrg } from '../../local-org/src/local-org.ts';
import { mcpToken, personaToken } from '../../local-org/test/helpers/oauth.ts';
import { repoRoot } from '../../local-org/test/helpers/sf.ts';
import { LONG, textOf, withTimeout } from '../security/helpers.ts';
import { accepts, nginxBinary, reservePort, startNginx, startOrgGate, startReplica, waitFor, type Nginx, type OrgGate, type Replica } from './scale-out-helpers.ts';

const SERVER_PATH = '/platform/mcp/v1/platform/sobject-all';
const CALL_TIMEOUT_MS = 30_000;
/** Concurrent callers while a replica is killed, and calls they make after it (npm run test:long: 20 and 2,000). */
const KILL_CALLERS = LONG ? 20 : 4;
const CALLS_AFTER_KILL = LONG ? 2_000 : 24;
const TASK_POST = (method: string, path: string): boolean => method === 'POST' && /\/sobjects\/Task\/?$/.test(path.split('?')[0]!);

interface CallRecord {
  label: string;
  tool: string;
  args: Record<string, unknown>;
  /** createSobjectRecord: the Task's Subject. */
  subject?: string;
  /** soqlQuery of a Task created just before: that Task's Subject. */
  readsBack?: string;
  startedAt: number;
  endedAt?: number;
  outcome?: 'ok' | 'tool-error' | 'thrown';
  /** A thrown StreamableHTTPError: the HTTP status the client got. */
  status?: number;
  text?: string;
  structured?: unknown;
}

describe('reliability: scale-out (3 stateless replicas behind nginx)', function () {
  this.timeout(LONG ? 900_000 : 120_000);
  const run = Date.now().toString(36);
  let dir: string;
  let org: LocalOrg;
  let gates: OrgGate[] = [];
  let replicas: Replica[] = [];
  let nginx: Nginx | undefined;
  let nginxPort: Awaited<ReturnType<typeof reservePort>> | undefined;
  let client: Client;
  const responseSessionIds: string[] = [];
  const requestSessionIds: string[] = [];
  const calls: CallRecord[] = [];
  let auditAtStart: number[] = [];
  let usageAtStart = 0;

  const tasks = (subject: string): number => (org.org.db.prepare('SELECT COUNT(*) AS n FROM Task WHERE Subject = ?').get(subject) as { n: number }).n;
  const forceGateUsage = (): { request_id: string }[] => org.org.db.prepare("SELECT request_id FROM _api_usage WHERE client_name = 'ForceGate'").all() as { request_id: string }[];
  const allAudit = (): { replica: number; line: Record<string, unknown> }[] => replicas.flatMap((r, i) => r.auditLines().map((line) => ({ replica: i, line })));
  const subjectOf = (l: Record<string, unknown>): string | undefined => ((l.arguments as { body?: { Subject?: string } } | undefined)?.body ?? {}).Subject;
  const qOf = (l: Record<string, unknown>): string | undefined => (l.arguments as { q?: string } | undefined)?.q;

  const callTool = async (label: string, tool: string, args: Record<string, unknown>, extra: Partial<CallRecord> = {}): Promise<CallRecord> => {
    const rec: CallRecord = { label, tool, args, startedAt: performance.now(), ...extra };
    calls.push(rec);
    try {
      const r = await withTimeout(client.callTool({ name: tool, arguments: args }), CALL_TIMEOUT_MS, `${label} ${tool}`);
      rec.outcome = r.isError ? 'tool-error' : 'ok';
      rec.text = textOf(r);
      rec.structured = r.structuredContent;
    } catch (e) {
      rec.outcome = 'thrown';
      rec.status = (e as { code?: number }).code;
      rec.text = String(e);
    }
    rec.endedAt = performance.now();
    return rec;
  };

  /** Call k of worker w: a Task create, a read of that Task (through whichever replica nginx picks), getUserInfo. */
  const mixed = (w: string, k: number): Promise<CallRecord> => {
    const subject = (n: number): string => `scale-out ${run} ${w} c${n}`;
    switch (k % 3) {
      case 0:
        return callTool(`${w} c${k}`, 'createSobjectRecord', { 'sobject-name': 'Task', body: { Subject: subject(k), Status: 'Not Started', Priority: 'Normal' } }, { subject: subject(k) });
      case 1:
        return callTool(`${w} c${k}`, 'soqlQuery', { q: `SELECT Id, Subject FROM Task WHERE Subject = '${subject(k - 1)}'` }, { readsBack: subject(k - 1) });
      default:
        return callTool(`${w} c${k}`, 'getUserInfo', {});
    }
  };

  /** `n` concurrent callers of `mixed`, each call after the previous one, until `stop()`. */
  const workers = (prefix: string, n: number): { done: () => number; stop: () => Promise<void> } => {
    let stopped = false;
    let done = 0;
    const all = Array.from({ length: n }, async (_, i) => {
      for (let k = 0; !stopped; k++) {
        await mixed(`${prefix}${i}`, k);
        done++;
      }
    });
    return {
      done: () => done,
      stop: async () => {
        stopped = true;
        await Promise.all(all);
      },
    };
  };

  before(async function () {
    const nginxBin = nginxBinary(); // fails with how to install it, before anything is started
    dir = mkdtempSync(join(tmpdir(), 'forcegate-scale-out-'));
    org = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
    const admin = await personaToken(org.url, 'admin');
    const res = await fetch(`${org.url}/services/data/v66.0/tooling/sobjects/McpServerAccess`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ DeveloperName: 'platform_sobject_all', MasterLabel: 'platform_sobject_all', Active: true }),
    });
    expect(res.status, await res.text()).to.be.below(300);

    // nginx's port is held from now until nginx binds it; the replicas need it first (--public-url).
    nginxPort = await reservePort();
    const publicUrl = `http://127.0.0.1:${nginxPort.port}`;
    // Each replica reaches the org through its own gate (a pass-through until a test holds a request).
    gates = await Promise.all([0, 1, 2].map(() => startOrgGate(org.url)));
    const started = await Promise.allSettled(
      gates.map((g, i) =>
        startReplica({
          name: `replica-${i}`,
          orgUrl: g.url,
          publicUrl,
          auditFile: join(dir, `replica-${i}.jsonl`),
          // Argument values in the audit lines (to find each call's line); no background org calls.
          args: ['--audit-arguments', '--activation-ttl', '3600', '--poll-interval', '30', '--org-timeout', '15'],
        }),
      ),
    );
    // Keep whatever started, so that `after` stops it even when another replica failed to start.
    replicas = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    nginx = await startNginx({ dir, port: nginxPort, upstreams: replicas.map((r) => `127.0.0.1:${r.port}`) });
    console.log(`      ${nginxBin} on ${nginx.url} → ${replicas.map((r) => r.url).join(', ')}`);
    await waitFor('nginx to reach a replica', async () => (await fetch(`${nginx!.url}/healthz`).catch(() => undefined))?.status === 200);

    const url = `${publicUrl}${SERVER_PATH}`;
    const token = await mcpToken(org.url, 'rep@forcegate.local', { resource: url });
    client = new Client({ name: 'scale-out', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
        fetch: async (input, init) => {
          const sent = new Headers(init?.headers).get('mcp-session-id');
          if (sent) requestSessionIds.push(sent);
          const r = await fetch(input, init);
          const got = r.headers.get('mcp-session-id');
          if (got) responseSessionIds.push(got);
          return r;
        },
      }),
    );
  });

  after(async function () {
    this.timeout(60_000);
    await client?.close().catch(() => undefined);
    await nginx?.stop().catch(() => undefined);
    if (!nginx) await nginxPort?.release();
    await Promise.all(replicas.map((r) => r.stop('SIGTERM').catch(() => undefined)));
    await Promise.all(gates.map((g) => g.close().catch(() => undefined)));
    await org?.close().catch(() => undefined);
    if (dir && process.env.FORCEGATE_KEEP_SCALE_OUT !== '1') rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      for (const r of replicas) console.log(`      --- ${r.name} (${r.url}) output:\n${r.output().slice(-3000)}`);
      if (nginx) console.log(`      --- nginx:\n${nginx.output().slice(-3000)}\n${nginx.accessLines().slice(-40).join('\n')}`);
    }
  });

  it('spreads calls round-robin over all three replicas, with no session; a write through one is read through another', async () => {
    for (let k = 0; k < 12; k++) {
      const r = await mixed('seq', k);
      expect(r.outcome, `${r.label} ${r.tool}: ${r.text}`).to.equal('ok');
      if (r.readsBack) expect((r.structured as { records: unknown[] }).records, r.label).to.have.length(1);
    }
    expect((client.transport as StreamableHTTPClientTransport).sessionId).to.equal(undefined);
    expect(responseSessionIds, 'Mcp-Session-Id in a response').to.deep.equal([]);
    expect(requestSessionIds, 'Mcp-Session-Id in a request').to.deep.equal([]);

    await waitFor('the 12 audit lines', () => allAudit().length >= 12, 10_000);
    const perReplica = replicas.map((r) => r.auditLines().length);
    expect(perReplica.every((n) => n > 0), `audit lines per replica: ${perReplica.join(', ')}`).to.equal(true);
    expect(perReplica.reduce((a, b) => a + b, 0)).to.equal(12);
    for (const { line } of allAudit()) expect(line).to.include({ event: 'tool_call', outcome: 'success', sessionId: null, username: 'rep@forcegate.local', server: 'platform/sobject-all' });

    const upstreams = new Set(
      nginx!
        .accessLines()
        .filter((l) => l.startsWith('POST '))
        .map((l) => /upstream=(\S+)/.exec(l)?.[1]),
    );
    expect([...upstreams].sort()).to.deep.equal(replicas.map((r) => `127.0.0.1:${r.port}`).sort());

    auditAtStart = replicas.map((r) => r.auditLines().length);
    usageAtStart = forceGateUsage().length;
  });

  it('SIGKILL with a write applied but unanswered and calls in flight: clear errors, nothing applied twice, the other two replicas carry on', async () => {
    const victim = replicas[1]!;
    const w = workers('k', KILL_CALLERS);
    await waitFor('warm-up calls', () => w.done() >= 12, 30_000);
    const held = await withTimeout(
      gates[1]!.hold(TASK_POST),
      CALL_TIMEOUT_MS,
      'a Task write through the replica to kill',
    );
    const heldSubject = (JSON.parse(held.body) as { Subject: string }).Subject;
    expect(held.status, 'the org applied the held write').to.equal(201);
    expect(tasks(heldSubject)).to.equal(1);

    victim.child.kill('SIGKILL');
    const exit = await withTimeout(victim.exited, 10_000, 'the killed replica to exit');
    expect(exit.signal).to.equal('SIGKILL');
    const killedAt = performance.now();
    held.release(false);
    expect(await accepts(victim.port), 'the killed replica still accepts connections').to.equal(false);

    const doneAtKill = w.done();
    await waitFor(`${CALLS_AFTER_KILL} calls after the kill`, () => w.done() >= doneAtKill + CALLS_AFTER_KILL, LONG ? 600_000 : 60_000);
    await w.stop();

    const mine = calls.filter((c) => c.label.startsWith('k'));
    const failed = mine.filter((c) => c.outcome !== 'ok');
    console.log(`      SIGKILL: ${mine.length} calls, ${failed.length} failed (${failed.map((c) => `${c.label} ${c.tool} → ${c.status ?? c.text!.slice(0, 60)}`).join(', ')})`);

    // The held write: an error for the client (nginx gave up on that replica and did not replay the POST),
    // never a hang; the org has it exactly once.
    const heldCall = mine.find((c) => c.subject === heldSubject);
    expect(heldCall, 'the held call').to.not.equal(undefined);
    expect(heldCall!.outcome).to.equal('thrown');
    expect(heldCall!.status, heldCall!.text).to.equal(502);
    expect(tasks(heldSubject), 'the held write, after nginx had the chance to replay it').to.equal(1);

    // Failures are clear errors (502 from nginx), never hangs, never tool results claiming success.
    for (const c of failed) {
      expect(c.outcome, `${c.label}: ${c.text}`).to.equal('thrown');
      expect(c.text, c.label).to.not.match(/no answer within/);
      expect(c.status, `${c.label}: ${c.text}`).to.equal(502);
      expect(c.text, c.label).to.match(/502 Bad Gateway/);
      if (c.subject) expect(tasks(c.subject), `${c.label}: applied at most once`).to.be.at.most(1);
    }
    // Only calls that were on the killed replica can have failed: none started after it was gone.
    const afterKill = mine.filter((c) => c.startedAt > killedAt);
    expect(afterKill.length).to.be.at.least(24);
    expect(afterKill.filter((c) => c.outcome !== 'ok').map((c) => `${c.label}: ${c.text}`)).to.deep.equal([]);

    // Acknowledged writes exist exactly once; acknowledged read-backs of acknowledged writes found them.
    const ok = mine.filter((c) => c.outcome === 'ok');
    for (const c of ok) if (c.subject) expect(tasks(c.subject), c.label).to.equal(1);
    for (const c of ok.filter((x) => x.readsBack)) {
      const created = mine.find((x) => x.subject === c.readsBack);
      if (created?.outcome === 'ok') expect((c.structured as { records: unknown[] }).records, `${c.label} reads back ${c.readsBack}`).to.have.length(1);
    }
    expect(tasks(heldSubject)).to.equal(1);

    // After the kill: the two survivors share the calls; nothing more reaches the dead one.
    const before = replicas.map((r) => r.auditLines().length);
    for (let k = 0; k < 12; k++) {
      const r = await mixed('after-kill', k);
      expect(r.outcome, `${r.label} ${r.tool}: ${r.text}`).to.equal('ok');
    }
    await waitFor('audit lines of the calls after the kill', () => replicas.reduce((n, r, i) => n + r.auditLines().length - before[i]!, 0) >= 12, 10_000);
    const gained = replicas.map((r, i) => r.auditLines().length - before[i]!);
    expect(gained[1], 'lines from the killed replica').to.equal(0);
    expect(gained[0]).to.be.above(0);
    expect(gained[2]).to.be.above(0);
  });

  it('SIGTERM with a write in flight: the replica stops taking requests, finishes the call, audits it and exits 0', async () => {
    const leaving = replicas[2]!;
    // One caller: when its write is held, nothing else is on its way to the replica. (A connection that
    // reached the listen backlog but was not yet accepted would be reset by the close: a 502 that no
    // drain can prevent; a load balancer avoids it by taking the replica out of its pool first.)
    const w = workers('t', 1);
    const held = await withTimeout(gates[2]!.hold(TASK_POST), CALL_TIMEOUT_MS, 'a Task write through the replica to stop');
    const heldSubject = (JSON.parse(held.body) as { Subject: string }).Subject;
    expect(held.status).to.equal(201);

    leaving.child.kill('SIGTERM');
    // It stops accepting connections while the call is still in flight …
    await waitFor('the stopping replica to refuse connections', async () => leaving.hasExited() || !(await accepts(leaving.port)), 15_000);
    const termAt = performance.now();
    // … and only then does the org's answer reach it.
    held.release(true);
    const exit = await withTimeout(leaving.exited, 20_000, 'the stopped replica to exit');
    const doneAtTerm = w.done();
    await waitFor('12 calls after SIGTERM', () => w.done() >= doneAtTerm + 12, 30_000);
    await w.stop();

    const mine = calls.filter((c) => c.label.startsWith('t'));
    const heldCall = mine.find((c) => c.subject === heldSubject);
    expect(heldCall, 'the held call').to.not.equal(undefined);
    expect(heldCall!.outcome, heldCall!.text).to.equal('ok');
    expect(tasks(heldSubject)).to.equal(1);
    expect(exit, leaving.output().slice(-2000)).to.deep.equal({ code: 0, signal: null });
    const line = leaving.auditLines().find((l) => subjectOf(l) === heldSubject);
    expect(line, 'the finished call in the stopped replica\'s audit log').to.include({ tool: 'createSobjectRecord', outcome: 'success' });

    // Every call succeeded; those after SIGTERM all went to the last replica.
    expect(mine.filter((c) => c.outcome !== 'ok').map((c) => `${c.label}: ${c.text}`)).to.deep.equal([]);
    for (const c of mine) if (c.subject) expect(tasks(c.subject), c.label).to.equal(1);
    expect(mine.filter((c) => c.startedAt > termAt).length).to.be.at.least(12);
  });

  it('every acknowledged call is in exactly one replica\'s audit log and the org\'s ApiTotalUsage accounts for every audited org call', async () => {
    const window = calls.filter((c) => c.label.startsWith('k') || c.label.startsWith('after-kill') || c.label.startsWith('t'));
    const ok = window.filter((c) => c.outcome === 'ok');
    const failed = window.filter((c) => c.outcome !== 'ok');
    // The live replica writes its lines asynchronously; the stopped and killed ones are final.
    const windowLines = (): Record<string, unknown>[] => replicas.flatMap((r, i) => r.auditLines().slice(auditAtStart[i]));
    await waitFor('an audit line for every acknowledged call', () => windowLines().filter((l) => l.outcome === 'success').length >= ok.length, 10_000).catch(() => undefined);
    const audited = windowLines();

    for (const c of ok) {
      if (c.subject) {
        const found = audited.filter((l) => l.tool === 'createSobjectRecord' && subjectOf(l) === c.subject);
        expect(found.length, `audit lines for ${c.label} (${c.subject})`).to.equal(1);
        expect(found[0]).to.include({ outcome: 'success', orgCalls: 1 });
      } else if (c.tool === 'soqlQuery') {
        const found = audited.filter((l) => l.tool === 'soqlQuery' && qOf(l) === c.args.q);
        expect(found.length, `audit lines for ${c.label}`).to.equal(1);
        expect(found[0]).to.include({ outcome: 'success' });
      }
    }
    const okUserInfo = ok.filter((c) => c.tool === 'getUserInfo').length;
    const auditedUserInfo = audited.filter((l) => l.tool === 'getUserInfo' && l.outcome === 'success').length;
    expect(auditedUserInfo).to.be.at.least(okUserInfo);
    expect(auditedUserInfo - okUserInfo).to.be.at.most(failed.length);
    // Every line is a success: a call cut by the kill never got as far as its line.
    expect(audited.filter((l) => l.outcome !== 'success').map((l) => JSON.stringify(l))).to.deep.equal([]);

    // ApiTotalUsage: every org request an audit line names is in the org's log; the org's log has more
    // only for calls that never got an answer (the held write at least: applied, never acknowledged).
    const usage = forceGateUsage();
    const ids = new Set(usage.map((u) => u.request_id));
    const named = audited.flatMap((l) => l.orgRequestIds as string[]);
    expect(named.filter((id) => !ids.has(id))).to.deep.equal([]);
    const auditedOrgCalls = audited.reduce((n, l) => n + (l.orgCalls as number), 0);
    const extra = usage.length - usageAtStart - auditedOrgCalls;
    expect(extra, `ForceGate rows beyond the audited org calls (failed calls: ${failed.length})`).to.be.within(1, failed.length);
  });
});
