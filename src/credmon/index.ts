export { Credmon, type CredentialEvent, type CredmonEvents, type CredmonOptions, type ScanSummary } from './credmon.js';
export { renewAtMs, renewalFraction } from './renewal.js';
export { reportAlive } from './report-alive.js';
