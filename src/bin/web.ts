#!/usr/bin/env node
/**
 * The web app: the local issuer's discovery document and JWKS, and the OAuth login pages condor_submit links to.
 * Runs as user condor behind nginx (which terminates TLS). Its own, smaller configuration (src/config/web-config.ts):
 * a knob only the local issuer's signing uses cannot take the login pages down. Environment: WEB_LISTEN_SOCKET
 * (/run/credmon-sandbox-web/web.sock, the default), or WEB_LISTEN_HOST (127.0.0.1) and WEB_LISTEN_PORT (8080) for
 * TCP; WEB_DEBUG.
 */
import type { Logger } from 'pino';
import {
  CREDMON_KNOB_PATTERNS,
  CREDMON_KNOBS,
  WEB_ENVIRONMENT,
  WEB_KNOBS,
  parseCredmonConfig,
  parseWebConfig,
  readCondorConfig,
  type WebConfig,
} from '../config/index.js';
import { createLogger } from '../log/index.js';
import { ConfigInvalid, describeError } from '../shared/errors.js';
import { CredentialDirectory } from '../credentials/index.js';
import {
  buildApp,
  createIssuerKeySource,
  issuerSitesOf,
  listenOnSocket,
  type IssuerKeySource,
  type IssuerSite,
} from '../web/index.js';
import { WebMetrics, startMetricsServer } from '../metrics/index.js';

/**
 * The per-provider local issuers to publish besides the default one, read with the credmon's own parser. A
 * configuration the credmon's parser refuses leaves the web app publishing the default issuer only (said once): the
 * login pages never depend on the issuer's knobs.
 */
async function perProviderIssuers(config: WebConfig, keys: IssuerKeySource, log: Logger): Promise<IssuerSite[]> {
  try {
    const lookup = await readCondorConfig(CREDMON_KNOBS, {
      subsystem: 'CREDMON_OAUTH',
      patterns: CREDMON_KNOB_PATTERNS,
    });
    const { localProviders } = parseCredmonConfig(lookup);
    const { sites, skipped } = issuerSitesOf(config.issuer, localProviders, keys, config.keyRotation.leadS);
    for (const line of skipped) log.warn(`Not publishing the issuer of ${line}`);
    return sites.filter((site) => site.issuer !== config.issuer);
  } catch (error) {
    log.warn(`Publishing only ${config.issuer}: the local providers cannot be read (${describeError(error)})`);
    return [];
  }
}

async function main(): Promise<void> {
  const early = createLogger({ name: 'web', debug: false, stderr: true });
  let config: WebConfig;
  try {
    const condor = await readCondorConfig(WEB_KNOBS, { subsystem: 'CREDMON_OAUTH' });
    const fromEnvironment: ReadonlySet<string> = new Set(WEB_ENVIRONMENT);
    config = parseWebConfig((name) => (fromEnvironment.has(name) ? process.env[name] : condor(name)));
  } catch (error) {
    early.fatal(error instanceof ConfigInvalid ? error.message : describeError(error));
    setTimeout(() => process.exit(1), 50);
    return;
  }
  const log = config.debug ? createLogger({ name: 'web', debug: true, stderr: true }) : early;
  const keys = createIssuerKeySource(config, { leadS: config.keyRotation.leadS });
  const metrics = config.metricsAddress ? new WebMetrics() : undefined;
  const app = await buildApp({
    issuer: config.issuer,
    basePath: config.basePath,
    keys,
    otherIssuers: await perProviderIssuers(config, keys, log),
    logger: log,
    directory: new CredentialDirectory(config.credDir),
    tokenTimeoutMs: config.tokenTimeoutS * 1000,
    ...(metrics ? { metrics } : {}),
  });
  if (metrics && config.metricsAddress) {
    const { host, port } = config.metricsAddress;
    await startMetricsServer(config.metricsAddress, metrics).then(
      (server) => log.info(`Prometheus metrics at http://${server.address}/metrics`),
      (error: unknown) =>
        log.error(`Cannot serve metrics at ${host}:${port} (CREDMON_WEB_METRICS_ADDRESS): ${describeError(error)}`),
    );
  }
  const { listen } = config;
  if (listen.kind === 'socket') await listenOnSocket(app, listen.path);
  else await app.listen({ host: listen.host, port: listen.port });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void app.close().finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`web: fatal: ${describeError(error)}\n`);
  process.exit(1);
});
