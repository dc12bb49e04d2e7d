/**
 * Real-CLI test plumbing: the project's pinned sf CLI with an isolated HOME and the built plugin
 * linked into it (`sf plugins link <sf-plugin> --no-install`), a scratch copy of the DX project to
 * deploy from, and JSON-envelope parsing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLUGIN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO_ROOT = resolve(PLUGIN_DIR, '..');
const SF_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'sf');

export type Envelope<T> = { status: number; result: T; warnings?: string[]; name?: string; message?: string; actions?: string[]; code?: string };
export type SfRun<T> = { code: number; stdout: string; stderr: string; json?: Envelope<T> };

/** Builds lib/ when it is missing (the root test scripts build it first with `npm run build:plugin`). */
export function ensureBuilt(): void {
  if (existsSync(join(PLUGIN_DIR, 'lib', 'commands', 'mcp', 'deploy.js'))) return;
  execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', PLUGIN_DIR], { stdio: 'inherit' });
}

export class Sf {
  public readonly home = mkdtempSync(join(tmpdir(), 'sf-mcp-nut-home-'));
  /** sf commands run (for the timing summary). */
  public readonly timings: Array<{ args: string; ms: number }> = [];

  public env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    // nothing from the developer's environment may pick another org or another MCP base URL
    delete env.SF_TARGET_ORG;
    delete env.SF_MCP_BASE_URL;
    delete env.SF_ACCESS_TOKEN;
    return {
      ...env,
      HOME: this.home,
      SF_DISABLE_TELEMETRY: 'true',
      SF_DISABLE_AUTOUPDATE: 'true',
      SF_SKIP_NEW_VERSION_CHECK: 'true',
      SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
      ...extra,
    };
  }

  public run<T = unknown>(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<SfRun<T>> {
    const started = Date.now();
    return new Promise((done) => {
      execFile(SF_BIN, args, { env: this.env(options.env), cwd: options.cwd ?? REPO_ROOT, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        this.timings.push({ args: args.filter((a) => a !== '--json').slice(0, 3).join(' '), ms: Date.now() - started });
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        let json: Envelope<T> | undefined;
        if (args.includes('--json')) {
          try {
            json = JSON.parse(stdout) as Envelope<T>;
          } catch {
            json = undefined;
          }
        }
        done({ code, stdout, stderr, json });
      });
    });
  }

  public dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A throwaway copy of the DX project (sfdx-project.json, config, force-app) to deploy from and write into. */
export function scratchProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sf-mcp-nut-project-'));
  for (const entry of ['sfdx-project.json', 'config', 'force-app']) cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  return dir;
}

/** What a failed command printed, for assertion messages. */
export function show(r: SfRun<unknown>): string {
  return `exit ${r.code}\n${r.stdout.slice(0, 4000)}\n${r.stderr.slice(0, 2000)}`;
}
