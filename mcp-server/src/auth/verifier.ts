/**
 * Bearer-token verification for the MCP endpoints. The org is the authorization server; a token is
 * accepted only if it is a JWT signed by one of the org's keys (JWKS from its OpenID discovery
 * document, cached by jose and re-fetched when an unknown `kid` shows up, i.e. on key rotation),
 * issued by the org, unexpired, issued to a client app (`client_id`), and — when it names an
 * audience — naming this server. The `mcp_api` scope is required by the bearer middleware
 * (`requiredScopes`), so a token without it gets the spec's 403 `insufficient_scope`.
 *
 * Verification is local (no network per call once the key set is cached) and takes well under a
 * millisecond; successful results are also memoised per token for a short while.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { discoverAuthorizationServer, type OrgAuthorizationServer } from '../org/discovery.ts';

export const MCP_SCOPE = 'mcp_api';

/** Who is calling, as the token says. Travels in `AuthInfo.extra.caller`. */
export interface Caller {
  userId: string;
  orgId?: string;
  username?: string;
  clientId: string;
  scopes: string[];
  /** Epoch seconds. */
  expiresAt: number;
}

export interface VerifierOptions {
  orgUrl: string;
  /** Overrides the discovery document's issuer (rarely needed). */
  issuer?: string;
  /** Audiences accepted besides this server's own URLs (e.g. a public URL behind a proxy). */
  extraAudiences?: string[];
  clockToleranceSec?: number;
  discoveryTimeoutMs?: number;
  /** Upper bound for fetching the org's key set (the server's org timeout; default 5 s). */
  jwksTimeoutMs?: number;
  /** Remember verified tokens for up to a minute (default true; off for measuring the full check). */
  memoize?: boolean;
}

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'];
const USER_ID = /\b(005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)\b/;
const ORG_ID = /\b(00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)\b/;
const MEMO_MAX = 5000;
const MEMO_TTL_MS = 60_000;

export class OrgTokenVerifier {
  private ready?: Promise<{ as: OrgAuthorizationServer; jwks: ReturnType<typeof createRemoteJWKSet> }>;
  private readonly memo = new Map<string, { caller: Caller; aud: string[]; until: number }>();

  constructor(private readonly options: VerifierOptions) {}

  /** Fetches the discovery document once (retried on the next call if it failed). */
  async init(): Promise<OrgAuthorizationServer> {
    return (await this.load()).as;
  }

