import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { createDemoProvider } from './create-demo-provider.js';
import type { DemoProviderConfig } from './demo-provider-config.js';
import { createInteractionHandler } from './handle-interaction.js';
import { createFileAdapterFactory } from './file-adapter.js';
import { loadRobotSecret } from './load-robot-secret.js';
import { loadSigningJwks } from './load-signing-jwks.js';

export interface DemoApp {
  readonly provider: Provider;
  /** The request listener: /healthz, /interaction/:uid, and everything else to oidc-provider. */
  readonly handleRequest: (req: IncomingMessage, res: ServerResponse) => void;
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,128})\/?$/;

/** The robot client's secret (read, or generated on first start) when config.robot names one; never logged. */
async function loadRobotClientSecret(config: DemoProviderConfig, log: Logger): Promise<string | undefined> {
  if (config.robot === undefined) return undefined;
  const { secretFile: path, clientId } = config.robot;
  const loaded = await loadRobotSecret(path);
  if (loaded.looseMode) log.warn({ path }, 'DEMO_ROBOT_SECRET_FILE is readable by group or others; chmod 600 it');
  log.info({ clientId, origin: loaded.origin, path }, 'client-credentials client registered');
  return loaded.secret;
}

/** Builds the demo authorization server's request handler. Never listens (the caller owns the server). */
export async function buildDemoApp(config: DemoProviderConfig, options: { logger: Logger }): Promise<DemoApp> {
  const log = options.logger;
  const keys = await loadSigningJwks(config.signingKeyFile);
  if (keys.looseMode)
    log.warn({ path: config.signingKeyFile }, 'DEMO_SIGNING_KEY_FILE is readable by group or others; chmod 600 it');
  log.info({ origin: keys.origin, kid: keys.jwks.keys[0]?.kid, path: config.signingKeyFile }, 'signing key ready');

  const adapter = config.stateDir === undefined ? undefined : await createFileAdapterFactory(config.stateDir);
  if (adapter === undefined)
    log.warn('DEMO_STATE_DIR not set: grants live in memory only and a restart logs every user out');
  else log.info({ path: config.stateDir }, 'grants, refresh tokens and sessions are kept in files');
  const robotSecret = await loadRobotClientSecret(config, log);
  const provider = createDemoProvider(config, keys.jwks, log.child({ module: 'provider' }), {
    ...(adapter ? { adapter } : {}),
    ...(robotSecret !== undefined ? { robotSecret } : {}),
  });
  const handleInteraction = createInteractionHandler(provider, {
    user: config.user,
    password: config.password,
    logger: log.child({ module: 'interaction' }),
  });
  const providerCallback = provider.callback();

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const body = JSON.stringify({ status: 'ok' });
      res.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(body),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const interaction = INTERACTION_PATH.exec(path);
    if (interaction?.[1] !== undefined) {
      void handleInteraction(req, res, interaction[1]);
      return;
    }
    void providerCallback(req, res);
  };
  return { provider, handleRequest };
}
