import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { CredentialFileInvalid } from '../shared/errors.js';

/**
 * The one set of rules for reading a file of the credential directory, in its two forms: asynchronous (the web app,
 * key files) and synchronous (the credmon's bulk work and SIGHUP fast path, where a local file answers in
 * microseconds, far less than a round trip through libuv's four I/O threads). Both open without following a symlink
 * and without blocking, read only regular files up to MAX_CREDENTIAL_BYTES, and return undefined for a missing file.
 * Paths come from names.ts (userFilePath), which checks every name before it becomes a path.
 */
export interface FileInfo {
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly size: number;
}

export interface TextFile extends FileInfo {
  readonly content: string;
}

/** Credential files larger than this are refused when read (a token response is capped well below it). */
export const MAX_CREDENTIAL_BYTES = 1024 * 1024;

/**
 * How every credential file is opened for reading: without following a symlink and without blocking (a FIFO or a
 * device opened for reading would otherwise wait for a writer forever and hold an I/O thread for good).
 */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** "a symbolic link", "a FIFO", ...: what a non-regular directory entry is, for messages. */
export function describeType(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isDirectory()) return 'a directory';
  return info.isFile() ? 'a regular file' : 'not a regular file';
}

/** Only regular files of a sane size are read; anything else is reported and skipped, never waited on. */
export function assertReadableFile(path: string, info: Stats, maxBytes = MAX_CREDENTIAL_BYTES): void {
  if (!info.isFile()) throw new CredentialFileInvalid(path, `is ${describeType(info)}, not a regular file`);
  if (info.size > maxBytes) throw new CredentialFileInvalid(path, `is larger than ${maxBytes} bytes`);
}

/** Reads `path` by the rules above; undefined when it does not exist. Throws CredentialFileInvalid for a FIFO etc. */
export async function readTextFile(path: string, maxBytes = MAX_CREDENTIAL_BYTES): Promise<TextFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    assertReadableFile(path, info, maxBytes);
    const content = await handle.readFile('utf8');
    return { content, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, size: info.size };
  } finally {
    await handle.close();
  }
}

/** The synchronous form of readTextFile: the same flags, the same checks, the same answers. */
export function readTextFileSync(path: string): TextFile | undefined {
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
