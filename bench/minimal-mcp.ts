/**
 * The least an MCP server can do for a `soqlQuery` tools/call and still answer in the spec's shape: read
 * the JSON-RPC body, make the org call with the caller's bearer token (keep-alive), parse the org's
 * JSON, and answer `{content: [{type: 'text', text: <JSON>}], structuredContent: <object>}` as one
 * JSON response. No SDK, no sessions, no token verification, no argument validation, no audit: a
 * floor for bench P1e/P4d, never a server to deploy.
 *
 *   node --import tsx bench/minimal-mcp.ts <org-url>   → prints "ready at http://127.0.0.1:<port>"
 */
import { Agent, createServer, request } from 'node:http';

const org = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function orgQuery(q: string, authorization: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: org.hostname, port: org.port, path: `/services/data/v66.0/query?q=${encodeURIComponent(q)}`, headers: { Authorization: authorization, Accept: 'application/json' }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; params: { arguments: { q: string } } };
      const body = JSON.parse(await orgQuery(msg.params.arguments.q, req.headers.authorization ?? '')) as Record<string, unknown>;
      const structuredContent = { totalSize: body.totalSize, done: body.done, records: body.records };
      const out = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: JSON.stringify(structuredContent) }], structuredContent } }));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': out.length });
      res.end(out);
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready at http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
