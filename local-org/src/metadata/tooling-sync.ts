/**
 * Keeps the read-only Tooling objects (ApexClass, FlowDefinitionView, ApiNamedQuery,
 * McpServerDefinition) in step with `_metadata` after every apply: one row per deployed component,
 * with the component's Id and dates (FlowDefinitionView: one row per flow definition of
 * actions/flow-versions.ts, with its active and latest version). Also the platform's rule that
 * changing a custom MCP server's tools or prompts deactivates its McpServerAccess record
 * (platform.md §5.2).
 */
import { listFlowDefinitions, listFlowVersions } from '../actions/flow-versions.ts';
import type { OrgContext } from '../org/context.ts';
import type { FieldDef } from '../schema/types.ts';
import { q } from '../storage/database.ts';
import { toStored } from '../storage/record-store.ts';
import { stripComments } from './apex-check.ts';
import { parseMcpServerDefinition } from './mcp-servers.ts';
import { parseMetadataXml, text } from './xml.ts';

interface MetadataRow {
  type: string;
  full_name: string;
  xml: string;
  body: string | null;
  id: string;
  created_date: string;
  last_modified_date: string;
  last_modified_by_id: string | null;
}

const SYNCED: Record<string, { object: string; values: (row: MetadataRow) => Record<string, unknown> }> = {
  ApexClass: {
    object: 'ApexClass',
    values: (row) => {
      const meta = safeBody(row.xml);
      return {
        Name: row.full_name,
        Body: row.body ?? '',
        ApiVersion: Number(text(meta.apiVersion) ?? 0) || null,
        Status: text(meta.status) ?? 'Active',
        IsValid: true,
        LengthWithoutComments: stripComments(row.body ?? '').replace(/\s+/g, ' ').trim().length,
        NamespacePrefix: null,
      };
    },
  },
  ApiNamedQuery: {
    object: 'ApiNamedQuery',
    values: (row) => {
      const nq = safeBody(row.xml);
      return {
        Name: row.full_name,
        MasterLabel: text(nq.masterLabel) ?? row.full_name,
        Description: text(nq.description) ?? null,
        ApiVersion: Number(text(nq.apiVersion) ?? 0) || null,
        NamespacePrefix: null,
      };
    },
  },
  McpServerDefinition: {
    object: 'McpServerDefinition',
    values: (row) => {
      const def = safeBody(row.xml);
      return {
        DeveloperName: row.full_name,
        MasterLabel: text(def.masterLabel) ?? row.full_name,
        Description: text(def.description) ?? null,
        NamespacePrefix: null,
        Language: 'en_US',
      };
    },
  },
};

function safeBody(xml: string): Record<string, unknown> {
  try {
    return parseMetadataXml(xml).body;
  } catch {
    return {};
  }
}

/**
 * FlowDefinitionView rows: one per flow definition of actions/flow-versions.ts (the `300` definition
 * Id, its active and latest `301` version Ids, the label and description Setup may have edited).
 */
function flowDefinitionRows(org: OrgContext): Record<string, unknown>[] {
  const xmlOf = new Map((org.db.prepare("SELECT full_name, xml FROM _metadata WHERE type = 'Flow'").all() as { full_name: string; xml: string }[]).map((r) => [r.full_name.toLowerCase(), r.xml]));
  return listFlowDefinitions(org.db).map((d) => {
    const versions = listFlowVersions(org.db, d.developerName);
    const latest = versions.find((v) => v.versionNumber === d.latestVersion);
    const active = d.activeVersion === null ? undefined : versions.find((v) => v.versionNumber === d.activeVersion);
    const flow = safeBody(xmlOf.get(d.developerName.toLowerCase()) ?? '');
    const start = (flow.start ?? {}) as Record<string, unknown>;
    const created = versions[0];
    const by = created?.createdById ?? org.systemUserId;
    return {
      Id: d.id,
      CreatedDate: created?.createdDate ?? d.lastModifiedDate,
      CreatedById: by,
      LastModifiedDate: d.lastModifiedDate,
      LastModifiedById: org.systemUserId,
      SystemModstamp: d.lastModifiedDate,
      ...lastModifiedBy(org, d.developerName),
      ApiName: d.developerName,
      Label: d.label,
      Description: d.description,
      DurableId: d.id,
      ActiveVersionId: active?.id ?? null,
      LatestVersionId: latest?.id ?? null,
      ProcessType: d.processType ?? 'AutoLaunchedFlow',
      TriggerType: text(start.triggerType) ?? null,
      IsActive: Boolean(active),
      IsTemplate: text(flow.isTemplate) === 'true',
      NamespacePrefix: null,
      ApiVersion: Number(text(flow.apiVersion) ?? 0) || null,
    };
  });
}

