/**
 * CustomObject and CustomField metadata → the org's object model.
 */
import { field as f, systemFields } from '../schema/field-builders.ts';
import type { OrgSchema } from '../schema/registry.ts';
import type { FieldDef, ObjectDef, SharingModel } from '../schema/types.ts';
import { bool, list, num, parseMetadataXml, text, type XmlNode } from './xml.ts';

const SHARING_MODELS: SharingModel[] = ['Private', 'Read', 'ReadWrite', 'ControlledByParent', 'FullAccess', 'ReadSelect'];

export class MetadataError extends Error {
  constructor(
    readonly problem: string,
    readonly line = 0,
    readonly column = 0,
  ) {
    super(problem);
  }
}

export interface ParsedObject {
  name: string;
  label?: string;
  pluralLabel?: string;
  sharingModel?: SharingModel;
  nameField?: { label: string; type: 'Text' | 'AutoNumber' };
  description?: string;
}

export function parseCustomObject(name: string, xml: string): ParsedObject {
  const { body } = parseMetadataXml(xml, 'CustomObject');
  const sharing = text(body.sharingModel);
  if (sharing && !SHARING_MODELS.includes(sharing as SharingModel)) {
    throw new MetadataError(`Invalid sharingModel '${sharing}' for ${name}`);
  }
  const nf = body.nameField as XmlNode | undefined;
  return {
    name,
    label: text(body.label),
    pluralLabel: text(body.pluralLabel),
    sharingModel: sharing as SharingModel | undefined,
    nameField: nf ? { label: text(nf.label) ?? 'Name', type: text(nf.type) === 'AutoNumber' ? 'AutoNumber' : 'Text' } : undefined,
    description: text(body.description),
  };
}

/** Parses a CustomField file into a field definition. `objectName` is the owning object. */
export function parseCustomField(objectName: string, xml: string): FieldDef & { childRelationshipName?: string } {
  const { body } = parseMetadataXml(xml, 'CustomField');
  const name = text(body.fullName);
  if (!name) throw new MetadataError(`CustomField on ${objectName} has no fullName`);
  if (!/^[A-Za-z][A-Za-z0-9_]*__c$/.test(name)) throw new MetadataError(`Invalid custom field name ${name}`);
  const label = text(body.label) ?? name;
  const mdType = text(body.type);
  const required = bool(body.required);
  const common: Partial<FieldDef> = {
    nillable: !required,
    description: text(body.description),
    inlineHelpText: text(body.inlineHelpText),
    externalId: bool(body.externalId),
    unique: bool(body.unique),
  };
  const formula = text(body.formula);
  let def: FieldDef & { childRelationshipName?: string };
  switch (mdType) {
    case 'Text':
      def = f.text(name, label, num(body.length) ?? 255, common);
      break;
    case 'TextArea':
      def = f.textarea(name, label, 255, common);
      break;
    case 'LongTextArea':
    case 'Html':
      def = f.textarea(name, label, num(body.length) ?? 32768, common);
      break;
    case 'Email':
      def = f.email(name, label, common);
      break;
    case 'Phone':
      def = f.phone(name, label, common);
      break;
    case 'Url':
      def = f.url(name, label, common);
      break;
    case 'Checkbox':
      def = f.bool(name, label, { ...common, defaultValue: text(body.defaultValue) === 'true' });
      break;
    case 'Number': {
      const scale = num(body.scale) ?? 0;
      def = { ...f.double(name, label, num(body.precision) ?? 18, scale, common) };
      break;
    }
    case 'Currency':
      def = f.currency(name, label, num(body.precision) ?? 18, num(body.scale) ?? 2, common);
      break;
    case 'Percent':
      def = f.percent(name, label, num(body.precision) ?? 3, num(body.scale) ?? 0, common);
      break;
    case 'Date':
      def = f.date(name, label, common);
      break;
    case 'DateTime':
      def = f.datetime(name, label, common);
      break;
    case 'Picklist':
    case 'MultiselectPicklist': {
      const vs = body.valueSet as XmlNode | undefined;
      const vsd = vs?.valueSetDefinition as XmlNode | undefined;
      const values = list<XmlNode>(vsd?.value);
      if (values.length === 0) throw new MetadataError(`Picklist ${objectName}.${name} has no values`);
      def = {
        ...f.picklist(name, label, values.map((v) => text(v.fullName) ?? ''), common),
        type: mdType === 'Picklist' ? 'picklist' : 'multipicklist',
        restrictedPicklist: bool(vs?.restricted),
      };
      def.picklistValues = values.map((v) => ({
        value: text(v.fullName) ?? '',
        label: text(v.label) ?? text(v.fullName) ?? '',
        active: true,
        defaultValue: bool(v.default),
      }));
      break;
    }
    case 'Lookup':
    case 'MasterDetail': {
      const target = text(body.referenceTo);
      if (!target) throw new MetadataError(`Lookup ${objectName}.${name} has no referenceTo`);
      const rel = name.replace(/__c$/, '__r');
      def = {
        ...f.lookup(name, label, [target], rel, common),
        cascadeDelete: mdType === 'MasterDetail',
        nillable: mdType === 'MasterDetail' ? false : common.nillable ?? true,
        childRelationshipName: text(body.relationshipName),
      };
      break;
    }
    case 'AutoNumber':
      def = f.readonly(f.text(name, label, 30, common));
      break;
    default:
      throw new MetadataError(`Unsupported field type '${mdType ?? ''}' for ${objectName}.${name}`);
  }
  if (formula) {
    def = { ...def, calculated: true, calculatedFormula: formula, createable: false, updateable: false, nillable: true };
  }
  return { ...def, custom: true, permissionable: !(def.nillable === false && !def.calculated) };
}

/** Applies an object and its fields to the schema (creating the custom object when new). */
export function applyObject(schema: OrgSchema, parsed: ParsedObject, fields: FieldDef[]): ObjectDef {
  let o = schema.get(parsed.name);
  if (!o) {
    if (!parsed.name.endsWith('__c')) throw new MetadataError(`Cannot create standard object ${parsed.name}`);
    const { head, tail } = systemFields({ owner: parsed.sharingModel !== 'ControlledByParent' });
    const nameField: FieldDef =
      parsed.nameField?.type === 'AutoNumber'
        ? { ...f.readonly(f.name(parsed.nameField.label, 80)), nillable: false }
        : f.name(parsed.nameField?.label ?? `${parsed.label ?? parsed.name} Name`, 80);
    o = {
      name: parsed.name,
      label: parsed.label ?? parsed.name,
      labelPlural: parsed.pluralLabel ?? `${parsed.label ?? parsed.name}s`,
      keyPrefix: schema.nextCustomKeyPrefix(),
      custom: true,
      fields: [...head, nameField, ...tail],
      sharingModel: parsed.sharingModel ?? 'ReadWrite',
      hasOwner: parsed.sharingModel !== 'ControlledByParent',
      queryable: true,
      createable: true,
      updateable: true,
      deletable: true,
      searchable: true,
      description: parsed.description,
    };
    schema.putObject(o);
  } else if (parsed.sharingModel) {
    schema.setSharingModel(o.name, parsed.sharingModel);
  }
  for (const fd of fields) schema.putField(o.name, fd);
  if (o.sharingModel === 'ControlledByParent' && !o.sharingParentField) {
    const md = o.fields.find((x) => x.cascadeDelete);
    if (md) o.sharingParentField = md.name;
  }
  return o;
}
