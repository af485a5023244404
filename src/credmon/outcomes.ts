import type { LocalOutcome } from './local-renewal.js';
import type { OAuthOutcome } from './oauth-refresh.js';
import { LOCAL_RETRY, PROVIDER_RETRY, failedTransiently, isNewProblem, rejected, succeeded, waitForChange, type Schedule } from './schedule.js';

/**
 * What one outcome of local renewal or an OAuth refresh means for its credential: the next schedule, the line to log
 * and the event to emit. Pure (the clock and randomness are arguments), so every transition has a unit test; the
 * credmon applies a Decision and does nothing else with an outcome.
 */
export interface Decision {
  /** The next schedule; undefined: the credential is gone, stop tracking it. */
  readonly schedule: Schedule | undefined;
  readonly log?: {
    readonly level: 'debug' | 'info' | 'warn' | 'error';
    readonly message: string;
    readonly fields?: Readonly<Record<string, unknown>>;
  };
  readonly event?: DecisionEvent;
}

export type DecisionEvent =
  | { readonly type: 'credential.issued' }
  | { readonly type: 'credential.refreshed'; readonly rotated: boolean }
  | { readonly type: 'credential.refresh_failed'; readonly code: 'ERR_REFRESH_REJECTED' | 'ERR_REFRESH_UNAVAILABLE' };

export interface DecisionContext {
  readonly user: string;
  readonly name: string;
  readonly nowMs: number;
  readonly random: () => number;
}

/** A local credential's outcome. `logEachToken`: a token issued in a small batch is logged at info, in bulk at debug. */
export function decideLocal(schedule: Schedule, outcome: LocalOutcome, ctx: DecisionContext & { readonly logEachToken: boolean }): Decision {
  switch (outcome.kind) {
    case 'issued':
      return {
        schedule: succeeded(outcome.dueMs),
        log: { level: ctx.logEachToken ? 'info' : 'debug', message: `Successfully renewed SciToken for user: ${ctx.user}` },
        event: { type: 'credential.issued' },
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
      return { schedule: waitForChange(schedule, outcome.problem), ...onceFor(schedule, outcome.problem) };
    case 'failed':
      return {
        schedule: failedTransiently(schedule, outcome.problem, { nowMs: ctx.nowMs, random: ctx.random, retry: LOCAL_RETRY }),
        ...onceFor(schedule, outcome.problem),
      };
  }
}

/** An OAuth credential's outcome. */
export function decideOAuth(schedule: Schedule, outcome: OAuthOutcome, ctx: DecisionContext): Decision {
  switch (outcome.kind) {
    case 'gone':
      return { schedule: undefined };
    case 'fresh':
      return { schedule: succeeded(outcome.dueMs) };
    case 'invalid':
      return { schedule: waitForChange(schedule, outcome.problem), ...onceFor(schedule, outcome.problem) };
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
          message: `Successfully refreshed ${ctx.name} tokens for user ${ctx.user}`,
          fields: { rotated: outcome.rotated },
        },
        event: { type: 'credential.refreshed', rotated: outcome.rotated },
      };
    case 'superseded':
      return {
        schedule: { ...schedule, dueMs: 0 },
        log: { level: 'warn', message: `${ctx.name} changed or was removed during the refresh; keeping what is on disk now` },
      };
    case 'rejected':
      return {
        schedule: rejected(outcome.problem, outcome.topMtimeMs),
        log: { level: 'error', message: outcome.problem },
        event: { type: 'credential.refresh_failed', code: 'ERR_REFRESH_REJECTED' },
      };
    case 'unavailable': {
      const at = { nowMs: ctx.nowMs, random: ctx.random, retry: PROVIDER_RETRY };
      const next = failedTransiently(schedule, outcome.problem, at, outcome.retryAfterMs);
      return {
        schedule: next,
        log: {
          level: 'warn',
          message: outcome.problem,
          fields: { attempt: next.failures, retryInS: Math.round((next.dueMs - ctx.nowMs) / 1000) },
        },
        event: { type: 'credential.refresh_failed', code: 'ERR_REFRESH_UNAVAILABLE' },
      };
    }
    case 'stopped':
      return { schedule };
  }
}

/** A problem is logged (as an error) only when it differs from the last one logged for the credential. */
function onceFor(schedule: Schedule, problem: string): Pick<Decision, 'log'> {
  return isNewProblem(schedule, problem) ? { log: { level: 'error', message: problem } } : {};
}
