import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Final permission bits, applied before the rename (so the file is never visible with wider ones). */
  readonly mode: number;
  /** Owner to give the file before the rename; left as the writing process's when undefined. */
  readonly owner?: { readonly uid: number; readonly gid: number } | undefined;
}

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one, never a missing or
 * half-written file: a temp file in the same directory, fsync, chmod, rename, fsync of the directory.
 * The temp name starts with "." and ends in ".tmp", which no HTCondor component globs for (.top/.use/.mark, 64-hex).
 */
export async function writeFileAtomically(path: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, tempFileName());
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
      if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
      await handle.chmod(options.mode);
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * `.credmon-<pid>-<random>.tmp`: the writer's pid lets a restarted credmon tell a temp file that a crash left behind
 * (its writer is gone) from one that the web app is writing right now.
 */
export function tempFileName(pid = process.pid): string {
  return `.credmon-${pid}-${randomBytes(6).toString('hex')}.tmp`;
}

/** Matches our temp files and captures the writer's pid. */
export const TEMP_FILE_NAME = /^\.credmon-(\d+)-[0-9a-f]{12}\.tmp$/;

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}
