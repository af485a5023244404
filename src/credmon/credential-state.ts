import type { Schedule } from './schedule.js';

/**
 * A credential's state as an admin sees it (metrics, credmon-status), from its schedule alone. Pure.
 * `rejected`: the provider refused its refresh token; a new login is needed. `broken`: a file that cannot be used,
 * left until it changes. `failing`: the last attempt failed and is retried with backoff. `due`: work is due now.
 */
export type CredentialState = 'fresh' | 'due' | 'failing' | 'rejected' | 'broken';

export const CREDENTIAL_STATES: readonly CredentialState[] = ['fresh', 'due', 'failing', 'rejected', 'broken'];

export function stateOf(schedule: Schedule, nowMs: number): CredentialState {
  if (schedule.rejectedTopMtimeMs !== undefined) return 'rejected';
  // Waiting for a change with a problem: broken, even after earlier transient failures (their count is kept).
  if (schedule.problem !== undefined && !Number.isFinite(schedule.dueMs)) return 'broken';
  if (schedule.failures > 0) return 'failing';
  return schedule.dueMs <= nowMs ? 'due' : 'fresh';
}

/** Whether the credmon will renew this credential's `.use` by itself (else it waits for its files or its user). */
export function isKeptFresh(schedule: Schedule, nowMs: number): boolean {
  const state = stateOf(schedule, nowMs);
  return (state === 'fresh' || state === 'due' || state === 'failing') && Number.isFinite(schedule.dueMs);
}
