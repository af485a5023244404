export { Credmon, type CredmonOptions } from './credmon.js';
export type { CredentialEvent, CredmonEvents, CredmonObservable, ScanSummary } from './events.js';
export { CREDENTIAL_STATES, isKeptFresh, stateOf, type CredentialState } from './credential-state.js';
export type { Schedule } from './schedule.js';
export { renewAtMs, renewalFraction } from './renewal.js';
export { reportAlive } from './report-alive.js';
export { setUpClientProviders } from './set-up-client-providers.js';
export { setUpLocalIssuers } from './set-up-local-issuers.js';
