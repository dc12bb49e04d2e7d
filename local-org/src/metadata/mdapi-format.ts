/**
 * Metadata API format ↔ the org's components.
 *
 * A deploy zip holds `package.xml` and one file per component in Metadata API format
 * (`classes/X.cls` + `classes/X.cls-meta.xml`, `objects/Account.object` with the object's fields
 * inside, `flows/X.flow`, …). `readDeployPackage` turns it into the same `SourceComponent`s the
 * project's source tree yields (a CustomObject file becomes the object plus one CustomField per
 * `<fields>` element), together with the problems found on the way (unknown types, missing files,
 * malformed XML). `buildRetrievePackage` does the reverse for a retrieve.
 */
import { XMLValidator } from 'fast-xml-parser';
import { componentFile, mdapiType, mdapiTypes, typeForFile, type MdapiType } from './mdapi-types.ts';
import type { SourceComponent } from './source-tree.ts';
import { list, parseMetadataXml, text, type XmlNode } from './xml.ts';
import { buildDocument, escapeXml, METADATA_NS, splitChildren, wrapElement, XML_DECLARATION } from './xml-raw.ts';

/** A problem with one component, in the terms of the Metadata API's DeployMessage. */
export interface ComponentProblem {
  componentType: string;
  fullName: string;
  fileName: string;
  problem: string;
  problemType: 'Error' | 'Warning';
  lineNumber?: number;
  columnNumber?: number;
}

export interface PackageManifest {
  types: { name: string; members: string[] }[];
  version?: string;
}

export interface DeployPackage {
  /** Directory of package.xml inside the zip ('' or e.g. `unpackaged/`). */
  root: string;
  manifest: PackageManifest;
  components: (SourceComponent & { fileName: string })[];
  /** Components named by destructiveChanges*.xml. */
  deletions: { type: string; fullName: string }[];
  problems: ComponentProblem[];
}

/** Parses a package.xml (or destructiveChanges.xml). Throws on malformed XML. */
export function parsePackageXml(xml: string): PackageManifest {
  const { body } = parseMetadataXml(xml, 'Package');
  return {
    types: list<XmlNode>(body.types).map((t) => ({
      name: text(t.name) ?? '',
      members: list<unknown>(t.members).map((m) => text(m) ?? '').filter((m) => m !== ''),
    })),
    version: text(body.version),
  };
}

export function buildPackageXml(manifest: PackageManifest): string {
  const types = [...manifest.types]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (t) =>
        `    <types>\n${[...t.members]
          .sort((a, b) => a.localeCompare(b))
          .map((m) => `        <members>${escapeXml(m)}</members>\n`)
          .join('')}        <name>${escapeXml(t.name)}</name>\n    </types>\n`,
    )
    .join('');
  const version = manifest.version ? `    <version>${escapeXml(manifest.version)}</version>\n` : '';
  return `${XML_DECLARATION}\n<Package xmlns="${METADATA_NS}">\n${types}${version}</Package>\n`;
}

/** Problem for malformed XML, with the parser's line and column; undefined when well-formed. */
export function xmlProblem(xml: string): { problem: string; line: number; column: number } | undefined {
  const result = XMLValidator.validate(xml);
  if (result === true) return undefined;
  return { problem: `Error parsing file: ${result.err.msg}`, line: result.err.line, column: result.err.col };
}

/**
 * Reads a deploy zip's entries (path → content) into components. Every problem is collected;
 * the caller decides (a deploy with any problem fails as a whole).
 */