  private load(): Promise<{ as: OrgAuthorizationServer; jwks: ReturnType<typeof createRemoteJWKSet> }> {
    this.ready ??= (async () => {
      const as = await discoverAuthorizationServer(this.options.orgUrl, this.options.discoveryTimeoutMs);
      // jose caches the key set and refreshes it after 10 minutes; a token naming an unknown kid (key
      // rotation) makes it re-fetch the set, at most once a second (tokens with made-up kids cannot
      // make us hammer the org, nor delay a real rotation for long).
      const jwks = createRemoteJWKSet(new URL(as.jwksUri), { cooldownDuration: 1000, cacheMaxAge: 600_000, timeoutDuration: this.options.jwksTimeoutMs ?? 5000 });
      return { as, jwks };
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /**
   * Verifies `token` for a request to `resource` (this server's URL for the requested MCP path).
   * Throws the SDK's OAuth errors, which `requireBearerAuth` renders as 401/403 challenges.
   */
  async verify(token: string, resource: string): Promise<AuthInfo> {
    const now = Date.now();
    const memo = this.options.memoize === false ? undefined : this.memo.get(token);
    if (memo && memo.until > now && memo.caller.expiresAt * 1000 > now) {
      this.checkAudience(memo.aud, resource);
      return this.authInfo(token, memo.caller, resource);
    }
    // Compact JWS: three base64url segments. Opaque Salesforce tokens (`00D…!…`) may contain dots too.
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) {
      throw new InvalidTokenError('The access token is not a JWT. Enable "Issue JSON Web Token (JWT)-based access tokens" on the External Client App and request the mcp_api scope.');
    }
    let loaded;
    try {
      loaded = await this.load();
    } catch (err) {
      throw new ServerError(`The org's signing keys are unavailable: ${(err as Error).message}`);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, loaded.jwks, {
        issuer: this.options.issuer ?? loaded.as.issuer,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceSec ?? 30,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw this.translate(err);
    }
    const caller = callerFromClaims(payload);
    const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    this.checkAudience(aud, resource);
    if (this.memo.size >= MEMO_MAX) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(token, { caller, aud, until: now + MEMO_TTL_MS });
    return this.authInfo(token, caller, resource);
  }

  private authInfo(token: string, caller: Caller, resource: string): AuthInfo {
    return {
      token,
      clientId: caller.clientId,
      scopes: caller.scopes,
      expiresAt: caller.expiresAt,
      resource: new URL(resource),
      extra: { caller },
    };
  }

  /** A token that names audiences must name this server (its URL, or a URL above it on this host). */
  private checkAudience(aud: string[], resource: string): void {
    if (!aud.length) return;
    const extra = (this.options.extraAudiences ?? []).map(canonical);
    const target = canonical(resource);
    const ok = aud.some((a) => {
      const c = canonical(a);
      return extra.includes(c) || c === target || target.startsWith(`${c}/`);
    });
    if (!ok) throw new InvalidTokenError(`The token was not issued for this server (audience ${aud.join(', ')}; expected ${resource})`);
  }

  private translate(err: unknown): Error {
    if (err instanceof joseErrors.JWTExpired) return new InvalidTokenError('The access token has expired');
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      if (err.claim === 'iss') return new InvalidTokenError('The access token was not issued by this org');
      if (err.claim === 'nbf') return new InvalidTokenError('The access token is not valid yet');
      return new InvalidTokenError(`The access token's ${err.claim} claim is invalid`);
    }
    if (err instanceof joseErrors.JWKSNoMatchingKey) return new InvalidTokenError('The access token was not signed by a key of this org');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new InvalidTokenError('The access token signature is invalid');
    if (err instanceof joseErrors.JOSEAlgNotAllowed) return new InvalidTokenError('The access token uses an algorithm this server does not accept');
    // The key set could not be fetched (no answer, a non-200 such as an org in maintenance answering
    // 503, a body that is not JSON): the token may be fine, so this is not a 401 asking the client to
    // sign in again. jose throws its base JOSEError (ERR_JOSE_GENERIC) only for the latter two.
    if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError) || err.code === 'ERR_JOSE_GENERIC') {
      return new ServerError(`Could not check the token against the org's keys: ${(err as Error).message}`);
    }
    return new InvalidTokenError(`The access token is invalid (${(err as Error).message})`);
  }
}

function canonical(url: string): string {
  const hash = url.indexOf('#');
  return (hash === -1 ? url : url.slice(0, hash)).replace(/\/+$/, '').toLowerCase();
}

/** The caller from Salesforce-style claims (`sub` may be an identity URL, `uid:005…` or an id). */
export function callerFromClaims(p: JWTPayload): Caller {
  const claim = (k: string): string | undefined => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  const userId = claim('user_id')?.match(USER_ID)?.[1] ?? p.sub?.match(USER_ID)?.[1];
  if (!userId) throw new InvalidTokenError('The access token names no Salesforce user');
  const clientId = claim('client_id') ?? claim('cid') ?? claim('azp');
  if (!clientId) throw new InvalidTokenError('The access token was not issued to a client app');
  const rawScopes = p.scp ?? p.scope;
  const scopes = Array.isArray(rawScopes) ? rawScopes.map(String) : typeof rawScopes === 'string' ? rawScopes.split(/[\s,]+/).filter(Boolean) : [];
  const orgId = (claim('organization_id') ?? claim('org_id'))?.match(ORG_ID)?.[1] ?? p.sub?.match(ORG_ID)?.[1] ?? claim('tnk')?.match(ORG_ID)?.[1];
  const username = claim('preferred_username') ?? claim('username');
  return { userId, clientId, scopes, expiresAt: p.exp!, ...(orgId ? { orgId } : {}), ...(username ? { username } : {}) };
}

export function callerOf(auth: AuthInfo | undefined): Caller {
  const caller = (auth?.extra as { caller?: Caller } | undefined)?.caller;
  if (!caller) throw new Error('request has no verified caller');
  return caller;
}
