import { parsePositiveInteger, type KnobLookup } from './values.js';

/**
 * Our own knobs for signing-key rotation (docs/key-rotation.md); upstream has none. The lead must exceed how long a
 * relying party trusts its cached JWKS before it fetches it again: scitokens-cpp's `keycache.update_interval_s`,
 * 600 s by default, refetches on no unknown `kid` (docs/key-rotation-design.md), so 900 s leaves 5 minutes for HTTP
 * caches and clocks.
 */
export interface KeyRotationConfig {
  /** LOCAL_CREDMON_KEY_ROTATION_LEAD: seconds a new key is published before it signs. */
  readonly leadS: number;
  /** LOCAL_CREDMON_KEY_ROTATION_INTERVAL: seconds between automatic rotations; 0 = none (the default). */
  readonly intervalS: number;
  /** Seconds a key stays published after its last token expired: clock differences between issuer and readers. */
  readonly marginS: number;
}

export const KEY_ROTATION_DEFAULTS = { leadS: 900, intervalS: 0, marginS: 60 } as const;

/** scitokens-cpp's default `keycache.update_interval_s` (1.1.3 and 1.4.1): how long XRootD trusts a cached JWKS. */
export const SCITOKENS_CPP_KEY_REFRESH_S = 600;

/** A lead shorter than scitokens-cpp's refresh is kept (a test, a site whose readers refetch sooner) but said. */
export function parseKeyRotation(lookup: KnobLookup, problems: string[], warnings: string[] = []): KeyRotationConfig {
  const leadS = parsePositiveInteger(
    'LOCAL_CREDMON_KEY_ROTATION_LEAD',
    lookup('LOCAL_CREDMON_KEY_ROTATION_LEAD'),
    KEY_ROTATION_DEFAULTS.leadS,
    problems,
  );
  if (leadS < SCITOKENS_CPP_KEY_REFRESH_S) {
    warnings.push(
      `LOCAL_CREDMON_KEY_ROTATION_LEAD = ${leadS} is shorter than the ${SCITOKENS_CPP_KEY_REFRESH_S} s for which ` +
        `scitokens-cpp (XRootD, HTCondor) trusts the keys it fetched: such a reader may refuse tokens of a new key ` +
        `for up to ${SCITOKENS_CPP_KEY_REFRESH_S - leadS} s after the switch`,
    );
  }
  const rawInterval = (lookup('LOCAL_CREDMON_KEY_ROTATION_INTERVAL') ?? '').trim();
  const intervalS =
    rawInterval === '' || rawInterval === '0'
      ? 0
      : parsePositiveInteger('LOCAL_CREDMON_KEY_ROTATION_INTERVAL', rawInterval, 0, problems);
  if (intervalS > 0 && intervalS <= leadS) {
    problems.push(
      `LOCAL_CREDMON_KEY_ROTATION_INTERVAL = ${intervalS} must be longer than LOCAL_CREDMON_KEY_ROTATION_LEAD ` +
        `(${leadS} s): a rotation would begin before the previous one has switched`,
    );
  }
  return Object.freeze({ leadS, intervalS, marginS: KEY_ROTATION_DEFAULTS.marginS });
}

/** How long a key of an issuer whose tokens live `tokenLifetimeS` stays published after it stopped signing. */
export function retainSFor(rotation: KeyRotationConfig, tokenLifetimeS: number): number {
  return tokenLifetimeS + rotation.marginS;
}
