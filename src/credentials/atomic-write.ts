import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DiskFull } from '../shared/errors.js';
import { isProcessAlive } from '../shared/process-alive.js';

export interface AtomicWriteOptions {
  /** Final permission bits, applied before the rename (so the file is never visible with wider ones). */
  readonly mode: number;
  /** Owner to give the file before the rename; left as the writing process's when undefined. */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
  /**
   * true (the default): fsync the file before the rename and the directory after it, so the new content survives a
   * power loss. false: for derived data that the credmon can recreate at any time (a `.use`); readers still never
   * see a partial file, and after a power loss the credmon replaces an empty or unparsable one at start.
   */
  readonly durable?: boolean | undefined;
}

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one, never a missing or
 * half-written file: a temp file in the same directory (created with its final mode where it can be), write all of it,
 * (fsync), (chown, chmod), close, rename, (fsync of the directory). Any failure before the rename removes the temp file and leaves the old file as it was; a file system
 * without space (ENOSPC, EDQUOT) at any step (create, write, fsync, close, rename) throws DiskFull.
 * The temp name starts with "." and ends in ".tmp", which no HTCondor component globs for (.top/.use/.mark, 64-hex).
 */
export async function writeFileAtomically(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, tempFileName());
  const durable = options.durable ?? true;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  // Created with its final mode, so it is never readable by more than the mode allows, and no fchmod is needed
  // unless the umask clears some of its bits (one system call fewer per write: the OAuth path writes two per refresh).
  // With an owner to give, the file stays 0600 to its writer until the chown.
  const modeAtCreation = !options.owner && (options.mode & CURRENT_UMASK) === 0;
  let handle;
  try {
    handle = await open(tmp, CREATE_FLAGS, modeAtCreation ? options.mode : 0o600);
  } catch (error) {
    throw asDiskFull(error, path);
  }
  try {
    try {
      // FileHandle.writeFile loops over short writes too; this loop says so here, whatever the Node version.
      let offset = 0;
      while (offset < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
        if (bytesWritten <= 0) throw noSpace(path);
        offset += bytesWritten;
      }
      if (durable) await handle.sync();
      if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
      if (!modeAtCreation) await handle.chmod(options.mode);
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw asDiskFull(error, path);
  }
  if (durable) await syncDirectory(dir);
}

/**
 * The synchronous, non-durable form of writeFileAtomically, for derived data written in bulk (local-issuer `.use`
 * files, in worker threads): create the temp file with its final mode, write, close, rename. Four system calls when
 * the data goes out in one write, as it does unless the file system is full: then the rest is written in a loop, and
 * a write that fails (ENOSPC after a short write) removes the temp file, keeps the old file and throws DiskFull.
 */
export function replaceFileSync(path: string, data: string, mode: number): void {
  const tmp = join(dirname(path), tempFileName());
  let fd;
  try {
    fd = openSync(tmp, CREATE_FLAGS, mode);
  } catch (error) {
    throw asDiskFull(error, path);
  }
  try {
    try {
      const written = writeSync(fd, data);
      if (written !== Buffer.byteLength(data)) writeRestSync(fd, Buffer.from(data), written, path);
      // The umask may have cleared bits of `mode` (0644 under umask 077): set them explicitly.
      if ((mode & CURRENT_UMASK) !== 0) fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw asDiskFull(error, path);
  }
}

/** Writes `bytes` from `offset` on after a short write; the next write of a full file system throws ENOSPC. */
function writeRestSync(fd: number, bytes: Buffer, offset: number, path: string): void {
  let done = offset;
  while (done < bytes.length) {
    const written = writeSync(fd, bytes, done, bytes.length - done);
    if (written <= 0) throw noSpace(path);
    done += written;
  }
}

/** ENOSPC or EDQUOT (a quota): the file system takes no more data from us. */
function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function asDiskFull(error: unknown, path: string): unknown {
  return isNoSpace(error) ? new DiskFull(path, { cause: error }) : error;
}

/** A write that took no byte at all: no file system does that with space left. */
function noSpace(path: string): DiskFull {
  return new DiskFull(path, { cause: new Error('a write took no bytes') });
}

const CREATE_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW;
// Read once at load: process.umask() without an argument is the only way to read it without changing it.
const CURRENT_UMASK = process.umask();

/**
 * `.credmon-<pid>-<random>.tmp`: the writer's pid lets a restarted credmon tell a temp file that a crash left behind
 * (its writer is gone) from one that the web app is writing right now.
 */
export function tempFileName(pid = process.pid): string {
  tempCounter = (tempCounter + 1) % 0x1000000;
  return `.credmon-${pid}-${TEMP_PREFIX}${tempCounter.toString(16).padStart(6, '0')}.tmp`;
}

// A random prefix per thread and a counter: unique without asking the kernel for randomness per file (O_EXCL would
// refuse a clash anyway).
const TEMP_PREFIX = randomBytes(3).toString('hex');
let tempCounter = 0;

/** Matches our temp files and captures the writer's pid. */
const TEMP_FILE_NAME = /^\.credmon-(\d+)-[0-9a-f]{12}\.tmp$/;

/**
 * True for a temp file of ours that no live writer will rename any more: its writer's process is gone, or it is this
 * process's pid but older than this process (a crashed predecessor whose pid we inherited, as happens in containers).
 */
export function isAbandonedTempFile(name: string, mtimeMs: number, processStartMs: number): boolean {
  const match = TEMP_FILE_NAME.exec(name);
  if (!match?.[1]) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return mtimeMs < processStartMs;
  return !isProcessAlive(pid);
}

/**
 * fsync of the directory, so that the rename survives a power loss. Opening and closing a directory create nothing
 * and wait for nothing, so they are synchronous here; only the fsync, which waits for the disk, goes to the thread
 * pool (one round trip instead of three per durable write).
 */
async function syncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await new Promise<void>((resolve) => fsync(fd, () => resolve()));
    // An error is ignored: some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    closeSync(fd);
  }
}
