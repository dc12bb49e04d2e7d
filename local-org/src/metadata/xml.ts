/**
 * Metadata XML parsing (fast-xml-parser). Every element may repeat in Metadata API XML, so the
 * parser yields plain values and `list()` normalises "one or many" into an array.
 */
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
});

export type XmlNode = Record<string, unknown>;

/** Parses a metadata file and returns its root element's content (e.g. the `<PermissionSet>` body). */
export function parseMetadataXml(xml: string, rootName?: string): { root: string; body: XmlNode } {
  const doc = parser.parse(xml, true) as XmlNode;
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?'));
  const root = rootName ?? roots[0];
  if (!root || !(root in doc)) throw new Error(`expected a <${rootName ?? 'metadata'}> root element`);
  const body = doc[root];
  return { root, body: typeof body === 'object' && body !== null ? (body as XmlNode) : {} };
}

export function list<T = XmlNode>(value: unknown): T[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return undefined;
  return String(value);
}

export function bool(value: unknown, fallback = false): boolean {
  const t = text(value);
  return t === undefined ? fallback : t === 'true';
}

export function num(value: unknown): number | undefined {
  const t = text(value);
  return t === undefined || t === '' ? undefined : Number(t);
}
