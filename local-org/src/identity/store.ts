/**
 * Identity tables in the org's database. Tokens, refresh tokens and codes are stored only as
 * SHA-256 hashes; a JWT access token is also indexed by its `jti` so it can be revoked.
 *
 * - `_oauth_keys`: RSA signing keys (JWK), the newest active one signs; retired keys stay published
 *   in the JWKS until the tokens they signed have expired.
 * - `_oauth_client_keys`: consumer keys generated for External Client Apps that config/local-org.json
 *   gives none.
 * - `_oauth_grants`: one row per authorization (a "token family"): the user's consent for a client,
 *   scopes and resource; every refresh and access token issued from it points here, so revoking a
 *   family is one UPDATE.
 * - `_oauth_codes`: authorization codes (single use, 15 minutes).
 * - `_oauth_tokens`: access and refresh tokens.
 */
import { randomBytes } from 'node:crypto';
import { getMeta, setMeta, type Db } from '../storage/database.ts';

export function ensureIdentityTables(db: Db): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS _oauth_keys (
      kid TEXT PRIMARY KEY,
      private_jwk TEXT NOT NULL,
      public_jwk TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      retired_at INTEGER
    );
    CREATE TABLE IF NOT EXISTS _oauth_client_keys (
      app_name TEXT PRIMARY KEY,
      consumer_key TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS _oauth_grants (
      id TEXT PRIMARY KEY,
      client_id TEXT NOT NULL,
      app_name TEXT NOT NULL,
      user_id TEXT NOT NULL,
      scopes TEXT NOT NULL,
      resource TEXT,
      nonce TEXT,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL,
      revoked_at INTEGER,
      revoke_reason TEXT
    );
    CREATE INDEX IF NOT EXISTS ix_oauth_grants_user ON _oauth_grants (user_id);
    CREATE TABLE IF NOT EXISTS _oauth_codes (
      hash TEXT PRIMARY KEY,
      client_id TEXT NOT NULL,
      app_name TEXT NOT NULL,
      redirect_uri TEXT NOT NULL,
      challenge TEXT,
      challenge_method TEXT,
      user_id TEXT NOT NULL,
      scopes TEXT NOT NULL,
      resource TEXT,
      nonce TEXT,
      auth_time INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      used_at INTEGER,
      grant_id TEXT
    );
    CREATE TABLE IF NOT EXISTS _oauth_tokens (
      hash TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
      format TEXT NOT NULL CHECK (format IN ('opaque', 'jwt')),
      jti TEXT UNIQUE,
      grant_id TEXT NOT NULL,
      client_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      scopes TEXT NOT NULL,
      resource TEXT,
      issued_at INTEGER NOT NULL,
      expires_at INTEGER,
      last_used_at INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('active', 'rotated', 'revoked'))
    );
    CREATE INDEX IF NOT EXISTS ix_oauth_tokens_grant ON _oauth_tokens (grant_id);
  `);
}

/** A per-org secret (HMAC key for token signatures, cookies and CSRF tokens), created once and kept. */
export function orgSecret(db: Db): Buffer {
  let hex = getMeta(db, 'oauth_hmac_secret');
  if (!hex) {
    hex = randomBytes(32).toString('hex');
    setMeta(db, 'oauth_hmac_secret', hex);
  }
  return Buffer.from(hex, 'hex');
}
