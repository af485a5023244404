import type { CredentialDirectory } from './credential-directory.js';
import { CREDENTIAL_FILE } from './credential-kinds.js';
import type { TextFile } from './read-rules.js';

/** The two files of a local-issuer credential as they are on disk (undefined: absent). */
export interface LocalCredentialFiles {
  readonly top: TextFile | undefined;
  /** The `.use`, or why it cannot be read (a FIFO, too large...): then it is simply replaced. */
  readonly use: TextFile | Error | undefined;
}

/**
 * Reads `<user>/<name>.top` and `.use` (synchronously: see read-rules.ts). Throws CredentialFileInvalid when the
 * `.top` cannot be read (it is never replaced by the credmon); a bad `.use` is returned as an Error.
 */
export function readLocalCredentialSync(
  dir: CredentialDirectory,
  user: string,
  name: string,
  options: { readonly readUse: boolean } = { readUse: true },
): LocalCredentialFiles {
  const top = dir.readUserFileSync(user, CREDENTIAL_FILE.top(name));
  let use: LocalCredentialFiles['use'];
  try {
    use = top && options.readUse ? dir.readUserFileSync(user, CREDENTIAL_FILE.use(name)) : undefined;
  } catch (error) {
    use = error instanceof Error ? error : new Error(String(error));
  }
  return { top, use };
}

/**
 * Replaces `<user>/<name>.use` (mode 0400) atomically but without fsync: a local token is derived data that the
 * credmon re-signs at any time, so it is not worth two disk flushes each (the durability choice, docs/performance.md).
 * Never creates the user directory (the credd owns its life) and never writes through a symlinked one (checked
 * unless the caller has just listed it with readUserDirectorySync, which checks the same).
 */
export function writeUseFileSync(
  dir: CredentialDirectory,
  user: string,
  name: string,
  content: string,
  options: { readonly directoryChecked: boolean } = { directoryChecked: false },
): void {
  dir.writeUserFileSync(user, CREDENTIAL_FILE.use(name), content, options);
}
