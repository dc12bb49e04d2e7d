/**
 * `GET /query?q=…&columns=true`: the column metadata of a query instead of its rows (the Developer
 * Console's query-columns mode). `sf data query` calls it after every query with results to lay out
 * its table, so it must answer in this shape:
 *
 *   {columnMetadata: [{aggregate, apexType, booleanType, columnName, custom, displayName,
 *     foreignKeyName, insertable, joinColumns, numberType, textType, updatable}],
 *    entityName, groupBy, idSelected, keyPrefix}
 *
 * Parent relationships are columns whose joinColumns are the parent's fields; child subqueries are
 * `aggregate: true` columns whose joinColumns are the child's fields; aggregate expressions are
 * `aggregate: true` columns named by alias (`expr0`…) with the expression as displayName.
 * The shape comes from plugin-data's reader and Developer Console captures (values UNCONFIRMED).
 */
import type { OrgContext } from '../org/context.ts';
import type { FieldDef } from '../schema/types.ts';
import type { CompileOptions } from './compiler.ts';
import { planFor } from './engine.ts';
import type { LevelPlan, ShapeNode } from './plan.ts';
import { typeClass } from './values.ts';

export interface ColumnMetadata {
  aggregate: boolean;
  apexType: string | null;
  booleanType: boolean;
  columnName: string;
  custom: boolean;
  displayName: string;
  foreignKeyName: string | null;
  insertable: boolean;
  joinColumns: ColumnMetadata[];
  numberType: boolean;
  textType: boolean;
  updatable: boolean;
}

export interface QueryColumns {
  columnMetadata: ColumnMetadata[];
  entityName: string;
  groupBy: boolean;
  idSelected: boolean;
  keyPrefix: string | null;
}

function apexType(fd: FieldDef | undefined): string | null {
  if (!fd) return null;
  switch (typeClass(fd.type)) {
    case 'id':
      return 'Id';
    case 'boolean':
      return 'Boolean';
    case 'int':
      return 'Integer';
    case 'double':
      return fd.type === 'currency' ? 'Decimal' : 'Double';
    case 'date':
      return 'Date';
    case 'datetime':
      return 'Datetime';
    case 'time':
      return 'Time';
    default:
      return 'String';
  }
}

function column(name: string, displayName: string, fd: FieldDef | undefined, aggregate: boolean, joinColumns: ColumnMetadata[] = []): ColumnMetadata {
  const cls = fd ? typeClass(fd.type) : undefined;
  return {
    aggregate,
    apexType: apexType(fd),
    booleanType: cls === 'boolean',
    columnName: name,
    custom: fd?.custom ?? false,
    displayName,
    foreignKeyName: null,
    insertable: Boolean(fd?.createable) && !aggregate,
    joinColumns,
    numberType: cls === 'int' || cls === 'double',
    textType: cls === 'string',
    updatable: Boolean(fd?.updateable) && !aggregate,
  };
}

function columns(nodes: ShapeNode[], plan: LevelPlan, prefix: string): ColumnMetadata[] {
  return nodes.map((n) => {
    switch (n.k) {
      case 'field':
        return column(n.key, prefix + n.key, n.fd, false);
      case 'parent':
        return column(n.key, prefix + n.key, undefined, false, columns(n.nodes, plan, `${prefix}${n.key}.`));
      case 'child': {
        const child = plan.children[n.index]!.plan;
        return column(n.key, prefix + n.key, undefined, true, columns(child.nodes, child, ''));
      }
      case 'agg':
        return column(n.key, n.label, typeof n.conv === 'object' ? n.conv : undefined, true);
    }
  });
}

/** The column metadata of a query, compiled with the same security as running it. */
export function queryColumns(org: OrgContext, soql: string, options: CompileOptions): QueryColumns {
  const { plan } = planFor(org, soql, options);
  const root = plan.root;
  return {
    columnMetadata: root.countOnly ? [] : columns(root.nodes, root, ''),
    entityName: plan.entityName,
    groupBy: root.aggregate,
    idSelected: root.nodes.some((n) => n.k === 'field' && n.fd.name === 'Id'),
    keyPrefix: root.aggregate ? null : root.object.keyPrefix,
  };
}
