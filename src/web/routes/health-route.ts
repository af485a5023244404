import type { FastifyInstance } from 'fastify';

/** Liveness of the web app itself (the container healthcheck calls it through nginx). */
export function registerHealthRoute(app: FastifyInstance): void {
  app.get('/healthz', { logLevel: 'warn' }, () => Promise.resolve({ status: 'ok' }));
}
