/**
 * OAuth clients of the org: the project's deployed External Client Apps (read from `_metadata`)
 * and the sf CLI's built-in `PlatformCLI` app, which every org has.
 *
 * An ECA is spread over up to five components linked by their `<externalClientApplication>`
 * element: the app itself, its global OAuth settings (callbacks, PKCE, JWT tokens, rotation…), its
 * OAuth settings (scopes), its OAuth policies (permitted users, refresh-token policy…) and its
 * configurable policies (enabled, OAuth plugin on). Consumer keys are not in source: they come from
 * config/local-org.json `clients.<EcaName>.consumerKey`, or are generated once and kept in the DB.
 *
 * Parsed clients are cached; the cache key is the `_metadata` rows' last-modified dates, so a
 * redeploy is picked up on the next request.
 */
import { randomBytes } from 'node:crypto';
import { bool, num, parseMetadataXml, text, type XmlNode } from '../metadata/xml.ts';
import { storedComponents } from '../metadata/apply.ts';
import type { OrgContext } from '../org/context.ts';
import type { UserContext } from '../security/types.ts';
import { isValidId, sameId } from '../ids.ts';
import { scopesFromMetadata } from './scopes.ts';
import { ensureIdentityTables } from './store.ts';

export const ECA_TYPES = [
  'ExternalClientApplication',
  'ExtlClntAppGlobalOauthSettings',
  'ExtlClntAppOauthSettings',
  'ExtlClntAppOauthConfigurablePolicies',
  'ExtlClntAppConfigurablePolicies',
] as const;

export type RefreshTokenPolicyType = 'Infinite' | 'Zero' | 'SpecificLifetime' | 'SpecificInactivity';

export interface OAuthClient {
  /** ECA API name, or `PlatformCLI`. */
  name: string;
  label: string;
  /** The consumer key (`client_id`). */
  clientId: string;
  builtIn: boolean;
  callbackUrls: string[];
  /** OAuth scope strings the app may be granted. */
  scopes: string[];
  pkceRequired: boolean;
  /** Public client: no secret is issued, so any secret sent is wrong. */
  secretOptional: boolean;
  /** isSecretRequiredForRefreshToken (defaults to "secret required" unless the secret is optional). */
  secretRequiredForRefresh: boolean;
  /** JWT access tokens for named users (`isNamedUserJwtEnabled`). */
  jwtAccessTokens: boolean;
  refreshTokenRotation: boolean;
  introspectAllTokens: boolean;
  clientCredentialsEnabled: boolean;
  tokenExchangeEnabled: boolean;
  deviceFlowEnabled: boolean;
  /** ExtlClntAppConfigurablePolicies.isEnabled (false → the app is blocked). */
  enabled: boolean;
  /** ExtlClntAppConfigurablePolicies.isOauthPluginEnabled. */
  oauthEnabled: boolean;
  permittedUsers: 'AllSelfAuthorized' | 'AdminApprovedPreAuthorized';
  /** Permission set names or Ids (the doc says Ids, its sample uses names: both accepted). */
  permissionSets: string[];
  /** Profile names or Ids. */
  profiles: string[];
  refreshTokenPolicy: { type: RefreshTokenPolicyType; ms?: number };
  /** Lifetime of an access token (JWT: `namedUserJwtTimeout` when custom; opaque: session timeout). */
  accessTokenLifetimeMs: number;
  idTokenLifetimeMs: number;
}

/** Default session timeout of an org (2 hours): the lifetime of access tokens without a policy. */
export const DEFAULT_ACCESS_TOKEN_MS = 2 * 60 * 60 * 1000;
/** Default id_token validity (5 minutes, the platform's default for `idTokenValidityInMinutes`). */
export const DEFAULT_ID_TOKEN_MS = 5 * 60 * 1000;

/** The sf CLI's connected app, built into every org (not in force-app). */
export function platformCliClient(): OAuthClient {
  return {
    name: 'PlatformCLI',
    label: 'Salesforce CLI',
    clientId: 'PlatformCLI',
    builtIn: true,
    callbackUrls: ['http://localhost:1717/OauthRedirect'],
    scopes: ['api', 'web', 'refresh_token', 'id', 'openid', 'full', 'offline_access'],
    pkceRequired: true,
    secretOptional: true,
    secretRequiredForRefresh: false,
    jwtAccessTokens: false,
    refreshTokenRotation: false,
    introspectAllTokens: false,
    clientCredentialsEnabled: false,
    tokenExchangeEnabled: false,
    deviceFlowEnabled: false,
    enabled: true,
    oauthEnabled: true,
    permittedUsers: 'AllSelfAuthorized',
    permissionSets: [],
    profiles: [],
    refreshTokenPolicy: { type: 'Infinite' },
    accessTokenLifetimeMs: DEFAULT_ACCESS_TOKEN_MS,
    idTokenLifetimeMs: DEFAULT_ID_TOKEN_MS,
  };
}

