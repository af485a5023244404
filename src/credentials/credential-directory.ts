/**
 * The credential directory (`SEC_CREDENTIAL_DIRECTORY_OAUTH`) and the one way into it: the web app (bin/web.ts),
 * the credmon (bin/credmon.ts) and each of the credmon's signing threads (credmon/local-worker.ts, which cannot share
 * an object with the main thread) build a CredentialDirectory with this constructor, and reach the files only through
 * its methods, directly or through the credential formats beside it (store-oauth-login.ts, oauth-credential.ts,
 * local-credential.ts), which take the object. The rules it applies everywhere:
 * - every user, provider and file name is checked before it becomes a path (names.ts);
 * - files are read by read-rules.ts only: O_NOFOLLOW | O_NONBLOCK, regular files, at most MAX_CREDENTIAL_BYTES;
 * - every write is atomic (atomic-write.ts), and a full disk throws DiskFull (ERR_DISK_FULL) with the old file kept.
 *
 * Writers outside this process: HTCondor's credd (user directories, `.top` files, key files, and its sweeps), and
 * one other, `docker/bin/entrypoint` at container start, before any daemon runs: it creates the directory
 * (root:condor 2770), removes `CREDMON_COMPLETE`, and when the sandbox switches between local-issuer and OAuth mode
 * on the same volume (recorded in `<root>/.credmon-sandbox-mode`, which it writes) it deletes every user's
 * `scitokens` (and `$LOCAL_CREDMON_PROVIDER_NAME`) `.top`, `.use` and `.meta`, so a token of the other mode is not
 * kept in use.
 */
