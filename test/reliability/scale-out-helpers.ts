/**
 * Processes for the scale-out test: MCP server replicas started through the CLI (`--stateless`, each its
 * own process and audit log), Debian's nginx in front of them (everything under a temp dir, no root
 * needed, /etc/nginx untouched), and a gate between one replica and the org that can hold one org
 * request after the org has answered it (the write is applied; the answer has not reached the replica).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../local-org/test/helpers/sf.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A free 127.0.0.1 port, held (bound on port 0) until `release()`: release it just before the process
 * that needs it binds it, so that no other socket takes it in between.
 */
export async function reservePort(): Promise<{ port: number; release(): Promise<void> }> {
  const s = createNetServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  const { port } = s.address() as AddressInfo;
  return { port, release: () => new Promise<void>((resolve) => s.close(() => resolve())) };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Polls `check` until it is true (a readiness wait, not a timing assertion). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process with its output kept and its exit as a promise. */
interface Managed {
  child: ChildProcess;
  exited: Promise<ChildExit>;
  hasExited(): boolean;
  output(): string;
}

function manage(child: ChildProcess): Managed {
  let out = '';
  let done = false;
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  return { child, exited, hasExited: () => done, output: () => out };
}

/** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs. Resolves once the process is gone. */
async function stopProcess(m: Managed, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (m.hasExited()) return;
  m.child.kill(signal);
  const timer = setTimeout(() => m.child.kill('SIGKILL'), graceMs);
  await m.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// MCP server replicas

export interface Replica extends Managed {
  name: string;
  /** Where this process listens (the CLI prints it after the public URL when --public-url is given). */
  url: string;
  port: number;
  auditFile: string;
  auditLines(): Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startReplica(input: { name: string; orgUrl: string; publicUrl: string; auditFile: string; args?: string[] }): Promise<Replica> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'mcp-server/src/cli.ts'),
      '--org-url',
      input.orgUrl,
      '--port',
      '0',
      '--stateless',
      '--public-url',
      input.publicUrl,
      '--audit-log',
      input.auditFile,
      ...(input.args ?? []),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const m = manage(child);
  let url: string | undefined;
  await waitFor(
    `replica ${input.name} to print its listening URL`,
    () => {
      if (m.hasExited()) throw new Error(`replica ${input.name} exited before it was ready:\n${m.output()}`);
      url = /^\s*listening on (http:\/\/127\.0\.0\.1:\d+)\s*$/m.exec(m.output())?.[1];
      return url !== undefined;
    },
    60_000,
  ).catch(async (err: unknown) => {
    await stopProcess(m, 'SIGKILL', 0);
    throw err;
  });
  const port = Number(new URL(url!).port);
  return {
    ...m,
    name: input.name,
    url: url!,
    port,
    auditFile: input.auditFile,
    auditLines: () =>
      existsSync(input.auditFile)
        ? readFileSync(input.auditFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [],
    stop: (signal = 'SIGTERM') => stopProcess(m, signal, 15_000),
  };
}

// ---------------------------------------------------------------------------------------------
// nginx

export const NGINX_CANDIDATES = [process.env.FORCEGATE_NGINX, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].filter((p): p is string => !!p);

/** The nginx binary, or an error that says how to get it (the test must not skip silently). */
export function nginxBinary(): string {
  const found = NGINX_CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `nginx is required for the scale-out test and was not found (looked at ${NGINX_CANDIDATES.join(', ')}). ` +
        'Install Debian\'s nginx-light (apt-get install -y nginx-light — .ci/run does this), or set FORCEGATE_NGINX to an nginx binary.',
    );
  }
  return found;
}

export interface Nginx extends Managed {
  url: string;
  port: number;
  dir: string;
  /** Access-log lines: `<method> <uri> <status> upstream=<addrs> upstream_status=<statuses>`. */
  accessLines(): string[];
  stop(): Promise<void>;
}

/**
 * nginx round-robin over `upstreams` (host:port), no sticky sessions, HTTP/1.1 to the replicas,
 * no response buffering (SSE), and `proxy_next_upstream error timeout` without `non_idempotent`:
 * a POST is tried on another replica only if it never reached the first one, so a tool call is never
 * run twice. Every file nginx writes is under `dir`.
 */
