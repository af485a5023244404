import type { Tracked } from './credential-table.js';
import type { WriteResult } from './disk-space-incident.js';
import type { CredentialEmission } from './events.js';
import type { LocalOutcome } from './local-renewal.js';
import type { LogLine } from './log-line.js';
import type { ClientOutcome } from './client-refresh.js';
import type { OAuthOutcome } from './oauth-refresh.js';
import type { UseLife } from './renewal.js';
import {
  LOCAL_RETRY,
  PROVIDER_RETRY,
  failedTransiently,
  holding,
  isNewProblem,
  rejected,
  succeeded,
  waitForChange,
  withLife,
  type Schedule,
} from './schedule.js';

/**
 * What an outcome means for its credential: the next schedule (undefined: the credential is gone, stop tracking it),
 * what to log on the credential's own logger, which event to emit, and what it says about writing to the credential
 * directory (for the full-disk incident, disk-space-incident.ts). Outcome to step is a pure mapping; the credmon
 * applies steps.
 */
export interface Step {
  readonly schedule: Schedule | undefined;
  readonly log?: LogLine;
  readonly event?: CredentialEmission;
  readonly write?: WriteResult;
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

/**
 * A problem is logged (at `level`, error by default) only when it differs from the last one logged for the
 * credential.
 */
function withProblem(
  before: Schedule,
  next: Schedule,
  problem: string,
  write: WriteResult | undefined,
  level: LogLine['level'] = 'error',
): Step {
  const step: Step = write ? { schedule: next, write } : { schedule: next };
  return isNewProblem(before, problem) ? { ...step, log: { level, message: problem } } : step;
}

/**
 * A write that failed for lack of space: retried soon with the local backoff. The credmon logs the incident once
 * (DiskSpaceIncident); the credential's own line is at debug, once per distinct problem.
 */
function noSpace(before: Schedule, problem: string, at: StepContext): Step {
  const next = failedTransiently(before, problem, { ...at, retry: LOCAL_RETRY });
  return withProblem(before, next, problem, 'no-space', 'debug');
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
        schedule: succeeded(outcome.dueMs, outcome.life),
        log: { level: logEachToken ? 'info' : 'debug', message: `Successfully renewed SciToken for user: ${user}` },
        event: { name: 'credential.issued', payload: { user, name, kind: 'local' } },
        write: 'done',
      };
    case 'fresh':
      return { schedule: succeeded(outcome.dueMs, outcome.life), write: 'not-needed' };
    case 'gone':
      return { schedule: undefined, write: 'not-needed' };
    case 'not-local':
      return {
        schedule: waitForChange(schedule),
        log: { level: 'debug', message: 'Leaving an OAuth credential alone (its .top holds a refresh token)' },
        write: 'not-needed',
      };
    case 'invalid':
      return withProblem(schedule, waitForChange(schedule, outcome.problem), outcome.problem, 'not-needed');
    case 'failed': {
      const next = failedTransiently(schedule, outcome.problem, { ...at, retry: LOCAL_RETRY });
      return withProblem(schedule, next, outcome.problem, undefined);
    }
    case 'disk-full':
      return noSpace(schedule, outcome.problem, at);
  }
}

/**
 * The step after an OAuth refresh whose result found no space: the newest refresh token, when the `.top` could not
 * take it, is held in the schedule (memory) and used by the retry; saying so once, at warn, when it is first held.
 */
function oauthNoSpace(outcome: OAuthOutcome & { kind: 'disk-full' }, schedule: Schedule, at: StepContext): Step {
  const { user, name } = at;
  const step = noSpace(schedule, outcome.problem, at);
  const next = holding(step.schedule ?? schedule, outcome.held);
  if (!outcome.held || schedule.held?.topMtimeMs === outcome.held.topMtimeMs) return { ...step, schedule: next };
  return {
    ...step,
    schedule: next,
    log: {
      level: 'warn',
      message:
        `The provider rotated the refresh token of ${name} for user ${user}, but ${name}.top cannot be written ` +
        '(no space left on the file system): the new refresh token is held in memory until it can be written. ' +
        `A restart of the credmon before then loses it, and ${user} would have to log in again`,
    },
  };
}

