import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialDirectoryUnusable } from '../shared/errors.js';
import { replaceFileSync } from './atomic-write.js';
import { userDirectoryPath, type TextFile } from './credential-directory.js';
import { CREDENTIAL_FILE } from './credential-kinds.js';
import { readUserFileSync } from './user-files.js';

/** The two files of a local-issuer credential as they are on disk (undefined: absent). */
export interface LocalCredentialFiles {
  readonly top: TextFile | undefined;
  /** The `.use`, or why it cannot be read (a FIFO, too large...): then it is simply replaced. */
  readonly use: TextFile | Error | undefined;
}

/**
 * Reads `<user>/<name>.top` and `.use` (synchronously: see user-files.ts). Throws CredentialFileInvalid when the
 * `.top` cannot be read (it is never replaced by the credmon); a bad `.use` is returned as an Error.
 */
export function readLocalCredentialSync(
  root: string,
  user: string,
  name: string,
  options: { readonly readUse: boolean } = { readUse: true },
): LocalCredentialFiles {
  const top = readUserFileSync(root, user, CREDENTIAL_FILE.top(name));
  let use: LocalCredentialFiles['use'];
  try {
    use = top && options.readUse ? readUserFileSync(root, user, CREDENTIAL_FILE.use(name)) : undefined;
  } catch (error) {
    use = error instanceof Error ? error : new Error(String(error));
  }
  return { top, use };
}

/**
 * Replaces `<user>/<name>.use` (mode 0400) atomically but without fsync: a local token is derived data that the
 * credmon re-signs at any time, so it is not worth two disk flushes each (the durability choice, docs/performance.md).
 * Never creates the user directory (the credd owns its life) and never writes through a symlinked one (checked here
 * unless the caller has just listed it with readUserDirectorySync, which checks the same).
 */
export function writeUseFileSync(
  root: string,
  user: string,
  name: string,
  content: string,
  options: { readonly directoryChecked: boolean } = { directoryChecked: false },
): void {
  const dir = userDirectoryPath(root, user);
  if (!options.directoryChecked && !lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CredentialDirectoryUnusable(`the user directory of ${user} is gone or not a directory`);
  }
  replaceFileSync(join(dir, CREDENTIAL_FILE.use(name)), content, 0o400);
}
