import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isAbandonedTempFile } from './atomic-write.js';
import { READ_FLAGS, assertReadableFile, describeType, userDirectoryPath, type TextFile } from './credential-directory.js';
import { assertSafeName } from './names.js';

/**
 * Synchronous access to one user directory, for the credmon's bulk work (worker threads) and its SIGHUP fast path:
 * a local file system answers in microseconds, far less than a round trip through libuv's four I/O threads.
 * Same rules as CredentialDirectory: names checked, no symlinks followed, never blocking, regular files only.
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

export function readUserDirectorySync(root: string, user: string, processStartMs: number): UserDirectoryListing {
  const dir = userDirectoryPath(root, user);
  const info = lstatSync(dir, { throwIfNoEntry: false });
  if (!info?.isDirectory()) return { files: [], others: [], removedTempFiles: 0, exists: false };
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { files: [], others: [], removedTempFiles: 0, exists: false };
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

/** Reads `<root>/<user>/<file>`; undefined when it does not exist. Throws CredentialFileInvalid for a FIFO etc. */
export function readUserFileSync(root: string, user: string, file: string): TextFile | undefined {
  const path = join(userDirectoryPath(root, user), assertSafeName('credential', file));
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const info = fstatSync(fd);
    assertReadableFile(path, info);
    const buffer = Buffer.allocUnsafe(info.size);
    let read = 0;
    while (read < info.size) {
      const n = readSync(fd, buffer, read, info.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { content: buffer.toString('utf8', 0, read), mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, size: read };
  } finally {
    closeSync(fd);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
