import type { Tracked } from './credential-table.js';
import type { CredentialEmission } from './events.js';
import type { LocalOutcome } from './local-renewal.js';
import type { LogLine } from './log-line.js';
import type { OAuthOutcome } from './oauth-refresh.js';
import {
  LOCAL_RETRY,
  PROVIDER_RETRY,
  failedTransiently,
  isNewProblem,
  rejected,
  succeeded,
  waitForChange,
  type Schedule,
} from './schedule.js';

/**
 * What an outcome means for its credential: the next schedule (undefined: the credential is gone, stop tracking it),
 * what to log on the credential's own logger, and which event to emit. Outcome to step is a pure mapping; the
 * credmon applies steps.
 */
export interface Step {
  readonly schedule: Schedule | undefined;
  readonly log?: LogLine;
  readonly event?: CredentialEmission;
}

/** What applies steps: the credmon's `apply`, with the clock and randomness that the backoff in a step takes. */
export interface StepApplier {
  readonly now: () => number;
  readonly random: () => number;
  readonly apply: (entry: Tracked, step: Step) => void;
}

export interface StepContext {
  readonly user: string;
  readonly name: string;
  readonly nowMs: number;
  readonly random: () => number;
}

/** A problem is logged (at error) only when it differs from the last one logged for the credential. */
function withProblem(before: Schedule, next: Schedule, problem: string): Step {
  if (!isNewProblem(before, problem)) return { schedule: next };
  return { schedule: next, log: { level: 'error', message: problem } };
}

/** The step after local renewal; `logEachToken` false (a bulk issuance) logs each token at debug only. */
export function stepAfterLocal(
  outcome: LocalOutcome,
  schedule: Schedule,
  at: StepContext,
  logEachToken: boolean,
): Step {
  const { user, name } = at;
  switch (outcome.kind) {
    case 'issued':
      return {
        schedule: succeeded(outcome.dueMs),
        log: { level: logEachToken ? 'info' : 'debug', message: `Successfully renewed SciToken for user: ${user}` },
        event: { name: 'credential.issued', payload: { user, name } },
      };
    case 'fresh':
      return { schedule: succeeded(outcome.dueMs) };
    case 'gone':
      return { schedule: undefined };
    case 'not-local':
      return {
        schedule: waitForChange(schedule),
        log: { level: 'debug', message: 'Leaving an OAuth credential alone (its .top holds a refresh token)' },
      };
    case 'invalid':
      return withProblem(schedule, waitForChange(schedule, outcome.problem), outcome.problem);
    case 'failed':
      return withProblem(
        schedule,
        failedTransiently(schedule, outcome.problem, { ...at, retry: LOCAL_RETRY }),
        outcome.problem,
      );
  }
}

/** The step after an OAuth refresh (or the decision that none was needed). */
export function stepAfterOAuth(outcome: OAuthOutcome, schedule: Schedule, at: StepContext): Step {
  const { user, name } = at;
  switch (outcome.kind) {
    case 'gone':
      return { schedule: undefined };
    case 'fresh':
      return { schedule: succeeded(outcome.dueMs) };
    case 'invalid':
      return withProblem(schedule, waitForChange(schedule, outcome.problem), outcome.problem);
    case 'no-refresh-token':
      return {
        schedule: waitForChange(schedule),
        log: { level: 'debug', message: 'The provider issued no refresh token; nothing to refresh' },
      };
    case 'still-rejected':
      return { schedule: waitForChange(schedule) };
    case 'refreshed':
      return {
        schedule: succeeded(outcome.dueMs),
        log: {
          level: 'info',
          fields: { rotated: outcome.rotated },
          message: `Successfully refreshed ${name} tokens for user ${user}`,
        },
        event: { name: 'credential.refreshed', payload: { user, name, rotated: outcome.rotated } },
      };
    case 'superseded':
      return {
        schedule: { ...schedule, dueMs: 0 },
        log: {
          level: 'warn',
          message: `${name} changed or was removed during the refresh; keeping what is on disk now`,
        },
      };
    case 'rejected':
      return {
        schedule: rejected(outcome.problem, outcome.topMtimeMs),
        log: { level: 'error', message: outcome.problem },
        event: { name: 'credential.refresh_failed', payload: { user, name, code: 'ERR_REFRESH_REJECTED' } },
      };
    case 'unavailable': {
      const retry = { ...at, retry: PROVIDER_RETRY };
      const next = failedTransiently(schedule, outcome.problem, retry, outcome.retryAfterMs);
      const retryInS = Math.round((next.dueMs - at.nowMs) / 1000);
      return {
        schedule: next,
        log: { level: 'warn', fields: { attempt: next.failures, retryInS }, message: outcome.problem },
        event: { name: 'credential.refresh_failed', payload: { user, name, code: 'ERR_REFRESH_UNAVAILABLE' } },
      };
    }
    case 'stopped':
      return { schedule };
  }
}
