import { unlink } from 'node:fs/promises';
import { retainSFor, type KeyRotationConfig, type LocalIssuerConfig } from '../config/index.js';
import { join } from 'node:path';
import type { KeySet, NewKey, RotationTiming } from './key-set.js';
import { RotationRefused } from '../shared/errors.js';
import { advanceKeySet, beginRotation, createKeySet, switchNow } from './key-set.js';
import { isSafeKeyId } from './key-set-file.js';
import {
  generateKeyFiles,
  installKeyFiles,
  keySetDirectoryFor,
  loadActiveKey,
  readKeySet,
  removeUnlistedKeys,
  withKeySetLock,
  writeKeySet,
} from './key-set-store.js';
import { loadSigningKey, type SigningAlgorithm } from './signing-key.js';

/** New kids are `<LOCAL_CREDMON_KEY_ID>-<YYYYMMDDTHHMMSSZ>-<4 hex>`, at most 64 characters. */
const MAX_KID_PREFIX = 42;

/** One local issuer's keys as configured: its key set directory, and today's single key it starts from. */
export interface KeySetTarget {
  readonly provider: string;
  readonly dir: string;
  /** LOCAL_CREDMON_PRIVATE_KEY (or the provider's): the first active key when a set is created. */
  readonly privateKeyPath: string;
  /** LOCAL_CREDMON_KEY_ID: that key's kid, and the prefix of new kids. */
  readonly keyId: string;
  readonly alg: SigningAlgorithm;
  readonly timing: RotationTiming;
}

/** The target of a local provider whose keys are of `alg` (its key set's, or its single key's). */
export function keySetTargetFor(
  config: LocalIssuerConfig,
  alg: SigningAlgorithm,
  rotation: KeyRotationConfig,
): KeySetTarget {
  return {
    provider: config.providerName,
    dir: keySetDirectoryFor(config.privateKeyPath),
    privateKeyPath: config.privateKeyPath,
    keyId: config.keyId,
    alg,
    timing: { leadMs: rotation.leadS * 1000, retainMs: retainSFor(rotation, config.tokenLifetimeS) * 1000 },
  };
}

/** `lead`: published now, signs after the lead; `now`: signs at once; `revoke`: signs at once, every other key gone. */
export type RotationMode = 'lead' | 'now' | 'revoke';

export interface RotationResult {
  /** The set before (today's single key when there was none). */
  readonly before: KeySet;
  readonly after: KeySet;
  readonly added: NewKey;
}

/**
 * Begins a rotation (`credmon-key rotate`, or the credmon's automatic one), holding the set's lock: the set as of now
 * (created from today's key on the first rotation), a new key's files, then `keyset.json` naming it (the commit), then
 * the removal of files no key names. A failure before the commit leaves the set as it was.
 */
export async function rotateKeys(target: KeySetTarget, nowMs: number, mode: RotationMode): Promise<RotationResult> {
  if (!isSafeKeyId(target.keyId) || target.keyId.length > MAX_KID_PREFIX) {
    throw new RotationRefused(
      `LOCAL_CREDMON_KEY_ID = ${target.keyId} cannot name key files: use 1-${MAX_KID_PREFIX} of A-Z a-z 0-9 . _ -`,
    );
  }
  return withKeySetLock(target.dir, async () => {
    const current = (await readKeySet(target.dir)) ?? (await startKeySet(target, nowMs));
    const before = advanceKeySet(current, nowMs, target.timing);
    // A set whose signing key cannot be read is not rotated further, except by a revocation, which replaces it.
    if (mode !== 'revoke') await loadActiveKey(target.dir, before);
    const added = await generateKeyFiles(target.dir, target.keyId, target.alg, nowMs);
    let after: KeySet;
    try {
      after =
        mode === 'lead'
          ? beginRotation(before, added, nowMs, target.timing)
          : switchNow(before, added, nowMs, target.timing, mode === 'revoke');
    } catch (error) {
      for (const ext of ['pem', 'pub']) await unlink(join(target.dir, `${added.kid}.${ext}`)).catch(() => undefined);
      throw error;
    }
    await writeKeySet(target.dir, after);
    await removeUnlistedKeys(target.dir, after);
    return { before, after, added };
  });
}

/**
 * The set as of `nowMs`, written back when a step was due (a key switched or left), and files no key names removed.
 * Undefined when the issuer has no key set (it signs with its single key, as before any rotation).
 */
export async function advanceKeys(
  target: KeySetTarget,
  nowMs: number,
  beforeCommit: (set: KeySet) => Promise<void> = () => Promise.resolve(),
): Promise<KeySet | undefined> {
  const peek = await readKeySet(target.dir);
  if (peek === undefined) return undefined;
  return withKeySetLock(target.dir, async () => {
    const current = await readKeySet(target.dir);
    if (current === undefined) return undefined;
    const next = advanceKeySet(current, nowMs, target.timing);
    // The caller's check (the credmon loads the key that is to sign) before any step is written.
    await beforeCommit(next);
    if (next !== current) await writeKeySet(target.dir, next);
    await removeUnlistedKeys(target.dir, next);
    return next;
  });
}

/** Today's single key as the first key of a set: copied into the set's directory under its kid, not yet named. */
async function startKeySet(target: KeySetTarget, nowMs: number): Promise<KeySet> {
  const key = await loadSigningKey(target.privateKeyPath, target.keyId);
  await installKeyFiles(target.dir, key);
  return createKeySet({ kid: key.kid, alg: key.alg }, nowMs);
}

/** The issuer's key set, created from today's single key when there is none (automatic rotation needs one). */
export async function ensureKeySet(target: KeySetTarget, nowMs: number): Promise<KeySet> {
  return withKeySetLock(target.dir, async () => {
    const existing = await readKeySet(target.dir);
    if (existing !== undefined) return existing;
    const set = await startKeySet(target, nowMs);
    await writeKeySet(target.dir, set);
    return set;
  });
}
