/**
 * OAuth scopes: the metadata names External Client Apps use (`commaSeparatedOauthScopes`) and the
 * scope strings on the wire, and which scopes open which surfaces.
 */

/** Metadata scope name (ExtlClntAppOauthSettings) → OAuth scope string. */
export const METADATA_SCOPES: Record<string, string> = {
  Basic: 'id',
  Api: 'api',
  Web: 'web',
  Full: 'full',
  Chatter: 'chatter_api',
  CustomApplications: 'visualforce',
  RefreshToken: 'refresh_token',
  OpenID: 'openid',
  Profile: 'profile',
  Email: 'email',
  Address: 'address',
  Phone: 'phone',
  OfflineAccess: 'offline_access',
  CustomPermissions: 'custom_permissions',
  Wave: 'wave_api',
  Eclair: 'eclair_api',
  Pardot: 'pardot_api',
  Lightning: 'lightning',
  Content: 'content',
  Chatbot: 'chatbot_api',
  SFApiPlatform: 'sfap_api',
  Interaction: 'interaction_api',
  EinsteinGPT: 'einstein_gpt_api',
  PwdlessLogin: 'pwdless_login_api',
  ForgotPassword: 'forgot_password',
  UserRegistration: 'user_registration_api',
  MCP: 'mcp_api',
  SCRT: 'scrt_api',
  CDPIngest: 'cdp_ingest_api',
  CDPSegment: 'cdp_segment_api',
  CDPProfile: 'cdp_profile_api',
  CDPQuery: 'cdp_query_api',
  CDPIdentityResolution: 'cdp_identityresolution_api',
  CDPCalculatedInsight: 'cdp_calculated_insight_api',
  CDP: 'cdp_api',
};

/** The scopes the org advertises (OIDC discovery, as login.salesforce.com lists them). */
export const SUPPORTED_SCOPES = [
  'cdp_ingest_api', 'custom_permissions', 'cdp_segment_api', 'content', 'cdp_api', 'chatbot_api',
  'cdp_identityresolution_api', 'interaction_api', 'wave_api', 'web', 'cdp_calculated_insight_api', 'einstein_gpt_api',
  'offline_access', 'id', 'api', 'data_cloud_user_claims', 'eclair_api', 'email', 'pardot_api', 'lightning', 'visualforce',
  'cdp_query_api', 'sfap_api', 'address', 'openid', 'profile', 'scrt_api', 'cdp_profile_api', 'refresh_token', 'phone',
  'user_registration_api', 'pwdless_login_api', 'chatter_api', 'mcp_api', 'full', 'forgot_password',
];

/** `MCP, RefreshToken` → `['mcp_api', 'refresh_token']`; unknown names are kept lower-cased. */
export function scopesFromMetadata(commaSeparated: string | undefined): string[] {
  const out: string[] = [];
  for (const raw of (commaSeparated ?? '').split(/[,;\s]+/)) {
    const name = raw.trim();
    if (!name) continue;
    const key = Object.keys(METADATA_SCOPES).find((k) => k.toLowerCase() === name.toLowerCase());
    const scope = key ? METADATA_SCOPES[key]! : name.toLowerCase();
    if (!out.includes(scope)) out.push(scope);
  }
  return out;
}

/** Splits a space-separated scope parameter (deduplicated, order kept). */
export function parseScope(value: string | null | undefined): string[] {
  const out: string[] = [];
  for (const s of (value ?? '').split(/[\s+]+/)) if (s && !out.includes(s)) out.push(s);
  return out;
}

/** Whether the granted scopes carry a refresh token (`refresh_token` or `offline_access`). */
export function grantsRefresh(scopes: string[]): boolean {
  return scopes.includes('refresh_token') || scopes.includes('offline_access');
}

/**
 * Scopes that open the REST/Tooling data API. `api` and `full` do on the platform; `web` does not
 * (it is for browser sessions). `mcp_api` is accepted because ForceGate's own MCP server calls the
 * REST API with the user's `mcp_api` token, which is what the platform's hosted MCP servers do
 * internally — whether a real org accepts an `mcp_api`-only token on /services/data is UNCONFIRMED.
 */
export const REST_SCOPES = ['api', 'full', 'mcp_api'];

export function allowsRest(scopes: string[]): boolean {
  return scopes.some((s) => REST_SCOPES.includes(s));
}

/**
 * Scopes that open the identity service (userinfo, the identity URL). The platform documents `id`,
 * `openid`, `profile`, `email`, `address`, `phone` for it and the sf CLI reads userinfo with an `api`
 * token; accepting `web`, `full` and `mcp_api` as well is a local choice (UNCONFIRMED).
 */
export const IDENTITY_SCOPES = ['id', 'openid', 'profile', 'email', 'address', 'phone', 'api', 'web', 'full', 'mcp_api'];

export function allowsIdentity(scopes: string[]): boolean {
  return scopes.some((s) => IDENTITY_SCOPES.includes(s));
}

/** Human text for the consent page. */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  id: 'Access the identity URL service',
  api: 'Manage user data via APIs',
  web: 'Manage user data via Web browsers',
  full: 'Full access',
  refresh_token: 'Perform requests at any time',
  offline_access: 'Perform requests at any time',
  openid: 'Access unique user identifiers',
  profile: 'Access your basic information',
  email: 'Access your email address',
  address: 'Access your address',
  phone: 'Access your phone number',
  mcp_api: 'Access Salesforce hosted MCP servers',
  sfap_api: 'Access the Salesforce API Platform',
  einstein_gpt_api: 'Access Einstein GPT services',
  chatter_api: 'Access Connect REST API resources',
  visualforce: 'Access custom applications',
  custom_permissions: 'Access custom permissions',
};
