/**
 * What the server learns about the org before serving: its OpenID Connect discovery document
 * (issuer, JWKS, authorize/token endpoints — the org is our authorization server) and the newest
 * REST API version it serves. Both are public documents; no credential is involved.
 */

export interface OrgAuthorizationServer {
  /** The org's login / My Domain URL we were started with. */
  orgUrl: string;
  issuer: string;
  jwksUri: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  /** The discovery document as served. */
  document: Record<string, unknown>;
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new Error(`Could not reach ${url}: ${e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message)}`);
  }
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return res.json();
}

export async function discoverAuthorizationServer(orgUrl: string, timeoutMs = 10_000): Promise<OrgAuthorizationServer> {
  const base = orgUrl.replace(/\/+$/, '');
  const doc = (await getJson(`${base}/.well-known/openid-configuration`, timeoutMs)) as Record<string, unknown>;
  if (typeof doc.issuer !== 'string' || typeof doc.jwks_uri !== 'string') {
    throw new Error(`${base}/.well-known/openid-configuration has no issuer or jwks_uri`);
  }
  return {
    orgUrl: base,
    issuer: doc.issuer,
    jwksUri: doc.jwks_uri,
    authorizationEndpoint: typeof doc.authorization_endpoint === 'string' ? doc.authorization_endpoint : undefined,
    tokenEndpoint: typeof doc.token_endpoint === 'string' ? doc.token_endpoint : undefined,
    document: doc,
  };
}

/** The newest version `GET /services/data` lists (no auth needed), capped at `max`. */
export async function newestApiVersion(orgUrl: string, max = '67.0', timeoutMs = 10_000): Promise<string> {
  const list = (await getJson(`${orgUrl.replace(/\/+$/, '')}/services/data`, timeoutMs)) as { version: string }[];
  const versions = list.map((v) => v.version).filter((v) => Number(v) <= Number(max));
  if (!versions.length) throw new Error(`${orgUrl} serves no REST API version up to ${max}`);
  return versions.sort((a, b) => Number(a) - Number(b)).at(-1)!;
}
