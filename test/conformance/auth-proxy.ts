/**
 * A transparent reverse proxy for the conformance run, and nothing more: the conformance CLI's
 * `server` mode cannot send an `Authorization` header, while every ForceGate MCP request needs an
 * org-issued `mcp_api` bearer token (there is deliberately no unauthenticated mode). The proxy
 * forwards each request byte for byte — method, path and query, every header as received (raw, in
 * order, *including* `Host` and `Origin`), the body, and the streamed response (SSE included) — and
 * only adds `Authorization: Bearer <token>` for the server path being requested.
 *
 * Because `Host` and `Origin` reach the MCP server unchanged, the server computes its resource URL
 * from the proxy's address (so tokens are minted for `http://127.0.0.1:<proxy port>/…`, as a real
 * client of that URL would get them) and its DNS-rebinding checks see exactly what the conformance
 * suite sent.
 */
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BearerProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Requests whose path is `path` (query ignored) get this bearer token. */
  setToken(path: string, token: string): void;
  /** Requests forwarded so far, with the token they were given (for the test's own checks). */
  readonly forwarded: { method: string; path: string; host: string | undefined; authorized: boolean; status?: number }[];
  close(): Promise<void>;
}

export async function startBearerProxy(target: string): Promise<BearerProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const tokens = new Map<string, string>();
  const forwarded: BearerProxy['forwarded'] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0]!;
    const token = tokens.get(path.replace(/\/+$/, ''));
    // Raw headers as received (name/value pairs, original case and order), minus any Authorization
    // the caller sent, plus ours. With an array, Node sends exactly these headers (no Host of its own).
    const headers: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() !== 'authorization') headers.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    if (token) headers.push('Authorization', `Bearer ${token}`);
    const entry: BearerProxy['forwarded'][number] = { method: req.method ?? 'GET', path, host: req.headers.host, authorized: token !== undefined };
    forwarded.push(entry);

    const out = request(
      { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (up) => {
        entry.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
        res.flushHeaders();
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`bearer proxy: ${err.message}`);
      else res.destroy();
    });
    // The client going away (e.g. it cancels an SSE stream) ends the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    setToken: (path, token) => void tokens.set(path.replace(/\/+$/, ''), token),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