function lastModifiedBy(org: OrgContext, developerName: string): { LastModifiedById?: string } {
  const row = org.db.prepare('SELECT last_modified_by_id AS by FROM _flow_definitions WHERE developer_name = ?').get(developerName) as { by: string | null } | undefined;
  return row?.by ? { LastModifiedById: row.by } : {};
}

/** Rewrites the Tooling rows of every synced type from `_metadata` (cheap: one row per component). */
export function syncToolingObjects(org: OrgContext): void {
  const sources: { object: string; rows: Record<string, unknown>[] }[] = Object.entries(SYNCED).map(([type, spec]) => ({
    object: spec.object,
    rows: (org.db.prepare('SELECT * FROM _metadata WHERE type = ?').all(type) as MetadataRow[]).map((row) => ({
      Id: row.id,
      CreatedDate: row.created_date,
      CreatedById: row.last_modified_by_id ?? org.systemUserId,
      LastModifiedDate: row.last_modified_date,
      LastModifiedById: row.last_modified_by_id ?? org.systemUserId,
      SystemModstamp: row.last_modified_date,
      ...spec.values(row),
    })),
  }));
  sources.push({ object: 'FlowDefinitionView', rows: flowDefinitionRows(org) });
  for (const source of sources) {
    const o = org.schema.get(source.object);
    if (!o) continue;
    const keep: string[] = [];
    for (const row of source.rows) {
      const values: Record<string, unknown> = { IsDeleted: false, ...row };
      const cols: { fd: FieldDef; value: unknown }[] = [];
      for (const [name, value] of Object.entries(values)) {
        const fd = o.fields.find((x) => x.name === name);
        if (fd) cols.push({ fd, value });
      }
      const names = cols.map((c) => q(c.fd.name));
      const existing = org.db.prepare(`SELECT CreatedDate, CreatedById FROM ${q(o.name)} WHERE Id = ?`).get(values.Id) as
        | { CreatedDate: string; CreatedById: string }
        | undefined;
      if (existing) {
        // Keep the creation audit fields of the first deploy.
        const update = cols.filter((c) => c.fd.name !== 'Id' && c.fd.name !== 'CreatedDate' && c.fd.name !== 'CreatedById');
        org.db
          .prepare(`UPDATE ${q(o.name)} SET ${update.map((c) => `${q(c.fd.name)} = ?`).join(', ')} WHERE Id = ?`)
          .run(...update.map((c) => toStored(c.fd, c.value)), values.Id);
      } else {
        org.db
          .prepare(`INSERT INTO ${q(o.name)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`)
          .run(...cols.map((c) => toStored(c.fd, c.value)));
      }
      keep.push(String(values.Id));
    }
    // Components no longer deployed: their rows disappear (as a deleted class's row does).
    org.db
      .prepare(`DELETE FROM ${q(o.name)} WHERE Id NOT IN (${keep.map(() => '?').join(',') || "''"})`)
      .run(...keep);
  }
}

/** Whether a custom server's tools or prompts differ between two versions of its definition. */
export function serverAssetsChanged(beforeXml: string, afterXml: string): boolean {
  try {
    const a = parseMcpServerDefinition('x', beforeXml);
    const b = parseMcpServerDefinition('x', afterXml);
    return JSON.stringify([a.tools, a.prompts]) !== JSON.stringify([b.tools, b.prompts]);
  } catch {
    return true;
  }
}

/** Sets `Active = false` on a custom server's access records (the platform does this when its tools change). */
export function deactivateServerAccess(org: OrgContext, serverId: string, actingUserId: string): void {
  const now = new Date().toISOString();
  org.db
    .prepare(`UPDATE McpServerAccess SET Active = 0, LastModifiedDate = ?, SystemModstamp = ?, LastModifiedById = ? WHERE McpServerId = ? AND Active = 1 AND IsDeleted = 0`)
    .run(now, now, actingUserId, serverId);
}
