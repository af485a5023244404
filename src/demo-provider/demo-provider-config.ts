import { parseBoolean, parseHttpUrl, parsePositiveInteger } from '../config/index.js';
import { ConfigInvalid } from '../shared/errors.js';
import { parseRobotClient, type DemoRobotClient } from './robot-client.js';

/** One registered demo client: confidential, authorization_code + refresh_token, response_type code. */
export interface DemoClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  /** oidc-provider 8 registers exactly one method per client; client_secret_post unless the entry says otherwise. */
  readonly tokenEndpointAuthMethod: 'client_secret_post' | 'client_secret_basic';
}

/** Everything the demo authorization server needs, validated and frozen. Built from the environment in bin/ only. */
export interface DemoProviderConfig {
  /** The issuer URL as the browser sees it (no trailing slash). */
  readonly issuer: string;
  readonly listenHost: string;
  readonly listenPort: number;
  /** PEM file paths; when absent the server speaks plain HTTP (tests only). */
  readonly tls: { readonly certPath: string; readonly keyPath: string } | undefined;
  readonly clients: readonly DemoClient[];
  readonly user: string;
  readonly password: string;
  readonly accessTokenTtlS: number;
  readonly refreshTokenTtlS: number;
  readonly rotateRefreshTokens: boolean;
  /** Scopes the resource server grants (requested scopes outside this list are silently left out of the token). */
  readonly scopes: readonly string[];
  /** The resource (audience) used when an authorization request names none. */
  readonly defaultResource: string;
  /** Where the signing JWKS (private) is kept across restarts; undefined = in memory only. */
  readonly signingKeyFile: string | undefined;
  /** Where grants, refresh tokens and sessions are kept across restarts; undefined = in memory only. */
  readonly stateDir: string | undefined;
  /** Keygrip keys for the provider's cookies; undefined = random per start. */
  readonly cookieKeys: readonly string[] | undefined;
  /** The client-credentials client (DEMO_ROBOT_SECRET_FILE); undefined = none. */
  readonly robot: DemoRobotClient | undefined;
}

/** Environment variable names, verbatim, in one place. */
export const DEMO_ENV = {
  issuer: 'DEMO_ISSUER',
  listenHost: 'DEMO_LISTEN_HOST',
  listenPort: 'DEMO_LISTEN_PORT',
  tlsCert: 'DEMO_TLS_CERT',
  tlsKey: 'DEMO_TLS_KEY',
  clients: 'DEMO_CLIENTS',
  redirectBase: 'DEMO_REDIRECT_BASE',
  user: 'DEMO_USER',
  password: 'DEMO_PASSWORD',
  accessTokenTtl: 'DEMO_ACCESS_TOKEN_TTL',
  refreshTokenTtl: 'DEMO_REFRESH_TOKEN_TTL',
  rotateRefreshTokens: 'DEMO_ROTATE_REFRESH_TOKENS',
  scopes: 'DEMO_SCOPES',
  defaultResource: 'DEMO_DEFAULT_RESOURCE',
  signingKeyFile: 'DEMO_SIGNING_KEY_FILE',
  stateDir: 'DEMO_STATE_DIR',
  cookieKeys: 'DEMO_COOKIE_KEYS',
} as const;

export const DEMO_DEFAULTS = {
  issuer: 'https://localhost:9443',
  listenHost: '0.0.0.0',
  listenPort: 9443,
  redirectBase: 'https://localhost:8443',
  user: 'demo',
  password: 'demo',
  accessTokenTtlS: 120,
  refreshTokenTtlS: 86_400,
  rotateRefreshTokens: true,
  // Nothing that writes under /public (write:/public, storage.modify:/, storage.create:/) and nothing under /user: the
  // client secrets and demo/demo are public, so any local user gets any scope listed here by running the code flow by
  // hand (issue 15), and the storage trusts this issuer for /user too (for the robot client's per-user tokens). The
  // storage refuses writes to /public whatever the token says; a requested scope not listed is left out of the token.
  scopes: 'read:/public read:/protected write:/protected compute.create storage.read:/public',
  defaultResource: 'https://localhost',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function defaultClients(redirectBase: string): DemoClient[] {
  return [
    {
      clientId: 'credmon-sandbox-scitokens',
      clientSecret: 'demo-scitokens-secret',
      redirectUris: [`${redirectBase}/return/scitokens`],
      tokenEndpointAuthMethod: 'client_secret_post',
    },
    {
      clientId: 'credmon-sandbox-demo',
      clientSecret: 'demo-demo-secret',
      redirectUris: [`${redirectBase}/return/demo`],
      tokenEndpointAuthMethod: 'client_secret_post',
    },
  ];
}

function isAbsoluteHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hash === '';
  } catch {
    return false;
  }
}

