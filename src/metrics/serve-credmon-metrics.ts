import type { Logger } from 'pino';
import type { CredmonConfig } from '../config/index.js';
import type { CredmonObservable } from '../credmon/index.js';
import { describeError } from '../shared/errors.js';
import { providerLabeller } from './credential-summary.js';
import { CredmonMetrics } from './credmon-metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

/**
 * The provider label of a credential name under `config`: a configured provider in its configured spelling (local
 * and client providers, OAUTH2_CREDMON_PROVIDER_NAMES), or an OAuth provider whose `<provider>_CLIENT_ID` is set,
 * in lower case (knobs ignore case, file names do not: `SciTokens` and `scitokens` are one label); else `other`.
 */
export function providerLabelOf(config: CredmonConfig): (name: string) => string {
  const named = new Map<string, string>();
  for (const p of [...config.localProviders, ...config.clientProviders]) named.set(p.providerName, p.providerName);
  for (const p of config.oauthProviders) if (p !== '*') named.set(p, p);
  return providerLabeller((candidate) => {
    const exact = named.get(candidate);
    if (exact !== undefined) return exact;
    return config.isOAuthClientConfigured(candidate) ? candidate.toLowerCase() : undefined;
  });
}

/**
 * The credmon's metrics at `<NAME>_METRICS_ADDRESS`, when it is set: observes `credmon` from now on. A listener that
 * cannot start is said once, at error, and the credmon goes on without it (metrics never stop tokens).
 */
export async function serveCredmonMetrics(
  credmon: CredmonObservable,
  config: CredmonConfig,
  providerOf: (name: string) => string,
  log: Logger,
): Promise<MetricsServer | undefined> {
  const address = config.metricsAddress;
  if (!address) return undefined;
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
