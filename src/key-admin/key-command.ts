import type { CredmonConfig, LocalIssuerConfig } from '../config/index.js';
import {
  advanceKeySet,
  keySetTargetFor,
  loadSigningKey,
  publishedKeysOf,
  readKeySet,
  rotateKeys,
  signingKeyOf,
  type KeySet,
  type KeySetTarget,
  type RotationMode,
} from '../issuer/index.js';
import { formatRotation, formatStatus, statusOf, type ProviderStatus } from './format-key-report.js';

/** What `credmon-key` was asked: `status [--json]`, `rotate [--provider NAME] [--now [--revoke-old]]`. */
export type KeyCommand =
  | { readonly kind: 'status'; readonly json: boolean }
  | { readonly kind: 'rotate'; readonly provider: string | undefined; readonly mode: RotationMode };

/** A mistake of the admin's (not root, unknown provider, bad arguments): said as it is, exit status 2. */
export class KeyCommandRefused extends Error {
  readonly code = 'ERR_KEY_COMMAND_REFUSED';
}

export const USAGE = `usage: credmon-key status [--json]
       credmon-key rotate [--provider NAME] [--now [--revoke-old]]
  status      every local issuer's keys: kid, algorithm, state, since when, and when it changes
  rotate      a new key, published now; it signs after LOCAL_CREDMON_KEY_ROTATION_LEAD (default 900 s)
  --now       it signs at once (relying parties that have not fetched it yet refuse its tokens until they do)
  --revoke-old  with --now, for a compromised key: every other key leaves the JWKS at once`;

/** Parses the arguments after `credmon-key`. */
export function parseKeyCommand(args: readonly string[]): KeyCommand {
  const [verb, ...rest] = args;
  const flags = new Set<string>();
  let provider: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (arg === '--provider') {
      provider = rest[++i];
      if (provider === undefined || provider.startsWith('--')) throw new KeyCommandRefused('--provider needs a name');
    } else if (['--json', '--now', '--revoke-old'].includes(arg)) flags.add(arg);
    else throw new KeyCommandRefused(`unknown argument ${arg}\n${USAGE}`);
  }
  if (verb === 'status') {
    if (provider !== undefined || flags.has('--now') || flags.has('--revoke-old')) {
      throw new KeyCommandRefused(`status takes only --json\n${USAGE}`);
    }
    return { kind: 'status', json: flags.has('--json') };
  }
  if (verb === 'rotate') {
    if (flags.has('--json')) throw new KeyCommandRefused(`rotate takes no --json\n${USAGE}`);
    if (flags.has('--revoke-old') && !flags.has('--now')) {
      throw new KeyCommandRefused('--revoke-old needs --now: a revoked key must not wait for a new one to be fetched');
    }
    const mode: RotationMode = flags.has('--revoke-old') ? 'revoke' : flags.has('--now') ? 'now' : 'lead';
    return { kind: 'rotate', provider, mode };
  }
  throw new KeyCommandRefused(verb === undefined ? USAGE : `unknown command ${verb}\n${USAGE}`);
}

/** Runs `command` against the configured local issuers; returns what to print. */
export async function runKeyCommand(command: KeyCommand, config: CredmonConfig, nowMs: number): Promise<string> {
  if (command.kind === 'status') {
    const statuses: ProviderStatus[] = [];
    for (const provider of config.localProviders) {
      const target = keySetTargetFor(provider, provider.privateKeyAlgorithm, config.keyRotation);
      const set = await readKeySet(target.dir);
      statuses.push(statusOf(provider, target, set && advanceKeySet(set, nowMs, target.timing)));
    }
    return command.json ? `${JSON.stringify({ providers: statuses }, null, 2)}\n` : formatStatus(statuses);
  }
  const provider = pickProvider(config, command.provider);
  const target = await targetOf(provider, config);
  const result = await rotateKeys(target, nowMs, command.mode);
  const published = publishedKeysOf(result.after).map((k) => k.kid);
  return formatRotation(provider.providerName, result, command.mode, target, published);
}

function pickProvider(config: CredmonConfig, name: string | undefined): LocalIssuerConfig {
  const names = config.localProviders.map((p) => p.providerName);
  if (name === undefined) {
    if (config.localProviders.length === 1) return config.local;
    throw new KeyCommandRefused(`several local issuers (${names.join(', ')}): say which with --provider NAME`);
  }
  const found = config.localProviders.find((p) => p.providerName === name);
  if (!found) throw new KeyCommandRefused(`no local issuer ${name}; the local providers are ${names.join(', ')}`);
  return found;
}

/** The provider's target; new keys take the algorithm of the key that signs now. */
async function targetOf(provider: LocalIssuerConfig, config: CredmonConfig): Promise<KeySetTarget> {
  const draft = keySetTargetFor(provider, provider.privateKeyAlgorithm, config.keyRotation);
  const set: KeySet | undefined = await readKeySet(draft.dir);
  const alg = set ? signingKeyOf(set).alg : (await loadSigningKey(provider.privateKeyPath, provider.keyId)).alg;
  return { ...draft, alg };
}
