/**
 * The benchmark's quick mode works end to end: every figure it reports is a finite number. It does
 * not check that targets hold (timings on a shared CI machine say nothing); `npm run bench` does
 * the real measurement.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runBench, writeResults } from './run.ts';

describe('bench: quick mode', function () {
  this.timeout(120_000);

  it('measures every figure as a finite number and writes JSON and Markdown', async () => {
    const report = await runBench({ quick: true, log: () => undefined });
    const ids = report.figures.map((f) => f.id);
    expect(ids).to.include.members(['P1a', 'P1b', 'P2a', 'P2b', 'P2c', 'P3a', 'P3b', 'P3c', 'P4a', 'P4b', 'P5', 'P6a', 'P6b']);
    expect(ids.some((id) => id.startsWith('P7')) || report.blocked.some((b) => b.id === 'P7'), 'P7 measured or reported blocked').to.equal(true);
    for (const f of report.figures) {
      expect(Number.isFinite(f.measured), `${f.id} ${f.name}: ${f.measured}`).to.equal(true);
      expect(Number.isFinite(f.target), `${f.id} target`).to.equal(true);
      expect(f.holds).to.be.a('boolean');
    }
    const dir = mkdtempSync(join(tmpdir(), 'forcegate-bench-test-'));
    try {
      writeResults(report, dir);
      const json = JSON.parse(readFileSync(join(dir, 'quick.json'), 'utf8')) as { figures: unknown[] };
      expect(json.figures).to.have.length(report.figures.length);
      const md = readFileSync(join(dir, 'quick.md'), 'utf8');
      expect(md).to.contain('| figure | measured | target | holds? |');
      for (const id of ids) expect(md).to.contain(`**${id}**`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
