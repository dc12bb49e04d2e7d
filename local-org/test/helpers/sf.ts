/**
 * Runs the real sf CLI (the project's pinned @salesforce/cli) with an isolated HOME, so tests never
 * touch a developer's auth files and every run starts with no orgs, aliases or plugins.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SF_BIN = join(repoRoot, 'node_modules', '.bin', 'sf');

export interface SfResult<T = unknown> {
  code: number;
  stdout: string;
  stderr: string;
  json?: { status: number; result: T; warnings?: string[]; name?: string; message?: string };
}

export class SfCli {
  readonly home = mkdtempSync(join(tmpdir(), 'forcegate-sf-home-'));

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HOME: this.home,
      SF_DISABLE_TELEMETRY: 'true',
      SF_DISABLE_AUTOUPDATE: 'true',
      SF_SKIP_NEW_VERSION_CHECK: 'true',
      SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
      SF_AUTOUPDATE_DISABLE: 'true',
      SF_CONTENT_TYPE: 'JSON',
      ...extra,
    };
  }

  /** Runs `sf <args>`; with `--json` in args the parsed envelope is in `json`. */
  run<T = unknown>(args: string[], extraEnv: Record<string, string> = {}, cwd = repoRoot): Promise<SfResult<T>> {
    return new Promise((resolvePromise) => {
      execFile(SF_BIN, args, { env: this.env(extraEnv), cwd, timeout: 120_000, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        let json: SfResult<T>['json'];
        if (args.includes('--json')) {
          try {
            json = JSON.parse(stdout) as SfResult<T>['json'];
          } catch {
            json = undefined;
          }
        }
        resolvePromise({ code, stdout, stderr, json });
      });
    });
  }

  /** Stores an org in the isolated HOME from an access token (`sf org login access-token`). */
  async loginWithToken(instanceUrl: string, accessToken: string, alias: string): Promise<SfResult> {
    return this.run(['org', 'login', 'access-token', '--instance-url', instanceUrl, '--no-prompt', '--alias', alias, '--json'], {
      SF_ACCESS_TOKEN: accessToken,
    });
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
