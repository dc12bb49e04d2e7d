/**
 * Deploys a throw-away External Client App into a running test org (the five metadata components,
 * as force-app would hold them), for tests that need settings the project's apps do not have.
 */
import type { LocalOrg } from '../../src/local-org.ts';
import { applyComponents } from '../../src/metadata/apply.ts';

export interface TestEcaOptions {
  name: string;
  callbackUrls: string[];
  /** Metadata scope names, e.g. `['MCP', 'RefreshToken']`. */
  scopes: string[];
  consumerKey?: string;
  pkceRequired?: boolean;
  secretOptional?: boolean;
  namedUserJwt?: boolean;
  rotation?: boolean;
  introspectAll?: boolean;
  clientCredentials?: boolean;
  permittedUsers?: 'AllSelfAuthorized' | 'AdminApprovedPreAuthorized';
  permissionSets?: string[];
  profiles?: string[];
  refreshPolicy?: { type: string; period?: number; unit?: string };
  jwtTimeoutMinutes?: number;
  enabled?: boolean;
  oauthEnabled?: boolean;
}

const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';

export function deployTestEca(local: LocalOrg, o: TestEcaOptions): void {
  const el = (name: string, value: string | number | boolean | undefined) => (value === undefined ? '' : `<${name}>${value}</${name}>`);
  const components = [
    {
      type: 'ExternalClientApplication',
      fullName: o.name,
      xml: `<?xml version="1.0" encoding="UTF-8"?><ExternalClientApplication ${NS}><contactEmail>test@forcegate.local</contactEmail><distributionState>Local</distributionState><isProtected>false</isProtected><label>${o.name} Label</label></ExternalClientApplication>`,
    },
    {
      type: 'ExtlClntAppGlobalOauthSettings',
      fullName: o.name,
      xml: `<?xml version="1.0" encoding="UTF-8"?><ExtlClntAppGlobalOauthSettings ${NS}><callbackUrl>${o.callbackUrls.join('\n')}</callbackUrl>${el('consumerKey', o.consumerKey)}<externalClientApplication>${o.name}</externalClientApplication>${el('isConsumerSecretOptional', o.secretOptional ?? true)}${el('isIntrospectAllTokens', o.introspectAll ?? false)}${el('isNamedUserJwtEnabled', o.namedUserJwt ?? true)}${el('isPkceRequired', o.pkceRequired ?? true)}${el('isRefreshTokenRotationEnabled', o.rotation ?? false)}<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken><label>${o.name} OAuth</label></ExtlClntAppGlobalOauthSettings>`,
    },
    {
      type: 'ExtlClntAppOauthSettings',
      fullName: o.name,
      xml: `<?xml version="1.0" encoding="UTF-8"?><ExtlClntAppOauthSettings ${NS}><commaSeparatedOauthScopes>${o.scopes.join(', ')}</commaSeparatedOauthScopes><externalClientApplication>${o.name}</externalClientApplication><label>${o.name} Scopes</label></ExtlClntAppOauthSettings>`,
    },
    {
      type: 'ExtlClntAppOauthConfigurablePolicies',
      fullName: `${o.name}_defaultPolicy`,
      xml: `<?xml version="1.0" encoding="UTF-8"?><ExtlClntAppOauthConfigurablePolicies ${NS}>${el('commaSeparatedPermissionSet', o.permissionSets?.join(','))}${el('commaSeparatedProfile', o.profiles?.join(','))}<externalClientApplication>${o.name}</externalClientApplication><ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>${el('isClientCredentialsFlowEnabled', o.clientCredentials ?? false)}<label>${o.name}_defaultPolicy</label>${o.jwtTimeoutMinutes ? `<namedUserJwtSessionTimeoutType>Custom</namedUserJwtSessionTimeoutType><namedUserJwtTimeout>${o.jwtTimeoutMinutes}</namedUserJwtTimeout>` : ''}<permittedUsersPolicyType>${o.permittedUsers ?? 'AllSelfAuthorized'}</permittedUsersPolicyType><refreshTokenPolicyType>${o.refreshPolicy?.type ?? 'SpecificLifetime'}</refreshTokenPolicyType>${el('refreshTokenValidityPeriod', o.refreshPolicy?.period ?? (o.refreshPolicy ? undefined : 30))}${el('refreshTokenValidityUnit', o.refreshPolicy?.unit ?? (o.refreshPolicy ? undefined : 'Days'))}<requiredSessionLevel>STANDARD</requiredSessionLevel></ExtlClntAppOauthConfigurablePolicies>`,
    },
    {
      type: 'ExtlClntAppConfigurablePolicies',
      fullName: o.name,
      xml: `<?xml version="1.0" encoding="UTF-8"?><ExtlClntAppConfigurablePolicies ${NS}><externalClientApplication>${o.name}</externalClientApplication>${el('isEnabled', o.enabled ?? true)}${el('isOauthPluginEnabled', o.oauthEnabled ?? true)}<label>${o.name} Policies</label><startPage>None</startPage></ExtlClntAppConfigurablePolicies>`,
    },
  ].map((c) => ({ ...c, path: `test/${c.fullName}` }));
  local.org.db.transaction(() => applyComponents(local.org, components, local.org.systemUserId))();
}
