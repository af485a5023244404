import { MAX_RETRY_AFTER_S, backoffDelayMs } from '../oauth/index.js';
import type { HeldRefreshToken } from './held-refresh-token.js';
import type { UseLife } from './renewal.js';

/**
 * When the credmon looks at one credential again, and what it remembers about it. Immutable; the functions below are
 * the only transitions, and they are pure (clock and randomness are arguments), so each rule has a unit test.
 */
export interface Schedule {
  /** Epoch ms; 0 = at once; Infinity = only when the user's directory changes. */
  readonly dueMs: number;
  /** Consecutive failures, for the backoff. */
  readonly failures: number;
  /** The last problem reported, so a broken file is logged once, not on every scan. */
  readonly problem: string | undefined;
  /** mtime of the `.top` whose refresh token the provider rejected: no retry until the `.top` changes. */
  readonly rejectedTopMtimeMs: number | undefined;
  /**
   * A rotated refresh token that the full disk kept out of the `.top`: refresh with it, write it when space returns.
   * Kept through failures and directory changes; dropped by success, rejection, or a new `.top` (a new login).
   */
  readonly held?: HeldRefreshToken | undefined;
  /** The `.use` on disk as last written or read (for metrics and credmon-status); kept through failures. */
  readonly life?: UseLife | undefined;
}

export const WHEN_CHANGED = Infinity;

/** Local failures retry quickly (a condor_submit waits 20 s); provider failures back off much further. */
export const LOCAL_RETRY = { baseMs: 5_000, capMs: 5 * 60_000 } as const;
export const PROVIDER_RETRY = { baseMs: 30_000, capMs: 30 * 60_000 } as const;
/** A provider's Retry-After is honoured up to this long (the token-endpoint client's own cap). */
export const MAX_RETRY_AFTER_MS = MAX_RETRY_AFTER_S * 1000;

export function newSchedule(): Schedule {
  return make(0, 0, undefined, undefined, undefined, undefined);
}

export function isDue(schedule: Schedule, nowMs: number): boolean {
  return schedule.dueMs <= nowMs;
}

/**
 * Work done (token issued, refreshed, or found fresh): next look at `nextDueMs`; failures, problems and a held refresh
 * token (written now) forgotten.
 */
export function succeeded(nextDueMs: number, life?: UseLife): Schedule {
  return make(nextDueMs, 0, undefined, undefined, undefined, life);
}

/**
 * A failure that may pass (a provider's 5xx or timeout, an unwritable file): capped exponential backoff with jitter,
 * or the provider's Retry-After when it asks for longer (up to MAX_RETRY_AFTER_MS).
 */
export function failedTransiently(
  schedule: Schedule,
  problem: string,
  at: {
    readonly nowMs: number;
    readonly random: () => number;
    readonly retry: { readonly baseMs: number; readonly capMs: number };
  },
  retryAfterMs?: number,
): Schedule {
  const failures = schedule.failures + 1;
  let delayMs = backoffDelayMs(failures, at.random, at.retry.baseMs, at.retry.capMs);
  if (retryAfterMs !== undefined && retryAfterMs > delayMs) delayMs = Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
  const { rejectedTopMtimeMs, held, life } = schedule;
  return make(at.nowMs + delayMs, failures, problem, rejectedTopMtimeMs, held, life);
}

/** Nothing to do until the files change (a broken `.meta`, a `.top` without refresh token, no refresh token at all). */
export function waitForChange(schedule: Schedule, problem?: string): Schedule {
  const { failures, rejectedTopMtimeMs, held, life } = schedule;
  return make(WHEN_CHANGED, failures, problem ?? schedule.problem, rejectedTopMtimeMs, held, life);
}

/** The provider refused the refresh token for good: wait until a new login replaces the `.top` (nothing held). */
export function rejected(problem: string, topMtimeMs: number, life?: UseLife): Schedule {
  return make(WHEN_CHANGED, 0, problem, topMtimeMs, undefined, life);
}

/**
 * The user's directory changed (a submit, a login, a deletion): look again at once. A provider backoff keeps running
 * (its files changing does not make the provider healthy, for OAuth and client-credentials providers alike); a local
 * credential is looked at at once regardless,
 * because the credd is waiting for its `.use`.
 */
export function directoryChanged(schedule: Schedule, kind: 'local' | 'oauth' | 'client'): Schedule {
  if (kind !== 'local' && schedule.failures > 0) return schedule;
  const { failures, problem, rejectedTopMtimeMs, held, life } = schedule;
  return make(0, failures, problem, rejectedTopMtimeMs, held, life);
}

/** The schedule with `held` as its held refresh token (none when undefined). */
export function holding(schedule: Schedule, held: HeldRefreshToken | undefined): Schedule {
  const { dueMs, failures, problem, rejectedTopMtimeMs, life } = schedule;
  return make(dueMs, failures, problem, rejectedTopMtimeMs, held, life);
}

/** The schedule with `life` as what is known of the `.use` on disk (a failure that read it, say). */
export function withLife(schedule: Schedule, life: UseLife): Schedule {
  const { dueMs, failures, problem, rejectedTopMtimeMs, held } = schedule;
  return make(dueMs, failures, problem, rejectedTopMtimeMs, held, life);
}

/** Whether `problem` should be logged: only when it differs from the last one logged for this credential. */
export function isNewProblem(schedule: Schedule, problem: string): boolean {
  return schedule.problem !== problem;
}

/** The earliest due time among `schedules` that are not busy, or undefined. */
export function earliestDueMs(
  schedules: Iterable<{ readonly schedule: Schedule; readonly busy: boolean }>,
): number | undefined {
  let earliest: number | undefined;
  for (const { schedule, busy } of schedules)
    if (!busy && (earliest === undefined || schedule.dueMs < earliest)) earliest = schedule.dueMs;
  return earliest;
}

/**
 * The one place a Schedule is made: every field, in one order, in one object literal. V8 gives each object made by
 * spreading (`{ ...schedule, dueMs }`) a hidden class of its own, so 10,000 credentials cost 10,000 classes (about
 * 3 MB, and slower code); objects of one literal share one class.
 */
function make(
  dueMs: number,
  failures: number,
  problem: string | undefined,
  rejectedTopMtimeMs: number | undefined,
  held: HeldRefreshToken | undefined,
  life: UseLife | undefined,
): Schedule {
  return { dueMs, failures, problem, rejectedTopMtimeMs, held, life };
}
