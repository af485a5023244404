import { isSafeName, type CredentialDirectory } from '../credentials/index.js';

/** A SIGHUP that brings at most this many new user directories is served at once on the main thread. */
export const FAST_PATH_MAX_USERS = 32;
/** More new root entries than this between two SIGHUPs is a flood (a restore): list the root instead. */
const FLOOD_ENTRIES = 10 * FAST_PATH_MAX_USERS;

export type RootDirectory = Pick<
  CredentialDirectory,
  'rootVersion' | 'listUserNames' | 'watchRootEntries' | 'userChangedMs'
>;

/**
 * The SIGHUP fast path's candidates: the entries created in the credential directory since the last SIGHUP, known
 * from an inotify watch on the root (a hint), or, without a watch or after a flood, from listing the root when its
 * version changed.
 */
export class NewUserDirectories {
  private readonly dir: RootDirectory;
  private lastRootVersion: string | undefined;
  /** Entries created since the last `take`; undefined: not watching (list instead). */
  private entries: Set<string> | undefined;
  private watcher: { close(): void } | undefined;

  constructor(dir: RootDirectory) {
    this.dir = dir;
  }

  /** Starts watching the root; when that fails (now or later), `take` lists the root instead. */
  watch(): void {
    this.watcher = this.dir.watchRootEntries(
      (name) => {
        const entries = this.entries;
        if (!entries) return;
        // A flood of entries (a restore, a mass creation) is the scan's job: drop the hint, list at the next SIGHUP.
        if (entries.size >= FLOOD_ENTRIES) this.entries = undefined;
        else entries.add(name);
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
  }

  /** The entries new since the last call: the watch's, or every user name when the root changed since it was listed. */
  async take(): Promise<string[]> {
    if (this.entries) {
      const taken = [...this.entries];
      this.entries.clear();
      return taken;
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
 * The users a SIGHUP serves at once among `candidates`: valid user names the credmon does not know yet, at most
 * FAST_PATH_MAX_USERS of them. When there are more (a burst of first submits, a restore), the scan signs them in bulk,
 * and the ones that changed last, the likeliest to have a condor_submit waiting, go first.
 */
export function pickFastPathUsers(
  candidates: readonly string[],
  isKnown: (user: string) => boolean,
  changedMs: (user: string) => number | undefined,
): string[] {
  const fresh = candidates.filter((user) => !isKnown(user) && isSafeName(user));
  if (fresh.length <= FAST_PATH_MAX_USERS) return fresh;
  const changed = new Map(fresh.map((user) => [user, changedMs(user) ?? 0]));
  return fresh.sort((a, b) => (changed.get(b) ?? 0) - (changed.get(a) ?? 0)).slice(0, FAST_PATH_MAX_USERS);
}
