/** getUserInfo: who the caller is in the org (the token's user, read with the token). */
import { z } from 'zod';
import { soqlString } from '../../org/client.ts';
import { ToolInputError } from '../../org/errors.ts';
import { READ_ONLY, type ToolSpec } from '../types.ts';

const output = z
  .object({
    id: z.string(),
    username: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    title: z.string().nullable(),
    role: z.string().nullable(),
    profile: z.string().nullable(),
    manager: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    timeZone: z.string().nullable(),
    locale: z.string().nullable(),
    language: z.string().nullable(),
    localTime: z.string().nullable(),
    organizationId: z.string().nullable(),
  })
  .passthrough();

type Row = Record<string, unknown> & {
  Id: string;
  Username: string;
  Name?: string;
  Email?: string;
  Title?: string;
  TimeZoneSidKey?: string;
  LocaleSidKey?: string;
  LanguageLocaleKey?: string;
  ManagerId?: string;
  UserRole?: { Name?: string } | null;
  Profile?: { Name?: string } | null;
  Manager?: { Name?: string } | null;
};

export const getUserInfo: ToolSpec = {
  name: 'getUserInfo',
  title: 'Get User Info',
  description:
    "Returns the signed-in user's Id, username, name, email, title, role, profile, manager, locale, time zone and current local time. Every other tool runs as this user.",
  inputSchema: z.object({}).strict(),
  outputSchema: output,
  annotations: { title: 'Get User Info', ...READ_ONLY },
  async run(_args, { org, caller }) {
    const { records } = await org.query<Row>(
      'SELECT Id, Username, Name, Email, Title, TimeZoneSidKey, LocaleSidKey, LanguageLocaleKey, ManagerId, UserRole.Name, Profile.Name, Manager.Name ' +
        `FROM User WHERE Id = ${soqlString(caller.userId)}`,
    );
    const u = records[0];
    if (!u) throw new ToolInputError(`User ${caller.userId} is not visible`, 'NOT_FOUND');
    return {
      id: u.Id,
      username: u.Username,
      name: u.Name ?? null,
      email: u.Email ?? null,
      title: u.Title ?? null,
      role: u.UserRole?.Name ?? null,
      profile: u.Profile?.Name ?? null,
      manager: u.ManagerId ? { id: u.ManagerId, name: u.Manager?.Name ?? null } : null,
      timeZone: u.TimeZoneSidKey ?? null,
      locale: u.LocaleSidKey ?? null,
      language: u.LanguageLocaleKey ?? null,
      localTime: localTime(u.TimeZoneSidKey),
      organizationId: caller.orgId ?? null,
    };
  },
};

/** The user's wall-clock time as ISO 8601 with their UTC offset, e.g. 2026-05-01T09:30:00-07:00. */
function localTime(timeZone: string | undefined): string | null {
  if (!timeZone) return null;
  try {
    const now = new Date();
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
        .formatToParts(now)
        .map((p) => [p.type, p.value]),
    );
    const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
    const offsetMin = Math.round((wall - Math.floor(now.getTime() / 1000) * 1000) / 60_000);
    const sign = offsetMin < 0 ? '-' : '+';
    const abs = Math.abs(offsetMin);
    const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
  } catch {
    return null;
  }
}
