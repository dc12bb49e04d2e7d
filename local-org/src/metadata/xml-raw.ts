/**
 * Raw (text-preserving) access to the top-level children of a metadata XML document. Converting
 * between source format and Metadata API format moves whole elements between files (a CustomField
 * file ↔ a `<fields>` element of its object's file); doing that on the text keeps every value,
 * comment and CDATA section exactly as written, which a parse + rebuild round trip would not.
 *
 * The input is assumed well-formed (callers validate first).
 */

export interface RawChild {
  name: string;
  /** The whole element, `<fields>…</fields>`. */
  raw: string;
  /** The element's content between its tags ('' for `<x/>`). */
  inner: string;
}

export interface RawDocument {
  root: string;
  /** The root start tag as written, e.g. `<CustomObject xmlns="…">`. */
  rootTag: string;
  children: RawChild[];
}

const TOKEN = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<![^>]*>|<(\/?)([A-Za-z_][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g;

export const METADATA_NS = 'http://soap.sforce.com/2006/04/metadata';
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** Splits a document into its root element and the root's direct child elements. */
export function splitChildren(xml: string): RawDocument {
  let depth = 0;
  let root = '';
  let rootTag = '';
  const children: RawChild[] = [];
  let childStart = -1;
  let childInnerStart = -1;
  let childName = '';
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(xml); m; m = TOKEN.exec(xml)) {
    const name = m[2];
    if (!name) continue; // comment, CDATA, declaration, doctype
    const closing = m[1] === '/';
    const selfClosing = m[4] === '/';
    if (!closing) {
      if (depth === 0) {
        root = name;
        rootTag = m[0];
        if (selfClosing) break;
        depth = 1;
        continue;
      }
      if (depth === 1) {
        childStart = m.index;
        childInnerStart = m.index + m[0].length;
        childName = name;
        if (selfClosing) {
          children.push({ name, raw: m[0], inner: '' });
          continue;
        }
      }
      if (!selfClosing) depth++;
    } else {
      depth--;
      if (depth === 1 && childStart >= 0) {
        children.push({ name: childName, raw: xml.slice(childStart, m.index + m[0].length), inner: xml.slice(childInnerStart, m.index) });
        childStart = -1;
      }
      if (depth === 0) break;
    }
  }
  if (!root) throw new Error('no root element');
  return { root, rootTag, children };
}

/** Re-indents a multi-line fragment: strips the common indentation, then indents by `indent`. */
export function reindent(fragment: string, indent: string): string {
  const lines = fragment.replace(/^[ \t]*\r?\n/, '').replace(/\r?\n\s*$/, '').split(/\r?\n/);
  // A fragment cut at an element's `<` has lost its first line's indentation: measure the others.
  const firstCut = lines.length > 1 && !/^\s/.test(lines[0]!);
  const measured = (firstCut ? lines.slice(1) : lines).filter((l) => l.trim());
  const widths = measured.map((l) => /^[ \t]*/.exec(l)![0].length);
  const common = widths.length ? Math.min(...widths) : 0;
  return lines
    .map((l, i) => {
      if (!l.trim()) return '';
      if (i === 0 && firstCut) return indent + l.trimStart();
      return indent + l.slice(Math.min(common, /^[ \t]*/.exec(l)![0].length));
    })
    .join('\n');
}

/** Builds a metadata document from a root element name and raw child elements. */
export function buildDocument(root: string, children: string[], rootTag = `<${root} xmlns="${METADATA_NS}">`): string {
  const body = children.map((c) => reindent(c, '    ')).join('\n');
  return `${XML_DECLARATION}\n${rootTag}\n${body}${body ? '\n' : ''}</${root}>\n`;
}

/** `<name>…</name>` around raw child elements, each re-indented one level deeper. */
export function wrapElement(name: string, children: string[]): string {
  if (children.length === 0) return `<${name}/>`;
  return `<${name}>\n${children.map((c) => reindent(c, '    ')).join('\n')}\n</${name}>`;
}

/** Escapes text for an XML element or attribute value. */
export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** 1-based line and column of the first occurrence of `needle` at or after `from` (0/0 when absent). */
export function locate(text: string, needle: string, from = 0): { line: number; column: number } {
  const i = text.indexOf(needle, from);
  if (i < 0) return { line: 0, column: 0 };
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  const column = i - before.lastIndexOf('\n');
  return { line, column };
}
