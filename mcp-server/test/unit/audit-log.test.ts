/**
 * AuditLog appends synchronously; a line it cannot write (here: /dev/full, ENOSPC) is reported on
 * stderr and counted, never thrown into the call whose answer is being sent.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AuditLog, type AuditEntry } from '../../src/audit/jsonl.ts';

const entry = (tool: string): AuditEntry => ({
  time: new Date().toISOString(),
  event: 'tool_call',
  userId: '005000000000001AAA',
  username: 'rep@forcegate.local',
  clientId: 'ForceGate_Claude',
  server: 'platform/sobject-all',
  sessionId: null,
  transport: 'http',
  tool,
  outcome: 'success',
  durationMs: 1,
  orgCalls: 1,
  orgRequestIds: [],
  argumentNames: [],
});

describe('mcp-server: AuditLog', () => {
  it('appends whole lines, synchronously, in order', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'audit-')), 'a.jsonl');
    const log = new AuditLog(file);
    for (let i = 0; i < 50; i++) log.write(entry(`tool${i}`));
    // Readable at once, before any flush or tick.
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as AuditEntry).tool)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `tool${i}`));
    await log.close();
  });

  it('a write the disk refuses is reported and counted, not thrown', async () => {
    const log = new AuditLog('/dev/full');
    const stderr = process.stderr.write.bind(process.stderr);
    let reported = '';
    process.stderr.write = ((chunk: string) => ((reported += chunk), true)) as typeof process.stderr.write;
    try {
      expect(() => log.write(entry('createSobjectRecord'))).to.not.throw();
    } finally {
      process.stderr.write = stderr;
    }
    expect(log.failures).to.equal(1);
    expect(reported).to.match(/AUDIT LOG WRITE FAILED \(ENOSPC\).*"tool":"createSobjectRecord"/);
    await log.close();
  });
});
