/**
 * EventLogFile records derived from the ApiTotalUsage events: one Daily file per UTC day that has
 * events, including today (the platform publishes daily files the next day; the local org serves
 * today's at once so tests and admins need not wait). Refreshed before EventLogFile is read.
 */
import { q, type Db } from '../storage/database.ts';
import type { RecordStore } from '../storage/record-store.ts';
import type { OrgSchema } from '../schema/registry.ts';
import { API_TOTAL_USAGE_FIELDS, API_TOTAL_USAGE_TYPES, type ApiUsageLog } from './api-usage.ts';

export class EventLogFiles {
  constructor(
    private readonly db: Db,
    private readonly schema: OrgSchema,
    private readonly store: RecordStore,
    private readonly usage: ApiUsageLog,
    private readonly systemUserId: () => string,
  ) {}

  /** Brings the EventLogFile rows up to date with the usage table. */
  refresh(): void {
    const o = this.schema.get('EventLogFile')!;
    const existing = new Map(
      (this.db.prepare(`SELECT Id, LogDate, LogFileLength FROM ${q('EventLogFile')} WHERE EventType = 'ApiTotalUsage'`).all() as {
        Id: string;
        LogDate: string;
        LogFileLength: number;
      }[]).map((r) => [r.LogDate.slice(0, 10), r]),
    );
    for (const day of this.usage.days()) {
      const length = Buffer.byteLength(this.usage.csv(day.logDate));
      const current = existing.get(day.logDate);
      if (current && current.LogFileLength === length) continue;
      const values = {
        EventType: 'ApiTotalUsage',
        LogDate: `${day.logDate}T00:00:00.000Z`,
        Interval: 'Daily',
        Sequence: 1,
        ApiVersion: 65.0,
        LogFileContentType: 'CSV',
        LogFileLength: length,
        LogFileFieldNames: API_TOTAL_USAGE_FIELDS.join(','),
        LogFileFieldTypes: API_TOTAL_USAGE_TYPES.join(','),
      };
      if (current) this.store.update(o, current.Id, values, this.systemUserId());
      else this.store.insert(o, values, this.systemUserId());
    }
  }

  /** The CSV body of an EventLogFile record, or undefined if there is no such file. */
  content(id: string): string | undefined {
    const row = this.db.prepare(`SELECT EventType, LogDate FROM ${q('EventLogFile')} WHERE Id = ? AND IsDeleted = 0`).get(id) as
      | { EventType: string; LogDate: string }
      | undefined;
    if (!row || row.EventType !== 'ApiTotalUsage') return undefined;
    return this.usage.csv(row.LogDate.slice(0, 10));
  }
}
