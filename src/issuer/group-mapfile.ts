import { readFileSync, statSync } from 'node:fs';

/**
 * LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE, as upstream reads it: lines `* <user> <group1>,<group2>,...`; lines with fewer
 * than three fields, or whose first field is not "*", are ignored; the first line that names the user wins.
 */
export function groupsFor(mapfile: string, user: string): string[] {
  for (const line of mapfile.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3 || fields[0] !== '*') continue;
    if (fields[1] !== user) continue;
    return fields
      .slice(2)
      .join(',')
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '');
  }
  return [];
}

/**
 * A group mapfile on disk, re-read only when its mtime, ctime, size or inode changes (a scan asks once per user).
 * `groupsOf` returns the error when the file cannot be read; the caller decides what that means.
 */
export class GroupMapfile {
  private cached: { readonly stamp: string; readonly text: string } | undefined;

  constructor(readonly path: string) {}

  groupsOf(user: string): string[] | Error {
    try {
      const { mtimeMs, ctimeMs, size, ino } = statSync(this.path);
      const stamp = `${mtimeMs}:${ctimeMs}:${size}:${ino}`;
      if (this.cached?.stamp !== stamp) this.cached = { stamp, text: readFileSync(this.path, 'utf8') };
      return groupsFor(this.cached.text, user);
    } catch (error) {
      this.cached = undefined;
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}
