import { constants, lstatSync } from 'node:fs';
import { access, chmod, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialDirectoryUnusable, CredentialFileInvalid } from '../shared/errors.js';
import { isAbandonedTempFile } from './atomic-write.js';
import { ignoreCode } from './ignore-code.js';
import { KEY_FILE_NAME, isSafeName } from './names.js';
import { readTextFile, type TextFile } from './read-rules.js';

/**
 * The entries of the credential directory's root, behind CredentialDirectory (which is the only caller): the
 * directory itself, its user directories' names, our temp files, and the credd's CHECK_CREDS key files.
 */

/**
 * Creates the directory (02770, as upstream) when missing; refuses one that other users can access, as upstream
 * does, because it holds refresh tokens and client secrets.
 */
export async function prepareDirectory(root: string): Promise<void> {
  try {
    // mkdir applies the umask and ignores setgid, so set the mode explicitly on a directory we created.
    if ((await mkdir(root, { recursive: true, mode: 0o2770 })) !== undefined) await chmod(root, 0o2770);
  } catch (error) {
    throw new CredentialDirectoryUnusable(
      `cannot create SEC_CREDENTIAL_DIRECTORY_OAUTH ${root}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const info = await stat(root);
  if (!info.isDirectory())
    throw new CredentialDirectoryUnusable(`SEC_CREDENTIAL_DIRECTORY_OAUTH ${root} is not a directory`);
  if ((info.mode & 0o007) !== 0) {
    throw new CredentialDirectoryUnusable(
      `SEC_CREDENTIAL_DIRECTORY_OAUTH ${root} is accessible by other users (mode ${(info.mode & 0o7777).toString(8)}); ` +
        `it holds refresh tokens: run "chmod o-rwx ${root}" (upstream uses 2770 root:condor)`,
    );
  }
  try {
    await access(root, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new CredentialDirectoryUnusable(
      `SEC_CREDENTIAL_DIRECTORY_OAUTH ${root} is not readable and writable by this process`,
      { cause: error },
    );
  }
}

/** The names of the user directories, and of the directories whose names are not safe user names. */
export async function listUserNames(root: string): Promise<{ users: string[]; refused: string[] }> {
  const users: string[] = [];
  const refused: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    if (isSafeName(entry.name)) users.push(entry.name);
    else refused.push(entry.name);
  }
  return { users, refused };
}

/** Removes the temp files that a crash left in the root (see isAbandonedTempFile); returns how many. */
export async function removeAbandonedTempFiles(root: string, processStartMs: number): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const info = lstatSync(join(root, entry.name), { throwIfNoEntry: false });
    if (info && isAbandonedTempFile(entry.name, info.mtimeMs, processStartMs)) {
      await unlink(join(root, entry.name)).catch(ignoreCode('ENOENT'));
      removed++;
    }
  }
  return removed;
}

/** The credd's CHECK_CREDS key files (`<root>/<64 hex>`), with their ctime. */
export async function listKeyFiles(root: string): Promise<Array<{ name: string; ctimeMs: number }>> {
  const out: Array<{ name: string; ctimeMs: number }> = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isFile() || !KEY_FILE_NAME.test(entry.name)) continue;
    try {
      const info = await stat(join(root, entry.name));
      out.push({ name: entry.name, ctimeMs: info.ctimeMs });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return out;
}

/** Reads a key file; undefined when it does not exist. The name must be exactly 64 lowercase hex characters. */
export async function readKeyFile(root: string, name: string): Promise<TextFile | undefined> {
  const path = keyFilePath(root, name);
  try {
    return await readTextFile(path);
  } catch (error) {
    // A key file's name is a login capability: errors name it by its first 8 characters only.
    throw withoutKey(error, name);
  }
}

export async function removeKeyFile(root: string, name: string): Promise<void> {
  await unlink(keyFilePath(root, name)).catch(ignoreCode('ENOENT'));
}

function keyFilePath(root: string, name: string): string {
  if (!KEY_FILE_NAME.test(name)) throw new RangeError('key file names are 64 lowercase hex characters');
  return join(root, name);
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
