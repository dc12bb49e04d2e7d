/**
 * SOQL date literals (TODAY, LAST_N_DAYS:n, THIS_QUARTER, …) as half-open day ranges [start, end).
 *
 * Evaluated in UTC: the platform evaluates them in the running user's time zone, the local org
 * stores datetimes in UTC and does not apply User.TimeZoneSidKey (documented in docs/design.md).
 * Weeks start on Sunday (en_US). The fiscal year is the calendar year (the platform's default
 * fiscal year starts in January), so the FISCAL literals equal their calendar counterparts.
 */

export interface DayRange {
  /** First day, `YYYY-MM-DD` (inclusive). */
  start: string;
  /** Day after the last day, `YYYY-MM-DD` (exclusive). */
  end: string;
}

const DAY = 86_400_000;

function utcDay(y: number, m: number, d: number): number {
  return Date.UTC(y, m, d);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function range(start: number, end: number): DayRange {
  return { start: iso(start), end: iso(end) };
}

/** Literals that take `:n`. */
export const N_LITERALS = new Set([
  'LAST_N_DAYS', 'NEXT_N_DAYS', 'N_DAYS_AGO', 'LAST_N_WEEKS', 'NEXT_N_WEEKS', 'N_WEEKS_AGO', 'LAST_N_MONTHS', 'NEXT_N_MONTHS',
  'N_MONTHS_AGO', 'LAST_N_QUARTERS', 'NEXT_N_QUARTERS', 'N_QUARTERS_AGO', 'LAST_N_YEARS', 'NEXT_N_YEARS', 'N_YEARS_AGO',
  'LAST_N_FISCAL_QUARTERS', 'NEXT_N_FISCAL_QUARTERS', 'N_FISCAL_QUARTERS_AGO', 'LAST_N_FISCAL_YEARS', 'NEXT_N_FISCAL_YEARS',
  'N_FISCAL_YEARS_AGO',
]);

/** The day range a literal denotes at `now`, or undefined for an unknown literal. */
export function dateLiteralRange(literal: string, n: number | undefined, now: Date): DayRange | undefined {
  const name = literal.toUpperCase().replace(/_FISCAL_/, '_').replace(/FISCAL_/, '');
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const today = utcDay(y, m, now.getUTCDate());
  const weekStart = today - now.getUTCDay() * DAY;
  const monthStart = (offset: number) => utcDay(y, m + offset, 1);
  const q0 = Math.floor(m / 3) * 3;
  const quarterStart = (offset: number) => utcDay(y, q0 + offset * 3, 1);
  const yearStart = (offset: number) => utcDay(y + offset, 0, 1);
  const k = n ?? 0;
  switch (name) {
    case 'TODAY':
      return range(today, today + DAY);
    case 'YESTERDAY':
      return range(today - DAY, today);
    case 'TOMORROW':
      return range(today + DAY, today + 2 * DAY);
    case 'LAST_WEEK':
      return range(weekStart - 7 * DAY, weekStart);
    case 'THIS_WEEK':
      return range(weekStart, weekStart + 7 * DAY);
    case 'NEXT_WEEK':
      return range(weekStart + 7 * DAY, weekStart + 14 * DAY);
    case 'LAST_MONTH':
      return range(monthStart(-1), monthStart(0));
    case 'THIS_MONTH':
      return range(monthStart(0), monthStart(1));
    case 'NEXT_MONTH':
      return range(monthStart(1), monthStart(2));
    // "Starts with the current day and continues for the past n days" (today included).
    case 'LAST_90_DAYS':
      return range(today - 90 * DAY, today + DAY);
    case 'LAST_N_DAYS':
      return range(today - k * DAY, today + DAY);
    // "Starts 00:00:00 of the next day and continues for the next n days".
    case 'NEXT_90_DAYS':
      return range(today + DAY, today + 91 * DAY);
    case 'NEXT_N_DAYS':
      return range(today + DAY, today + (k + 1) * DAY);
    case 'N_DAYS_AGO':
      return range(today - k * DAY, today - (k - 1) * DAY);
    case 'LAST_N_WEEKS':
      return range(weekStart - 7 * k * DAY, weekStart);
    case 'NEXT_N_WEEKS':
      return range(weekStart + 7 * DAY, weekStart + 7 * (k + 1) * DAY);
    case 'N_WEEKS_AGO':
      return range(weekStart - 7 * k * DAY, weekStart - 7 * (k - 1) * DAY);
    case 'LAST_N_MONTHS':
      return range(monthStart(-k), monthStart(0));
    case 'NEXT_N_MONTHS':
      return range(monthStart(1), monthStart(k + 1));
    case 'N_MONTHS_AGO':
      return range(monthStart(-k), monthStart(-k + 1));
    case 'THIS_QUARTER':
      return range(quarterStart(0), quarterStart(1));
    case 'LAST_QUARTER':
      return range(quarterStart(-1), quarterStart(0));
    case 'NEXT_QUARTER':
      return range(quarterStart(1), quarterStart(2));
    case 'LAST_N_QUARTERS':
      return range(quarterStart(-k), quarterStart(0));
    case 'NEXT_N_QUARTERS':
      return range(quarterStart(1), quarterStart(k + 1));
    case 'N_QUARTERS_AGO':
      return range(quarterStart(-k), quarterStart(-k + 1));
    case 'THIS_YEAR':
      return range(yearStart(0), yearStart(1));
    case 'LAST_YEAR':
      return range(yearStart(-1), yearStart(0));
    case 'NEXT_YEAR':
      return range(yearStart(1), yearStart(2));
    case 'LAST_N_YEARS':
      return range(yearStart(-k), yearStart(0));
    case 'NEXT_N_YEARS':
      return range(yearStart(1), yearStart(k + 1));
    case 'N_YEARS_AGO':
      return range(yearStart(-k), yearStart(-k + 1));
    default:
      return undefined;
  }
}
