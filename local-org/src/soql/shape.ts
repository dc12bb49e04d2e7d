/**
 * Raw SQLite rows → REST records, as the platform renders query results: `attributes` first, fields
 * in the order selected, parent relationships as nested records (null when empty or not visible),
 * child relationships as `{totalSize, done, records}` (null when empty), values through `toApi`,
 * base64 fields as the relative URL of their blob.
 */
import type { StoredValue } from '../storage/record-store.ts';
import { toApi } from '../storage/record-store.ts';
import type { LevelPlan, ShapeNode } from './plan.ts';

export type Row = unknown[];
export type SObjectRecord = Record<string, unknown>;

export interface ChildResult {
  totalSize: number;
  done: true;
  records: SObjectRecord[];
}

export class Shaper {
  readonly sobjectsPath: string;

  constructor(apiVersion: string) {
    this.sobjectsPath = `/services/data/v${apiVersion}/sobjects`;
  }

  record(plan: LevelPlan, row: Row, children?: (ChildResult | null)[]): SObjectRecord {
    if (plan.aggregate) {
      const rec: SObjectRecord = { attributes: { type: 'AggregateResult' } };
      for (const n of plan.nodes) {
        if (n.k !== 'agg') continue;
        const v = row[n.col] as StoredValue;
        if (n.conv === 'int' || n.conv === 'number') rec[n.key] = v === null || v === undefined ? null : Number(v);
        else rec[n.key] = v === null || v === undefined ? null : toApi(n.conv, v);
      }
      return rec;
    }
    const id = row[plan.idCol] as string;
    const rec: SObjectRecord = { attributes: { type: plan.object.name, url: `${this.sobjectsPath}/${plan.object.name}/${id}` } };
    this.fill(rec, plan.nodes, row, children);
    return rec;
  }

  private fill(rec: SObjectRecord, nodes: ShapeNode[], row: Row, children: (ChildResult | null)[] | undefined): void {
    for (const n of nodes) {
      switch (n.k) {
        case 'field': {
          if (n.blob) {
            const id = row[n.blob.idCol];
            rec[n.key] = id ? `${this.sobjectsPath}/${n.blob.object}/${String(id)}/${n.fd.name}` : null;
          } else rec[n.key] = toApi(n.fd, (row[n.col] ?? null) as StoredValue);
          break;
        }
        case 'parent': {
          const id = row[n.idCol];
          if (id === null || id === undefined) {
            rec[n.key] = null;
            break;
          }
          const type = n.typeName ?? String(row[n.typeCol!]);
          const nested: SObjectRecord = { attributes: { type, url: `${this.sobjectsPath}/${type}/${String(id)}` } };
          this.fill(nested, n.nodes, row, undefined);
          rec[n.key] = nested;
          break;
        }
        case 'child':
          rec[n.key] = children?.[n.index] ?? null;
          break;
        case 'agg':
          break;
      }
    }
  }
}
