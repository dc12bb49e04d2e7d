/**
 * A hardened External Client App for an MCP client (platform.md §9.2), in the five source files
 * force-app's apps use: public client with PKCE, JWT access tokens, refresh-token rotation, scopes
 * MCP + RefreshToken only, every other flow off, admin-approved users through one permission set,
 * IP restrictions enforced, refresh tokens with a fixed lifetime.
 */
import { Messages } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('@forcegate/plugin-mcp', 'mcp.client.create');

export type ClientPreset = 'claude' | 'cursor' | 'chatgpt' | 'inspector';

export const PRESETS: Record<ClientPreset, { label: string; callbackUrls: string[]; refreshTokenDays: number }> = {
  claude: { label: 'Claude', callbackUrls: ['https://claude.ai/api/mcp/auth_callback'], refreshTokenDays: 30 },
  cursor: {
    label: 'Cursor',
    callbackUrls: ['cursor://anysphere.cursor-mcp/oauth/callback', 'http://localhost:8787/callback'],
    refreshTokenDays: 30,
  },
  chatgpt: { label: 'ChatGPT', callbackUrls: ['https://chatgpt.com/connector_platform_oauth_redirect'], refreshTokenDays: 30 },
  inspector: {
    label: 'MCP Inspector',
    callbackUrls: ['http://localhost:6274/oauth/callback', 'http://localhost:6274/oauth/callback/debug'],
    refreshTokenDays: 1,
  },
};

export type EcaSpec = {
  name: string;
  label: string;
  description: string;
  contactEmail: string;
  callbackUrls: string[];
  permissionSet: string;
  refreshTokenDays: number;
};

export type EcaFile = { path: string; type: string; content: string };

/** API names: a letter first, then letters, digits and single underscores, no trailing underscore, at most 40 characters. */
export function checkApiName(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return messages.getMessage('invalid.name.characters');
  if (name.includes('__') || name.endsWith('_')) return messages.getMessage('invalid.name.underscores');
  if (name.length > 40) return messages.getMessage('invalid.name.length');
  return undefined;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);

/** An OAuth redirect URI is acceptable when it is https, http on loopback, or a private-use app scheme. */
export function checkCallbackUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return messages.getMessage('invalid.callback.syntax');
  }
  if (url.hash) return messages.getMessage('invalid.callback.fragment');
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return LOOPBACK.has(url.hostname) ? undefined : messages.getMessage('invalid.callback.http');
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return messages.getMessage('invalid.callback.scheme');
  // private-use URI scheme of a native app (RFC 8252 §7.1), e.g. cursor://anysphere.cursor-mcp/oauth/callback
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? undefined : messages.getMessage('invalid.callback.scheme');
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';

