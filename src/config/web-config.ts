import { isIP } from 'node:net';
import { ConfigInvalid } from '../shared/errors.js';
import { CRED_DIR_KNOBS, parseCredDir } from './cred-dir.js';
import { DAEMON_DEFAULTS, LOCAL_DEFAULTS } from './knobs.js';
import { parseKeyRotation, type KeyRotationConfig } from './key-rotation.js';
import { parseMetricsAddress, type MetricsAddress } from './metrics-address.js';
import {
  parseAbsolutePath,
  parseBoolean,
  parseHttpUrl,
  parseLocalIssuer,
  parsePositiveInteger,
  type KnobLookup,
} from './values.js';

/**
 * Where the web app listens. A Unix socket by default, in a directory only the web app can create entries in and
 * only the web server can enter: no other local user can take its place while it restarts, which any user can do
 * with a TCP port (in a container even ports below 1024 are open to all: ip_unprivileged_port_start is 0). TCP only
 * when WEB_LISTEN_HOST or WEB_LISTEN_PORT asks for it.
 */
export type WebListen =
  | { readonly kind: 'socket'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/**
 * What the web app needs, and nothing more: a knob that only the local issuer's signing uses (audience, version,
 * templates, lifetime) cannot stop the login pages. HTCondor knobs come from `condor_config_val`, the listen address
 * from the environment (the sandbox's supervisord and the package's unit set it, next to the web server's own
 * configuration, which must name the same place).
 */
export interface WebConfig {
  /** SEC_CREDENTIAL_DIRECTORY_OAUTH: key files in, .use/.meta/.top out. */
  readonly credDir: string;
  /** LOCAL_CREDMON_ISSUER (default https://FULL_HOSTNAME): the discovery document's `issuer`. */
  readonly issuer: string;
  /**
   * The path of CREDMON_WEB_PREFIX ('' at the root of its host): the web server in front strips it before the app
   * sees a request (as HTCondor 24+'s web app takes it as its WSGI SCRIPT_NAME); links and redirects carry it.
   */
  readonly basePath: string;
  readonly publicKeyPath: string;
  readonly keyId: string;
  /** LOCAL_CREDMON_PRIVATE_KEY's path only (the web app never reads the key): its key set lies beside it. */
  readonly privateKeyPath: string;
  /** LOCAL_CREDMON_KEY_ROTATION_*: how long the JWKS may be cached (a fraction of the lead). */
  readonly keyRotation: KeyRotationConfig;
  /** CREDMON_OAUTH_REFRESH_TIMEOUT: how long the code exchange with a provider may take. */
  readonly tokenTimeoutS: number;
  /** WEB_LISTEN_SOCKET, or WEB_LISTEN_HOST and WEB_LISTEN_PORT. */
  readonly listen: WebListen;
  readonly debug: boolean;
  /** CREDMON_WEB_METRICS_ADDRESS: where its Prometheus metrics are served; undefined = nowhere. */
  readonly metricsAddress: MetricsAddress | undefined;
}

/** HTCondor knobs the web app reads (with the CREDMON_OAUTH subsystem). */
export const WEB_KNOBS = [
  ...CRED_DIR_KNOBS,
  'FULL_HOSTNAME',
  'LOCAL_CREDMON_ISSUER',
  'CREDMON_WEB_PREFIX',
  'CREDMON_WEB_METRICS_ADDRESS',
  'LOCAL_CREDMON_PUBLIC_KEY',
  'LOCAL_CREDMON_KEY_ID',
  'LOCAL_CREDMON_PRIVATE_KEY',
  'LOCAL_CREDMON_KEY_ROTATION_LEAD',
  'LOCAL_CREDMON_KEY_ROTATION_INTERVAL',
  'CREDMON_OAUTH_REFRESH_TIMEOUT',
] as const;

/** Environment variables the web app reads. */
export const WEB_ENVIRONMENT = ['WEB_LISTEN_SOCKET', 'WEB_LISTEN_HOST', 'WEB_LISTEN_PORT', 'WEB_DEBUG'] as const;

/** The socket, and the TCP address used when only one of WEB_LISTEN_HOST and WEB_LISTEN_PORT is given. */
export const WEB_DEFAULTS = {
  listenSocket: '/run/credmon-sandbox-web/web.sock',
  listenHost: '127.0.0.1',
  listenPort: 8080,
} as const;

/** sun_path holds 108 bytes on Linux, the terminating NUL included. */
const SOCKET_PATH_MAX_BYTES = 107;

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Turns knob and environment values into the web app's frozen configuration; every problem at once, each named. */
export function parseWebConfig(lookup: KnobLookup): WebConfig {
  const problems: string[] = [];

  const credDir = parseCredDir(lookup, problems);
  const issuer = parseLocalIssuer(lookup, problems);
  const basePath = parseBasePath(lookup('CREDMON_WEB_PREFIX'), problems);
  const publicKeyPath =
    parseAbsolutePath(
      'LOCAL_CREDMON_PUBLIC_KEY',
      lookup('LOCAL_CREDMON_PUBLIC_KEY'),
      LOCAL_DEFAULTS.publicKeyPath,
      problems,
    ) ?? LOCAL_DEFAULTS.publicKeyPath;
  const keyId = (lookup('LOCAL_CREDMON_KEY_ID') ?? '').trim() || LOCAL_DEFAULTS.keyId;
  const { privateKeyPath: defaultPrivate } = LOCAL_DEFAULTS;
  const privateKeyPath =
    parseAbsolutePath('LOCAL_CREDMON_PRIVATE_KEY', lookup('LOCAL_CREDMON_PRIVATE_KEY'), defaultPrivate, problems) ??
    defaultPrivate;
  const keyRotation = parseKeyRotation(lookup, problems);
  const tokenTimeoutS = parsePositiveInteger(
    'CREDMON_OAUTH_REFRESH_TIMEOUT',
    lookup('CREDMON_OAUTH_REFRESH_TIMEOUT'),
    DAEMON_DEFAULTS.refreshTimeoutS,
    problems,
  );

  const listen = parseListen(lookup, problems);
  const debug = parseBoolean('WEB_DEBUG', lookup('WEB_DEBUG'), false, problems);
  const metricsAddress = parseMetricsAddress(
    'CREDMON_WEB_METRICS_ADDRESS',
    lookup('CREDMON_WEB_METRICS_ADDRESS'),
    problems,
  );

  if (problems.length > 0) throw new ConfigInvalid(problems);
  const keys = { publicKeyPath, keyId, privateKeyPath, keyRotation };
  return Object.freeze({ credDir, issuer, basePath, ...keys, tokenTimeoutS, listen, debug, metricsAddress });
}

/** WEB_LISTEN_SOCKET (the default), or TCP when WEB_LISTEN_HOST or WEB_LISTEN_PORT is set; never both. */
function parseListen(lookup: KnobLookup, problems: string[]): WebListen {
  const given = (name: string): string | undefined => {
    const raw = lookup(name);
    return raw === undefined || raw.trim() === '' ? undefined : raw;
  };
  const socketRaw = given('WEB_LISTEN_SOCKET');
  const hostRaw = given('WEB_LISTEN_HOST');
  const portRaw = given('WEB_LISTEN_PORT');
  if (hostRaw === undefined && portRaw === undefined) {
    const path =
      parseAbsolutePath('WEB_LISTEN_SOCKET', socketRaw, WEB_DEFAULTS.listenSocket, problems) ??
      WEB_DEFAULTS.listenSocket;
    if (Buffer.byteLength(path) > SOCKET_PATH_MAX_BYTES) {
      problems.push(
        `WEB_LISTEN_SOCKET = ${path}: longer than ${SOCKET_PATH_MAX_BYTES} bytes, the limit of a Unix socket's path`,
      );
    }
    return { kind: 'socket', path };
  }
  if (socketRaw !== undefined) {
    const tcp = [hostRaw === undefined ? '' : 'WEB_LISTEN_HOST', portRaw === undefined ? '' : 'WEB_LISTEN_PORT']
      .filter(Boolean)
      .join(' and ');
    problems.push(
      `WEB_LISTEN_SOCKET = ${socketRaw} and ${tcp} are both set: the web app listens on a Unix socket or on TCP; unset one`,
    );
  }
  const host = hostRaw === undefined ? WEB_DEFAULTS.listenHost : hostRaw.trim();
  if (isIP(host) === 0 && !HOST_NAME.test(host))
    problems.push(`WEB_LISTEN_HOST = ${hostRaw ?? ''}: expected an IP address or a host name`);
  let port: number = WEB_DEFAULTS.listenPort;
  if (portRaw !== undefined) {
    const v = portRaw.trim();
    if (/^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535) port = Number(v);
    else problems.push(`WEB_LISTEN_PORT = ${portRaw}: expected a TCP port number from 1 to 65535`);
  }
  return { kind: 'tcp', host, port };
}

/** The path of CREDMON_WEB_PREFIX without its trailing slash ('' when unset or at the root). */
function parseBasePath(raw: string | undefined, problems: string[]): string {
  if (raw === undefined || raw.trim() === '') return '';
  const url = parseHttpUrl('CREDMON_WEB_PREFIX', raw, problems);
  if (!URL.canParse(url)) return '';
  const path = new URL(url).pathname.replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(path)) {
    problems.push(`CREDMON_WEB_PREFIX = ${raw}: its path may hold only letters, digits and - . _ ~ between slashes`);
    return '';
  }
  return path;
}
