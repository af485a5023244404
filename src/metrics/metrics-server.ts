import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { MetricsAddress } from '../config/index.js';

/** What a metrics server serves: the exposition text (prom-client's registry.metrics()). */
export interface MetricsExposer {
  expose(): Promise<{ readonly body: string; readonly contentType: string }>;
}

/** A registry's exposition text and content type. */
export async function exposeRegistry(
  registry: Registry,
): Promise<{ readonly body: string; readonly contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}

export interface MetricsServer {
  /** host:port as bound (the port chosen when 0 was asked for). */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and HEAD) at `address` with node:http, nothing else: 404 for other paths, 405 for other
 * methods. Bounded: short request timeouts and few connections, so a stuck or hostile client cannot hold the daemon.
 * Rejects when the address cannot be bound (in use, not local): the caller says so and goes on without metrics.
 */
export async function startMetricsServer(address: MetricsAddress, metrics: MetricsExposer): Promise<MetricsServer> {
  // Idle or slow connections are checked every second (Node's default is 30 s), so 16 of them cannot hold a scrape.
  const server: Server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('Not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET only\n');
      return;
    }
    metrics.expose().then(
      ({ body, contentType }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n'),
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 16;
  server.setTimeout(10_000, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const where =
    typeof bound === 'object' && bound ? `${bound.address}:${bound.port}` : `${address.host}:${address.port}`;
  return {
    address: where,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
