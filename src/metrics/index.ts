export { CredmonMetrics, type CredmonMetricsOptions, type CredmonMetricsSource } from './credmon-metrics.js';
export {
  CREDENTIAL_STATES,
  providerLabeller,
  stateOf,
  summarize,
  type CredentialState,
  type CredentialSummary,
} from './credential-summary.js';
export { startMetricsServer, type MetricsExposer, type MetricsServer } from './metrics-server.js';
export { isConfiguredProvider, serveCredmonMetrics } from './serve-credmon-metrics.js';
export { WebMetrics, type LoginOutcome, type WebAppMetrics } from './web-metrics.js';
