/**
 * `POST /services/oauth2/token`: the authorization_code (PKCE) and refresh_token grants. Every
 * other grant is refused with the platform's errors. Replies are JSON, `no-store`; errors are 400
 * `{error, error_description}` (texts in wire.md §6.2; the UNCONFIRMED ones are marked below).
 */
import { OAuthError } from '../http/errors.ts';
import type { RequestContext, Router } from '../http/router.ts';
import { isResourceIndicator } from './authorize.ts';
import type { ClientRegistry, OAuthClient } from './clients.ts';
import { clientCredentials, CORS, NO_STORE, preflight, safeEqual } from './http-util.ts';
import type { TokenService } from './tokens.ts';

const UNSUPPORTED = () => new OAuthError(400, 'unsupported_grant_type', 'grant type not supported'); // text UNCONFIRMED

export function registerTokenEndpoint(router: Router, clients: ClientRegistry, tokens: TokenService, secrets: (client: OAuthClient) => string | undefined): void {
  router.add('OPTIONS', '/services/oauth2/token', () => preflight('POST, OPTIONS'), { auth: 'public' });
  router.add(
    'POST',
    '/services/oauth2/token',
    async (ctx) => {
      try {
        return { status: 200, json: await handle(ctx), headers: { ...NO_STORE, ...CORS } };
      } catch (err) {
        if (err instanceof OAuthError) return { status: err.status, json: { error: err.error, error_description: err.description }, headers: { ...NO_STORE, ...CORS } };
        throw err;
      }
    },
    { auth: 'public' },
  );

  async function handle(ctx: RequestContext): Promise<unknown> {
    const form = await ctx.form();
    const grantType = form.get('grant_type');
    const creds = clientCredentials(ctx, form);
    switch (grantType) {
      case 'authorization_code': {
        const client = authenticate(creds, 'authorization_code');
        const code = form.get('code');
        if (!code) throw new OAuthError(400, 'invalid_grant', 'invalid authorization code');
        return tokens.redeemCode({
          code,
          client,
          redirectUri: form.get('redirect_uri'),
          verifier: form.get('code_verifier'),
          resource: resourceParam(form),
        });
      }
      case 'refresh_token': {
        const client = authenticate(creds, 'refresh_token');
        const refreshToken = form.get('refresh_token');
        if (!refreshToken) throw new OAuthError(400, 'invalid_grant', 'expired access/refresh token');
        // jsforce sends its code_verifier on refresh too: ignored, as the platform does.
        return tokens.refresh({ refreshToken, client, resource: resourceParam(form) });
      }
      case 'client_credentials': {
        const client = authenticate(creds, 'client_credentials');
        if (!client.clientCredentialsEnabled) throw new OAuthError(400, 'invalid_grant', 'client credentials flow is not enabled'); // text UNCONFIRMED
        throw UNSUPPORTED(); // not implemented by the local org
      }
      case 'password': // username-password flow: not available to External Client Apps
      case 'urn:ietf:params:oauth:grant-type:jwt-bearer':
      case 'urn:ietf:params:oauth:grant-type:saml2-bearer':
      case 'urn:ietf:params:oauth:grant-type:device_code':
      case 'device': // the platform's own device-flow grant name
      case 'urn:ietf:params:oauth:grant-type:token-exchange':
      default:
        throw UNSUPPORTED();
    }
  }

  /**
   * The client and its credentials. ForceGate's apps are public clients (no secret is ever issued),
   * so a secret sent for them is wrong by definition; an app that requires a secret gets one only
   * from config/local-org.json `clients.<Name>.consumerSecret`.
   */
  function authenticate(creds: ReturnType<typeof clientCredentials>, grant: string): OAuthClient {
    if (creds.conflict) throw new OAuthError(400, 'invalid_client', 'invalid client credentials');
    const client = clients.byClientId(creds.clientId);
    if (!client || !client.oauthEnabled) throw new OAuthError(400, 'invalid_client_id', 'client identifier invalid');
    if (!client.enabled) throw new OAuthError(400, 'OAUTH_APP_BLOCKED', 'this app is blocked by admin'); // UNCONFIRMED at the token endpoint
    const expected = secrets(client);
    if (creds.secret !== undefined) {
      if (!expected || !safeEqual(creds.secret, expected)) throw new OAuthError(400, 'invalid_client', 'invalid client credentials');
    } else if (!client.secretOptional && (grant !== 'refresh_token' || client.secretRequiredForRefresh)) {
      throw new OAuthError(400, 'invalid_client', 'invalid client credentials');
    }
    return client;
  }
}

function resourceParam(form: URLSearchParams): string | null {
  const all = form.getAll('resource');
  if (all.length > 1) throw new OAuthError(400, 'invalid_target', 'only one resource may be requested');
  if (all.length === 0) return null;
  if (!isResourceIndicator(all[0]!)) throw new OAuthError(400, 'invalid_target', 'resource must be an absolute URI without a fragment');
  return all[0]!;
}