/** The five source files, paths relative to the package's `main/default` folder. */
export function ecaFiles(spec: EcaSpec): EcaFile[] {
  const n = spec.name;
  const label = xml(spec.label);
  return [
    {
      path: `externalClientApps/${n}.eca-meta.xml`,
      type: 'ExternalClientApplication',
      content: `${HEADER}<!-- External Client App for an MCP client, written by "sf mcp client create". The hardened OAuth
     settings are in the sibling files (extlClntAppGlobalOauthSets, extlClntAppOauthSettings,
     extlClntAppPolicies, extlClntAppOauthPolicies). -->
<ExternalClientApplication ${NS}>
    <contactEmail>${xml(spec.contactEmail)}</contactEmail>
    <description>${xml(spec.description)}</description>
    <distributionState>Local</distributionState>
    <isProtected>false</isProtected>
    <label>${label}</label>
</ExternalClientApplication>
`,
    },
    {
      path: `extlClntAppGlobalOauthSets/${n}.ecaGlblOauth-meta.xml`,
      type: 'ExtlClntAppGlobalOauthSettings',
      content: `${HEADER}<!-- No consumerKey or consumerSecret: the org generates the key at deploy time (read it back with
     "sf project retrieve start -m ExtlClntAppGlobalOauthSettings:${n}"); this is a public client without a secret. -->
<ExtlClntAppGlobalOauthSettings ${NS}>
    <!-- Exact redirect URIs, one per line. -->
    <callbackUrl>${spec.callbackUrls.map(xml).join('\n')}</callbackUrl>
    <externalClientApplication>${n}</externalClientApplication>
    <!-- Only the authorization-code flow with PKCE: no client credentials, no headless login, no device flow, no token exchange. -->
    <isClientCredentialsFlowEnabled>false</isClientCredentialsFlowEnabled>
    <isCodeCredFlowEnabled>false</isCodeCredFlowEnabled>
    <isConsumerSecretOptional>true</isConsumerSecretOptional>
    <isDeviceFlowEnabled>false</isDeviceFlowEnabled>
    <isIntrospectAllTokens>false</isIntrospectAllTokens>
    <!-- JWT access tokens: Hosted MCP servers accept only JWT bearer tokens. -->
    <isNamedUserJwtEnabled>true</isNamedUserJwtEnabled>
    <isPkceRequired>true</isPkceRequired>
    <!-- Every refresh returns a new refresh token and retires the old one. -->
    <isRefreshTokenRotationEnabled>true</isRefreshTokenRotationEnabled>
    <isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>
    <isTokenExchangeEnabled>false</isTokenExchangeEnabled>
    <label>${label} OAuth</label>
    <shouldRotateConsumerKey>false</shouldRotateConsumerKey>
    <shouldRotateConsumerSecret>false</shouldRotateConsumerSecret>
</ExtlClntAppGlobalOauthSettings>
`,
    },
    {
      path: `extlClntAppOauthSettings/${n}.ecaOauth-meta.xml`,
      type: 'ExtlClntAppOauthSettings',
      content: `${HEADER}<!-- Scopes: mcp_api and refresh_token only; a leaked token can't call the REST or SOAP APIs. -->
<ExtlClntAppOauthSettings ${NS}>
    <commaSeparatedOauthScopes>MCP, RefreshToken</commaSeparatedOauthScopes>
    <externalClientApplication>${n}</externalClientApplication>
    <label>${label} Scopes</label>
</ExtlClntAppOauthSettings>
`,
    },
    {
      path: `extlClntAppPolicies/${n}.ecaPlcy-meta.xml`,
      type: 'ExtlClntAppConfigurablePolicies',
      content: `${HEADER}<ExtlClntAppConfigurablePolicies ${NS}>
    <externalClientApplication>${n}</externalClientApplication>
    <isEnabled>true</isEnabled>
    <isOauthPluginEnabled>true</isOauthPluginEnabled>
    <label>${label} Policies</label>
</ExtlClntAppConfigurablePolicies>
`,
    },
    {
      path: `extlClntAppOauthPolicies/${n}.ecaOauthPlcy-meta.xml`,
      type: 'ExtlClntAppOauthConfigurablePolicies',
      content: `${HEADER}<!-- Only users with the permission set ${xml(spec.permissionSet)} may use the app; nobody can self-authorize. -->
<ExtlClntAppOauthConfigurablePolicies ${NS}>
    <commaSeparatedPermissionSet>${xml(spec.permissionSet)}</commaSeparatedPermissionSet>
    <externalClientApplication>${n}</externalClientApplication>
    <ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>
    <isClientCredentialsFlowEnabled>false</isClientCredentialsFlowEnabled>
    <isGuestCodeCredFlowEnabled>false</isGuestCodeCredFlowEnabled>
    <isTokenExchangeFlowEnabled>false</isTokenExchangeFlowEnabled>
    <label>${label} OAuth Policies</label>
    <permittedUsersPolicyType>AdminApprovedPreAuthorized</permittedUsersPolicyType>
    <refreshTokenPolicyType>SpecificLifetime</refreshTokenPolicyType>
    <refreshTokenValidityPeriod>${spec.refreshTokenDays}</refreshTokenValidityPeriod>
    <refreshTokenValidityUnit>Days</refreshTokenValidityUnit>
    <requiredSessionLevel>STANDARD</requiredSessionLevel>
</ExtlClntAppOauthConfigurablePolicies>
`,
    },
  ];
}
