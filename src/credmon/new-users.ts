import { isSafeName, type CredentialDirectory } from '../credentials/index.js';

/** A SIGHUP that brings at most this many new user directories is served at once on the main thread. */
export const FAST_PATH_MAX_USERS = 32;
/** More new root entries than this between two SIGHUPs (a restore, a mass creation) are the scan's job. */
const FLOOD_ENTRIES = 10 * FAST_PATH_MAX_USERS;

/**
 * The SIGHUP fast path's view of new users. The credd creates a user's directory, writes its `.top` and sends SIGHUP;
 * a watch on the credential directory's root (one inotify watch) names the new entries, so a SIGHUP finds its new
 * users without listing thousands. Without the watch, or after a flood of entries, the root is listed instead, and
 * only when it changed since the last SIGHUP.
 */
export class NewUserWatch {
  private readonly dir: CredentialDirectory;
  /** Entries created in the root since the last SIGHUP; undefined: not watching (list instead). */
  private entries: Set<string> | undefined;
  private watcher: { close(): void } | undefined;
  private lastRootVersion: string | undefined;

  constructor(dir: CredentialDirectory) {
    this.dir = dir;
  }

  start(): void {
    this.watcher = this.dir.watchRootEntries(
      (name) => {
        if (!this.entries) return;
        if (this.entries.size >= FLOOD_ENTRIES) this.entries = undefined;
        else this.entries.add(name);
      },
      () => {
        this.watcher = undefined;
        this.entries = undefined;
      },
    );
    if (this.watcher) this.entries = new Set();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** The root entries that appeared since the last call (all user names when the hint is unavailable). */
  async takeCandidates(): Promise<string[]> {
    if (this.entries) {
      const names = [...this.entries];
      this.entries.clear();
      return names;
    }
    const version = this.dir.rootVersion();
    if (version === this.lastRootVersion) return [];
    this.lastRootVersion = version;
    const { users } = await this.dir.listUserNames();
    if (this.watcher) this.entries = new Set(); // listed once after a flood: back to the hint
    return users;
  }
}

/**
 * The new users a SIGHUP serves at once: safe names not yet known. Of more than `max` (a burst of first submits),
 * the ones whose directory changed last go first: they are the likeliest to have a condor_submit waiting.
 */
export function pickNewUsers(
  candidates: readonly string[],
  isKnown: (user: string) => boolean,
  changedMs: (user: string) => number | undefined,
  max = FAST_PATH_MAX_USERS,
): string[] {
  const fresh = candidates.filter((u) => !isKnown(u) && isSafeName(u));
  if (fresh.length <= max) return fresh;
  const changed = new Map(fresh.map((u) => [u, changedMs(u) ?? 0]));
  return fresh.sort((a, b) => (changed.get(b) ?? 0) - (changed.get(a) ?? 0)).slice(0, max);
}
