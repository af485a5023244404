export { Credmon, type CredmonOptions } from './credmon.js';
export type { CredentialEvent, CredmonEvents, ScanSummary } from './events.js';
export { renewAtMs, renewalFraction } from './renewal.js';
export { reportAlive } from './report-alive.js';
export { setUpClientProviders } from './set-up-client-providers.js';
export { setUpLocalIssuers } from './set-up-local-issuers.js';
