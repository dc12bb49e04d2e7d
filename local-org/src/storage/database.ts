/**
 * The org's SQLite database. One file per org (`<dataDir>/org.sqlite`), WAL journal so a reader
 * never blocks the writer; `synchronous = NORMAL` is durable across a process kill (the OS holds
 * the WAL), which is the guarantee the local org promises (`kill -9` loses no committed write).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

export function openDatabase(dataDir: string): Db {
  let db: Db;
  if (dataDir === ':memory:') {
    db = new Database(':memory:');
  } else {
    mkdirSync(dataDir, { recursive: true });
    db = new Database(join(dataDir, 'org.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = OFF');
  db.pragma('busy_timeout = 5000');
  // A Salesforce-style case-insensitive LIKE is SQLite's default for ASCII; keep it explicit.
  db.pragma('case_sensitive_like = OFF');
  db.exec(`
    CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `);
  return db;
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM _meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO _meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

/** Quotes an identifier for SQL (object and field API names are table and column names). */
export function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
