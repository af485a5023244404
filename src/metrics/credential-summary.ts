import type { CredentialKind } from '../credentials/index.js';
import { isKeptFresh, stateOf, type Schedule } from '../credmon/index.js';

/**
 * What the metrics say of the credentials the credmon tracks: a count per provider, kind and state, and per provider
 * the soonest expiry of a `.use` it is keeping fresh. Pure; the credmon's table is the input, at scrape time.
 */
export interface SummaryInput {
  readonly ref: { readonly name: string; readonly kind: CredentialKind };
  readonly schedule: Schedule;
}

export interface CredentialSummary {
  /** `provider\tkind\tstate` → count. */
  readonly counts: ReadonlyMap<string, number>;
  /**
   * Per provider, the soonest `exp` (epoch ms) of a `.use` the credmon keeps fresh (isKeptFresh): rejected and broken
   * credentials, and those it leaves alone (no refresh token), wait for their user or files; their states say so.
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
    if (expiresMs === undefined || !isKeptFresh(schedule, nowMs)) continue;
    const soonest = soonestExpiryMs.get(provider);
    if (soonest === undefined || expiresMs < soonest) soonestExpiryMs.set(provider, expiresMs);
  }
  return { counts, soonestExpiryMs };
}

/** Provider label values at most; past them, `other` (a cap, whatever the configuration and the names). */
export const MAX_PROVIDER_LABELS = 64;

/**
 * The provider label of a credential name, from the configured providers only (so a label never carries a user's
 * handle or anything else a user chose): the longest `<provider>` that is the name or a `<provider>_` prefix of it
 * for which `labelOf` answers (the label to use: the configured spelling), else `other`; at most
 * MAX_PROVIDER_LABELS values.
 */
export function providerLabeller(labelOf: (candidate: string) => string | undefined): (name: string) => string {
  const cache = new Map<string, string>();
  const labels = new Set<string>();
  return (name) => {
    let label = cache.get(name);
    if (label !== undefined) return label;
    label = 'other';
    for (let cut = name.length; cut > 0; cut = name.lastIndexOf('_', cut - 1)) {
      const found = labelOf(name.slice(0, cut));
      if (found !== undefined) {
        label = labels.has(found) || labels.size < MAX_PROVIDER_LABELS ? found : 'other';
        break;
      }
    }
    labels.add(label);
    if (cache.size < 10_000) cache.set(name, label);
    return label;
  };
}
