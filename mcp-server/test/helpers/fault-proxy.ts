/**
 * A network fault injector between the MCP server and the org (tests only): forwards every request
 * unchanged, or — on demand — holds requests without answering (a slow org), refuses connections
 * (an org that is down), answers 503 (an org in maintenance), or lets the org do the work and then
 * drops the connection before the answer arrives. It never invents a successful answer.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FaultProxy {
  url: string;
  mode: 'pass' | 'hang' | 'down' | '503' | 'drop-response';
  /** When set, the fault applies only to requests whose path (with query) matches; the rest pass. */
  only?: RegExp;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = { url: '', mode: 'pass', close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const mode = proxy.only && !proxy.only.test(req.url ?? '') ? 'pass' : proxy.mode;
    if (mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (mode === 'hang') return; // never answers
    if (mode === '503') {
      req.resume();
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify([{ errorCode: 'SERVER_UNAVAILABLE', message: 'The server is temporarily unavailable.' }]));
      return;
    }
    const upstream = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (up) => {
        if (mode === 'drop-response') {
          // The org has done the work; the answer never arrives.
          up.resume();
          up.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
