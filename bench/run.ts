/**
 * `npm run bench [-- --quick] [-- --only P1,P3]`: ForceGate's performance figures. Every timing
 * figure that compares two paths is a ratio of the two measured side by side (interleaved) in this
 * run. Writes bench/results/latest.{json,md} (quick runs: quick.{json,md}) and, for a full run,
 * the table in the README's "Benchmarks" section.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchCatalog } from './figures/catalog.ts';
import { benchLocalSoql, benchTokenValidation } from './figures/local.ts';
import { benchMcpVsDirect } from './figures/mcp-vs-direct.ts';
import { benchSessions } from './figures/sessions.ts';
import { benchStdio } from './figures/stdio.ts';
import type { BenchContext, Blocked, Figure, FigureSet } from './lib.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchReport {
  quick: boolean;
  date: string;
  node: string;
  cpus: number;
  figures: Figure[];
  blocked: Blocked[];
  notes: Record<string, number | string>;
  durationMs: number;
}

export const GROUPS: Record<string, (ctx: BenchContext) => Promise<FigureSet>> = {
  'P1,P4': benchMcpVsDirect,
  P2: benchTokenValidation,
  P3: benchCatalog,
  P5: benchSessions,
  P6: benchLocalSoql,
  P7: benchStdio,
};

export async function runBench(options: { quick: boolean; only?: string[]; log?: (m: string) => void }): Promise<BenchReport> {
  const log = options.log ?? ((m: string) => console.error(`[bench] ${m}`));
  const ctx: BenchContext = { quick: options.quick, log };
  const t0 = performance.now();
  const report: BenchReport = { quick: options.quick, date: new Date().toISOString(), node: process.version, cpus: cpus().length, figures: [], blocked: [], notes: {}, durationMs: 0 };
  for (const [name, fn] of Object.entries(GROUPS)) {
    if (options.only && !name.split(',').some((g) => options.only!.includes(g))) continue;
    const g0 = performance.now();
    log(`${name}…`);
    const set = await fn(ctx);
    report.figures.push(...set.figures);
    report.blocked.push(...(set.blocked ?? []));
    Object.assign(report.notes, set.notes ?? {});
    log(`${name} done in ${Math.round(performance.now() - g0)} ms`);
  }
  report.durationMs = Math.round(performance.now() - t0);
  return report;
}

const fmt = (f: Figure): string => `${f.measured} ${f.unit}`;

export function markdown(r: BenchReport): string {
  const lines = [
    `Run ${r.date}${r.quick ? ' (quick mode: tiny iteration counts, not meaningful)' : ''} — Node ${r.node}, ${r.cpus} CPUs, ${Math.round(r.durationMs / 1000)} s.`,
    '',
    '| figure | measured | target | holds? |',
    '|---|---|---|---|',
    ...r.figures.map((f) => `| **${f.id}** ${f.name}${f.detail ? ` <br><sub>${f.detail}</sub>` : ''} | ${fmt(f)} | ${f.kind === 'max' ? '≤' : '≥'} ${f.target} ${f.unit} | ${f.holds ? 'yes' : '**no**'} |`),
    ...r.blocked.map((b) => `| **${b.id}** ${b.name} | blocked | — | ${b.reason} |`),
  ];
  return `${lines.join('\n')}\n`;
}

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

/** Replaces the table between the markers of the README's Benchmarks section. */
export function updateReadme(md: string): void {
  const file = join(ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error('README.md has no bench markers');
  writeFileSync(file, `${readme.slice(0, start + BEGIN.length)}\n${md}${readme.slice(end)}`);
}

export function writeResults(r: BenchReport, dir = join(ROOT, 'bench', 'results')): string {
  mkdirSync(dir, { recursive: true });
  const base = r.quick ? 'quick' : 'latest';
  const md = markdown(r);
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(dir, `${base}.md`), md);
  return md;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? args[onlyIdx + 1]?.split(',') : undefined;
  const report = await runBench({ quick, only });
  const md = writeResults(report);
  if (!quick && !only) updateReadme(md);
  console.log(md);
  process.exit(0);
}
