import { expect } from 'chai';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { identityOf, type Identity } from '../../../src/identity/index.ts';
import { KeyStore } from '../../../src/identity/keys.ts';
import { verifierMatches } from '../../../src/identity/tokens.ts';
import type { LocalOrg } from '../../../src/local-org.ts';
import { startTestOrg } from '../../helpers/org.ts';
import { pkcePair } from '../../helpers/oauth.ts';

describe('identity: signing keys and JWKS', () => {
  let local: LocalOrg;
  let id: Identity;
  let now: number;
  before(async () => {
    local = await startTestOrg();
    id = identityOf(local.org)!;
    now = Date.now();
    id.clock.now = () => now;
  });
  after(() => local.close());

  const claims = () => ({ iss: local.url, sub: 'test', iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 10 * 86400 });

  it('generates an RSA key on first use, keeps it in the database and publishes it with its kid', async () => {
    const jwks = id.keys.jwks();
    expect(jwks.keys).to.have.length(1);
    const [key] = jwks.keys;
    expect(key).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(key).not.to.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');
    const stored = local.org.db.prepare('SELECT kid FROM _oauth_keys').all() as { kid: string }[];
    expect(stored.map((r) => r.kid)).to.deep.equal([key!.kid]);
    // Another key store on the same database (a restart) signs with the same key.
    expect(new KeyStore(local.org.db, () => 0).signingKey().kid).to.equal(key!.kid);
    const jwt = id.tokens.signJwt(claims());
    expect(decodeProtectedHeader(jwt)).to.include({ alg: 'RS256', kid: key!.kid });
    const res = await fetch(`${local.url}/id/keys`);
    const served = (await res.json()) as { keys: { kid: string }[] };
    await jwtVerify(jwt, createLocalJWKSet(served as never), { issuer: local.url });
  });

  it('rotates: new tokens use the new key, the old key stays published until its tokens expire', async () => {
    const oldKid = id.keys.signingKey().kid;
    const oldToken = id.tokens.signJwt(claims());
    const newKid = id.keys.rotate();
    expect(newKid).not.to.equal(oldKid);
    const newToken = id.tokens.signJwt(claims());
    expect(decodeProtectedHeader(newToken).kid).to.equal(newKid);
    expect(id.keys.jwks().keys.map((k) => k.kid)).to.deep.equal([newKid, oldKid]);
    expect(await id.tokens.verifyJwt(oldToken)).to.include({ sub: 'test' });
    expect(await id.tokens.verifyJwt(newToken)).to.include({ sub: 'test' });

    // Past the longest token lifetime (2 h by default), the retired key is dropped.
    now += 2 * 60 * 60 * 1000 + 60_000;
    expect(id.keys.jwks().keys.map((k) => k.kid)).to.deep.equal([newKid]);
    expect(await id.tokens.verifyJwt(oldToken)).to.equal(undefined);
    expect(await id.tokens.verifyJwt(newToken)).to.include({ sub: 'test' });
  });

  it('accepts the 171-character verifiers jsforce makes (no 43–128 length rule)', () => {
    const { verifier, challenge } = pkcePair();
    expect(verifier).to.have.length(171);
    expect(verifierMatches(verifier, challenge)).to.equal(true);
    expect(verifierMatches(`${verifier}x`, challenge)).to.equal(false);
  });
});
