/**
 * Records on disk: one SQLite table per sObject, one column per field, named exactly as the API
 * names them (SQLite identifiers are case-insensitive, like SOQL's). Text columns use NOCASE
 * collation because SOQL's `=`, `IN` and ORDER BY compare text case-insensitively.
 *
 * This layer knows nothing about users or permissions: callers (the DML service, the SOQL engine)
 * enforce CRUD, FLS and sharing before they get here.
 */
import { newId } from '../ids.ts';
import type { FieldDef, ObjectDef } from '../schema/types.ts';
import { q, type Db } from './database.ts';

export type StoredValue = string | number | null;
export type Row = Record<string, StoredValue>;

export function columnType(fd: FieldDef): string {
  switch (fd.type) {
    case 'boolean':
    case 'int':
    case 'long':
      return 'INTEGER';
    case 'double':
    case 'currency':
    case 'percent':
      return 'REAL';
    case 'id':
    case 'reference':
      return 'TEXT';
    default:
      return 'TEXT COLLATE NOCASE';
  }
}

/** Creates the object's table, or adds the columns of fields added since. Idempotent. */
export function ensureTable(db: Db, o: ObjectDef): void {
  const table = q(o.name);
  const existing = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(o.name) as { name: string }[];
  if (existing.length === 0) {
    const cols = o.fields.map((fd) => `${q(fd.name)} ${columnType(fd)}${fd.name === 'Id' ? ' PRIMARY KEY' : ''}`);
    db.exec(`CREATE TABLE ${table} (${cols.join(', ')})`);
  } else {
    const have = new Set(existing.map((c) => c.name.toLowerCase()));
    for (const fd of o.fields) {
      if (!have.has(fd.name.toLowerCase())) db.exec(`ALTER TABLE ${table} ADD COLUMN ${q(fd.name)} ${columnType(fd)}`);
    }
  }
  // Selective filters the sharing model and relationship queries use on every call.
  for (const fd of o.fields) {
    if (fd.type === 'reference' || fd.name === 'Name' || fd.externalId || fd.unique) {
      db.exec(`CREATE INDEX IF NOT EXISTS ${q(`ix_${o.name}_${fd.name}`)} ON ${table} (${q(fd.name)})`);
    }
  }
}

/** Converts an API value (already validated) to what the column stores. */
export function toStored(fd: FieldDef, value: unknown): StoredValue {
  if (value === null || value === undefined || value === '') return null;
  switch (fd.type) {
    case 'boolean':
      return value === true || value === 'true' || value === 1 ? 1 : 0;
    case 'int':
    case 'long':
    case 'double':
    case 'currency':
    case 'percent':
      return typeof value === 'number' ? value : Number(value);
    case 'datetime':
      return new Date(String(value)).toISOString();
    case 'multipicklist':
      return Array.isArray(value) ? value.join(';') : String(value);
    default:
      return String(value);
  }
}

/** Converts a stored value to its REST JSON form. */
export function toApi(fd: FieldDef, value: StoredValue): unknown {
  if (value === null || value === undefined) return fd.type === 'boolean' ? false : null;
  if (fd.json && typeof value === 'string') return JSON.parse(value) as unknown;
  switch (fd.type) {
    case 'boolean':
      return value === 1 || value === '1';
    case 'int':
    case 'long':
      return Number(value);
    case 'double':
    case 'currency':
    case 'percent':
      return Number(value);
    case 'datetime':
      return formatDatetime(String(value));
    default:
      return value;
  }
}

/** `2024-01-02T03:04:05.678Z` → `2024-01-02T03:04:05.678+0000`, the REST API's datetime form. */
export function formatDatetime(iso: string): string {
  return iso.endsWith('Z') ? `${iso.slice(0, -1)}+0000` : iso;
}

export function nowIso(): string {
  return new Date().toISOString();
}

export class RecordStore {
  private readonly autoNumbers = new Map<string, number>();

  constructor(private readonly db: Db) {}

