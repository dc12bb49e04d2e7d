/**
 * getObjectSchema: without arguments, the objects the caller can query (name, label); with object
 * names, their fields and relationships as the caller's describe shows them (fields the caller
 * cannot read are absent — the org leaves them out).
 */
import { z } from 'zod';
import { API_NAME, assertApiName } from '../../org/client.ts';
import { ToolInputError } from '../../org/errors.ts';
import type { FieldDescribe, SObjectDescribe } from '../../org/schema-cache.ts';
import { READ_ONLY, type ToolSpec } from '../types.ts';
import { nameList } from './common.ts';

const MAX_OBJECTS = 10;

const fieldOut = z
  .object({
    name: z.string(),
    label: z.string(),
    type: z.string(),
    required: z.boolean(),
    createable: z.boolean(),
    updateable: z.boolean(),
  })
  .passthrough();

const output = z
  .object({
    objects: z.array(
      z
        .object({
          name: z.string(),
          label: z.string(),
          fields: z.array(fieldOut).optional(),
        })
        .passthrough(),
    ),
  })
  .passthrough();

export const getObjectSchema: ToolSpec = {
  name: 'getObjectSchema',
  title: 'Get Object Schema',
  description:
    'Without arguments: lists the objects you can query (API name and label). With object-name (one name, a comma-separated list or an array, at most 10): returns each object\'s fields (API name, label, type, required, createable/updateable, picklist values, lookup targets) and child relationships, exactly as your permissions let you see them. Call this before writing SOQL or record bodies.',
  inputSchema: z
    .object({
      'object-name': z
        .union([z.string().min(1), z.array(z.string().regex(API_NAME)).min(1).max(MAX_OBJECTS)])
        .optional()
        .describe('Object API name(s), e.g. "Account" or ["Account","Case"]. Omit to list all queryable objects.'),
    })
    .strict(),
  outputSchema: output,
  annotations: { title: 'Get Object Schema', ...READ_ONLY },
  async run(args, { schema }) {
    const names = nameList(args['object-name'] as string | string[] | undefined);
    if (!names.length) {
      const all = await schema.describeGlobal();
      return {
        objects: all
          .filter((o) => o.queryable !== false)
          .map((o) => ({ name: o.name, label: o.label, custom: o.custom ?? o.name.endsWith('__c') }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    }
    if (names.length > MAX_OBJECTS) throw new ToolInputError(`Ask for at most ${MAX_OBJECTS} objects at a time.`);
    for (const n of names) assertApiName('object-name', n);
    const described = await Promise.all(names.map((n) => schema.describe(n)));
    return { objects: described.map(summarise) };
  },
};

function summarise(d: SObjectDescribe): Record<string, unknown> {
  return {
    name: d.name,
    label: d.label,
    labelPlural: d.labelPlural ?? null,
    keyPrefix: d.keyPrefix ?? null,
    custom: d.custom ?? d.name.endsWith('__c'),
    createable: d.createable ?? false,
    updateable: d.updateable ?? false,
    deletable: d.deletable ?? false,
    fields: d.fields.map(field),
    childRelationships: (d.childRelationships ?? [])
      .filter((r) => r.relationshipName)
      .map((r) => ({ relationshipName: r.relationshipName, childSObject: r.childSObject, field: r.field })),
  };
}

function field(f: FieldDescribe): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: f.name,
    label: f.label,
    type: f.type,
    required: f.createable === true && f.nillable === false && f.defaultedOnCreate !== true,
    createable: f.createable ?? false,
    updateable: f.updateable ?? false,
  };
  if (f.length) out.length = f.length;
  if (f.picklistValues?.length) out.picklistValues = f.picklistValues.filter((p) => p.active !== false).map((p) => p.value);
  if (f.referenceTo?.length) {
    out.referenceTo = f.referenceTo;
    if (f.relationshipName) out.relationshipName = f.relationshipName;
  }
  if (f.nameField) out.nameField = true;
  if (f.calculated) out.calculated = true;
  if (f.inlineHelpText) out.helpText = f.inlineHelpText;
  return out;
}
