import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialDirectoryUnusable } from '../shared/errors.js';
import { isAbandonedTempFile, replaceFileSync, writeFileAtomically } from './atomic-write.js';
import { ignoreCode } from './ignore-code.js';
import { userDirectoryPath, userFilePath } from './names.js';
import { describeType } from './read-rules.js';

/**
 * The files of one user directory, `<root>/<user>/`, behind CredentialDirectory (which is the only caller): listing
 * (synchronous, see read-rules.ts), and the atomic writes of the web app (asynchronous) and of the credmon's bulk
 * work (synchronous). Every user and file name is checked before it becomes a path; nothing follows a symlinked
 * user directory.
 */
export interface UserDirectoryListing {
  /** Regular files. */
  readonly files: string[];
  /** Entries that are neither regular files nor our temp files (FIFOs, sockets, devices, symlinks, directories). */
  readonly others: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  /** Temp files a crashed writer left behind, removed by this call. */
  readonly removedTempFiles: number;
  /** false when the user directory vanished (the credd's sweep) or is not a real directory. */
  readonly exists: boolean;
}

export interface UserFileWriteOptions {
  readonly mode?: number;
  /** Create a missing user directory (default true: the web app's first login of a user). */
  readonly createDirectory?: boolean;
  /** fsync before and after the rename (default true); see AtomicWriteOptions.durable. */
  readonly durable?: boolean;
}

const GONE: UserDirectoryListing = Object.freeze({ files: [], others: [], removedTempFiles: 0, exists: false });

export function readUserDirectorySync(root: string, user: string, processStartMs: number): UserDirectoryListing {
  const dir = userDirectoryPath(root, user);
  const info = lstatSync(dir, { throwIfNoEntry: false });
  if (!info?.isDirectory()) return { ...GONE };
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...GONE };
    throw error;
  }
  const files: string[] = [];
  const others: Array<{ name: string; type: string }> = [];
  let removedTempFiles = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isFile()) {
      if (entry.name.startsWith('.credmon-')) {
        const stat = lstatSync(path, { throwIfNoEntry: false });
        if (stat && isAbandonedTempFile(entry.name, stat.mtimeMs, processStartMs)) {
          unlinkQuietly(path);
          removedTempFiles++;
        }
        continue;
      }
      files.push(entry.name);
    } else {
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (stat) others.push({ name: entry.name, type: describeType(stat) });
    }
  }
  return { files, others, removedTempFiles, exists: true };
}

/**
 * Atomically replaces `<root>/<user>/<file>` (mode 0400 unless told otherwise; durable unless told otherwise). With
 * `createDirectory` (the web app, first login of a user) a missing user directory is created (0700); the credmon
 * passes false, so it never brings back a directory the credd swept. A user directory that is a symlink is refused.
 */
export async function writeUserFile(
  root: string,
  user: string,
  file: string,
  content: string,
  options: UserFileWriteOptions = {},
): Promise<void> {
  const path = userFilePath(root, user, file);
  const dir = userDirectoryPath(root, user);
  if (options.createDirectory ?? true) await mkdir(dir, { mode: 0o700 }).catch(ignoreCode('EEXIST'));
  assertRealDirectory(dir, user);
  await writeFileAtomically(path, content, { mode: options.mode ?? 0o400, durable: options.durable ?? true });
}

/**
 * Replaces `<root>/<user>/<file>` (mode 0400) atomically but without fsync, synchronously: for derived data that the
 * credmon re-creates at any time (a `.use`). Never creates the user directory (the credd owns its life) and never
 * writes through a symlinked one (checked here unless the caller has just listed it with readUserDirectorySync,
 * which checks the same).
 */
export function writeUserFileSync(
  root: string,
  user: string,
  file: string,
  content: string,
  options: { readonly directoryChecked: boolean },
): void {
  const path = userFilePath(root, user, file);
  if (
    !options.directoryChecked &&
    !lstatSync(userDirectoryPath(root, user), { throwIfNoEntry: false })?.isDirectory()
  ) {
    throw new CredentialDirectoryUnusable(`the user directory of ${user} is gone or not a directory`);
  }
  replaceFileSync(path, content, 0o400);
}

/**
 * A user directory must be a real directory: `mkdir` and path resolution follow a symlink, which would let whoever
 * planted it send `.use`, `.top` and `.meta` (with the client secret) anywhere. The credmon already skips such entries.
 */
function assertRealDirectory(dir: string, user: string): void {
  // Synchronous: an lstat of a directory just used costs microseconds, a round trip through the thread pool more.
  const info = lstatSync(dir);
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new CredentialDirectoryUnusable(
      `the user directory of ${user} is ${describeType(info)}, not a directory; refusing to write there`,
    );
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
