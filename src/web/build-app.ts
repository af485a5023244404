import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { CredentialDirectory } from '../credentials/index.js';
import type { AudienceParameter } from '../oauth/index.js';
import { LoginStore } from './login/login-store.js';
import { createErrorHandler } from './error-handler.js';
import type { IssuerKeySource } from './issuer-keys.js';
import type { IssuerSite } from './issuer-sites.js';
import type { WebAppMetrics } from '../metrics/index.js';
import { registerHealthRoute } from './routes/health-route.js';
import { registerIssuerRoutes } from './routes/issuer-routes.js';
import { registerLoginRoutes } from './routes/login-routes.js';
import { redactUrl } from './redact.js';
import { addSecurityHeaders } from './security-headers.js';
import { sitePaths } from './site-paths.js';

export interface WebAppOptions {
  readonly issuer: string;
  readonly keys: IssuerKeySource;
  /** Per-provider issuers on the same origin (issuerSitesOf), each with its discovery document and JWKS. */
  readonly otherIssuers?: readonly IssuerSite[];
  readonly logger: Logger;
  /** The credential directory (SEC_CREDENTIAL_DIRECTORY_OAUTH): key files in, .use/.meta/.top out. */
  readonly directory: CredentialDirectory;
  readonly store?: LoginStore;
  readonly tokenTimeoutMs?: number;
  /** How long /healthz waits for the issuer keys and a credential-directory read before answering 503. */
  readonly healthTimeoutMs?: number;
  readonly audienceParameter?: AudienceParameter;
  /** The path of CREDMON_WEB_PREFIX that the web server in front strips ('' at the root): links carry it. */
  readonly basePath?: string;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  /** Logins and request durations for Prometheus (CREDMON_WEB_METRICS_ADDRESS); none when undefined. */
  readonly metrics?: WebAppMetrics;
}

/**
 * Whose X-Forwarded-* headers count (the protocol for HSTS, the client address in logs): the web server in front,
 * which connects over the Unix socket (no peer address: only it can connect) or, with TCP, from 127.0.0.1.
 */
function isFrontProxy(address: string | undefined, hop: number): boolean {
  return (hop === 0 && address === undefined) || address === '127.0.0.1';
}

/** Builds the web app without listening (tests use `inject()`; src/bin/web.ts listens). */
export async function buildApp(options: WebAppOptions): Promise<FastifyInstance> {
  // Request lines without the query string: OAuth callbacks carry the authorization code and state there.
  const loggerInstance: FastifyBaseLogger = options.logger.child(
    {},
    {
      serializers: {
        req: (req: FastifyRequest) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      },
    },
  );
  const handleError = createErrorHandler([options.directory.root]);
  // frameworkErrors: Fastify's own refusals (a bad URL, a bad content type) go through the same mapper; by default
  // they echo the whole URL, login-link key included.
  const app = Fastify({ loggerInstance, trustProxy: isFrontProxy, frameworkErrors: handleError });
  app.setErrorHandler(handleError);
  app.addHook('onSend', addSecurityHeaders);
  const { metrics } = options;
  if (metrics) {
    app.addHook('onResponse', (request, reply, done) => {
      metrics.requestDone(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
  app.setNotFoundHandler((request, reply) => {
    handleError({ statusCode: 404, message: `No page at ${redactUrl(request.url)}` }, request, reply);
  });
  registerHealthRoute(app, {
    keys: options.keys,
    directory: options.directory,
    timeoutMs: options.healthTimeoutMs ?? 3000,
  });
  registerIssuerRoutes(app, options.issuer, options.keys);
  for (const site of options.otherIssuers ?? []) registerIssuerRoutes(app, site.issuer, site.keys, site.path);
  registerLoginRoutes(app, {
    directory: options.directory,
    store: options.store ?? new LoginStore(options.now ? { now: options.now } : {}),
    tokenTimeoutMs: options.tokenTimeoutMs ?? 20_000,
    audienceParameter: options.audienceParameter ?? 'resource',
    paths: sitePaths(options.basePath),
    now: options.now ?? Date.now,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(metrics ? { metrics } : {}),
  });
  await app.ready();
  return app;
}
