import { constants } from 'node:fs';
import { lstatSync, statSync, watch, type Stats } from 'node:fs';
import { access, chmod, lstat, mkdir, open, readdir, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialDirectoryUnusable, CredentialFileInvalid } from '../shared/errors.js';
import { isAbandonedTempFile, writeFileAtomically } from './atomic-write.js';
import { KEY_FILE_NAME, assertSafeName, isSafeName } from './names.js';

export interface FileInfo {
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly size: number;
}

export interface TextFile extends FileInfo {
  readonly content: string;
}

export interface UserFileWriteOptions {
  readonly mode?: number;
  /** Create a missing user directory (default true: the web app's first login of a user). */
  readonly createDirectory?: boolean;
  /** fsync before and after the rename (default true); see AtomicWriteOptions.durable. */
  readonly durable?: boolean;
}

export interface UserDirectory {
  readonly user: string;
  /** Nanosecond mtime as a string: changes whenever a file in the directory is created, renamed or removed. */
  readonly version: string;
}

/** Credential files larger than this are refused when read (a token response is capped well below it). */
export const MAX_CREDENTIAL_BYTES = 1024 * 1024;
const STAT_SLICE = 1000;
const RECENT_MS = 20;

/**
 * The only code that touches the credential directory (`SEC_CREDENTIAL_DIRECTORY_OAUTH`). Every user, provider and
 * file name is checked before it becomes a path, files are opened without following symlinks, and every write is
 * atomic.
 */
export class CredentialDirectory {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /**
   * Creates the directory (02770, as upstream) when missing; refuses one that other users can access, as upstream
   * does, because it holds refresh tokens and client secrets.
   */
  async prepare(): Promise<void> {
    try {
      // mkdir applies the umask and ignores setgid, so set the mode explicitly on a directory we created.
      if ((await mkdir(this.root, { recursive: true, mode: 0o2770 })) !== undefined) await chmod(this.root, 0o2770);
    } catch (error) {
      throw new CredentialDirectoryUnusable(`cannot create SEC_CREDENTIAL_DIRECTORY_OAUTH ${this.root}: ${(error as Error).message}`, { cause: error });
    }
    const info = await stat(this.root);
    if (!info.isDirectory()) throw new CredentialDirectoryUnusable(`SEC_CREDENTIAL_DIRECTORY_OAUTH ${this.root} is not a directory`);
    if ((info.mode & 0o007) !== 0) {
      throw new CredentialDirectoryUnusable(
        `SEC_CREDENTIAL_DIRECTORY_OAUTH ${this.root} is accessible by other users (mode ${(info.mode & 0o7777).toString(8)}); ` +
          `it holds refresh tokens: run "chmod o-rwx ${this.root}" (upstream uses 2770 root:condor)`,
      );
    }
    try {
      await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      throw new CredentialDirectoryUnusable(`SEC_CREDENTIAL_DIRECTORY_OAUTH ${this.root} is not readable and writable by this process`, { cause: error });
    }
  }

  /** Writes `<root>/pid` (decimal, no newline, 0644) so the credd can SIGHUP us. */
  async writePid(pid: number): Promise<void> {
    await writeFileAtomically(join(this.root, 'pid'), String(pid), { mode: 0o644 });
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
  async listUserNames(): Promise<{ users: string[]; refused: string[] }> {
    const users: string[] = [];
    const refused: string[] = [];
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (isSafeName(entry.name)) users.push(entry.name);
      else refused.push(entry.name);
    }
    return { users, refused };
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
    const info = lstatSync(this.userPath(user), { throwIfNoEntry: false });
    return info?.isDirectory() ? Math.max(info.mtimeMs, info.ctimeMs) : undefined;
  }

  /**
   * A user directory's version (mtime and ctime); undefined when it vanished or is no longer a real directory.
   * File times are coarse (a kernel tick, 1 to 10 ms): a directory changed within the last RECENT_MS may change again
   * without its times moving, so its version is marked unsettled and it is read again at the next scan.
   */
  userVersion(user: string, nowMs = Date.now()): string | undefined {
    const info = lstatSync(this.userPath(user), { throwIfNoEntry: false });
    if (!info?.isDirectory()) return undefined;
    const unsettled = Math.max(info.mtimeMs, info.ctimeMs) > nowMs - RECENT_MS;
    return `${info.mtimeMs}:${info.ctimeMs}${unsettled ? `:unsettled:${nowMs}` : ''}`;
  }

