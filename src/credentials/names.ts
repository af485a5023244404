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
    throw new CredentialNameInvalid(`${kind} name ${JSON.stringify(name)} is not allowed: use letters, digits and - + = _ . only`);
  }
  return name;
}

/** The file-name stem HTCondor uses for a service and an optional handle: `svc` or `svc_handle`. */
export function credentialName(provider: string, handle: string): string {
  assertSafeName('provider', provider);
  if (handle === '') return provider;
  assertSafeName('handle', handle);
  return `${provider}_${handle}`;
}
