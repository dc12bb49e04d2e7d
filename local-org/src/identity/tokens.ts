/**
 * Authorization codes, access tokens and refresh tokens.
 *
 * - Codes: random, single use, 15 minutes, bound to client, redirect_uri, PKCE challenge, user,
 *   scopes and resource. A replayed code fails and revokes every token issued from it (RFC 9700
 *   §4.5.3 / RFC 6749 §4.1.2). Any failed exchange also burns the code (a client that got it wrong
 *   starts again; an attacker gets one try).
 * - Access tokens: JWT (RS256, org key, `kid`) for apps with named-user JWTs, else opaque
 *   `<15-char org id>!<random>` as the platform's (and as @salesforce/core recognises).
 * - Refresh tokens: opaque; with rotation, each refresh hands out a new one and the old one is
 *   "rotated": presenting it again revokes the whole family (RFC 9700 §4.14.2).
 *
 * Only SHA-256 hashes of tokens and codes are stored; tokens are never logged. JWTs are signed
 * synchronously with node:crypto (so an exchange is one SQLite transaction) and verified with jose.
 */
import { createHash, createHmac, randomBytes, randomUUID, sign as rsaSign, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, decodeProtectedHeader } from 'jose';
import { OAuthError } from '../http/errors.ts';
import type { OrgContext } from '../org/context.ts';
import type { Session, UserContext } from '../security/types.ts';
import { isUserApproved, type ClientRegistry, type OAuthClient } from './clients.ts';
import type { KeyStore } from './keys.ts';
import { grantsRefresh } from './scopes.ts';
import { orgSecret } from './store.ts';
import { userById } from './users.ts';

export interface Clock {
  now(): number;
}

/** Authorization code lifetime (the platform's codes are reported to last 15 minutes). */
export const CODE_LIFETIME_MS = 15 * 60 * 1000;

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  signature: string;
  scope: string;
  id_token?: string;
  instance_url: string;
  id: string;
  token_type: 'Bearer';
  issued_at: string;
  token_format?: 'jwt';
}

export interface TokenRow {
  hash: string;
  kind: 'access' | 'refresh';
  format: 'opaque' | 'jwt';
  jti: string | null;
  grant_id: string;
  client_id: string;
  user_id: string;
  scopes: string;
  resource: string | null;
  issued_at: number;
  expires_at: number | null;
  last_used_at: number;
  status: 'active' | 'rotated' | 'revoked';
}

interface GrantRow {
  id: string;
  client_id: string;
  app_name: string;
  user_id: string;
  scopes: string;
  resource: string | null;
  nonce: string | null;
  created_at: number;
  last_used_at: number;
  revoked_at: number | null;
}

interface CodeRow {
  hash: string;
  client_id: string;
  redirect_uri: string;
  challenge: string | null;
  challenge_method: string | null;
  user_id: string;
  scopes: string;
  resource: string | null;
  nonce: string | null;
  auth_time: number;
  expires_at: number;
  used_at: number | null;
  grant_id: string | null;
}

/** A valid token with the client and user behind it. */
export interface ActiveToken {
  row: TokenRow;
  client: OAuthClient;
  user: UserContext;
  scopes: string[];
}

export interface NewCode {
  client: OAuthClient;
  redirectUri: string;
  challenge?: string;
  challengeMethod?: string;
  userId: string;
  scopes: string[];
  resource?: string;
  nonce?: string;
  authTime: number;
}

const REFRESH_INVALID = () => new OAuthError(400, 'invalid_grant', 'expired access/refresh token');
const CODE_INVALID = () => new OAuthError(400, 'invalid_grant', 'invalid authorization code');

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** [A-Za-z0-9.] only, like the platform's tokens (base64url's `-` and `_` become `.`). */
function tokenChars(bytes: number): string {
  return randomBytes(bytes).toString('base64url').replace(/[-_]/g, '.');
}

export class TokenService {
  private readonly secret: Buffer;

  constructor(
    private readonly org: OrgContext,
    private readonly clients: ClientRegistry,
    private readonly keys: KeyStore,
    readonly clock: Clock,
  ) {
    this.secret = orgSecret(org.db);
  }

  private get now(): number {
    return this.clock.now();
  }

