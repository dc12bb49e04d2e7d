/**
 * Destructive tools ask the person for confirmation through MCP elicitation when the client supports
 * it: a decline or cancel changes nothing; an accept runs the tool; a client without elicitation
 * relies on the tool's destructiveHint as before.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, type Harness } from '../helpers/harness.ts';

describe('mcp-server: confirmation of destructive tools (elicitation)', function () {
  this.timeout(120_000);
  let h: Harness;
  const KEY = 'platform/sobject-all';
  const asked: string[] = [];
  let answer: ElicitResult = { action: 'decline' };

  before(async () => {
    h = await startHarness();
    await h.setActive(KEY, true);
  });
  after(async () => h?.close());

  async function elicitingClient(): Promise<Client> {
    const client = new Client({ name: 'eliciting', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params.message);
      return answer;
    });
    const token = await h.token('rep@forcegate.local', KEY);
    await client.connect(new StreamableHTTPClientTransport(new URL(h.serverUrl(KEY)), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    return client;
  }

  const caseSubject = (id: string): string | undefined =>
    (h.org.org.db.prepare('SELECT Subject FROM "Case" WHERE Id = ? AND IsDeleted = 0').get(id) as { Subject: string } | undefined)?.Subject;

  async function newCase(client: Client): Promise<string> {
    const created = await client.callTool({ name: 'createSobjectRecord', arguments: { 'sobject-name': 'Case', body: { Subject: 'Confirm me' } } });
    expect(created.isError, JSON.stringify(created.content)).to.not.equal(true);
    return (created.structuredContent as { id: string }).id;
  }

  it('asks before a destructive tool; a decline or a cancel changes nothing', async () => {
    const client = await elicitingClient();
    const id = await newCase(client);
    expect(asked, 'creating a record is not destructive').to.have.length(0);

    for (const refusal of [{ action: 'decline' }, { action: 'cancel' }, { action: 'accept', content: { confirm: false } }] as ElicitResult[]) {
      answer = refusal;
      const r = await client.callTool({ name: 'deleteSobjectRecord', arguments: { 'sobject-name': 'Case', id } });
      expect(r.isError).to.equal(true);
      expect((r.content as { text: string }[])[0]!.text).to.equal('NOT_CONFIRMED: The user did not confirm deleteSobjectRecord; nothing was changed.');
      expect(caseSubject(id)).to.equal('Confirm me');
    }
    expect(asked.at(-1)).to.match(/as rep@forcegate\.local\. Run it\?$/);

    answer = { action: 'accept', content: { confirm: true } };
    const r = await client.callTool({ name: 'deleteSobjectRecord', arguments: { 'sobject-name': 'Case', id } });
    expect(r.isError, JSON.stringify(r.content)).to.not.equal(true);
    expect(caseSubject(id)).to.equal(undefined);
    expect(JSON.stringify((await h.auditLines()).filter((l) => l.tool === 'deleteSobjectRecord'))).to.include('NOT_CONFIRMED');
  });

  it('does not ask a client that has no elicitation capability', async () => {
    const before = asked.length;
    const client = await h.connect('rep@forcegate.local', KEY);
    const id = await newCase(client);
    const r = await client.callTool({ name: 'deleteSobjectRecord', arguments: { 'sobject-name': 'Case', id } });
    expect(r.isError, JSON.stringify(r.content)).to.not.equal(true);
    expect(asked.length).to.equal(before);
  });
});
