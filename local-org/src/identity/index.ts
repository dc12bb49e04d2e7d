/**
 * The org's identity layer: OAuth 2.0 web-server flow with PKCE (authorize, login, consent,
 * token), refresh-token rotation, revocation, introspection, OpenID Connect (userinfo, id_token,
 * discovery, JWKS), the identity URL, and bearer-token validation for the API surfaces.
 *
 * The issuer is the org's base URL (`org.baseUrl`), which is at once login URL, instance URL and
 * My Domain. Module API for other code: `listClients(org)`, `identityOf(org)` (clients, keys,
 * tokens, clock), and the JWKS over HTTP at `/id/keys`.
 */
import { ApiError } from '../http/errors.ts';
import type { Router } from '../http/router.ts';
import type { SessionResolver } from '../http/server.ts';
import type { OrgContext } from '../org/context.ts';
import { AuthorizeFlow } from './authorize.ts';
import { registryOf, type ClientRegistry, type OAuthClient } from './clients.ts';
import { registerEndpoints } from './endpoints.ts';
import { KeyStore } from './keys.ts';
import { allowsRest } from './scopes.ts';
import { ensureIdentityTables, orgSecret } from './store.ts';
import { registerTokenEndpoint } from './token-endpoint.ts';
import { TokenService, type Clock } from './tokens.ts';

export { listClients, isUserApproved, type OAuthClient } from './clients.ts';
export type { Clock, TokenResponse } from './tokens.ts';

export interface Identity {
  clients: ClientRegistry;
  keys: KeyStore;
  tokens: TokenService;
  authorize: AuthorizeFlow;
  /** Time source of the whole identity layer; tests may replace `now`. */
  clock: Clock;
}

const identities = new WeakMap<OrgContext, Identity>();

/** The identity services of a running org (undefined before registerIdentity). */
export function identityOf(org: OrgContext): Identity | undefined {
  return identities.get(org);
}

/** Shortest time a retired signing key stays published, even if no token would need it. */
const MIN_KEY_RETENTION_MS = 60 * 60 * 1000;

export function registerIdentity(router: Router, org: OrgContext): SessionResolver {
  ensureIdentityTables(org.db);
  const clock: Clock = { now: () => Date.now() };
  const clients = registryOf(org);
  // A retired key must outlive every token it signed: the longest access-token or id_token lifetime.
  const retention = () => Math.max(MIN_KEY_RETENTION_MS, ...clients.list().flatMap((c) => [c.accessTokenLifetimeMs, c.idTokenLifetimeMs]));
  const keys = new KeyStore(org.db, retention, () => clock.now());
  const tokens = new TokenService(org, clients, keys, clock);
  const authorize = new AuthorizeFlow(org, clients, tokens, orgSecret(org.db), clock);
  identities.set(org, { clients, keys, tokens, authorize, clock });

  // No client gets a secret from the local org unless config/local-org.json gives one.
  const secrets = (client: OAuthClient): string | undefined =>
    (org.config.clients?.[client.name] as { consumerSecret?: string } | undefined)?.consumerSecret || undefined;

  authorize.register(router);
  registerTokenEndpoint(router, clients, tokens, secrets);
  registerEndpoints(router, org, clients, keys, tokens, secrets);

  return {
    async resolve(token) {
      const found = await tokens.session(token);
      if (!found) return undefined;
      if (!allowsRest(found.scopes)) {
        // jsforce does not try to refresh on this message (wire.md §2.1).
        throw new ApiError(401, 'INVALID_SESSION_ID', 'This session is not valid for use with the REST API');
      }
      return found.session;
    },
  };
}