export function readDeployPackage(entries: Map<string, string>): DeployPackage {
  const problems: ComponentProblem[] = [];
  const root = findRoot(entries);
  const pkgFile = `${root}package.xml`;
  const packageXml = entries.get(pkgFile);
  const result: DeployPackage = { root, manifest: { types: [] }, components: [], deletions: [], problems };
  if (packageXml === undefined) {
    problems.push(pkgProblem('package.xml', 'No package.xml found'));
    return result;
  }
  const bad = xmlProblem(packageXml);
  if (bad) {
    problems.push({ ...pkgProblem('package.xml', bad.problem), lineNumber: bad.line, columnNumber: bad.column });
    return result;
  }
  result.manifest = parsePackageXml(packageXml);

  // Files in the package, relative to its root.
  const files = new Map<string, string>();
  for (const [path, content] of entries) if (path.startsWith(root)) files.set(path.slice(root.length), content);

  // Each object file is read once, whether its object, its fields or both are deployed.
  const objectFiles = new Map<string, { objectXml: string; fields: Map<string, string> } | null>();
  const readObjectFile = (objectName: string): { objectXml: string; fields: Map<string, string> } | null => {
    if (objectFiles.has(objectName)) return objectFiles.get(objectName)!;
    const path = `objects/${objectName}.object`;
    const xml = files.get(path);
    let parsed: { objectXml: string; fields: Map<string, string> } | null = null;
    if (xml !== undefined) {
      const bad = xmlProblem(xml);
      if (bad) {
        problems.push({ componentType: 'CustomObject', fullName: objectName, fileName: path, problem: bad.problem, problemType: 'Error', lineNumber: bad.line, columnNumber: bad.column });
      } else {
        parsed = splitObjectFile(xml);
      }
    }
    objectFiles.set(objectName, parsed);
    return parsed;
  };

  const seen = new Set<string>();
  const add = (c: SourceComponent & { fileName: string }): void => {
    const key = `${c.type}#${c.fullName}`;
    if (seen.has(key)) return;
    seen.add(key);
    result.components.push(c);
  };

  for (const entry of result.manifest.types) {
    const type = mdapiType(entry.name);
    if (!type) {
      for (const member of entry.members.length ? entry.members : ['*']) {
        problems.push({ componentType: entry.name, fullName: member, fileName: 'package.xml', problem: `Unknown type name '${entry.name}' specified in package.xml`, problemType: 'Error' });
      }
      continue;
    }
    const members = entry.members.includes('*') ? [...new Set([...wildcardMembers(type, files), ...entry.members.filter((m) => m !== '*')])] : entry.members;
    for (const member of members) {
      const fileName = `${root}${componentFile(type, member)}`;
      const missing = (): void => {
        problems.push({
          componentType: type.name,
          fullName: member,
          fileName: `${root}package.xml`,
          problem: `An object '${member}' of type ${type.name} was named in package.xml, but was not found in zipped directory`,
          problemType: 'Error',
        });
      };
      if (type.name === 'CustomObject') {
        const obj = readObjectFile(member);
        if (obj === null) {
          if (!files.has(`objects/${member}.object`)) missing();
          continue;
        }
        add({ type: 'CustomObject', fullName: member, path: fileName, fileName, xml: obj.objectXml });
        for (const [field, xml] of obj.fields) add({ type: 'CustomField', fullName: `${member}.${field}`, path: fileName, fileName, xml });
        continue;
      }
      if (type.name === 'CustomField') {
        const [objectName, fieldName] = splitFieldName(member);
        const obj = objectName ? readObjectFile(objectName) : null;
        if (obj === null) {
          if (!objectName || !files.has(`objects/${objectName}.object`)) missing();
          continue;
        }
        const xml = [...obj.fields].find(([n]) => n.toLowerCase() === fieldName!.toLowerCase())?.[1];
        if (xml === undefined) missing();
        else add({ type: 'CustomField', fullName: `${objectName}.${fieldName}`, path: fileName, fileName, xml });
        continue;
      }
      const path = componentFile(type, member);
      if (type.metaFile) {
        const body = files.get(path);
        const meta = files.get(`${path}-meta.xml`);
        if (body === undefined) {
          missing();
          continue;
        }
        if (meta === undefined) {
          problems.push({ componentType: type.name, fullName: member, fileName, problem: `Missing metadata file ${path}-meta.xml for ${type.name} ${member}`, problemType: 'Error' });
          continue;
        }
        const bad = xmlProblem(meta);
        if (bad) {
          problems.push({ componentType: type.name, fullName: member, fileName: `${fileName}-meta.xml`, problem: bad.problem, problemType: 'Error', lineNumber: bad.line, columnNumber: bad.column });
          continue;
        }
        add({ type: type.name, fullName: member, path: fileName, fileName, xml: meta, body });
        continue;
      }
      const xml = files.get(path);
      if (xml === undefined) {
        missing();
        continue;
      }
      const bad = xmlProblem(xml);
      if (bad) {
        problems.push({ componentType: type.name, fullName: member, fileName, problem: bad.problem, problemType: 'Error', lineNumber: bad.line, columnNumber: bad.column });
        continue;
      }
      add({ type: type.name, fullName: member, path: fileName, fileName, xml });
    }
  }

  for (const name of ['destructiveChangesPre.xml', 'destructiveChanges.xml', 'destructiveChangesPost.xml']) {
    const xml = files.get(name);
    if (xml === undefined) continue;
    const bad = xmlProblem(xml);
    if (bad) {
      problems.push({ ...pkgProblem(name, bad.problem), lineNumber: bad.line, columnNumber: bad.column });
      continue;
    }
    for (const t of parsePackageXml(xml).types) {
      for (const m of t.members) {
        if (!mdapiType(t.name)) problems.push({ componentType: t.name, fullName: m, fileName: `${root}${name}`, problem: `Unknown type name '${t.name}' specified in ${name}`, problemType: 'Error' });
        else result.deletions.push({ type: t.name, fullName: m });
      }
    }
  }
  return result;
}

function pkgProblem(fileName: string, problem: string): ComponentProblem {
  return { componentType: '', fullName: fileName, fileName, problem, problemType: 'Error' };
}

