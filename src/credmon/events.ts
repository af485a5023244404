import type { CredentialKind, CredentialRef } from '../credentials/index.js';
import type { Schedule } from './schedule.js';

/** What one scan found and did: the result of `scanOnce` and the payload of `scan.completed`. */
export interface ScanSummary {
  readonly users: number;
  readonly usersRead: number;
  readonly issued: number;
  readonly refreshesStarted: number;
  readonly durationMs: number;
}

export interface CredentialEvent {
  readonly user: string;
  readonly name: string;
  readonly kind: CredentialKind;
}

/** The credmon's typed events. */
export interface CredmonEvents {
  'credential.issued': [CredentialEvent];
  'credential.refreshed': [CredentialEvent & { readonly rotated: boolean }];
  'credential.refresh_failed': [
    CredentialEvent & { readonly code: 'ERR_REFRESH_REJECTED' | 'ERR_REFRESH_UNAVAILABLE' },
  ];
  'scan.completed': [ScanSummary];
}

type CredentialEventName = Exclude<keyof CredmonEvents, 'scan.completed'>;

/** One credential event as a value: what an outcome (outcomes.ts) asks the credmon to emit. */
export type CredentialEmission = {
  [K in CredentialEventName]: { readonly name: K; readonly payload: CredmonEvents[K][0] };
}[CredentialEventName];

/** What observers of the credmon see (metrics, the status file): its events, and its table, read-only. */
export interface CredmonObservable {
  on<K extends keyof CredmonEvents>(event: K, listener: (...args: CredmonEvents[K]) => void): unknown;
  trackedCredentials(): Iterable<{ readonly ref: CredentialRef; readonly schedule: Schedule }>;
}
