/**
 * Flow versions, as the platform keeps them: a FlowDefinition per flow API name (label,
 * description, active version, latest version) and one Flow version per deployed change.
 *
 * - Deploying a flow whose XML differs from its latest version creates version n+1; deploying the
 *   same XML again (every start-up re-applies force-app) creates nothing.
 * - A new version deployed with `<status>Active</status>` becomes the active version (the previous
 *   active one becomes Obsolete); one deployed as Draft leaves the active version alone.
 * - The Setup UI (a later issue) activates/deactivates versions and edits the label and
 *   description through `activateFlowVersion` / `updateFlowDefinition`.
 *
 * Only the active version runs (for every user, admins included; see the report on the
 * platform's "Manage Flow runs the latest version" rule, which the local org does not model).
 */
import { newId } from '../ids.ts';
import type { Db } from '../storage/database.ts';
import { parseMetadataXml, text } from '../metadata/xml.ts';

export interface FlowDefinitionRecord {
  /** FlowDefinition Id (`300…`). */
  id: string;
  developerName: string;
  label: string;
  description: string | null;
  activeVersion: number | null;
  latestVersion: number;
  processType: string | null;
  lastModifiedDate: string;
}

export interface FlowVersionRecord {
  /** Flow (version) Id (`301…`). */
  id: string;
  developerName: string;
  versionNumber: number;
  status: 'Active' | 'Draft' | 'Obsolete';
  xml: string;
  label: string;
  description: string | null;
  processType: string | null;
  createdDate: string;
  createdById: string | null;
}

const prepared = new WeakSet<Db>();

export function ensureFlowVersionTables(db: Db): void {
  if (prepared.has(db)) return;
  db.exec(`
    CREATE TABLE IF NOT EXISTS _flow_definitions (
      developer_name TEXT PRIMARY KEY COLLATE NOCASE,
      id TEXT NOT NULL,
      label TEXT NOT NULL,
      description TEXT,
      active_version INTEGER,
      latest_version INTEGER NOT NULL,
      process_type TEXT,
      created_date TEXT NOT NULL,
      last_modified_date TEXT NOT NULL,
      last_modified_by_id TEXT
    );
    CREATE TABLE IF NOT EXISTS _flow_versions (
      developer_name TEXT NOT NULL COLLATE NOCASE,
      version_number INTEGER NOT NULL,
      id TEXT NOT NULL,
      status TEXT NOT NULL,
      xml TEXT NOT NULL,
      label TEXT NOT NULL,
      description TEXT,
      process_type TEXT,
      created_date TEXT NOT NULL,
      created_by_id TEXT,
      PRIMARY KEY (developer_name, version_number)
    );
  `);
  prepared.add(db);
}

/** The flow's content with formatting ignored (a re-serialized but unchanged flow is not a new version). */
function canonical(xml: string): string {
  try {
    return JSON.stringify(parseMetadataXml(xml, 'Flow').body);
  } catch {
    return xml;
  }
}

function header(xml: string): { label?: string; description?: string; status: string; processType?: string } {
  try {
    const { body } = parseMetadataXml(xml, 'Flow');
    return { label: text(body.label), description: text(body.description), status: text(body.status) ?? 'Draft', processType: text(body.processType) };
  } catch {
    return { status: 'Draft' };
  }
}

/**
 * Records a deployed flow (called by metadata/apply.ts for every Flow component). Returns the
 * version number the XML corresponds to (new or existing).
 */
