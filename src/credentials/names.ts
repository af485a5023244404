import { join } from 'node:path';
import { CredentialNameInvalid } from '../shared/errors.js';

/**
 * HTCondor's `okay_for_oauth_filename` allows only [A-Za-z0-9-+=_.] in user, service and handle names. We also
 * refuse names that are "." or "..", start with a dot (our temp files do), or are longer than a file name may be.
 */
const SAFE_NAME = /^[A-Za-z0-9\-+=_][A-Za-z0-9\-+=_.]{0,199}$/;

/** 64 lowercase hex: the credd's CHECK_CREDS key files. */
export const KEY_FILE_NAME = /^[0-9a-f]{64}$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && name !== '.' && name !== '..';
}

/** Throws CredentialNameInvalid (with the offending value quoted) unless `name` is safe as one path component. */
export function assertSafeName(kind: 'user' | 'provider' | 'handle' | 'credential', name: string): string {
  if (!isSafeName(name)) {
    throw new CredentialNameInvalid(
      `${kind} name ${JSON.stringify(name)} is not allowed: use letters, digits and - + = _ . only`,
    );
  }
  return name;
}

/**
 * The provider a credential name belongs to. With handles (HTCondor 25.13.2+ unless CREDMON_ALLOW_SPECIAL_CHAR_NAMES
 * is true) the name is split at the first `_` (`box_readonly` → `box`), and a name ending in `_` belongs to no provider
 * (upstream skips it with a warning); without handles (23.9) the whole name is the provider.
 */
export function providerOfCredential(name: string, handles: boolean): string | undefined {
  if (!handles) return name;
  if (name.endsWith('_')) return undefined;
  const cut = name.indexOf('_');
  return cut < 0 ? name : name.slice(0, cut);
}

/** The file-name stem HTCondor uses for a service and an optional handle: `svc` or `svc_handle`. */
export function credentialName(provider: string, handle: string): string {
  assertSafeName('provider', provider);
  if (handle === '') return provider;
  assertSafeName('handle', handle);
  return `${provider}_${handle}`;
}

/** `<root>/<user>`, after checking that `user` is a safe single path component. */
export function userDirectoryPath(root: string, user: string): string {
  return join(root, assertSafeName('user', user));
}

/** `<root>/<user>/<file>`, after checking that both are safe single path components. */
export function userFilePath(root: string, user: string, file: string): string {
  return join(root, assertSafeName('user', user), assertSafeName('credential', file));
}
