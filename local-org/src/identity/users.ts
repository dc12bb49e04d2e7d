/**
 * The user facts the identity layer reads (login, identity URL, userinfo, id_token claims).
 */
import type { OrgContext } from '../org/context.ts';

export interface UserRecord {
  Id: string;
  Username: string;
  FirstName: string | null;
  LastName: string;
  Name: string | null;
  Email: string;
  CommunityNickname: string | null;
  TimeZoneSidKey: string;
  LocaleSidKey: string;
  LanguageLocaleKey: string;
  IsActive: number;
  UserType: string | null;
  MobilePhone: string | null;
  CreatedDate: string;
  LastModifiedDate: string;
  LastLoginDate: string | null;
}

const COLUMNS =
  'Id, Username, FirstName, LastName, Name, Email, CommunityNickname, TimeZoneSidKey, LocaleSidKey, LanguageLocaleKey, IsActive, UserType, MobilePhone, CreatedDate, LastModifiedDate, LastLoginDate';

export function userById(org: OrgContext, id: string): UserRecord | undefined {
  return org.db.prepare(`SELECT ${COLUMNS} FROM "User" WHERE Id = ? AND IsDeleted = 0`).get(id) as UserRecord | undefined;
}

/** Usernames are case-insensitive (the column is NOCASE). */
export function userByUsername(org: OrgContext, username: string): UserRecord | undefined {
  return org.db.prepare(`SELECT ${COLUMNS} FROM "User" WHERE Username = ? AND IsDeleted = 0`).get(username.trim()) as UserRecord | undefined;
}

/** LastLoginDate, written directly: a login does not change LastModifiedDate on the platform. */
export function recordLogin(org: OrgContext, userId: string, at: number): void {
  org.db.prepare('UPDATE "User" SET LastLoginDate = ? WHERE Id = ?').run(new Date(at).toISOString(), userId);
}

/** `2024-01-01T00:00:00.000Z` → `2024-01-01T00:00:00Z` (the identity service's form). */
export function identityDate(iso: string | null | undefined): string | null {
  if (!iso) return null;
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Offset of a time zone from UTC in milliseconds, now (e.g. America/Los_Angeles → -25200000 in summer). */
export function utcOffsetMs(timeZone: string, at = Date.now()): number {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(at))
      .find((p) => p.type === 'timeZoneName')?.value;
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? '');
    if (!m) return 0;
    return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000);
  } catch {
    return 0;
  }
}
