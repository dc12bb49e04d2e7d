/**
 * Starts a real local org for a test: in memory by default, or on a temp directory for durability tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalOrg, type LocalOrg } from '../../src/local-org.ts';
import { repoRoot } from './sf.ts';

export { repoRoot };

export async function startTestOrg(options: { dataDir?: string; projectDir?: string } = {}): Promise<LocalOrg> {
  return startLocalOrg({ port: 0, dataDir: options.dataDir ?? ':memory:', projectDir: options.projectDir ?? repoRoot });
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'forcegate-org-'));
}

/** The Id of a user by username, straight from the org's store (test setup only). */
export function userId(local: LocalOrg, username: string): string {
  const row = local.org.db.prepare('SELECT Id FROM "User" WHERE Username = ?').get(username) as { Id: string } | undefined;
  if (!row) throw new Error(`no user ${username}`);
  return row.Id;
}