  identityUrl(userId: string): string {
    return `${this.org.baseUrl}/id/${this.org.orgId}/${userId}`;
  }

  // ---- codes ---------------------------------------------------------------------------------

  createCode(input: NewCode): string {
    const code = `aPrx${tokenChars(48)}`;
    this.org.db
      .prepare(
        `INSERT INTO _oauth_codes (hash, client_id, app_name, redirect_uri, challenge, challenge_method, user_id, scopes, resource, nonce, auth_time, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sha256(code),
        input.client.clientId,
        input.client.name,
        input.redirectUri,
        input.challenge ?? null,
        input.challenge ? input.challengeMethod ?? 'S256' : null,
        input.userId,
        input.scopes.join(' '),
        input.resource ?? null,
        input.nonce ?? null,
        input.authTime,
        this.now + CODE_LIFETIME_MS,
      );
    // Expired codes are useless; keep the table small.
    this.org.db.prepare('DELETE FROM _oauth_codes WHERE expires_at < ? AND used_at IS NULL').run(this.now - CODE_LIFETIME_MS);
    return code;
  }

  /** The authorization_code grant. Throws OAuthError (400) on any refusal. */
  redeemCode(input: { code: string; client: OAuthClient; redirectUri: string | null; verifier: string | null; resource: string | null }): TokenResponse {
    const db = this.org.db;
    return committed(db, (): TokenResponse => {
      const row = db.prepare('SELECT * FROM _oauth_codes WHERE hash = ?').get(sha256(input.code)) as CodeRow | undefined;
      if (!row) throw CODE_INVALID();
      if (row.used_at !== null) {
        // Replay: revoke whatever the first exchange issued.
        if (row.grant_id) this.revokeGrant(row.grant_id, 'code_replay');
        throw CODE_INVALID();
      }
      // From here on the code is spent whatever happens (committed even when an error is thrown).
      db.prepare('UPDATE _oauth_codes SET used_at = ? WHERE hash = ?').run(this.now, row.hash);
      if (row.client_id !== input.client.clientId) throw CODE_INVALID();
      if (row.expires_at <= this.now) throw new OAuthError(400, 'invalid_grant', 'expired authorization code');
      if (input.redirectUri !== row.redirect_uri) throw new OAuthError(400, 'invalid_grant', 'redirect_uri must match the authorization request');
      if (row.challenge) {
        if (!input.verifier) throw new OAuthError(400, 'invalid_grant', 'code verifier required');
        if (!verifierMatches(input.verifier, row.challenge)) throw new OAuthError(400, 'invalid_grant', 'invalid code verifier');
      } else if (input.verifier) {
        // A verifier without a challenge: refuse (PKCE downgrade protection, RFC 9700 §2.1.1).
        throw new OAuthError(400, 'invalid_grant', 'invalid code verifier');
      }
      if (input.resource !== null && input.resource !== row.resource) {
        throw new OAuthError(400, 'invalid_target', 'resource must match the authorization request');
      }
      const user = this.checkUser(input.client, row.user_id);
      const grantId = randomUUID();
      db.prepare(
        `INSERT INTO _oauth_grants (id, client_id, app_name, user_id, scopes, resource, nonce, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(grantId, row.client_id, input.client.name, row.user_id, row.scopes, row.resource, row.nonce, this.now, this.now);
      db.prepare('UPDATE _oauth_codes SET grant_id = ? WHERE hash = ?').run(grantId, row.hash);
      const grant = db.prepare('SELECT * FROM _oauth_grants WHERE id = ?').get(grantId) as GrantRow;
      return this.issue(grant, input.client, user, { refresh: true, nonce: row.nonce, authTime: row.auth_time });
    });
  }

