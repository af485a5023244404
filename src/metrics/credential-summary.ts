import type { CredentialKind } from '../credentials/index.js';
import type { Schedule } from '../credmon/schedule.js';

/**
 * What the metrics say of the credentials the credmon tracks: a count per provider, kind and state, and per provider
 * the soonest expiry of a `.use` it is keeping fresh. Pure; the credmon's table is the input, at scrape time.
 */
export type CredentialState = 'fresh' | 'due' | 'failing' | 'rejected' | 'broken';

export const CREDENTIAL_STATES: readonly CredentialState[] = ['fresh', 'due', 'failing', 'rejected', 'broken'];

/**
 * A credential's state from its schedule: `rejected` (the provider refused its refresh token; a new login is
 * needed), `failing` (the last attempt failed and is retried with backoff), `broken` (a file that cannot be used, left
 * until it changes), `due` (work is due now), else `fresh`.
 */
export function stateOf(schedule: Schedule, nowMs: number): CredentialState {
  if (schedule.rejectedTopMtimeMs !== undefined) return 'rejected';
  if (schedule.failures > 0) return 'failing';
  if (schedule.problem !== undefined) return 'broken';
  return schedule.dueMs <= nowMs ? 'due' : 'fresh';
}

export interface SummaryInput {
  readonly ref: { readonly name: string; readonly kind: CredentialKind };
  readonly schedule: Schedule;
}

export interface CredentialSummary {
  /** `provider\tkind\tstate` → count. */
  readonly counts: ReadonlyMap<string, number>;
  /**
   * Per provider, the soonest `exp` (epoch ms) of a `.use` that is `fresh`, `due` or `failing`: those the credmon is
   * keeping valid. Rejected and broken credentials wait for their user, and their own states say so.
   */
  readonly soonestExpiryMs: ReadonlyMap<string, number>;
}

/** Counts `entries` by (provider, kind, state); `providerOf` maps a credential name to a bounded provider label. */
export function summarize(
  entries: Iterable<SummaryInput>,
  nowMs: number,
  providerOf: (name: string) => string,
): CredentialSummary {
  const counts = new Map<string, number>();
  const soonestExpiryMs = new Map<string, number>();
  for (const { ref, schedule } of entries) {
    const provider = providerOf(ref.name);
    const state = stateOf(schedule, nowMs);
    const key = `${provider}\t${ref.kind}\t${state}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const expiresMs = schedule.life?.expiresMs;
    if (expiresMs === undefined || state === 'rejected' || state === 'broken') continue;
    const soonest = soonestExpiryMs.get(provider);
    if (soonest === undefined || expiresMs < soonest) soonestExpiryMs.set(provider, expiresMs);
  }
  return { counts, soonestExpiryMs };
}

/**
 * The provider label of a credential name, from the configured providers only (so a label never carries a user's
 * handle or anything else a user chose): the longest configured provider that is the name or a `<provider>_` prefix
 * of it, else `other`.
 */
export function providerLabeller(isProvider: (name: string) => boolean): (name: string) => string {
  const cache = new Map<string, string>();
  return (name) => {
    let label = cache.get(name);
    if (label !== undefined) return label;
    label = 'other';
    for (let cut = name.length; cut > 0; cut = name.lastIndexOf('_', cut - 1)) {
      const candidate = name.slice(0, cut);
      if (isProvider(candidate)) {
        label = candidate;
        break;
      }
    }
    if (cache.size < 10_000) cache.set(name, label);
    return label;
  };
}