function nonEmpty(raw: string | undefined): string | undefined {
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function parseUrl(
  name: string,
  raw: string | undefined,
  fallback: string,
  problems: string[],
  allowQuery = false,
): string {
  return parseHttpUrl(name, nonEmpty(raw) ?? fallback, problems, { allowQuery });
}

function parsePort(name: string, raw: string | undefined, fallback: number, problems: string[]): number {
  const v = nonEmpty(raw);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) > 65_535) {
    problems.push(`${name} = ${v}: expected a TCP port (0-65535)`);
    return fallback;
  }
  return Number(v);
}

function parseClients(raw: string, problems: string[]): DemoClient[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    problems.push(`${DEMO_ENV.clients}: not JSON (${(error as Error).message})`);
    return [];
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push(`${DEMO_ENV.clients}: expected a non-empty JSON array of clients`);
    return [];
  }
  const clients: DemoClient[] = [];
  const seen = new Set<string>();
  parsed.forEach((entry: unknown, i) => {
    const where = `${DEMO_ENV.clients}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${where}: expected an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const clientId = e['client_id'];
    const clientSecret = e['client_secret'];
    const redirectUris = e['redirect_uris'];
    const method = e['token_endpoint_auth_method'] ?? 'client_secret_post';
    let ok = true;
    if (typeof clientId !== 'string' || clientId === '') {
      problems.push(`${where}.client_id: expected a non-empty string`);
      ok = false;
    } else if (seen.has(clientId)) {
      problems.push(`${where}.client_id: ${clientId} is listed twice`);
      ok = false;
    }
    if (typeof clientSecret !== 'string' || clientSecret === '') {
      problems.push(`${where}.client_secret: expected a non-empty string`);
      ok = false;
    }
    if (
      !Array.isArray(redirectUris) ||
      redirectUris.length === 0 ||
      !redirectUris.every((u) => typeof u === 'string' && isAbsoluteHttpUrl(u))
    ) {
      problems.push(`${where}.redirect_uris: expected a non-empty array of absolute http(s) URLs without fragment`);
      ok = false;
    }
    if (method !== 'client_secret_post' && method !== 'client_secret_basic') {
      problems.push(`${where}.token_endpoint_auth_method: expected client_secret_post or client_secret_basic`);
      ok = false;
    }
    if (!ok) return;
    seen.add(clientId as string);
    clients.push({
      clientId: clientId as string,
      clientSecret: clientSecret as string,
      redirectUris: Object.freeze([...(redirectUris as string[])]),
      tokenEndpointAuthMethod: method as DemoClient['tokenEndpointAuthMethod'],
    });
  });
  return clients;
}

/**
 * Turns DEMO_* environment variables into one frozen config; reports every problem at once (ConfigInvalid).
 * Takes the environment as an argument so only src/bin/ reads process.env.
 */
export function parseDemoProviderConfig(env: Env): DemoProviderConfig {
  const problems: string[] = [];
  const issuer = parseUrl(DEMO_ENV.issuer, env[DEMO_ENV.issuer], DEMO_DEFAULTS.issuer, problems);
  const listenHost = nonEmpty(env[DEMO_ENV.listenHost]) ?? DEMO_DEFAULTS.listenHost;
  const listenPort = parsePort(DEMO_ENV.listenPort, env[DEMO_ENV.listenPort], DEMO_DEFAULTS.listenPort, problems);

  const certPath = nonEmpty(env[DEMO_ENV.tlsCert]);
  const keyPath = nonEmpty(env[DEMO_ENV.tlsKey]);
  if ((certPath === undefined) !== (keyPath === undefined)) {
    problems.push(`${DEMO_ENV.tlsCert} and ${DEMO_ENV.tlsKey}: set both (HTTPS) or neither (plain HTTP)`);
  }
  const tls = certPath !== undefined && keyPath !== undefined ? Object.freeze({ certPath, keyPath }) : undefined;

  const redirectBase = parseUrl(
    DEMO_ENV.redirectBase,
    env[DEMO_ENV.redirectBase],
    DEMO_DEFAULTS.redirectBase,
    problems,
  );
  const rawClients = nonEmpty(env[DEMO_ENV.clients]);
  const clients = rawClients === undefined ? defaultClients(redirectBase) : parseClients(rawClients, problems);

  const user = nonEmpty(env[DEMO_ENV.user]) ?? DEMO_DEFAULTS.user;
  const password =
    env[DEMO_ENV.password] === undefined || env[DEMO_ENV.password] === ''
      ? DEMO_DEFAULTS.password
      : (env[DEMO_ENV.password] as string);

  const accessTokenTtlS = parsePositiveInteger(
    DEMO_ENV.accessTokenTtl,
    env[DEMO_ENV.accessTokenTtl],
    DEMO_DEFAULTS.accessTokenTtlS,
    problems,
  );
  const refreshTokenTtlS = parsePositiveInteger(
    DEMO_ENV.refreshTokenTtl,
    env[DEMO_ENV.refreshTokenTtl],
    DEMO_DEFAULTS.refreshTokenTtlS,
    problems,
  );
  const rotateRefreshTokens = parseBoolean(
    DEMO_ENV.rotateRefreshTokens,
    env[DEMO_ENV.rotateRefreshTokens],
    DEMO_DEFAULTS.rotateRefreshTokens,
    problems,
  );

  const scopes = (nonEmpty(env[DEMO_ENV.scopes]) ?? DEMO_DEFAULTS.scopes).split(/\s+/).filter((s) => s !== '');
  if (scopes.includes('openid')) problems.push(`${DEMO_ENV.scopes}: openid is not a resource server scope`);

  const defaultResource = parseUrl(
    DEMO_ENV.defaultResource,
    env[DEMO_ENV.defaultResource],
    DEMO_DEFAULTS.defaultResource,
    problems,
    true,
  );

  const signingKeyFile = nonEmpty(env[DEMO_ENV.signingKeyFile]);
  if (signingKeyFile !== undefined && !signingKeyFile.startsWith('/')) {
    problems.push(`${DEMO_ENV.signingKeyFile} = ${signingKeyFile}: expected an absolute path`);
  }
  const stateDir = nonEmpty(env[DEMO_ENV.stateDir]);
  if (stateDir !== undefined && !stateDir.startsWith('/'))
    problems.push(`${DEMO_ENV.stateDir} = ${stateDir}: expected an absolute path`);
  const rawCookieKeys = nonEmpty(env[DEMO_ENV.cookieKeys]);
  const cookieKeys = rawCookieKeys
    ?.split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  if (cookieKeys !== undefined && cookieKeys.some((k) => k.length < 16)) {
    problems.push(`${DEMO_ENV.cookieKeys}: each comma-separated key must be at least 16 characters`);
  }

  const robot = parseRobotClient(env, problems);
  if (robot !== undefined && clients.some((c) => c.clientId === robot.clientId)) {
    problems.push(`DEMO_ROBOT_CLIENT_ID = ${robot.clientId}: already the id of a client in DEMO_CLIENTS`);
  }

  if (problems.length > 0) throw new ConfigInvalid(problems);
  return Object.freeze({
    issuer,
    listenHost,
    listenPort,
    tls,
    clients: Object.freeze(clients.map((c) => Object.freeze(c))),
    user,
    password,
    accessTokenTtlS,
    refreshTokenTtlS,
    rotateRefreshTokens,
    scopes: Object.freeze(scopes),
    defaultResource,
    signingKeyFile,
    stateDir,
    cookieKeys: cookieKeys === undefined ? undefined : Object.freeze(cookieKeys),
    robot,
  });
}