  /** The refresh_token grant (a stray code_verifier is the caller's to ignore). */
  refresh(input: { refreshToken: string; client: OAuthClient; resource: string | null }): TokenResponse {
    const db = this.org.db;
    return committed(db, (): TokenResponse => {
      const row = db.prepare(`SELECT * FROM _oauth_tokens WHERE hash = ? AND kind = 'refresh'`).get(sha256(input.refreshToken)) as TokenRow | undefined;
      if (!row) throw REFRESH_INVALID();
      if (row.status === 'rotated') {
        // A rotated-out refresh token came back: it leaked. Revoke the whole family.
        this.revokeGrant(row.grant_id, 'refresh_reuse');
        throw REFRESH_INVALID();
      }
      const grant = db.prepare('SELECT * FROM _oauth_grants WHERE id = ?').get(row.grant_id) as GrantRow | undefined;
      if (row.status !== 'active' || !grant || grant.revoked_at !== null) throw REFRESH_INVALID();
      if (row.client_id !== input.client.clientId) throw REFRESH_INVALID();
      if (row.expires_at !== null && row.expires_at <= this.now) throw REFRESH_INVALID();
      if (input.resource !== null && input.resource !== grant.resource) {
        throw new OAuthError(400, 'invalid_target', 'resource must match the authorization request');
      }
      const user = this.checkUser(input.client, row.user_id);
      db.prepare('UPDATE _oauth_grants SET last_used_at = ? WHERE id = ?').run(this.now, grant.id);
      const policy = input.client.refreshTokenPolicy;
      if (input.client.refreshTokenRotation) {
        db.prepare(`UPDATE _oauth_tokens SET status = 'rotated', last_used_at = ? WHERE hash = ?`).run(this.now, row.hash);
        return this.issue(grant, input.client, user, { refresh: true, nonce: null });
      }
      const expires = policy.type === 'SpecificInactivity' ? this.now + policy.ms! : row.expires_at;
      db.prepare('UPDATE _oauth_tokens SET last_used_at = ?, expires_at = ? WHERE hash = ?').run(this.now, expires, row.hash);
      return this.issue(grant, input.client, user, { refresh: false, nonce: null });
    });
  }

  /** Refuses inactive and no-longer-approved users (token endpoint errors). */
  private checkUser(client: OAuthClient, userId: string): UserContext {
    const user = this.org.access.forUser(userId);
    if (!user || !user.isActive) throw new OAuthError(400, 'inactive_user', 'user is inactive');
    // Platform text of the JWT-bearer flow for the same condition.
    if (!isUserApproved(client, user)) throw new OAuthError(400, 'invalid_app_access', 'user is not admin approved to access this app');
    return user;
  }

  private issue(grant: GrantRow, client: OAuthClient, user: UserContext, opts: { refresh: boolean; nonce: string | null; authTime?: number }): TokenResponse {
    const issuedAt = this.now;
    const scopes = grant.scopes.split(' ').filter(Boolean);
    const id = this.identityUrl(user.userId);
    const insert = this.org.db.prepare(
      `INSERT INTO _oauth_tokens (hash, kind, format, jti, grant_id, client_id, user_id, scopes, resource, issued_at, expires_at, last_used_at, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active')`,
    );
    let accessToken: string;
    const accessExpires = issuedAt + client.accessTokenLifetimeMs;
    if (client.jwtAccessTokens) {
      const jti = randomUUID();
      const iat = Math.floor(issuedAt / 1000);
      accessToken = this.signJwt({
        iss: this.org.baseUrl,
        sub: user.userId,
        aud: grant.resource ?? this.org.baseUrl,
        client_id: client.clientId,
        scp: scopes.join(' '),
        organization_id: this.org.orgId,
        user_id: user.userId,
        username: user.username,
        iat,
        nbf: iat,
        exp: Math.floor(accessExpires / 1000),
        jti,
      });
      insert.run(sha256(accessToken), 'access', 'jwt', jti, grant.id, client.clientId, user.userId, grant.scopes, grant.resource, issuedAt, accessExpires, issuedAt);
    } else {
      accessToken = `${this.org.orgId.slice(0, 15)}!AQ${tokenChars(72)}`;
      insert.run(sha256(accessToken), 'access', 'opaque', null, grant.id, client.clientId, user.userId, grant.scopes, grant.resource, issuedAt, accessExpires, issuedAt);
    }
    const response: TokenResponse = {
      access_token: accessToken,
      signature: createHmac('sha256', this.secret).update(id + String(issuedAt)).digest('base64'),
      scope: scopes.join(' '),
      instance_url: this.org.baseUrl,
      id,
      token_type: 'Bearer',
      issued_at: String(issuedAt),
    };
    const policy = client.refreshTokenPolicy;
    if (opts.refresh && grantsRefresh(scopes) && policy.type !== 'Zero') {
      const refreshToken = `5Aep861${tokenChars(64)}`;
      const expires =
        policy.type === 'SpecificLifetime' ? grant.created_at + policy.ms! : policy.type === 'SpecificInactivity' ? issuedAt + policy.ms! : null;
      insert.run(sha256(refreshToken), 'refresh', 'opaque', null, grant.id, client.clientId, user.userId, grant.scopes, grant.resource, issuedAt, expires, issuedAt);
      response.refresh_token = refreshToken;
    }
    if (scopes.includes('openid')) response.id_token = this.idToken(client, user.userId, accessToken, opts.nonce, opts.authTime);
    if (client.jwtAccessTokens) response.token_format = 'jwt';
    return response;
  }