  /**
   * Removes the temp files that a crash left in the root (a pid file write): see isAbandonedTempFile. User
   * directories are cleaned when they are read (readUserDirectorySync).
   */
  async removeAbandonedTempFiles(processStartMs: number): Promise<number> {
    let removed = 0;
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const info = lstatSync(join(this.root, entry.name), { throwIfNoEntry: false });
      if (info && isAbandonedTempFile(entry.name, info.mtimeMs, processStartMs)) {
        await unlink(join(this.root, entry.name)).catch(ignoreCode('ENOENT'));
        removed++;
      }
    }
    return removed;
  }

  /**
   * Atomically replaces `<root>/<user>/<file>` (mode 0400 unless told otherwise; durable unless told otherwise). With
   * `createDirectory` (the web app, first login of a user) a missing user directory is created (0700); the credmon
   * passes false, so it never brings back a directory the credd swept. A user directory that is a symlink is refused.
   */
  async writeUserFile(user: string, file: string, content: string, options: UserFileWriteOptions = {}): Promise<void> {
    const dir = this.userPath(user);
    const path = join(dir, assertSafeName('credential', file));
    if (options.createDirectory ?? true) await mkdir(dir, { mode: 0o700 }).catch(ignoreCode('EEXIST'));
    await assertRealDirectory(dir, user);
    await writeFileAtomically(path, content, {
      mode: options.mode ?? 0o400,
      durable: options.durable ?? true,
    });
  }

  /** The credd's CHECK_CREDS key files (`<root>/<64 hex>`), with their ctime. */
  async listKeyFiles(): Promise<Array<{ name: string; ctimeMs: number }>> {
    const out: Array<{ name: string; ctimeMs: number }> = [];
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isFile() || !KEY_FILE_NAME.test(entry.name)) continue;
      try {
        const info = await stat(join(this.root, entry.name));
        out.push({ name: entry.name, ctimeMs: info.ctimeMs });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return out;
  }

  /** Reads a key file; undefined when it does not exist. The name must be exactly 64 lowercase hex characters. */
  async readKeyFile(name: string): Promise<TextFile | undefined> {
    if (!KEY_FILE_NAME.test(name)) throw new RangeError('key file names are 64 lowercase hex characters');
    try {
      return await readTextFile(join(this.root, name));
    } catch (error) {
      // A key file's name is a login capability: errors name it by its first 8 characters only.
      throw withoutKey(error, name);
    }
  }

  async removeKeyFile(name: string): Promise<void> {
    if (!KEY_FILE_NAME.test(name)) throw new RangeError('key file names are 64 lowercase hex characters');
    await unlink(join(this.root, name)).catch(ignoreCode('ENOENT'));
  }

  private userPath(user: string): string {
    return userDirectoryPath(this.root, user);
  }
}

function withoutKey(error: unknown, key: string): unknown {
  if (!(error instanceof Error)) return error;
  const shown = `${key.slice(0, 8)}…`;
  if (error instanceof CredentialFileInvalid) {
    return new CredentialFileInvalid(error.path.split(key).join(shown), error.message.slice(error.path.length + 2));
  }
  error.message = error.message.split(key).join(shown);
  const withPath = error as { path?: unknown };
  if (typeof withPath.path === 'string') withPath.path = withPath.path.split(key).join(shown);
  return error;
}

/** `<root>/<user>`, after checking that `user` is a safe single path component. */
export function userDirectoryPath(root: string, user: string): string {
  return join(root, assertSafeName('user', user));
}

/**
 * A user directory must be a real directory: `mkdir` and path resolution follow a symlink, which would let whoever
 * planted it send `.use`, `.top` and `.meta` (with the client secret) anywhere. The credmon already skips such entries.
 */
async function assertRealDirectory(dir: string, user: string): Promise<void> {
  const info = await lstat(dir);
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new CredentialDirectoryUnusable(`the user directory of ${user} is ${describeType(info)}, not a directory; refusing to write there`);
  }
}

function ignoreCode(code: string): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    if (error.code !== code) throw error;
  };
}

/** "a symbolic link", "a FIFO", ...: what a non-regular directory entry is, for messages. */
export function describeType(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isDirectory()) return 'a directory';
  return info.isFile() ? 'a regular file' : 'not a regular file';
}

/**
 * How every credential file is opened for reading: without following a symlink and without blocking (a FIFO or a
 * device opened for reading would otherwise wait for a writer forever and hold an I/O thread for good).
 */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Only regular files of a sane size are read; anything else is reported and skipped, never waited on. */
export function assertReadableFile(path: string, info: Stats): void {
  if (!info.isFile()) throw new CredentialFileInvalid(path, `is ${describeType(info)}, not a regular file`);
  if (info.size > MAX_CREDENTIAL_BYTES) throw new CredentialFileInvalid(path, `is larger than ${MAX_CREDENTIAL_BYTES} bytes`);
}

/**
 * Opens without following a symlink and without blocking: a FIFO (or device) opened for reading would otherwise wait
 * for a writer forever and hold one of libuv's four I/O threads for good. Only regular files are read.
 */
async function readTextFile(path: string): Promise<TextFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    assertReadableFile(path, info);
    const content = await handle.readFile('utf8');
    return { content, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, size: info.size };
  } finally {
    await handle.close();
  }
}
