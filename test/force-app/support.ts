/**
 * Shared helpers for the force-app static checks: project paths, a small XML reader that keeps
 * comments, and file listing. Everything here works offline; nothing talks to an org.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';

export const PROJECT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FORCE_APP = join(PROJECT_DIR, 'force-app');
export const DEFAULT_DIR = join(FORCE_APP, 'main', 'default');
export const MIN_API_VERSION = 65;

/** Persona usernames and names from docs/design.md. */
export const PERMISSION_SETS = {
  mcp: 'ForceGate_MCP_Access',
  read: 'ForceGate_Agent_Read',
  service: 'ForceGate_Agent_Service',
  eventLog: 'ForceGate_Event_Log_Viewer',
} as const;

/** Every file below a directory, recursively, as absolute paths (sorted). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Files of one metadata folder of force-app/main/default with a given suffix, e.g. ('flows', '.flow-meta.xml'). */
export function metadataFiles(folder: string, suffix: string): string[] {
  return listFiles(join(DEFAULT_DIR, folder)).filter((f) => f.endsWith(suffix));
}

/** API name of a source file: the file name without its suffix. */
export function apiName(file: string, suffix: string): string {
  return basename(file).slice(0, -suffix.length);
}

export function rel(file: string): string {
  return relative(PROJECT_DIR, file);
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

export type XmlNode = { [key: string]: unknown };

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: true,
  commentPropName: '#comment',
});

/**
 * Parses a metadata XML file and returns the body of its root element (for example the children of
 * `<Flow>`). Tag values stay strings; repeated elements become arrays (use {@link list}).
 */
export function readMetadata(file: string, rootElement: string): XmlNode {
  const doc = parser.parse(readText(file)) as XmlNode;
  const body = doc[rootElement];
  if (body === undefined) throw new Error(`${rel(file)}: root element <${rootElement}> not found`);
  return (body === '' ? {} : body) as XmlNode;
}

/** A child that may occur once or many times, always as an array. */
export function list<T = XmlNode>(value: unknown): T[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

/** The text of a single-valued child ('' when missing). */
export function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/**
 * The element names of a metadata file, each with the XML comment written directly above it
 * (comments of several consecutive lines count; a blank line does not break the link). Used to
 * check that security-relevant settings explain themselves.
 */
export function commentedElements(file: string): Map<string, string | undefined> {
  const result = new Map<string, string | undefined>();
  const source = readText(file);
  // Only direct children of the root element: drop the XML declaration and the root tags.
  const rootMatch = /<([A-Za-z]+) xmlns="[^"]+">([\s\S]*)<\/\1>/.exec(source);
  if (!rootMatch) throw new Error(`${rel(file)}: no root element with the metadata namespace`);
  const body = rootMatch[2]!;
  const token = /<!--([\s\S]*?)-->|<([A-Za-z][A-Za-z0-9]*)>[\s\S]*?<\/\2>|<([A-Za-z][A-Za-z0-9]*)\s*\/>/g;
  let pendingComment: string | undefined;
  for (let m = token.exec(body); m; m = token.exec(body)) {
    if (m[1] !== undefined) {
      pendingComment = m[1].trim();
      continue;
    }
    const name = (m[2] ?? m[3])!;
    if (!result.has(name)) result.set(name, pendingComment);
    pendingComment = undefined;
  }
  return result;
}

/** Decodes the five predefined XML entities of a raw text value. */
export function decodeXml(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