export function recordFlowDeploy(db: Db, developerName: string, xml: string, actingUserId: string | null): number {
  ensureFlowVersionTables(db);
  const latest = db
    .prepare('SELECT version_number, xml FROM _flow_versions WHERE developer_name = ? ORDER BY version_number DESC LIMIT 1')
    .get(developerName) as { version_number: number; xml: string } | undefined;
  if (latest && (latest.xml === xml || canonical(latest.xml) === canonical(xml))) return latest.version_number;
  const h = header(xml);
  const now = new Date().toISOString();
  const version = (latest?.version_number ?? 0) + 1;
  const active = h.status === 'Active';
  const def = db.prepare('SELECT developer_name FROM _flow_definitions WHERE developer_name = ?').get(developerName) as { developer_name: string } | undefined;
  if (active) db.prepare(`UPDATE _flow_versions SET status = 'Obsolete' WHERE developer_name = ? AND status = 'Active'`).run(developerName);
  db.prepare(
    `INSERT INTO _flow_versions (developer_name, version_number, id, status, xml, label, description, process_type, created_date, created_by_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(developerName, version, newId('301'), active ? 'Active' : 'Draft', xml, h.label ?? developerName, h.description ?? null, h.processType ?? null, now, actingUserId);
  if (!def) {
    db.prepare(
      `INSERT INTO _flow_definitions (developer_name, id, label, description, active_version, latest_version, process_type, created_date, last_modified_date, last_modified_by_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(developerName, newId('300'), h.label ?? developerName, h.description ?? null, active ? version : null, version, h.processType ?? null, now, now, actingUserId);
  } else {
    db.prepare(
      `UPDATE _flow_definitions SET label = ?, description = ?, latest_version = ?, process_type = ?,
         active_version = CASE WHEN ? THEN ? ELSE active_version END, last_modified_date = ?, last_modified_by_id = ?
       WHERE developer_name = ?`,
    ).run(h.label ?? developerName, h.description ?? null, version, h.processType ?? null, active ? 1 : 0, version, now, actingUserId, developerName);
  }
  return version;
}

/**
 * Records versions for Flow components stored in `_metadata` but not yet versioned (a deploy
 * path that stored components without going through applyComponents). Cheap when in sync.
 */
export function syncFlowVersions(db: Db): void {
  ensureFlowVersionTables(db);
  const stale = db
    .prepare(
      `SELECT m.full_name AS name, m.xml AS xml, m.last_modified_by_id AS userId FROM _metadata m
       LEFT JOIN _flow_definitions d ON d.developer_name = m.full_name
       LEFT JOIN _flow_versions v ON v.developer_name = m.full_name AND v.version_number = d.latest_version
       WHERE m.type = 'Flow' AND (v.xml IS NULL OR v.xml <> m.xml)`,
    )
    .all() as { name: string; xml: string; userId: string | null }[];
  if (stale.length === 0) return;
  db.transaction(() => {
    for (const s of stale) recordFlowDeploy(db, s.name, s.xml, s.userId);
  })();
}

const definitionColumns = `d.id AS id, d.developer_name AS developerName, d.label AS label, d.description AS description,
  d.active_version AS activeVersion, d.latest_version AS latestVersion, d.process_type AS processType, d.last_modified_date AS lastModifiedDate`;

/** Flow definitions whose flow is still deployed (a deleted flow's history is kept but not listed). */
export function listFlowDefinitions(db: Db): FlowDefinitionRecord[] {
  syncFlowVersions(db);
  return db
    .prepare(`SELECT ${definitionColumns} FROM _flow_definitions d JOIN _metadata m ON m.type = 'Flow' AND m.full_name = d.developer_name ORDER BY d.developer_name`)
    .all() as FlowDefinitionRecord[];
}

export function getFlowDefinition(db: Db, developerName: string): FlowDefinitionRecord | undefined {
  syncFlowVersions(db);
  return db
    .prepare(`SELECT ${definitionColumns} FROM _flow_definitions d JOIN _metadata m ON m.type = 'Flow' AND m.full_name = d.developer_name WHERE d.developer_name = ?`)
    .get(developerName) as FlowDefinitionRecord | undefined;
}

const versionColumns = `id, developer_name AS developerName, version_number AS versionNumber, status, xml, label, description,
  process_type AS processType, created_date AS createdDate, created_by_id AS createdById`;

export function getFlowVersion(db: Db, developerName: string, versionNumber: number): FlowVersionRecord | undefined {
  ensureFlowVersionTables(db);
  return db.prepare(`SELECT ${versionColumns} FROM _flow_versions WHERE developer_name = ? AND version_number = ?`).get(developerName, versionNumber) as
    | FlowVersionRecord
    | undefined;
}

export function listFlowVersions(db: Db, developerName: string): FlowVersionRecord[] {
  ensureFlowVersionTables(db);
  return db.prepare(`SELECT ${versionColumns} FROM _flow_versions WHERE developer_name = ? ORDER BY version_number`).all(developerName) as FlowVersionRecord[];
}

/** The version that runs: the active one, or undefined when the flow is inactive or not deployed. */
export function activeFlowVersion(db: Db, developerName: string): FlowVersionRecord | undefined {
  const def = getFlowDefinition(db, developerName);
  if (!def || def.activeVersion === null) return undefined;
  return getFlowVersion(db, def.developerName, def.activeVersion);
}

/** Activates a version (null deactivates the flow), as Setup's Activate/Deactivate buttons do. */
export function activateFlowVersion(db: Db, developerName: string, versionNumber: number | null, actingUserId: string | null): void {
  ensureFlowVersionTables(db);
  db.transaction(() => {
    const def = getFlowDefinition(db, developerName);
    if (!def) throw new Error(`No flow named ${developerName}`);
    if (versionNumber !== null && !getFlowVersion(db, def.developerName, versionNumber)) throw new Error(`Flow ${developerName} has no version ${versionNumber}`);
    db.prepare(`UPDATE _flow_versions SET status = CASE WHEN version_number = ? THEN 'Active' WHEN status = 'Active' THEN 'Obsolete' ELSE status END WHERE developer_name = ?`).run(
      versionNumber ?? -1,
      def.developerName,
    );
    db.prepare(`UPDATE _flow_definitions SET active_version = ?, last_modified_date = ?, last_modified_by_id = ? WHERE developer_name = ?`).run(
      versionNumber,
      new Date().toISOString(),
      actingUserId,
      def.developerName,
    );
  })();
}

/** Edits the flow's label and/or description (Setup). */
export function updateFlowDefinition(db: Db, developerName: string, changes: { label?: string; description?: string | null }, actingUserId: string | null): void {
  ensureFlowVersionTables(db);
  const def = getFlowDefinition(db, developerName);
  if (!def) throw new Error(`No flow named ${developerName}`);
  db.prepare(`UPDATE _flow_definitions SET label = ?, description = ?, last_modified_date = ?, last_modified_by_id = ? WHERE developer_name = ?`).run(
    changes.label ?? def.label,
    changes.description === undefined ? def.description : changes.description,
    new Date().toISOString(),
    actingUserId,
    def.developerName,
  );
}
