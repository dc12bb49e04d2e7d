/**
 * OrgClient's exchange with the org over real loopback sockets (no org behind them): what a caller is
 * told when a connection fails before or after a write was sent, that reads are retried once and
 * writes never, and the timeout bound.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { OrgClient } from '../../src/org/client.ts';
import { OrgUnavailableError } from '../../src/org/errors.ts';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const client = (instanceUrl: string, timeoutMs = 2000): OrgClient => new OrgClient({ instanceUrl, apiVersion: '66.0', accessToken: '00Dx!token', timeoutMs });

async function failure(p: Promise<unknown>): Promise<OrgUnavailableError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(OrgUnavailableError);
    return err as OrgUnavailableError;
  }
  throw new Error('expected a failure');
}

describe('mcp-server: OrgClient over loopback', () => {
  it('a write whose connection drops after it was sent says it may have been applied; it is sent once', async () => {
    let posts = 0;
    const { server, url } = await listen((req) => {
      posts++;
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    try {
      const err = await failure(client(url).post('/sobjects/Task', { Subject: 'x' }));
      expect(err.message).to.match(/^Could not reach the org at .* The org may have applied this POST before the connection failed; check the record before retrying\.$/);
      expect(posts).to.equal(1);
    } finally {
      server.close();
    }
  });

  it('a read whose connection drops is retried once, then fails clearly', async () => {
    let gets = 0;
    const { server, url } = await listen((req) => {
      gets++;
      req.socket.destroy();
    });
    try {
      const err = await failure(client(url).query('SELECT Id FROM Account'));
      expect(err.message).to.match(/^Could not reach the org/);
      expect(gets).to.equal(2);
    } finally {
      server.close();
    }
  });

  it('a write that never got a connection (refused) does not say it may have been applied', async () => {
    const { server, url } = await listen(() => undefined);
    await new Promise((r) => server.close(r));
    const err = await failure(client(url).post('/sobjects/Task', { Subject: 'x' }));
    expect(err.message).to.match(/\(ECONNREFUSED\)\.$/);
    expect(err.message).to.not.match(/may have applied/);
  });

  it('an org that does not answer: a timeout within the bound, worded in the bound it was given', async () => {
    const { server, url } = await listen(() => undefined);
    try {
      const t0 = performance.now();
      const err = await failure(client(url, 300).patch('/sobjects/Task/00T000000000001AAA', { Subject: 'y' }));
      expect(performance.now() - t0).to.be.below(2000);
      expect(err.message).to.match(/did not answer PATCH .* within 0\.3 s\. The outcome is unknown; check the record before retrying\./);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('a compressed body (never asked for) is an error, not garbled text taken as the answer', async () => {
    const { server, url } = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end(Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
    });
    try {
      const err = await failure(client(url).query('SELECT Id FROM Account'));
      expect(err.message).to.match(/unexpected Content-Encoding gzip/);
    } finally {
      server.close();
    }
  });
});
