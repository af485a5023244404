import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';

/** The demo's client-credentials client (the sandbox's CLIENT_CREDMON provider `robot`), as configured. */
export interface DemoRobotClient {
  readonly clientId: string;
  /** The root-only file its secret is read from, or generated into (loadRobotSecret). */
  readonly secretFile: string;
}

export const ROBOT_ENV = { clientId: 'DEMO_ROBOT_CLIENT_ID', secretFile: 'DEMO_ROBOT_SECRET_FILE' } as const;
export const ROBOT_DEFAULT_CLIENT_ID = 'robot';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * DEMO_ROBOT_SECRET_FILE (an absolute path) registers the robot client; unset, there is none. DEMO_ROBOT_CLIENT_ID
 * names it (default `robot`). Problems are appended to `problems`.
 */
export function parseRobotClient(env: Env, problems: string[]): DemoRobotClient | undefined {
  const secretFile = env[ROBOT_ENV.secretFile]?.trim() ?? '';
  const clientId = env[ROBOT_ENV.clientId]?.trim() || ROBOT_DEFAULT_CLIENT_ID;
  if (!/^[A-Za-z0-9._~-]{1,128}$/.test(clientId)) {
    problems.push(`${ROBOT_ENV.clientId} = ${clientId}: expected 1-128 characters of A-Z a-z 0-9 . _ ~ -`);
  }
  if (secretFile === '') return undefined;
  if (!secretFile.startsWith('/')) {
    problems.push(`${ROBOT_ENV.secretFile} = ${secretFile}: expected an absolute path`);
    return undefined;
  }
  return Object.freeze({ clientId, secretFile });
}

/**
 * The robot's registration: confidential, the client_credentials grant only (no redirect, no browser), HTTP Basic
 * client authentication as upstream's knob default (oidc-provider 8 also accepts the secret in the body for a
 * client registered for Basic: both are the client_secret family in its token_auth.js).
 */
export function toRobotClientMetadata(clientId: string, clientSecret: string): ClientMetadata {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    // The provider's only key is ES256; without this the RS256 default fails the client's metadata validation.
    id_token_signed_response_alg: 'ES256',
  };
}

/** True for a client-credentials request of the robot client. */
export function isRobotRequest(ctx: KoaContextWithOIDC, clientId: string | undefined): boolean {
  return clientId !== undefined && ctx.oidc?.client?.clientId === clientId;
}

/**
 * The resource (JWT `aud`) of a robot token: the `audience` form field that upstream's ClientCredmon.py and ours
 * send (not a token-endpoint parameter oidc-provider knows, so it is read from the body), else `fallback`. A
 * `resource` parameter (RFC 8707), when sent, is used by oidc-provider itself and never reaches this.
 */
export function robotAudience(ctx: KoaContextWithOIDC, fallback: string): string {
  const audience = (ctx.oidc.body as Record<string, unknown> | undefined)?.['audience'];
  return typeof audience === 'string' && audience.trim() !== '' ? audience.trim() : fallback;
}

/** `"wlcg.ver": "1.0"` for a robot token that was granted the scope `wlcg` (the WLCG profile the storage speaks). */
export function robotTokenClaims(scope: string | undefined): Record<string, string> | undefined {
  return (scope ?? '').split(' ').includes('wlcg') ? { 'wlcg.ver': '1.0' } : undefined;
}
