/**
 * P5: memory of idle Streamable HTTP sessions. The MCP server runs alone in a child process (so its
 * RSS is its own); the local org runs in this process. Sessions are opened with raw JSON-RPC
 * (initialize + notifications/initialized) and left idle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalOrg } from '../../local-org/src/local-org.ts';
import { mcpToken, personaToken } from '../../local-org/test/helpers/oauth.ts';
import { repoRoot } from '../../local-org/test/helpers/sf.ts';
import { figure, openSession, round, type BenchContext, type FigureSet } from '../lib.ts';

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

export async function activatePlatform(orgUrl: string, adminToken: string, name: string): Promise<void> {
  const res = await fetch(`${orgUrl}/services/data/v66.0/tooling/sobjects/McpServerAccess`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ DeveloperName: name, MasterLabel: name, Active: true }),
  });
  if (res.status >= 300) throw new Error(`activation failed: ${res.status} ${await res.text()}`);
}

export function startChildServer(orgUrl: string, auditFile: string): Promise<{ child: ChildProcess; url: string }> {
  return startChild(join(repoRoot, 'mcp-server/src/cli.ts'), ['--org-url', orgUrl, '--port', '0', '--audit-log', auditFile, '--poll-interval', '30']);
}

/** Starts a TypeScript entry point in its own Node process and waits for its "ready at <url>" line. */
export function startChild(script: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  // BENCH_CHILD_ARGS: extra node flags for the server process (e.g. --cpu-prof when profiling).
  const extra = (process.env.BENCH_CHILD_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${out}${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}): ${out}${err}`));
    });
  });
}

async function openMany(url: string, token: string, n: number, concurrency = 8): Promise<number> {
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        await openSession(url, token).catch(() => errors++);
      }
    }),
  );
  return errors;
}

export async function benchSessions(ctx: BenchContext): Promise<FigureSet> {
  const local = await startLocalOrg({ port: 0, dataDir: ':memory:', projectDir: repoRoot });
  const dir = mkdtempSync(join(tmpdir(), 'forcegate-bench-p5-'));
  let child: ChildProcess | undefined;
  try {
    await activatePlatform(local.url, await personaToken(local.url, 'admin'), 'platform_sobject_reads');
    const started = await startChildServer(local.url, join(dir, 'audit.jsonl'));
    child = started.child;
    const url = `${started.url}/platform/mcp/v1/platform/sobject-reads`;
    const token = await mcpToken(local.url, 'rep@forcegate.local', { resource: url });
    const sessions = ctx.quick ? 50 : 1000;
    // Warm-up: code paths, caches, JIT.
    await openMany(url, token, 20);
    await new Promise((r) => setTimeout(r, 1000));
    const before = rssMb(child.pid!);
    ctx.log(`P5: opening ${sessions} sessions (RSS before ${round(before, 1)} MB)`);
    const errors = await openMany(url, token, sessions);
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssMb(child.pid!);
    const perSession = (after - before) / sessions;
    return {
      figures: [
        figure({
          id: 'P5',
          name: '1,000 idle Streamable HTTP sessions — RSS delta of the MCP server process',
          measured: round(perSession * 1000, 1),
          unit: 'MB',
          target: 200,
          kind: 'max',
          detail: `${sessions} sessions opened${sessions !== 1000 ? ' (scaled to 1,000)' : ''}, ${round(before, 1)} → ${round(after, 1)} MB, ${round(perSession * 1024, 1)} KB/session, ${errors} errors`,
        }),
      ],
    };
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