  private idToken(client: OAuthClient, userId: string, accessToken: string, nonce: string | null, authTime: number | undefined): string {
    const u = userById(this.org, userId)!;
    const iat = Math.floor(this.now / 1000);
    const digest = createHash('sha256').update(accessToken).digest();
    const claims: Record<string, unknown> = {
      at_hash: b64url(digest.subarray(0, digest.length / 2)),
      sub: this.identityUrl(userId),
      aud: client.clientId,
      iss: this.org.baseUrl,
      exp: iat + Math.floor(client.idTokenLifetimeMs / 1000),
      iat,
      preferred_username: u.Username,
      name: u.Name ?? [u.FirstName, u.LastName].filter(Boolean).join(' '),
      given_name: u.FirstName,
      family_name: u.LastName,
      email: u.Email,
      email_verified: true,
      zoneinfo: u.TimeZoneSidKey,
      locale: u.LocaleSidKey,
      user_id: userId,
      organization_id: this.org.orgId,
    };
    if (authTime) claims.auth_time = Math.floor(authTime / 1000);
    if (nonce) claims.nonce = nonce;
    return this.signJwt(claims);
  }

  /** RS256 JWT with the org's current key (`kid` in the header). */
  signJwt(claims: Record<string, unknown>): string {
    const key = this.keys.signingKey();
    const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.kid }))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(rsaSign('RSA-SHA256', Buffer.from(input), key.privateKey))}`;
  }

  // ---- validation ----------------------------------------------------------------------------

  /** The active access or refresh token behind a string, with its (still enabled) client and (active, approved) user. */
  async lookup(token: string, kind: 'access' | 'refresh' | 'any' = 'access'): Promise<ActiveToken | undefined> {
    if (!token || token.length > 8192) return undefined;
    let row: TokenRow | undefined;
    if (looksLikeJwt(token)) {
      const claims = await this.verifyJwt(token);
      if (!claims?.jti) return undefined;
      row = this.org.db.prepare('SELECT * FROM _oauth_tokens WHERE jti = ?').get(claims.jti) as TokenRow | undefined;
      if (row && row.hash !== sha256(token)) return undefined;
    } else {
      row = this.org.db.prepare('SELECT * FROM _oauth_tokens WHERE hash = ?').get(sha256(token)) as TokenRow | undefined;
    }
    if (!row || row.status !== 'active') return undefined;
    if (kind !== 'any' && row.kind !== kind) return undefined;
    if (row.expires_at !== null && row.expires_at <= this.now) return undefined;
    const grant = this.org.db.prepare('SELECT revoked_at FROM _oauth_grants WHERE id = ?').get(row.grant_id) as { revoked_at: number | null } | undefined;
    if (!grant || grant.revoked_at !== null) return undefined;
    const client = this.clients.byClientId(row.client_id);
    if (!client || !client.enabled || !client.oauthEnabled) return undefined;
    const user = this.org.access.forUser(row.user_id);
    if (!user || !user.isActive || !isUserApproved(client, user)) return undefined;
    return { row, client, user, scopes: row.scopes.split(' ').filter(Boolean) };
  }

  /** Signature (RS256 only, a published org key), issuer and time claims; undefined if any fails. */
  async verifyJwt(token: string): Promise<Record<string, unknown> & { jti?: string } | undefined> {
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== 'RS256') return undefined;
      const key = this.keys.verificationKey(header.kid);
      if (!key) return undefined;
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['RS256'],
        issuer: this.org.baseUrl,
        currentDate: new Date(this.now),
      });
      return payload as Record<string, unknown> & { jti?: string };
    } catch (err) {
      if (!(err instanceof joseErrors.JOSEError) && !(err instanceof TypeError)) throw err;
      return undefined;
    }
  }

  /** The API session for a bearer token (any scope; the REST scope rule is the caller's). */
  async session(token: string): Promise<{ session: Session; scopes: string[] } | undefined> {
    const t = await this.lookup(token, 'access');
    if (!t) return undefined;
    return {
      scopes: t.scopes,
      session: { user: t.user, clientId: t.client.clientId, appName: t.client.label, scopes: t.scopes, tokenFormat: t.row.format },
    };
  }

  // ---- revocation ----------------------------------------------------------------------------

  /**
   * Revokes an access token (that token), or a refresh token (the whole family: it and every
   * access token issued from the same authorization). `invalid` for unknown, expired or already
   * revoked tokens; `unsupported` for an org-signed JWT that is not an access token (an id_token).
   */
  async revoke(token: string): Promise<'revoked' | 'invalid' | 'unsupported'> {
    if (!token || token.length > 8192) return 'invalid';
    const row = this.org.db.prepare('SELECT * FROM _oauth_tokens WHERE hash = ?').get(sha256(token)) as TokenRow | undefined;
    if (!row) {
      if (looksLikeJwt(token) && (await this.verifyJwt(token))) return 'unsupported';
      return 'invalid';
    }
    if (row.status !== 'active' || (row.expires_at !== null && row.expires_at <= this.now)) return 'invalid';
    if (row.kind === 'refresh') this.revokeGrant(row.grant_id, 'revoked');
    else this.org.db.prepare(`UPDATE _oauth_tokens SET status = 'revoked' WHERE hash = ?`).run(row.hash);
    return 'revoked';
  }

  /** Revokes an authorization and every token issued from it. */
  revokeGrant(grantId: string, reason: string): void {
    this.org.db.transaction(() => {
      this.org.db.prepare('UPDATE _oauth_grants SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL').run(this.now, reason, grantId);
      this.org.db.prepare(`UPDATE _oauth_tokens SET status = 'revoked' WHERE grant_id = ?`).run(grantId);
    })();
  }

  /** Revokes every token of a user (e.g. after deactivation; tests and admin tools). */
  revokeUser(userId: string): void {
    const grants = this.org.db.prepare('SELECT id FROM _oauth_grants WHERE user_id = ? AND revoked_at IS NULL').all(userId) as { id: string }[];
    for (const g of grants) this.revokeGrant(g.id, 'user');
  }

  // ---- introspection -------------------------------------------------------------------------

  async introspect(token: string, caller: OAuthClient): Promise<Record<string, unknown>> {
    const t = await this.lookup(token, 'any');
    if (!t) return { active: false };
    if (t.row.client_id !== caller.clientId && !caller.introspectAllTokens) return { active: false };
    const iat = Math.floor(t.row.issued_at / 1000);
    const out: Record<string, unknown> = {
      active: true,
      scope: t.scopes.join(' '),
      client_id: t.row.client_id,
      username: t.user.username,
      sub: this.identityUrl(t.user.userId),
      token_type: t.row.kind === 'refresh' ? 'refresh_token' : 'access_token',
    };
    if (t.row.expires_at !== null) out.exp = Math.floor(t.row.expires_at / 1000);
    out.iat = iat;
    out.nbf = iat;
    if (t.row.resource) out.aud = t.row.resource;
    return out;
  }
}

/**
 * Runs `fn` in one transaction whose writes are kept even when it refuses with an OAuthError
 * (a burnt code, a revoked family); any other exception rolls back.
 */
function committed<T>(db: OrgContext['db'], fn: () => T): T {
  const outcome = db.transaction((): T | OAuthError => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof OAuthError) return err;
      throw err;
    }
  })();
  if (outcome instanceof OAuthError) throw outcome;
  return outcome;
}

/** S256: base64url(sha256(verifier)) equals the challenge (constant-time). */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (verifier.length > 1024) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);
}