  /** Inserts a record; `values` are API values keyed by exact field names. Returns the new Id. */
  insert(o: ObjectDef, values: Record<string, unknown>, actingUserId: string, forcedId?: string): string {
    const id = forcedId ?? newId(o.keyPrefix);
    const now = nowIso();
    const row: Row = {};
    for (const fd of o.fields) {
      if (fd.defaultValue !== undefined && fd.defaultValue !== null) row[fd.name] = toStored(fd, fd.defaultValue);
      const pick = fd.picklistValues?.find((p) => p.defaultValue);
      if (pick) row[fd.name] = pick.value;
      if (fd.type === 'boolean' && row[fd.name] === undefined) row[fd.name] = 0;
    }
    for (const [name, value] of Object.entries(values)) {
      const fd = o.fields.find((x) => x.name === name);
      if (fd) row[fd.name] = toStored(fd, value);
    }
    row.Id = id;
    row.IsDeleted = 0;
    row.CreatedDate = row.CreatedDate ?? now;
    row.LastModifiedDate = now;
    row.SystemModstamp = now;
    row.CreatedById = row.CreatedById ?? actingUserId;
    row.LastModifiedById = actingUserId;
    if (o.hasOwner && !row.OwnerId) row.OwnerId = actingUserId;
    this.derive(o, row, true);
    const cols = Object.keys(row).filter((c) => o.fields.some((x) => x.name === c));
    this.db
      .prepare(`INSERT INTO ${q(o.name)} (${cols.map(q).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
      .run(...cols.map((c) => row[c] ?? null));
    return id;
  }

  /** Updates the given fields of a record (API values). Returns false if the record does not exist. */
  update(o: ObjectDef, id: string, values: Record<string, unknown>, actingUserId: string): boolean {
    const current = this.get(o, id);
    if (!current) return false;
    const row: Row = { ...current };
    for (const [name, value] of Object.entries(values)) {
      const fd = o.fields.find((x) => x.name === name);
      if (fd) row[fd.name] = toStored(fd, value);
    }
    const now = nowIso();
    row.LastModifiedDate = now;
    row.SystemModstamp = now;
    row.LastModifiedById = actingUserId;
    this.derive(o, row, false);
    const cols = Object.keys(row).filter((c) => c !== 'Id' && row[c] !== current[c]);
    if (cols.length === 0) return true;
    this.db
      .prepare(`UPDATE ${q(o.name)} SET ${cols.map((c) => `${q(c)} = ?`).join(', ')} WHERE Id = ?`)
      .run(...cols.map((c) => row[c] ?? null), id);
    return true;
  }

  /** Moves a record to the Recycle Bin (IsDeleted = true), as the API's delete does. */
  softDelete(o: ObjectDef, id: string, actingUserId: string): void {
    const now = nowIso();
    this.db
      .prepare(`UPDATE ${q(o.name)} SET IsDeleted = 1, LastModifiedDate = ?, SystemModstamp = ?, LastModifiedById = ? WHERE Id = ?`)
      .run(now, now, actingUserId, id);
  }

  /** The stored row, deleted or not. */
  get(o: ObjectDef, id: string): Row | undefined {
    return this.db.prepare(`SELECT * FROM ${q(o.name)} WHERE Id = ?`).get(id) as Row | undefined;
  }

  /** Platform-maintained fields: names, auto numbers, closed flags. */
  private derive(o: ObjectDef, row: Row, inserting: boolean): void {
    for (const fd of o.fields) {
      if (fd.computed === 'contactName' || fd.computed === 'userName') {
        row[fd.name] = [row.FirstName, row.LastName].filter((x) => x !== null && x !== undefined && x !== '').join(' ');
      }
    }
    switch (o.name) {
      case 'Case':
        if (inserting && !row.CaseNumber) row.CaseNumber = this.nextAutoNumber('Case', 'CaseNumber', 1000, 8);
        row.IsClosed = row.Status === 'Closed' ? 1 : 0;
        if (row.IsClosed && !row.ClosedDate) row.ClosedDate = nowIso();
        if (!row.IsClosed) row.ClosedDate = null;
        row.IsEscalated = row.Status === 'Escalated' || row.IsEscalated === 1 ? 1 : 0;
        break;
      case 'Opportunity': {
        const stage = String(row.StageName ?? '');
        row.IsClosed = stage.startsWith('Closed') ? 1 : 0;
        row.IsWon = stage === 'Closed Won' ? 1 : 0;
        if (row.Probability === null || row.Probability === undefined) row.Probability = STAGE_PROBABILITY[stage] ?? null;
        if (!row.ForecastCategoryName) row.ForecastCategoryName = stage === 'Closed Won' ? 'Closed' : stage === 'Closed Lost' ? 'Omitted' : 'Pipeline';
        break;
      }
      case 'Task':
        row.IsClosed = row.Status === 'Completed' ? 1 : 0;
        break;
    }
  }

  private nextAutoNumber(objectName: string, fieldName: string, start: number, width: number): string {
    const key = `${objectName}.${fieldName}`;
    let n = this.autoNumbers.get(key);
    if (n === undefined) {
      const row = this.db.prepare(`SELECT MAX(CAST(${q(fieldName)} AS INTEGER)) AS n FROM ${q(objectName)}`).get() as { n: number | null };
      n = row.n ?? start;
    }
    n += 1;
    this.autoNumbers.set(key, n);
    return String(n).padStart(width, '0');
  }
}

const STAGE_PROBABILITY: Record<string, number> = {
  Prospecting: 10,
  Qualification: 10,
  'Needs Analysis': 20,
  'Value Proposition': 50,
  'Id. Decision Makers': 60,
  'Perception Analysis': 70,
  'Proposal/Price Quote': 75,
  'Negotiation/Review': 90,
  'Closed Won': 100,
  'Closed Lost': 0,
};
