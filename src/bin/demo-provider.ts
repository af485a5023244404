#!/usr/bin/env node
/**
 * The demo OAuth 2.0 authorization server (`docker compose --profile demo up`): one demo account, two confidential
 * clients, ES256 JWT access tokens, no registration and no internet. Configured only by DEMO_* environment
 * variables (see src/demo-provider/demo-provider-config.ts); DEMO_DEBUG=1 for debug logs.
 */
import { createLogger } from '../log/index.js';
import { buildDemoApp, createDemoServer, parseDemoProviderConfig } from '../demo-provider/index.js';
import { ConfigInvalid, describeError } from '../shared/errors.js';

async function main(): Promise<void> {
  const log = createLogger({ name: 'demo-provider', debug: process.env['DEMO_DEBUG'] === '1', stderr: true });
  let config;
  let server;
  try {
    config = parseDemoProviderConfig(process.env);
    server = await createDemoServer(config.tls);
  } catch (error) {
    log.fatal(error instanceof ConfigInvalid ? error.message : describeError(error));
    setTimeout(() => process.exit(1), 50);
    return;
  }
  if (config.tls === undefined) {
    log.warn(
      '!!! DEMO_TLS_CERT/DEMO_TLS_KEY not set: serving PLAIN HTTP. Browsers drop Secure cookies and tokens cross the network in clear text; use this for tests only !!!',
    );
  }
  if (config.issuer.startsWith('https:') !== (config.tls !== undefined)) {
    log.warn(
      { issuer: config.issuer, tls: config.tls !== undefined },
      'DEMO_ISSUER scheme does not match how this server listens',
    );
  }
  const app = await buildDemoApp(config, { logger: log });
  server.on('request', app.handleRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listenPort, config.listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  log.info(
    {
      issuer: config.issuer,
      host: config.listenHost,
      port: config.listenPort,
      clients: config.clients.map((c) => c.clientId),
      user: config.user,
    },
    'demo provider listening',
  );

  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) return;
      closing = true;
      log.info({ signal }, 'shutting down');
      server.close(() => process.exit(0));
      server.closeAllConnections();
      setTimeout(() => process.exit(0), 5_000).unref();
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo-provider: fatal: ${describeError(error)}\n`);
  process.exit(1);
});
