/**
 * Building an org: a fresh database gets the organization, standard profiles, roles, users and
 * their permission set assignments, then the project's metadata and the sample data. A restart
 * only rebuilds the in-memory schema from what is stored and deploys the project's force-app again,
 * through the same validate + apply path as a Metadata API deploy (metadata/deploy.ts) — as
 * `npm start` deploying the project with the sf CLI would.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '../ids.ts';
import {
  ensureMetadataTable,
  ensurePermissionFlagsTable,
  loadSchemaFromStore,
  syncProfileFieldPermissions,
  upsertPermissionSet,
} from '../metadata/apply.ts';
import { deploySource } from '../metadata/deploy.ts';
import { standardProfiles } from '../metadata/permission-sets.ts';
import { readSourceTree } from '../metadata/source-tree.ts';
import { getMeta, setMeta, type Db } from '../storage/database.ts';
import { ensureTable } from '../storage/record-store.ts';
import type { OrgContext } from './context.ts';

export function ensureCredentialTable(db: Db): void {
  db.exec(`CREATE TABLE IF NOT EXISTS _credentials (user_id TEXT PRIMARY KEY, salt TEXT NOT NULL, hash TEXT NOT NULL)`);
}

export function setPassword(db: Db, userId: string, password: string): void {
  const salt = randomBytes(16).toString('hex');
  const hash = scryptSync(password, salt, 32).toString('hex');
  db.prepare('INSERT INTO _credentials (user_id, salt, hash) VALUES (?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash').run(
    userId,
    salt,
    hash,
  );
}

/** Constant-time password check; false for unknown users. */
export function checkPassword(db: Db, userId: string, password: string): boolean {
  const row = db.prepare('SELECT salt, hash FROM _credentials WHERE user_id = ?').get(userId) as { salt: string; hash: string } | undefined;
  if (!row) {
    scryptSync(password, 'no-such-user', 32); // same cost as a real check, so timing does not reveal usernames
    return false;
  }
  const expected = Buffer.from(row.hash, 'hex');
  const actual = scryptSync(password, row.salt, 32);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Prepares the database and schema; returns the system (first admin) user's Id. */
export function bootstrapOrg(org: OrgContext): string {
  const { db } = org;
  ensureMetadataTable(db);
  ensurePermissionFlagsTable(db);
  ensureCredentialTable(db);
  for (const o of org.schema.objects()) ensureTable(db, o);
  loadSchemaFromStore(org);

  const fresh = getMeta(db, 'bootstrapped') !== '1';
  let systemUserId = getMeta(db, 'systemUserId');
  if (fresh || !systemUserId) {
    systemUserId = newId('005');
    db.transaction(() => seedOrg(org, systemUserId!))();
  }
  org.systemUserId = systemUserId;
  db.transaction(() => {
    // The project's force-app goes through the deploy path (validate everything, then apply);
    // a component that would fail a real deploy stops the org with the same component failures.
    deploySource(org, readSourceTree(org.projectDir), systemUserId!);
    if (fresh) {
      assignPermissionSets(org);
      loadSampleData(org);
      setMeta(db, 'bootstrapped', '1');
    }
  })();
  return systemUserId;
}

function seedOrg(org: OrgContext, systemUserId: string): void {
  const { db, schema, store, config } = org;
  store.insert(
    schema.get('Organization')!,
    {
      Name: config.organization.name,
      InstanceName: config.organization.instanceName,
      IsSandbox: false,
      OrganizationType: config.organization.edition,
      NamespacePrefix: null,
      LanguageLocaleKey: 'en_US',
      TimeZoneSidKey: config.organization.timeZone,
      DefaultLocaleSidKey: 'en_US',
      Country: 'US',
      IsReadOnly: false,
    },
    systemUserId,
    config.organization.id,
  );
  const profileIds = new Map<string, string>();
  for (const p of standardProfiles()) {
    const id = store.insert(schema.get('Profile')!, { Name: p.name, UserType: p.userType, Description: p.description }, systemUserId);
    profileIds.set(p.name, id);
    const psId = upsertPermissionSet(org, p.permissions, systemUserId, id);
    db.prepare('INSERT OR REPLACE INTO _permission_set_flags (permission_set_id, all_fields) VALUES (?, ?)').run(psId, p.permissions.allFields ? 1 : 0);
  }
  const roleIds = new Map<string, string>();
  for (const r of config.roles) {
    const id = store.insert(
      schema.get('UserRole')!,
      { Name: r.name, DeveloperName: r.developerName, ParentRoleId: r.parent ? roleIds.get(r.parent) ?? null : null },
      systemUserId,
    );
    roleIds.set(r.developerName, id);
  }
  const userIds = new Map<string, string>();
  let first = true;
  for (const u of config.users) {
    const profileId = profileIds.get(u.profile);
    if (!profileId) throw new Error(`config/local-org.json: user ${u.username} has unknown profile ${u.profile}`);
    const admin = first && u.persona === 'admin';
    const id = store.insert(
      schema.get('User')!,
      {
        Username: u.username,
        FirstName: u.firstName,
        LastName: u.lastName,
        Alias: (u.firstName.slice(0, 1) + u.lastName).slice(0, 8).toLowerCase(),
        Email: u.email,
        CommunityNickname: u.username.split('@')[0],
        Title: u.title ?? null,
        IsActive: u.active ?? true,
        ProfileId: profileId,
        UserRoleId: u.role ? roleIds.get(u.role) ?? null : null,
        UserType: 'Standard',
        TimeZoneSidKey: config.organization.timeZone,
        LocaleSidKey: 'en_US',
        LanguageLocaleKey: 'en_US',
        EmailEncodingKey: 'UTF-8',
      },
      systemUserId,
      admin ? systemUserId : undefined,
    );
    if (admin) first = false;
    userIds.set(u.username, id);
    setPassword(db, id, u.password);
  }
  for (const u of config.users) {
    if (u.manager && userIds.has(u.manager)) store.update(schema.get('User')!, userIds.get(u.username)!, { ManagerId: userIds.get(u.manager) }, systemUserId);
  }
  syncProfileFieldPermissions(org, systemUserId);
  setMeta(db, 'systemUserId', systemUserId);
}

function assignPermissionSets(org: OrgContext): void {
  const { db, schema, store, config, systemUserId } = org;
  for (const u of config.users) {
    const user = db.prepare('SELECT Id FROM "User" WHERE Username = ?').get(u.username) as { Id: string };
    for (const name of u.permissionSets) {
      const ps = db.prepare('SELECT Id FROM PermissionSet WHERE Name = ? AND IsOwnedByProfile = 0').get(name) as { Id: string } | undefined;
      if (!ps) throw new Error(`config/local-org.json: permission set ${name} (user ${u.username}) is not in force-app`);
      store.insert(schema.get('PermissionSetAssignment')!, { AssigneeId: user.Id, PermissionSetId: ps.Id, IsActive: true }, systemUserId);
    }
  }
  org.access.invalidate();
}

interface TreePlanEntry {
  sobject: string;
  files: string[];
}

interface TreeRecord {
  attributes: { type: string; referenceId: string };
  [field: string]: unknown;
}

/**
 * Loads `scripts/data/plan.json` (the `sf data import tree` format): `@ref` values resolve to the
 * Ids of earlier records, and `scripts/data/owners.json` ({referenceId: username}) assigns owners.
 */
function loadSampleData(org: OrgContext): void {
  const dir = join(org.projectDir, 'scripts', 'data');
  const planFile = join(dir, 'plan.json');
  if (!existsSync(planFile)) return;
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as TreePlanEntry[];
  const ownersFile = join(dir, 'owners.json');
  const owners = existsSync(ownersFile) ? (JSON.parse(readFileSync(ownersFile, 'utf8')) as Record<string, string>) : {};
  const refs = new Map<string, string>();
  for (const entry of plan) {
    const o = org.schema.get(entry.sobject);
    if (!o) throw new Error(`scripts/data/plan.json: unknown object ${entry.sobject}`);
    for (const file of entry.files) {
      const { records } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { records: TreeRecord[] };
      for (const r of records) {
        const values: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(r)) {
          if (k === 'attributes') continue;
          values[k] = typeof v === 'string' && v.startsWith('@') ? refs.get(v.slice(1)) ?? null : v;
        }
        const ownerName = owners[r.attributes.referenceId];
        if (ownerName && o.hasOwner) {
          const owner = org.db.prepare('SELECT Id FROM "User" WHERE Username = ?').get(ownerName) as { Id: string } | undefined;
          if (!owner) throw new Error(`scripts/data/owners.json: unknown user ${ownerName}`);
          values.OwnerId = owner.Id;
        }
        refs.set(r.attributes.referenceId, org.store.insert(o, values, org.systemUserId));
      }
    }
  }
}
