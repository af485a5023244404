export { CredmonMetrics, type CredmonMetricsOptions } from './credmon-metrics.js';
export { MAX_PROVIDER_LABELS, providerLabeller, summarize, type CredentialSummary } from './credential-summary.js';
export { startMetricsServer, type MetricsExposer, type MetricsServer } from './metrics-server.js';
export { providerLabelOf, serveCredmonMetrics } from './serve-credmon-metrics.js';
export { WebMetrics, type LoginOutcome, type WebAppMetrics } from './web-metrics.js';