export async function startNginx(input: { dir: string; port: { port: number; release(): Promise<void> }; upstreams: string[] }): Promise<Nginx> {
  const bin = nginxBinary();
  const d = input.dir;
  const port = input.port.port;
  const conf = join(d, 'nginx.conf');
  writeFileSync(
    conf,
    `# Written by test/reliability/scale-out.test.ts
${process.getuid?.() === 0 ? `user ${userInfo().username};\n` : ''}worker_processes 1;
pid ${d}/nginx.pid;
lock_file ${d}/nginx.lock;
error_log ${d}/error.log notice;

events {
  worker_connections 512;
}

http {
  access_log off;
  log_format scaleout '$request_method $request_uri $status upstream=$upstream_addr upstream_status=$upstream_status';
  client_body_temp_path ${d}/client_body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;

  upstream forcegate_mcp {
    # Round robin (the default); no ip_hash/hash/sticky: any replica may get any request. No keepalive:
    # a request to a replica that is gone is refused at connect and goes to another one, instead of being
    # written into a cached connection the replica just dropped (a 502 - safe, but timing-dependent).
${input.upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=30s;`).join('\n')}
  }

  server {
    listen 127.0.0.1:${port};
    access_log ${d}/access.log scaleout;

    location / {
      proxy_pass http://forcegate_mcp;
      proxy_http_version 1.1;
      # The client's Host (127.0.0.1:<this port>): a loopback name the replicas' DNS-rebinding check accepts.
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # SSE responses go through as they are written.
      proxy_buffering off;
      proxy_cache off;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      # Another replica only when the request never reached one (connection refused, connect timeout).
      # No non_idempotent: a POST that was sent is never replayed, so a tool call never runs twice.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
      proxy_next_upstream_timeout 10s;
    }
  }
}
`,
  );
  await input.port.release();
  const child = spawn(bin, ['-p', `${d}/`, '-c', conf, '-e', `${d}/error.log`, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = manage(child);
  const errorLog = (): string => (existsSync(join(d, 'error.log')) ? readFileSync(join(d, 'error.log'), 'utf8') : '');
  // TERM is nginx's fast shutdown (the master stops its workers). If the master has to be killed hard,
  // its worker would keep the port: KILL the master's own children too.
  const stop = async (): Promise<void> => {
    if (m.hasExited()) return;
    m.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      const pid = m.child.pid!;
      let children: number[] = [];
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
      } catch {
        // not Linux, or already gone
      }
      for (const c of children) {
        try {
          process.kill(c, 'SIGKILL');
        } catch {
          // gone
        }
      }
      m.child.kill('SIGKILL');
    }, 5000);
    await m.exited;
    clearTimeout(timer);
  };
  await waitFor(
    `nginx to listen on 127.0.0.1:${port}`,
    async () => {
      if (m.hasExited()) throw new Error(`nginx exited before it was ready:\n${m.output()}\n${errorLog()}`);
      return accepts(port);
    },
    20_000,
  ).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return {
    ...m,
    url: `http://127.0.0.1:${port}`,
    port,
    dir: d,
    output: () => `${m.output()}${errorLog()}`,
    accessLines: () =>
      existsSync(join(d, 'access.log'))
        ? readFileSync(join(d, 'access.log'), 'utf8')
            .split('\n')
            .filter(Boolean)
        : [],
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// A gate between one replica and the org

export interface HeldRequest {
  method: string;
  path: string;
  /** The request body the replica sent. */
  body: string;
  /** The org's answer (the work is done). */
  status: number;
  /** Sends the org's answer on to the replica (`true`) or drops the connection (`false`). */
  release(deliver: boolean): void;
}

export interface OrgGate {
  url: string;
  /** Holds the next request matching `match` once the org has answered it. */
  hold(match: (method: string, path: string) => boolean): Promise<HeldRequest>;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade']);

export async function startOrgGate(target: string): Promise<OrgGate> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  let armed: { match: (method: string, path: string) => boolean; resolve: (h: HeldRequest) => void } | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (up) => {
        const parts: Buffer[] = [];
        up.on('data', (c: Buffer) => parts.push(c));
        up.on('end', () => {
          const answer = Buffer.concat(parts);
          const headers: IncomingHttpHeaders = {};
          for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
          const deliver = (): void => {
            if (res.destroyed) return;
            res.writeHead(up.statusCode ?? 502, { ...headers, 'content-length': String(answer.length) });
            res.end(answer);
          };
          const a = armed;
          if (a && a.match(req.method ?? '', req.url ?? '')) {
            armed = undefined;
            a.resolve({
              method: req.method ?? '',
              path: req.url ?? '',
              body: body.toString('utf8'),
              status: up.statusCode ?? 0,
              release: (ok) => (ok ? deliver() : req.socket.destroy()),
            });
            return;
          }
          deliver();
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: (match) => new Promise((resolve) => (armed = { match, resolve })),
    close: () =>
      new Promise((resolve) => {
        armed = undefined;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
