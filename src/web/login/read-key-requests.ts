import { join } from 'node:path';
import { parseKeyFile, type CredentialDirectory, type KeyFileRequest } from '../../credentials/index.js';
import { CredentialDirectoryUnusable, CredentialFileInvalid, KeyFileNotFound } from '../../shared/errors.js';

/** How a key file is named in pages and logs: its first 8 characters only (the whole name is a capability). */
export function keyLabel(key: string): string {
  return `key file ${key.slice(0, 8)}…`;
}

/** Errno codes that say "this entry can never be read as a key file"; anything else may pass (EIO, EMFILE, ...). */
const PERMANENT: Readonly<Record<string, string>> = {
  ELOOP: 'is a symbolic link, which HTCondor never makes; it is not followed',
  EACCES: 'cannot be read by the web app (permission denied); the administrator must check its owner and mode',
  EPERM: 'cannot be read by the web app (operation not permitted); the administrator must check its owner and mode',
  EISDIR: 'is a directory, not a key file',
  ENXIO: 'is a device or socket, not a key file',
  ENODEV: 'is a device, not a key file',
  ENOTDIR: 'is not inside a directory',
};

/**
 * Reads and parses the key file `key`, with every failure turned into an error a user may see: unknown key ->
 * KeyFileNotFound (404); a FIFO, symlink, directory, unreadable or malformed file -> CredentialFileInvalid (422); a
 * failure that may pass -> CredentialDirectoryUnusable (503). No message carries the key or the directory's path.
 */
export async function readKeyRequests(directory: CredentialDirectory, key: string): Promise<KeyFileRequest[]> {
  const label = keyLabel(key);
  let file;
  try {
    file = await directory.readKeyFile(key);
  } catch (error) {
    throw classifyReadError(error, label, join(directory.root, key));
  }
  if (!file)
    throw new KeyFileNotFound(
      'This login link is unknown, or every login it asked for is already done. Run condor_submit again: if tokens are still missing it prints a new link.',
    );
  return parseKeyFile(label, file.content);
}

function classifyReadError(error: unknown, label: string, path: string): Error {
  const withoutPath = (message: string): string => message.split(path).join('it').replace(/^it: /, '');
  if (error instanceof CredentialFileInvalid || error instanceof CredentialDirectoryUnusable) {
    return new CredentialFileInvalid(label, withoutPath(error.message));
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const permanent = typeof code === 'string' ? PERMANENT[code] : undefined;
  if (permanent !== undefined) return new CredentialFileInvalid(label, permanent);
  return new CredentialDirectoryUnusable(
    `The ${label} cannot be read right now${typeof code === 'string' ? ` (${code})` : ''}. Try the link again in a moment.`,
  );
}
