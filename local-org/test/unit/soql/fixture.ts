/**
 * A real in-memory local org (force-app + sample data) for the SOQL/SOSL engine tests, with helpers
 * to get a persona's UserContext and to add records straight through the store.
 */
import type { LocalOrg } from '../../../src/local-org.ts';
import type { UserContext } from '../../../src/security/types.ts';
import { startTestOrg, userId } from '../../helpers/org.ts';

export const ADMIN = 'admin@forcegate.local';
export const REP = 'rep@forcegate.local';
export const REP2 = 'rep2@forcegate.local';
export const MANAGER = 'manager@forcegate.local';
export const AUDITOR = 'auditor@forcegate.local';
export const OUTSIDER = 'outsider@forcegate.local';

export interface Fixture {
  local: LocalOrg;
  user(username: string): UserContext;
  id(username: string): string;
  insert(objectName: string, values: Record<string, unknown>, owner?: string): string;
}

export async function startFixture(): Promise<Fixture> {
  const local = await startTestOrg();
  const { org } = local;
  const id = (username: string) => userId(local, username);
  return {
    local,
    id,
    user: (username) => {
      const ctx = org.access.forUser(id(username));
      if (!ctx) throw new Error(`no user ${username}`);
      return ctx;
    },
    insert: (objectName, values, owner) => {
      const o = org.schema.get(objectName);
      if (!o) throw new Error(`no object ${objectName}`);
      return org.store.insert(o, owner && o.hasOwner ? { ...values, OwnerId: id(owner) } : values, org.systemUserId);
    },
  };
}
