/**
 * The org's RSA signing keys (RS256) for JWT access tokens and id_tokens, kept in `_oauth_keys`.
 *
 * The first key is generated when first needed (the first JWT or JWKS request) and kept in the
 * database, so a restarted org on the same data directory keeps validating its tokens. `rotate()`
 * adds a new signing key; the old one stays in the JWKS (and keeps verifying) until every token it
 * signed has expired (`retentionMs` after its retirement), then it is dropped.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Db } from '../storage/database.ts';
import { ensureIdentityTables } from './store.ts';

export interface PublicJwk {
  kty: 'RSA';
  kid: string;
  alg: 'RS256';
  use: 'sig';
  n: string;
  e: string;
}

interface KeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export class KeyStore {
  private readonly publicKeys = new Map<string, KeyObject>();
  private signing: SigningKey | undefined;

  constructor(
    private readonly db: Db,
    /** How long a retired key stays published: the longest lifetime of a token it may have signed. */
    private readonly retentionMs: () => number,
    private readonly now: () => number = Date.now,
  ) {
    ensureIdentityTables(db);
  }

  /** The current signing key (generated on first use). */
  signingKey(): SigningKey {
    if (this.signing) return this.signing;
    const row = this.db.prepare('SELECT * FROM _oauth_keys WHERE retired_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as KeyRow | undefined;
    const r = row ?? this.generate();
    this.signing = { kid: r.kid, privateKey: createPrivateKey({ key: JSON.parse(r.private_jwk) as JsonWebKey, format: 'jwk' }) };
    return this.signing;
  }

  /** Adds a new signing key; the previous one is retired but still published until its tokens expire. Returns the new kid. */
  rotate(): string {
    const now = this.now();
    const row = this.db.transaction(() => {
      this.db.prepare('UPDATE _oauth_keys SET retired_at = ? WHERE retired_at IS NULL').run(now);
      return this.generate(now);
    })();
    this.signing = undefined;
    this.prune();
    return row.kid;
  }

  /** The public key for a kid, if it is still published. */
  verificationKey(kid: string | undefined): KeyObject | undefined {
    if (!kid) return undefined;
    const row = this.published().find((r) => r.kid === kid);
    if (!row) return undefined;
    let key = this.publicKeys.get(kid);
    if (!key) this.publicKeys.set(kid, (key = createPublicKey({ key: JSON.parse(row.public_jwk) as JsonWebKey, format: 'jwk' })));
    return key;
  }

  /** The JWKS document (`/id/keys`): the signing key first, then retired keys still in use. */
  jwks(): { keys: PublicJwk[] } {
    this.signingKey();
    this.prune();
    return { keys: this.published().map((r) => JSON.parse(r.public_jwk) as PublicJwk) };
  }

  /** Drops retired keys whose tokens have all expired. */
  prune(): void {
    const cutoff = this.now() - this.retentionMs();
    const gone = this.db.prepare('SELECT kid FROM _oauth_keys WHERE retired_at IS NOT NULL AND retired_at < ?').all(cutoff) as { kid: string }[];
    if (!gone.length) return;
    this.db.prepare('DELETE FROM _oauth_keys WHERE retired_at IS NOT NULL AND retired_at < ?').run(cutoff);
    for (const g of gone) this.publicKeys.delete(g.kid);
  }

  private published(): KeyRow[] {
    const cutoff = this.now() - this.retentionMs();
    return this.db
      .prepare('SELECT * FROM _oauth_keys WHERE retired_at IS NULL OR retired_at >= ? ORDER BY (retired_at IS NULL) DESC, created_at DESC, rowid DESC')
      .all(cutoff) as KeyRow[];
  }

  private generate(now = this.now()): KeyRow {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pub = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    // RFC 7638 thumbprint as kid: stable, unique per key.
    const kid = createHash('sha256').update(JSON.stringify({ e: pub.e, kty: 'RSA', n: pub.n })).digest('base64url');
    const publicJwk: PublicJwk = { kty: 'RSA', kid, alg: 'RS256', use: 'sig', n: pub.n, e: pub.e };
    const row: KeyRow = {
      kid,
      private_jwk: JSON.stringify(privateKey.export({ format: 'jwk' })),
      public_jwk: JSON.stringify(publicJwk),
      created_at: now,
      retired_at: null,
    };
    this.db.prepare('INSERT INTO _oauth_keys (kid, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, NULL)').run(kid, row.private_jwk, row.public_jwk, now);
    return row;
  }
}
