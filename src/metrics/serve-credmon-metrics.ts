import type { Logger } from 'pino';
import type { CredmonConfig } from '../config/index.js';
import { describeError } from '../shared/errors.js';
import { providerLabeller } from './credential-summary.js';
import { CredmonMetrics, type CredmonMetricsSource } from './credmon-metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

/** Whether `name` is a provider the configuration names (the only words a provider label may hold). */
export function isConfiguredProvider(config: CredmonConfig, name: string): boolean {
  return (
    config.localProviders.some((p) => p.providerName === name) ||
    config.clientProviders.some((p) => p.providerName === name) ||
    (config.oauthProviders.includes(name) && name !== '*') ||
    config.isOAuthClientConfigured(name)
  );
}

/**
 * The credmon's metrics at `<NAME>_METRICS_ADDRESS`, when it is set: observes `credmon` from now on. A listener that
 * cannot start is said once, at error, and the credmon goes on without it (metrics never stop tokens).
 */
export async function serveCredmonMetrics(
  credmon: CredmonMetricsSource,
  config: CredmonConfig,
  log: Logger,
): Promise<MetricsServer | undefined> {
  const address = config.metricsAddress;
  if (!address) return undefined;
  const providerOf = providerLabeller((name) => isConfiguredProvider(config, name));
  const metrics = new CredmonMetrics(credmon, { scanIntervalS: config.scanIntervalS, providerOf });
  try {
    const server = await startMetricsServer(address, metrics);
    log.info({ address: server.address }, `Prometheus metrics at http://${server.address}/metrics`);
    return server;
  } catch (error) {
    const knob = `${config.subsystem}_METRICS_ADDRESS`;
    log.error(`Cannot serve metrics at ${address.host}:${address.port} (${knob}): ${describeError(error)}`);
    return undefined;
  }
}
