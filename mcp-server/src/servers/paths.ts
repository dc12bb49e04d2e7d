/**
 * Server URL paths: `/platform/mcp/v1/platform/<server>` and `/platform/mcp/v1/custom/<ApiName>`,
 * each also under `/platform/mcp/v1/sandbox/…` (sandboxes and scratch orgs). The sandbox form is the
 * same server; it only keeps the URL a client was given valid.
 */

export const MCP_BASE = '/platform/mcp/v1';

export interface ServerRef {
  kind: 'platform' | 'custom';
  /** `sobject-reads` or the custom server's API name as written in the URL. */
  name: string;
  sandbox: boolean;
  /** `platform/sobject-reads`, `custom/ForceGate_Read` (sandbox prefix removed). */
  key: string;
  /** The path as requested, e.g. `/platform/mcp/v1/sandbox/custom/ForceGate_Read`. */
  path: string;
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,79}$/;

/** Parses the part after `/platform/mcp/v1/`; undefined for anything that is not a server path. */
export function parseServerPath(rest: string): ServerRef | undefined {
  const segments = rest.split('/').filter((s) => s.length > 0);
  let sandbox = false;
  if (segments[0] === 'sandbox') {
    sandbox = true;
    segments.shift();
  }
  if (segments.length !== 2) return undefined;
  const [kind, name] = segments as [string, string];
  if ((kind !== 'platform' && kind !== 'custom') || !NAME.test(name)) return undefined;
  return {
    kind,
    name,
    sandbox,
    key: `${kind}/${name}`,
    path: `${MCP_BASE}/${sandbox ? 'sandbox/' : ''}${kind}/${name}`,
  };
}