interface EcaParts {
  app?: XmlNode;
  global?: XmlNode;
  oauth?: XmlNode;
  oauthPolicy?: XmlNode;
  policy?: XmlNode;
}

export class ClientRegistry {
  private cacheKey = '';
  private clients: OAuthClient[] = [];
  /** Prepared once: the key is checked on every API request. */
  private keyStatement?: { all(...params: unknown[]): unknown[] };

  constructor(private readonly org: OrgContext) {
    ensureIdentityTables(org.db);
  }

  /** Every client (PlatformCLI first), current with the deployed metadata. */
  list(): OAuthClient[] {
    const key = this.metadataKey();
    if (key !== this.cacheKey) {
      this.clients = [platformCliClient(), ...this.parseAll()];
      this.cacheKey = key;
    }
    return this.clients;
  }

  /** The client with this consumer key (exact, case-sensitive as consumer keys are). */
  byClientId(clientId: string | null | undefined): OAuthClient | undefined {
    if (!clientId) return undefined;
    return this.list().find((c) => c.clientId === clientId);
  }

  byName(name: string): OAuthClient | undefined {
    return this.list().find((c) => c.name === name);
  }

  /** Drops the cache (tests that edit `_metadata` directly). */
  invalidate(): void {
    this.cacheKey = '';
  }

  private metadataKey(): string {
    this.keyStatement ??= this.org.db.prepare(
      `SELECT type, full_name, last_modified_date, length(xml) AS size FROM _metadata WHERE type IN (${ECA_TYPES.map(() => '?').join(',')}) ORDER BY type, full_name`,
    );
    const rows = this.keyStatement.all(...ECA_TYPES) as { type: string; full_name: string; last_modified_date: string; size: number }[];
    return rows.map((r) => `${r.type}:${r.full_name}:${r.last_modified_date}:${r.size}`).join('|') || 'none';
  }

  private parseAll(): OAuthClient[] {
    const byApp = new Map<string, EcaParts>();
    const part = (name: string): EcaParts => {
      let p = byApp.get(name);
      if (!p) byApp.set(name, (p = {}));
      return p;
    };
    const slot: Record<(typeof ECA_TYPES)[number], keyof EcaParts> = {
      ExternalClientApplication: 'app',
      ExtlClntAppGlobalOauthSettings: 'global',
      ExtlClntAppOauthSettings: 'oauth',
      ExtlClntAppOauthConfigurablePolicies: 'oauthPolicy',
      ExtlClntAppConfigurablePolicies: 'policy',
    };
    for (const type of ECA_TYPES) {
      for (const c of storedComponents(this.org.db, type)) {
        let body: XmlNode;
        try {
          body = parseMetadataXml(c.xml, type).body;
        } catch (err) {
          console.error(`[local-org] ${type} ${c.fullName}: ${(err as Error).message}`);
          continue;
        }
        const appName = type === 'ExternalClientApplication' ? c.fullName : text(body.externalClientApplication) ?? c.fullName.replace(/_defaultPolicy$/, '');
        const p = part(appName);
        // An app may have several policy files (e.g. `_defaultPolicy` and a custom one): the last
        // one by name wins, except that a non-default policy beats the generated default.
        if (p[slot[type]] && c.fullName.endsWith('_defaultPolicy')) continue;
        p[slot[type]] = body;
      }
    }
    const clients: OAuthClient[] = [];
    for (const [name, parts] of byApp) {
      if (!parts.global) continue; // no OAuth settings: not an OAuth client
      clients.push(this.toClient(name, parts));
    }
    return clients;
  }

