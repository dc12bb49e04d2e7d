/**
 * A bare HTTP pass-through proxy (its own process, keep-alive to the target, bodies piped, nothing
 * parsed): the cheapest thing that can sit between a client and the org. Bench P1c/P4c measure it to
 * show the floor any extra hop costs on this machine, MCP or not.
 *
 * With a delay it stands in for distance instead: every request waits that long before it is
 * forwarded (bench P1d: the org at a realistic round-trip time, for both arms alike).
 *
 *   node --import tsx bench/passthrough-proxy.ts <target-url> [delay-ms]   → prints "ready at http://127.0.0.1:<port>"
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

const target = new URL(process.argv[2] ?? '');
const delayMs = Number(process.argv[3] ?? 0);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  if (delayMs > 0) {
    req.pause();
    setTimeout(() => forward(req, res), delayMs);
  } else forward(req, res);
});

function forward(req: IncomingMessage, res: ServerResponse): void {
  const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
  req.resume();
}
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready at http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
