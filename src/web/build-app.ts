import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { handleError } from './error-handler.js';
import type { IssuerKeySource } from './issuer-keys.js';
import { registerHealthRoute } from './routes/health-route.js';
import { registerIssuerRoutes } from './routes/issuer-routes.js';

export interface WebAppOptions {
  readonly issuer: string;
  readonly keys: IssuerKeySource;
  readonly logger: Logger;
}

/** Builds the web app without listening (tests use `inject()`; src/bin/web.ts listens). */
export async function buildApp(options: WebAppOptions): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({ loggerInstance, trustProxy: '127.0.0.1' });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: 'Not found', message: `No page at ${request.url.split('?')[0] ?? ''}` });
  });
  registerHealthRoute(app);
  registerIssuerRoutes(app, options.issuer, options.keys);
  await app.ready();
  return app;
}
