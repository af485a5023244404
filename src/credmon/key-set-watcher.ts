import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { KeyRotationConfig } from '../config/index.js';
import {
  KEY_SET_FILE,
  LocalIssuer,
  advanceKeys,
  ensureKeySet,
  isRotating,
  keySetTargetFor,
  loadActiveKey,
  nextTransitionMs,
  rotateKeys,
  signingKeyOf,
  type KeySet,
  type KeySetTarget,
  type SigningKey,
} from '../issuer/index.js';
import { describeError } from '../shared/errors.js';
import type { ReportOnce } from '../shared/report-once.js';

interface Watched {
  readonly issuer: LocalIssuer;
  readonly target: KeySetTarget;
  /** keyset.json as last seen (inode, mtime, size), or 'none'. */
  stamp: string | undefined;
  /** When this issuer's set next needs a step: a switch, a retirement's end, or an automatic rotation. */
  dueMs: number | undefined;
  /** False until the first sync (at the credmon's start). */
  started: boolean;
}

/**
 * Keeps each local issuer signing with its key set's active key (docs/key-rotation.md): at every scan it looks at
 * `keyset.json` (one stat when nothing is due), applies the steps that are due (a switch, a retired key leaving),
 * takes up what `credmon-key` changed, and begins automatic rotations (LOCAL_CREDMON_KEY_ROTATION_INTERVAL). An
 * issuer without a key set signs with its single key as before. A key set it cannot use is logged once per problem
 * and the issuer keeps the key it has.
 */
export class KeySetWatcher {
  private readonly watched: Watched[] = [];
  private readonly rotation: KeyRotationConfig;
  private readonly log: Logger;
  private readonly reported: ReportOnce;

  constructor(
    issuers: ReadonlyMap<string, LocalIssuer | Error>,
    rotation: KeyRotationConfig,
    log: Logger,
    reported: ReportOnce,
  ) {
    this.rotation = rotation;
    this.log = log;
    this.reported = reported;
    for (const issuer of issuers.values()) {
      if (issuer instanceof LocalIssuer) {
        this.watched.push({
          issuer,
          target: keySetTargetFor(issuer.config, issuer.key.alg, rotation),
          stamp: undefined,
          dueMs: undefined,
          started: false,
        });
      }
    }
  }

  /** The earliest time a key set needs a step, or undefined. */
  nextDueMs(): number | undefined {
    const due = this.watched.flatMap((w) => (w.dueMs === undefined ? [] : [w.dueMs]));
    return due.length === 0 ? undefined : Math.min(...due);
  }

  /** Brings every issuer up to date; true when a key was revoked (every token of it must be re-signed now). */
  async sync(nowMs: number): Promise<boolean> {
    let revoked = false;
    for (const w of this.watched) {
      try {
        revoked = (await this.syncOne(w, nowMs)) || revoked;
      } catch (error) {
        const { provider, dir } = w.target;
        const message = `Key set of provider ${provider} (${dir}) cannot be used: ${describeError(error)}`;
        this.reported.once(`keyset:${message}`, () =>
          this.log.error(`${message}; signing with key ${w.issuer.key.kid}`),
        );
      }
      w.started = true;
    }
    return revoked;
  }

  private async syncOne(w: Watched, nowMs: number): Promise<boolean> {
    const stamp = await stampOf(w.target.dir);
    const autoDue = this.rotation.intervalS > 0;
    // A provider with its own key (LOCAL_CREDMON_<provider>_PRIVATE_KEY) always gets a key set: its `<kid>.pub` is
    // what the web app publishes at its issuer's jwks_uri (it has no LOCAL_CREDMON_PUBLIC_KEY).
    const ensure = autoDue || !w.issuer.config.sharedKey;
    if (stamp === w.stamp && (w.dueMs === undefined || nowMs < w.dueMs)) return false;
    if (stamp === 'none' && !ensure) {
      w.stamp = stamp;
      w.dueMs = undefined;
      return false;
    }
    let set = ensure ? await ensureKeySet(w.target, nowMs) : undefined;
    // The key that is to sign is loaded before a step is written: a set whose new key cannot be read stays as it
    // was (its old key still signing and published), and the error is said.
    let key: SigningKey | undefined;
    const load = async (next: KeySet): Promise<void> => {
      key = await loadActiveKey(w.target.dir, next);
    };
    set = (await advanceKeys(w.target, nowMs, load)) ?? set;
    if (set === undefined) return false;
    const rotateAtMs = autoDue ? signingKeyOf(set).sinceMs + this.rotation.intervalS * 1000 : undefined;
    if (rotateAtMs !== undefined && rotateAtMs <= nowMs && !isRotating(set)) {
      const { after, added } = await rotateKeys(w.target, nowMs, 'lead');
      set = after;
      this.log.info(
        { provider: w.target.provider, kid: added.kid },
        `Automatic key rotation: key ${added.kid} is published and signs after ${this.rotation.leadS} s`,
      );
    }
    const revoked = this.use(w, set, key ?? (await loadActiveKey(w.target.dir, set)));
    // The stamp of the file as read: a change made since (credmon-key) is taken up at the next scan.
    w.stamp = stamp;
    const next = [nextTransitionMs(set), isRotating(set) ? undefined : rotateAtMs].filter((t) => t !== undefined);
    w.dueMs = next.length === 0 ? undefined : Math.min(...next);
    return revoked;
  }

  /** Signs with `key`, the set's active key; true when the key it replaces was revoked (no longer in the set). */
  private use(w: Watched, set: KeySet, key: SigningKey): boolean {
    const previous = w.issuer.key.kid;
    const { provider } = w.target;
    if (previous === key.kid) return false;
    w.issuer.useKey(key);
    if (!w.started) {
      // At start the issuer holds the single key it began with; the set's active key takes over before any token.
      this.log.info({ provider, kid: key.kid }, `Signing with key ${key.kid} of the key set ${w.target.dir}`);
      return false;
    }
    const revoked = !set.keys.some((k) => k.kid === previous);
    this.log.info(
      { provider, kid: key.kid, previous, revoked },
      revoked
        ? `Signing with key ${key.kid}; key ${previous} was revoked: every token of it is re-signed now`
        : `Signing with key ${key.kid} (key rotation); tokens of ${previous} are re-signed as they come due`,
    );
    return revoked;
  }
}

async function stampOf(dir: string): Promise<string> {
  try {
    const info = await stat(join(dir, KEY_SET_FILE));
    return `${info.ino}:${info.mtimeMs}:${info.size}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw error;
  }
}
