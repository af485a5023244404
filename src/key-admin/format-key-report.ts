import { SCITOKENS_CPP_KEY_REFRESH_S, type LocalIssuerConfig } from '../config/index.js';
import {
  publishedKeysOf,
  type KeySet,
  type KeySetTarget,
  type RotationMode,
  type RotationResult,
} from '../issuer/index.js';

/** One local issuer's keys as `credmon-key status --json` prints them. */
export interface ProviderStatus {
  readonly provider: string;
  readonly issuer: string;
  /** The key set's directory; `keySet` false: the issuer signs with its single key (no rotation yet). */
  readonly directory: string;
  readonly keySet: boolean;
  readonly keys: ReadonlyArray<{
    readonly kid: string;
    readonly alg: string;
    readonly state: 'next' | 'active' | 'retiring' | 'single';
    readonly since: string | null;
    /** next: when it starts signing; retiring: when it leaves the JWKS. */
    readonly until: string | null;
  }>;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function statusOf(provider: LocalIssuerConfig, target: KeySetTarget, set: KeySet | undefined): ProviderStatus {
  const base = { provider: provider.providerName, issuer: provider.issuer, directory: target.dir };
  if (set === undefined) {
    const single = { kid: provider.keyId, alg: provider.privateKeyAlgorithm, state: 'single' as const };
    return { ...base, keySet: false, keys: [{ ...single, since: null, until: null }] };
  }
  const keys = publishedKeysOf(set).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    state: k.state,
    since: iso(k.sinceMs),
    until: iso(k.untilMs),
  }));
  return { ...base, keySet: true, keys };
}

export function formatStatus(statuses: readonly ProviderStatus[]): string {
  const lines: string[] = [];
  for (const s of statuses) {
    lines.push(`provider ${s.provider} (issuer ${s.issuer})`);
    if (!s.keySet) {
      const key = s.keys[0];
      lines.push(
        `  one key, kid ${key?.kid ?? '?'} (${key?.alg ?? '?'}), no key set yet: \`credmon-key rotate\` makes one`,
      );
      lines.push(`  in ${s.directory}`);
      continue;
    }
    lines.push(`  key set ${s.directory}`);
    const width = Math.max(...s.keys.map((k) => k.kid.length));
    for (const k of s.keys) {
      const then =
        k.state === 'next'
          ? `  signs from ${k.until ?? '?'}`
          : k.state === 'retiring'
            ? `  leaves the JWKS at ${k.until ?? '?'}`
            : '';
      lines.push(`  ${k.kid.padEnd(width)}  ${k.alg}  ${k.state.padEnd(8)}  since ${k.since ?? '?'}${then}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function formatRotation(
  provider: string,
  result: RotationResult,
  mode: RotationMode,
  target: KeySetTarget,
  published: readonly string[],
): string {
  const { added, before, after } = result;
  const old = before.keys.find((k) => k.state === 'active')?.kid ?? '?';
  const next = after.keys.find((k) => k.kid === added.kid);
  const retainS = Math.round(target.timing.retainMs / 1000);
  const lines = [`provider ${provider}: new key ${added.kid} (${added.alg}) is in the JWKS now.`];
  if (mode === 'lead') {
    const leadS = Math.round(target.timing.leadMs / 1000);
    lines.push(
      `It signs from ${iso(next?.untilMs) ?? '?'} (in ${leadS} s, LOCAL_CREDMON_KEY_ROTATION_LEAD), when key ${old} ` +
        `starts retiring: that one stays in the JWKS ${retainS} s longer, until the last token it signed has expired.`,
      'Each token is re-signed with the new key when it is next renewed (within half its lifetime).',
    );
    if (leadS < SCITOKENS_CPP_KEY_REFRESH_S) {
      lines.push(
        `Warning: a lead of ${leadS} s is shorter than scitokens-cpp's ${SCITOKENS_CPP_KEY_REFRESH_S} s key refresh: ` +
          'XRootD and other scitokens-cpp readers that fetched the JWKS before now may refuse new tokens for a while.',
      );
    }
  } else if (mode === 'now') {
    lines.push(
      `It signs now; key ${old} retires (in the JWKS ${retainS} s longer). Relying parties that fetched the JWKS ` +
        'before now refuse tokens of the new key until they fetch it again (scitokens-cpp: up to ' +
        'keycache.update_interval_s, 600 s by default).',
    );
  } else {
    const gone = before.keys.map((k) => k.kid).filter((kid) => !published.includes(kid));
    lines.push(
      `It signs now. Revoked, gone from the JWKS now: ${gone.join(', ')}. Every token is re-signed at once.`,
      'Relying parties that cached the old keys still accept tokens of them until they fetch the JWKS again ' +
        '(scitokens-cpp: up to keycache.update_interval_s, 600 s by default; one that cannot reach the issuer keeps ' +
        'its cache up to keycache.expiration_interval_s, 4 days). Until they refetch they also refuse the new tokens.',
    );
  }
  lines.push(`Published: ${published.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