/** The step after an OAuth refresh (or the decision that none was needed). */
export function stepAfterOAuth(outcome: OAuthOutcome, schedule: Schedule, at: StepContext): Step {
  const { user, name } = at;
  switch (outcome.kind) {
    case 'gone':
      return { schedule: undefined, write: 'not-needed' };
    case 'fresh':
      return { schedule: succeeded(outcome.dueMs, outcome.life), write: 'not-needed' };
    case 'invalid':
      return withProblem(schedule, waitForChange(schedule, outcome.problem), outcome.problem, 'not-needed');
    case 'no-refresh-token':
      return {
        schedule: waitForChange(schedule),
        log: { level: 'debug', message: 'The provider issued no refresh token; nothing to refresh' },
        write: 'not-needed',
      };
    case 'still-rejected':
      return { schedule: waitForChange(schedule), write: 'not-needed' };
    case 'refreshed': {
      const held = outcome.heldWritten ? `; the refresh token held in memory is written to ${name}.top` : '';
      return {
        schedule: succeeded(outcome.dueMs, outcome.life),
        log: {
          level: 'info',
          fields: outcome.heldWritten ? { rotated: outcome.rotated, heldWritten: true } : { rotated: outcome.rotated },
          message: `Successfully refreshed ${name} tokens for user ${user}${held}`,
        },
        event: { name: 'credential.refreshed', payload: { user, name, kind: 'oauth', rotated: outcome.rotated } },
        write: 'done',
      };
    }
    case 'superseded':
      return {
        // What is on disk now wins: a refresh token held for the old `.top` is dropped.
        schedule: holding({ ...schedule, dueMs: 0 }, undefined),
        log: {
          level: 'warn',
          message: `${name} changed or was removed during the refresh; keeping what is on disk now`,
        },
      };
    case 'rejected':
      return {
        schedule: rejected(outcome.problem, outcome.topMtimeMs, outcome.life ?? schedule.life),
        log: { level: 'error', message: outcome.problem },
        event: {
          name: 'credential.refresh_failed',
          payload: { user, name, kind: 'oauth', code: 'ERR_REFRESH_REJECTED' },
        },
        write: 'not-needed',
      };
    case 'unavailable':
      return providerUnavailable(outcome, schedule, at, 'oauth');
    case 'disk-full':
      return oauthNoSpace(outcome, schedule, at);
    case 'stopped':
      return { schedule };
  }
}

/** A token endpoint that failed in a way that may pass: the provider backoff (or its Retry-After), at warn. */
function providerUnavailable(
  outcome: { readonly problem: string; readonly retryAfterMs: number | undefined; readonly life?: UseLife },
  schedule: Schedule,
  at: StepContext,
  kind: 'oauth' | 'client',
): Step {
  const { user, name } = at;
  const failed = failedTransiently(schedule, outcome.problem, { ...at, retry: PROVIDER_RETRY }, outcome.retryAfterMs);
  const next = outcome.life ? withLife(failed, outcome.life) : failed;
  const retryInS = Math.round((next.dueMs - at.nowMs) / 1000);
  return {
    schedule: next,
    log: { level: 'warn', fields: { attempt: next.failures, retryInS }, message: outcome.problem },
    event: { name: 'credential.refresh_failed', payload: { user, name, kind, code: 'ERR_REFRESH_UNAVAILABLE' } },
  };
}

/**
 * The step after a client-credentials request (or the decision that none was needed). A refusal of the client
 * (4xx: a wrong secret, a scope the provider does not grant) is fixed at the provider, not by the user, so it is
 * retried with the provider backoff and logged once per distinct problem; a misconfigured provider waits for a change.
 */
export function stepAfterClient(outcome: ClientOutcome, schedule: Schedule, at: StepContext): Step {
  const { user, name } = at;
  switch (outcome.kind) {
    case 'gone':
      return { schedule: undefined, write: 'not-needed' };
    case 'fresh':
      return { schedule: succeeded(outcome.dueMs, outcome.life), write: 'not-needed' };
    case 'invalid':
      return withProblem(schedule, waitForChange(schedule, outcome.problem), outcome.problem, 'not-needed');
    case 'obtained': {
      const assumed = outcome.assumedLifetimeS;
      const note = assumed === undefined ? '' : ` (the provider sent no expires_in; assuming ${assumed} s)`;
      return {
        schedule: succeeded(outcome.dueMs, outcome.life),
        log: { level: 'info', message: `Successfully obtained ${name} token for user ${user}${note}` },
        event: { name: 'credential.issued', payload: { user, name, kind: 'client' } },
        write: 'done',
      };
    }
    case 'rejected': {
      const failed = failedTransiently(schedule, outcome.problem, { ...at, retry: PROVIDER_RETRY });
      const next = outcome.life ? withLife(failed, outcome.life) : failed;
      const step = withProblem(schedule, next, outcome.problem, 'not-needed');
      return {
        ...step,
        event: {
          name: 'credential.refresh_failed',
          payload: { user, name, kind: 'client', code: 'ERR_REFRESH_REJECTED' },
        },
      };
    }
    case 'unavailable':
      return providerUnavailable(outcome, schedule, at, 'client');
    case 'failed': {
      const next = failedTransiently(schedule, outcome.problem, { ...at, retry: LOCAL_RETRY });
      return withProblem(schedule, next, outcome.problem, undefined);
    }
    case 'disk-full':
      return noSpace(schedule, outcome.problem, at);
    case 'stopped':
      return { schedule };
  }
}