import { constants, lstatSync, statSync, watch } from 'node:fs';
import { open, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-write.js';
import { ignoreCode } from './ignore-code.js';
import { userDirectoryPath, userFilePath } from './names.js';
import { readTextFile, readTextFileSync, type FileInfo, type TextFile } from './read-rules.js';
import * as rootFiles from './root-files.js';
import * as userFiles from './user-files.js';
import type { UserDirectoryListing, UserFileWriteOptions } from './user-files.js';

export interface UserDirectory {
  readonly user: string;
  /** Nanosecond mtime as a string: changes whenever a file in the directory is created, renamed or removed. */
  readonly version: string;
}

/** Whether the caller has just seen that the user directory is a real one (readUserDirectorySync). */
export interface DirectoryChecked {
  readonly directoryChecked: boolean;
}

const STAT_SLICE = 1000;
/** What the credmon knows of every credential, for credmon-status (src/status/status-file.ts). */
export const STATUS_FILE = '.credmon-status.json';
/** 10,000 users take about 3 MB. */
const MAX_STATUS_BYTES = 64 * 1024 * 1024;
const RECENT_MS = 20;

export class CredentialDirectory {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /**
   * Creates the directory (02770, as upstream) when missing; refuses one that other users can access, as upstream
   * does, because it holds refresh tokens and client secrets.
   */
  prepare(): Promise<void> {
    return rootFiles.prepareDirectory(this.root);
  }

  /** Writes `<root>/pid` (decimal, no newline, 0644) so the credd can SIGHUP us. */
  async writePid(pid: number): Promise<void> {
    await writeFileAtomically(join(this.root, 'pid'), String(pid), { mode: 0o644 });
  }

  /**
   * Writes `<root>/.credmon-status.json` (0640, the directory's group: root and condor read it; no user does). The credmon is its one writer; credmon-status reads it.
   */
  async writeStatusFile(content: string): Promise<void> {
    // The directory's group (condor), also when no setgid bit gives it; not synced: it is rewritten after every scan.
    const { gid } = statSync(this.root);
    const owner = { uid: process.geteuid?.() ?? 0, gid };
    await writeFileAtomically(join(this.root, STATUS_FILE), content, { mode: 0o640, owner, durable: false });
  }

  /** The status file by the read rules (undefined when the credmon has written none). */
  readStatusFile(): Promise<TextFile | undefined> {
    return readTextFile(join(this.root, STATUS_FILE), MAX_STATUS_BYTES);
  }

  async removeCompleteMarker(): Promise<void> {
    await unlink(join(this.root, 'CREDMON_COMPLETE')).catch(ignoreCode('ENOENT'));
  }

  /** Creates or updates the mtime of `<root>/CREDMON_COMPLETE` (empty, 0644) after a scan. */
  async touchCompleteMarker(now = new Date()): Promise<void> {
    const path = join(this.root, 'CREDMON_COMPLETE');
    const handle = await open(path, constants.O_CREAT | constants.O_WRONLY | constants.O_NOFOLLOW, 0o644);
    await handle.close();
    await utimes(path, now, now);
  }

  /**
   * Changes whenever a user directory (or anything else) is created, renamed or removed in the root. The link count
   * is part of it because file times are coarse (a kernel tick): two directories created within one tick leave the
   * mtime unchanged, but each raises the link count.
   */
  rootVersion(): string {
    const info = statSync(this.root);
    return `${info.mtimeMs}:${info.ctimeMs}:${info.nlink}`;
  }

  /**
   * Reports the names of entries created or renamed in the root (inotify through fs.watch), as they happen: a hint
   * that lets a SIGHUP find a new user without listing thousands. undefined when watching is not possible; the
   * watcher closes itself on error (then callers fall back to listing). The scan remains the source of truth.
   */
  watchRootEntries(onEntry: (name: string) => void, onError: () => void): { close(): void } | undefined {
    try {
      const watcher = watch(this.root, { persistent: false }, (event, name) => {
        if (event === 'rename' && name) onEntry(String(name));
      });
      watcher.on('error', () => {
        watcher.close();
        onError();
      });
      return watcher;
    } catch {
      return undefined;
    }
  }

  /**
   * The names of the user directories and the names it refuses (entries that are directories but whose names are
   * not safe user names), without looking inside them. Symlinks are not directories here: they are never followed.
   */
  listUserNames(): Promise<{ users: string[]; refused: string[] }> {
    return rootFiles.listUserNames(this.root);
  }

  /**
   * Lists the user directories with their versions. The stat calls are synchronous (a few microseconds each, much
   * less than a round trip through libuv's thread pool) in slices that yield to the event loop in between, so a SIGHUP
   * handler never waits long behind them.
   */
  async listUserDirectories(): Promise<{ users: UserDirectory[]; refused: string[] }> {
    const { users: names, refused } = await this.listUserNames();
    const users: UserDirectory[] = [];
    for (let i = 0; i < names.length; i += STAT_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const user of names.slice(i, i + STAT_SLICE)) {
        const version = this.userVersion(user);
        if (version !== undefined) users.push({ user, version });
      }
    }
    return { users, refused };
  }

  /** When a user directory last changed (the later of mtime and ctime), or undefined when it is not a directory. */
  userChangedMs(user: string): number | undefined {
    const info = lstatSync(userDirectoryPath(this.root, user), { throwIfNoEntry: false });
    return info?.isDirectory() ? Math.max(info.mtimeMs, info.ctimeMs) : undefined;
  }

  /**
   * A user directory's version (mtime and ctime); undefined when it vanished or is no longer a real directory.
   * File times are coarse (a kernel tick, 1 to 10 ms): a directory changed within the last RECENT_MS may change again
   * without its times moving, so its version is marked unsettled and it is read again at the next scan.
   */
  userVersion(user: string, nowMs = Date.now()): string | undefined {
    const info = lstatSync(userDirectoryPath(this.root, user), { throwIfNoEntry: false });
    if (!info?.isDirectory()) return undefined;
    const unsettled = Math.max(info.mtimeMs, info.ctimeMs) > nowMs - RECENT_MS;
    return `${info.mtimeMs}:${info.ctimeMs}${unsettled ? `:unsettled:${nowMs}` : ''}`;
  }

  /**
   * Removes the temp files that a crash left in the root (a pid file write): see isAbandonedTempFile. User
   * directories are cleaned when they are read (readUserDirectorySync).
   */
  removeAbandonedTempFiles(processStartMs: number): Promise<number> {
    return rootFiles.removeAbandonedTempFiles(this.root, processStartMs);
  }

  /**
   * Lists `<root>/<user>/` synchronously: its regular files, the other entries (reported, never read), and removes
   * the temp files a crashed writer left there. `exists` is false for a vanished or symlinked user directory.
   */
  readUserDirectorySync(user: string, processStartMs: number): UserDirectoryListing {
    return userFiles.readUserDirectorySync(this.root, user, processStartMs);
  }

  /** Reads `<root>/<user>/<file>` synchronously; undefined when absent; CredentialFileInvalid for a FIFO etc. */
  readUserFileSync(user: string, file: string): TextFile | undefined {
    return readTextFileSync(userFilePath(this.root, user, file));
  }

  /** The times and size of `<root>/<user>/<file>` itself (a symlink is not followed); undefined when absent. */
  userFileInfoSync(user: string, file: string): FileInfo | undefined {
    return lstatSync(userFilePath(this.root, user, file), { throwIfNoEntry: false });
  }

  /**
   * Atomically replaces `<root>/<user>/<file>` (mode 0400 unless told otherwise; durable unless told otherwise). With
   * `createDirectory` (the web app, first login of a user) a missing user directory is created (0700); the credmon
   * passes false, so it never brings back a directory the credd swept. A user directory that is a symlink is refused.
   */
  writeUserFile(user: string, file: string, content: string, options: UserFileWriteOptions = {}): Promise<void> {
    return userFiles.writeUserFile(this.root, user, file, content, options);
  }

  /**
   * The synchronous, non-durable form of writeUserFile for derived data (a `.use`), written in bulk: never creates
   * the user directory, and checks that it is a real one unless the caller has just listed it (`directoryChecked`).
   */
  writeUserFileSync(user: string, file: string, content: string, options: DirectoryChecked): void {
    userFiles.writeUserFileSync(this.root, user, file, content, options);
  }

  /** The credd's CHECK_CREDS key files (`<root>/<64 hex>`), with their ctime. */
  listKeyFiles(): Promise<Array<{ name: string; ctimeMs: number }>> {
    return rootFiles.listKeyFiles(this.root);
  }

  /** Reads a key file; undefined when it does not exist. The name must be exactly 64 lowercase hex characters. */
  readKeyFile(name: string): Promise<TextFile | undefined> {
    return rootFiles.readKeyFile(this.root, name);
  }

  removeKeyFile(name: string): Promise<void> {
    return rootFiles.removeKeyFile(this.root, name);
  }
}