  private toClient(name: string, parts: EcaParts): OAuthClient {
    const g = parts.global!;
    const o = parts.oauth ?? {};
    const op = parts.oauthPolicy ?? {};
    const p = parts.policy ?? {};
    const permitted = text(op.permittedUsersPolicyType) === 'AdminApprovedPreAuthorized' ? 'AdminApprovedPreAuthorized' : 'AllSelfAuthorized';
    const jwt = bool(g.isNamedUserJwtEnabled, bool(op.isNamedUserJwtEnabled));
    const jwtTimeout = num(op.namedUserJwtTimeout);
    const sessionTimeout = num(op.sessionTimeoutInMinutes);
    const accessTokenLifetimeMs =
      jwt && text(op.namedUserJwtSessionTimeoutType) === 'Custom' && jwtTimeout
        ? jwtTimeout * 60_000
        : sessionTimeout
          ? sessionTimeout * 60_000
          : DEFAULT_ACCESS_TOKEN_MS;
    const idTokenConfig = (g.idTokenConfig ?? {}) as XmlNode;
    const idValidity = num(idTokenConfig.idTokenValidityInMinutes);
    return {
      name,
      label: text(parts.app?.label) ?? text(g.label) ?? name,
      clientId: this.consumerKey(name, text(g.consumerKey)),
      builtIn: false,
      callbackUrls: (text(g.callbackUrl) ?? '')
        .split(/[\r\n,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
      scopes: scopesFromMetadata(text(o.commaSeparatedOauthScopes)),
      pkceRequired: bool(g.isPkceRequired, true),
      secretOptional: bool(g.isConsumerSecretOptional),
      secretRequiredForRefresh: bool(g.isSecretRequiredForRefreshToken, !bool(g.isConsumerSecretOptional)),
      jwtAccessTokens: jwt,
      refreshTokenRotation: bool(g.isRefreshTokenRotationEnabled),
      introspectAllTokens: bool(g.isIntrospectAllTokens),
      clientCredentialsEnabled: bool(op.isClientCredentialsFlowEnabled, bool(g.isClientCredentialsFlowEnabled)),
      tokenExchangeEnabled: bool(op.isTokenExchangeFlowEnabled, bool(g.isTokenExchangeEnabled)),
      deviceFlowEnabled: bool(g.isDeviceFlowEnabled),
      enabled: bool(p.isEnabled, true),
      oauthEnabled: bool(p.isOauthPluginEnabled, true),
      permittedUsers: permitted,
      permissionSets: splitNames(text(op.commaSeparatedPermissionSet)),
      profiles: splitNames(text(op.commaSeparatedProfile)),
      refreshTokenPolicy: refreshPolicy(op),
      accessTokenLifetimeMs,
      idTokenLifetimeMs: idValidity ? idValidity * 60_000 : DEFAULT_ID_TOKEN_MS,
    };
  }

  /** config/local-org.json's key, else a key in the source (unusual), else one generated and kept. */
  private consumerKey(name: string, fromSource: string | undefined): string {
    const configured = this.org.config.clients?.[name]?.consumerKey;
    if (configured) return configured;
    if (fromSource) return fromSource;
    const row = this.org.db.prepare('SELECT consumer_key FROM _oauth_client_keys WHERE app_name = ?').get(name) as { consumer_key: string } | undefined;
    if (row) return row.consumer_key;
    // The platform's keys are `3MVG9` + 80 characters of [A-Za-z0-9._].
    const key = `3MVG9${randomBytes(60).toString('base64url').replace(/[-_]/g, '.').slice(0, 80)}`;
    this.org.db.prepare('INSERT INTO _oauth_client_keys (app_name, consumer_key, created_at) VALUES (?, ?, ?)').run(name, key, Date.now());
    return key;
  }
}

function splitNames(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function refreshPolicy(op: XmlNode): OAuthClient['refreshTokenPolicy'] {
  const type = (text(op.refreshTokenPolicyType) ?? '') as RefreshTokenPolicyType;
  const period = num(op.refreshTokenValidityPeriod);
  const unit = text(op.refreshTokenValidityUnit) ?? 'Days';
  const unitMs: Record<string, number> = { Hours: 3_600_000, Days: 86_400_000, Months: 30 * 86_400_000 };
  switch (type) {
    case 'Infinite':
    case 'Zero':
      return { type };
    case 'SpecificLifetime':
    case 'SpecificInactivity':
      return { type, ms: (period ?? 365) * (unitMs[unit] ?? unitMs.Days!) };
    default:
      // A deploy without a policy gets the platform's default: 365 days from issue.
      return { type: 'SpecificLifetime', ms: 365 * 86_400_000 };
  }
}

/** Whether the user may use the app (permitted users policy; true for self-authorized apps). */
export function isUserApproved(client: OAuthClient, user: UserContext): boolean {
  if (client.permittedUsers === 'AllSelfAuthorized') return true;
  const named = (wanted: string, name: string) => wanted.toLowerCase() === name.toLowerCase();
  const byId = (wanted: string, id: string) => isValidId(wanted) && sameId(wanted, id);
  if (client.profiles.some((p) => named(p, user.profileName) || byId(p, user.profileId))) return true;
  return client.permissionSets.some((ps) => user.permissionSetNames.some((n) => named(ps, n)) || user.permissionSetIds.some((id) => byId(ps, id)));
}

/** The org's clients (a small API for other modules, e.g. the MCP server's setup checks). */
export function listClients(org: OrgContext): OAuthClient[] {
  return registryOf(org).list();
}

const registries = new WeakMap<OrgContext, ClientRegistry>();

export function registryOf(org: OrgContext): ClientRegistry {
  let r = registries.get(org);
  if (!r) registries.set(org, (r = new ClientRegistry(org)));
  return r;
}
