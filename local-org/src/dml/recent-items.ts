/**
 * Each user's recently used records (the MRU list behind `recentItems` of
 * `GET /sobjects/{Obj}` and the `listRecentSobjectRecords` tool): records the user created,
 * updated or retrieved, newest first. Kept in `_recent_items`; readers re-check sharing.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../storage/database.ts';

/** Entries kept per user and object (older ones are trimmed when the list is read). */
const KEEP = 50;

interface Statements {
  touch: Statement;
  list: Statement;
  trim: Statement;
}

const statements = new WeakMap<Db, Statements>();

/**
 * Creates the table and caches the statements. Called at start-up (registerSobjects); when first
 * called inside a transaction the statements are not cached, since a rollback would drop the table.
 */
export function ensureRecentItems(db: Db): void {
  prepared(db);
}

function prepared(db: Db): Statements {
  let s = statements.get(db);
  if (!s) {
    db.exec(`CREATE TABLE IF NOT EXISTS _recent_items (
      user_id TEXT NOT NULL,
      object TEXT NOT NULL,
      record_id TEXT NOT NULL,
      used_at TEXT NOT NULL,
      PRIMARY KEY (user_id, record_id)
    );
    CREATE INDEX IF NOT EXISTS ix_recent_items_user ON _recent_items (user_id, object, used_at);`);
    s = {
      touch: db.prepare(
        // REPLACE gives the row a new rowid: the tie-breaker when two uses share a millisecond.
        `INSERT OR REPLACE INTO _recent_items (user_id, object, record_id, used_at) VALUES (?, ?, ?, ?)`,
      ),
      list: db.prepare(`SELECT record_id FROM _recent_items WHERE user_id = ? AND object = ? ORDER BY used_at DESC, rowid DESC LIMIT ?`),
      trim: db.prepare(
        `DELETE FROM _recent_items WHERE user_id = ? AND object = ? AND record_id NOT IN (
           SELECT record_id FROM _recent_items WHERE user_id = ? AND object = ? ORDER BY used_at DESC, rowid DESC LIMIT ${KEEP})`,
      ),
    };
    if (!db.inTransaction) statements.set(db, s);
  }
  return s;
}

/** Marks a record as just used by the user (`objectName` as the schema spells it). */
export function touchRecentItem(db: Db, userId: string, objectName: string, recordId: string): void {
  prepared(db).touch.run(userId, objectName, recordId, new Date().toISOString());
}

/** Record Ids the user used most recently on one object, newest first. */
export function recentItemIds(db: Db, userId: string, objectName: string, limit = KEEP): string[] {
  const s = prepared(db);
  s.trim.run(userId, objectName, userId, objectName);
  const rows = s.list.all(userId, objectName, Math.min(limit, KEEP)) as { record_id: string }[];
  return rows.map((r) => r.record_id);
}