/** The directory holding package.xml: the zip root, or one top-level folder (`unpackaged/`, `zip/`). */
function findRoot(entries: Map<string, string>): string {
  if (entries.has('package.xml')) return '';
  const candidates = [...entries.keys()].filter((p) => /^[^/]+\/package\.xml$/.test(p)).sort();
  return candidates.length ? candidates[0]!.slice(0, -'package.xml'.length) : '';
}

function splitFieldName(member: string): [string | undefined, string | undefined] {
  const i = member.indexOf('.');
  return i > 0 ? [member.slice(0, i), member.slice(i + 1)] : [undefined, undefined];
}

/** Member names a `*` stands for: every file of the type in the package. */
function wildcardMembers(type: MdapiType, files: Map<string, string>): string[] {
  const fileType = type.parent ? mdapiType(type.parent)! : type;
  const prefix = `${fileType.directory}/`;
  const suffix = `.${fileType.suffix}`;
  const names = [...files.keys()]
    .filter((p) => p.startsWith(prefix) && p.endsWith(suffix) && !p.slice(prefix.length).includes('/'))
    .map((p) => p.slice(prefix.length, -suffix.length));
  if (!type.parent) return names;
  // CustomField:* — every field of every object file.
  const members: string[] = [];
  for (const objectName of names) {
    const xml = files.get(`${prefix}${objectName}${suffix}`)!;
    if (xmlProblem(xml)) continue;
    for (const field of splitObjectFile(xml).fields.keys()) members.push(`${objectName}.${field}`);
  }
  return members;
}

/** `objects/X.object` → the object's own XML (without fields) and one CustomField document per field. */
export function splitObjectFile(xml: string): { objectXml: string; fields: Map<string, string> } {
  const doc = splitChildren(xml);
  const fields = new Map<string, string>();
  const rest: string[] = [];
  for (const child of doc.children) {
    if (child.name !== 'fields') {
      rest.push(child.raw);
      continue;
    }
    const name = /<fullName>\s*([^<]*?)\s*<\/fullName>/.exec(child.inner)?.[1] ?? '';
    fields.set(name, buildDocument('CustomField', splitChildren(`<fields>${child.inner}</fields>`).children.map((c) => c.raw)));
  }
  return { objectXml: buildDocument('CustomObject', rest), fields };
}

/** The object file of a retrieve: the object's own XML (if any) plus the given CustomField documents. */
export function joinObjectFile(objectXml: string | undefined, fieldXmls: string[]): string {
  const own = objectXml ? splitChildren(objectXml).children.filter((c) => c.name !== 'fields') : [];
  const fields = fieldXmls.map((x) => ({ name: 'fields', raw: wrapElement('fields', splitChildren(x).children.map((c) => c.raw)) }));
  const children = [...own, ...fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return buildDocument('CustomObject', children.map((c) => c.raw));
}

export interface RetrieveFile {
  path: string;
  content: string;
  type: string;
  fullName: string;
}

/**
 * The files of a retrieve for the requested components (already resolved against the org):
 * Metadata API layout, relative to the package root.
 */
export function buildRetrieveFiles(components: SourceComponent[], objectXml: (objectName: string) => string | undefined): RetrieveFile[] {
  const files: RetrieveFile[] = [];
  const objects = new Map<string, { object?: SourceComponent; fields: SourceComponent[] }>();
  for (const c of components) {
    if (c.type === 'CustomObject' || c.type === 'CustomField') {
      const objectName = c.type === 'CustomObject' ? c.fullName : c.fullName.split('.')[0]!;
      const e = objects.get(objectName) ?? { fields: [] };
      if (c.type === 'CustomObject') e.object = c;
      else e.fields.push(c);
      objects.set(objectName, e);
      continue;
    }
    const type = mdapiType(c.type);
    if (!type) continue;
    const path = componentFile(type, c.fullName);
    if (type.metaFile) {
      files.push({ path, content: c.body ?? '', type: c.type, fullName: c.fullName });
      files.push({ path: `${path}-meta.xml`, content: c.xml, type: c.type, fullName: c.fullName });
    } else {
      files.push({ path, content: c.xml, type: c.type, fullName: c.fullName });
    }
  }
  for (const [objectName, e] of [...objects].sort(([a], [b]) => a.localeCompare(b))) {
    const content = joinObjectFile(e.object?.xml ?? (e.object ? objectXml(objectName) : undefined), e.fields.map((f) => f.xml));
    files.push({ path: `objects/${objectName}.object`, content, type: e.object ? 'CustomObject' : 'CustomField', fullName: objectName });
  }
  return files;
}

/** Type names a package.xml may use with this org (for describeMetadata). */
export function supportedTypeNames(): string[] {
  return mdapiTypes().map((t) => t.name);
}

export { typeForFile };
