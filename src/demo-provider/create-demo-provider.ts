import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
import type { AdapterFactory, ClientMetadata, Configuration, JWKS, KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import { describeError } from '../shared/errors.js';
import type { DemoProviderConfig } from './demo-provider-config.js';
import { isRobotRequest, robotAudience, robotTokenClaims, toRobotClientMetadata } from './robot-client.js';
import { grantRobotScopes } from './robot-scope-policy.js';
import { DEMO_PAGE_HEADERS, toDemoErrorResponse } from './send-page.js';

const DAY_S = 24 * 60 * 60;

function toClientMetadata(config: DemoProviderConfig): ClientMetadata[] {
  return config.clients.map((c) => ({
    client_id: c.clientId,
    client_secret: c.clientSecret,
    redirect_uris: [...c.redirectUris],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // oidc-provider 8 registers one method per client and rejects any other (token_auth.js), so no "post or basic".
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    // Our only key is ES256; the RS256 default would have no key to sign ID tokens with.
    id_token_signed_response_alg: 'ES256',
  }));
}

/** The robot's registration, when config.robot names one; its secret comes from loadRobotSecret. */
function robotMetadata(config: DemoProviderConfig, robotSecret: string | undefined): ClientMetadata[] {
  if (config.robot === undefined) return [];
  if (robotSecret === undefined) throw new TypeError('config.robot is set but no robot secret was given');
  return [toRobotClientMetadata(config.robot.clientId, robotSecret)];
}

function requestedScope(ctx: KoaContextWithOIDC): string | undefined {
  const scope = (ctx.oidc.params as { scope?: unknown } | undefined)?.scope;
  return typeof scope === 'string' ? scope : undefined;
}

function clientIdOf(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.oidc?.client?.clientId;
}

/** OAuth error fields only: never the request, its body, codes or tokens. */
function errorFields(error: unknown): { error: string; description?: string } {
  const e = error as { error?: unknown; error_description?: unknown };
  const code = typeof e.error === 'string' ? e.error : 'server_error';
  return typeof e.error_description === 'string' ? { error: code, description: e.error_description } : { error: code };
}

/**
 * The oidc-provider instance behind the demo authorization server, configured for plain OAuth 2.0:
 *
 * - No `openid` scope is needed: in oidc-provider 8 `check_openid_scope.js` only demands it for OpenID-only
 *   parameters (id_token response types, nonce, claims, max_age, ...), so `scope=read:/public` alone is accepted.
 * - Scopes such as `read:/public` belong to the resource server (features.resourceIndicators): they are NOT added to
 *   the `scopes` list, which oidc-provider treats as OpenID Connect scopes. A request without `resource` gets
 *   `config.defaultResource`; token and refresh requests without `resource` reuse the granted one
 *   (useGrantedResource), so they still receive an ES256 JWT for that audience.
 * - Refresh tokens without `offline_access` (issueRefreshToken), not tied to the browser session
 *   (expiresWithSession), rotated per config.
 * - Storage: a file adapter (DEMO_STATE_DIR) keeps grants across restarts; without it, oidc-provider's memory
 *   adapter (and its development-only warning).
 * - The robot client (config.robot), when there is one: the client_credentials grant only; its token's audience
 *   is the `audience` form field, its scope the requested words grantRobotScopes allows, and it carries
 *   `"wlcg.ver": "1.0"` when `wlcg` was granted. Its `sub` is the client id; the user is only in `condor.user:<user>`.
 * - Mounted at the root and not behind a proxy: endpoint URLs come from the request (`ctx.href`), the issuer from
 *   config, and nothing compares the Host header to the issuer, so https://demo-provider:9443/token works while the
 *   issuer is https://localhost:9443. Secure cookies follow the real TLS socket (`ctx.secure`).
 */
export function createDemoProvider(
  config: DemoProviderConfig,
  jwks: JWKS,
  logger: Logger,
  options: { readonly adapter?: AdapterFactory; readonly robotSecret?: string } = {},
): Provider {
  const { adapter, robotSecret } = options;
  const robotId = config.robot?.clientId;
  const cookieKeys = config.cookieKeys ? [...config.cookieKeys] : [randomBytes(32).toString('base64url')];
  const resourceScope = config.scopes.join(' ');

  const configuration: Configuration = {
    ...(adapter ? { adapter } : {}),
    clients: [...toClientMetadata(config), ...robotMetadata(config, robotSecret)],
    jwks,
    clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    cookies: {
      keys: cookieKeys,
      // 'lax' rather than the default 'none' for the long-lived session cookie: every request that needs it is a
      // top-level navigation, and browsers drop SameSite=None cookies that are not Secure (plain-HTTP test mode).
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    findAccount: (_ctx, sub) => (sub === config.user ? { accountId: sub, claims: () => ({ sub }) } : undefined),
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      clientCredentials: { enabled: robotId !== undefined },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, _client, oneOf) => {
          if (oneOf === undefined) {
            return isRobotRequest(ctx, robotId) ? robotAudience(ctx, config.defaultResource) : config.defaultResource;
          }
          return oneOf.length === 1 && oneOf[0] !== undefined ? oneOf[0] : oneOf;
        },
        getResourceServerInfo: (ctx, resourceIndicator) => ({
          scope: isRobotRequest(ctx, robotId) ? grantRobotScopes(requestedScope(ctx)).granted.join(' ') : resourceScope,
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: config.accessTokenTtlS,
          jwt: { sign: { alg: 'ES256' } },
        }),
        useGrantedResource: () => true,
      },
    },
    extraTokenClaims: (_ctx, token) =>
      token.kind === 'ClientCredentials' && token.clientId === robotId ? robotTokenClaims(token.scope) : undefined,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: () => false,
    rotateRefreshToken: config.rotateRefreshTokens,
    ttl: {
      AccessToken: config.accessTokenTtlS,
      AuthorizationCode: 60,
      RefreshToken: config.refreshTokenTtlS,
      Grant: Math.max(14 * DAY_S, config.refreshTokenTtlS),
      Session: 14 * DAY_S,
      Interaction: 60 * 60,
      IdToken: 60 * 60,
      ClientCredentials: config.accessTokenTtlS,
      DeviceCode: 10 * 60,
      BackchannelAuthenticationRequest: 10 * 60,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The same one error answer as the interaction pages; its log line is left out: the error events below log it.
    renderError: (ctx, out) => {
      const response = toDemoErrorResponse({ ...out, statusCode: ctx.status >= 400 ? ctx.status : 400 });
      ctx.status = response.status;
      ctx.set({ ...DEMO_PAGE_HEADERS, ...response.headers });
      ctx.body = response.body;
    },
  };

  const provider = new Provider(config.issuer, configuration);

  provider.on('server_error', (ctx: KoaContextWithOIDC, error: unknown) => {
    logger.error({ path: ctx.path, err: describeError(error) }, 'provider server error');
  });
  for (const event of ['authorization.error', 'grant.error', 'revocation.error'] as const) {
    provider.on(event, (ctx: KoaContextWithOIDC, error: unknown) => {
      logger.warn({ event, clientId: clientIdOf(ctx), ...errorFields(error) }, 'request rejected');
    });
  }
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = (ctx.oidc.params as { grant_type?: unknown } | undefined)?.grant_type;
    if (!isRobotRequest(ctx, robotId)) {
      logger.info({ clientId: clientIdOf(ctx), grantType }, 'tokens issued');
      return;
    }
    // Scope words are no secret; the dropped ones say why a robot token lacks something.
    const { granted, dropped } = grantRobotScopes(requestedScope(ctx));
    logger.info({ clientId: robotId, grantType, scope: granted.join(' '), dropped }, 'tokens issued');
  });
  provider.on('grant.revoked', (_ctx: KoaContextWithOIDC, grantId: string) => {
    logger.info({ grantId }, 'grant revoked');
  });
  return provider;
}
