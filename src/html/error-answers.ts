import { AuthorizationDenied, CredmonSandboxError, type ErrorCode } from '../shared/errors.js';

/** How one error code is answered: its status, and what the user may read. */
export interface CodeAnswer {
  readonly status: number;
  /**
   * What the page says: 'message' shows the error's own message (scrubbed), a function words it from the error,
   * `{ text }` is said instead, 'hidden' says only that something went wrong (the details stay in the log).
   */
  readonly say: 'message' | 'hidden' | { readonly text: string } | ((error: CredmonSandboxError) => string);
}

const DISK_FULL = [
  'The disk of the server is full, so nothing was stored and the old files are kept as they were.',
  'Ask the administrator to free some space, then try again.',
].join(' ');

function sayDenied(error: CredmonSandboxError): string {
  const oauthError = error instanceof AuthorizationDenied ? error.oauthError : '';
  const friendly =
    oauthError === 'access_denied'
      ? 'You (or the provider) declined the request, so no token was stored.'
      : 'The provider did not grant the request, so no token was stored.';
  return `${friendly} The provider said: ${error.message}`;
}

/**
 * Every error code of src/shared/errors.ts and its answer. `satisfies Record<ErrorCode, …>`: a code added there and
 * forgotten here (or mistyped here) fails `tsc`, instead of silently becoming a 500.
 */
export const ANSWER_BY_CODE = {
  ERR_KEY_FILE_NOT_FOUND: { status: 404, say: 'message' },
  ERR_OAUTH_STATE_MISMATCH: { status: 400, say: 'message' },
  ERR_CREDENTIAL_FILE_INVALID: { status: 422, say: 'message' },
  ERR_CREDENTIAL_NAME_INVALID: { status: 400, say: 'message' },
  ERR_AUTHORIZATION_DENIED: { status: 403, say: sayDenied },
  ERR_REFRESH_REJECTED: { status: 502, say: 'message' },
  ERR_REFRESH_UNAVAILABLE: { status: 502, say: 'message' },
  ERR_SIGNING_KEY_INVALID: { status: 503, say: 'message' },
  // The JWKS while a key set is unusable: the admin's side (the credmon logs it, naming the file).
  ERR_KEY_SET_FILE_INVALID: { status: 503, say: 'message' },
  ERR_ROTATION_REFUSED: { status: 409, say: 'message' },
  // A user directory that is a symlink, a key file that cannot be read right now: the admin's side, said plainly.
  ERR_CREDENTIAL_DIRECTORY_UNUSABLE: { status: 503, say: 'message' },
  // 507 Insufficient Storage (RFC 4918): the request was fine, the server had no room to keep its result.
  ERR_DISK_FULL: { status: 507, say: { text: DISK_FULL } },
  // Start-up errors: they never reach a request, and if one did, its details are for the log.
  ERR_CONFIG_INVALID: { status: 500, say: 'hidden' },
  ERR_CLASSAD_EVALUATION_FAILED: { status: 500, say: 'hidden' },
  ERR_ISSUER_UNDECIDED: { status: 500, say: 'hidden' },
} as const satisfies Record<ErrorCode, CodeAnswer>;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ANSWER_BY_CODE, code);
}

/** The title of an error page (and the `error` of a JSON answer), from its status. */
export function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 400 || status === 422) return 'This request cannot be used';
  if (status === 403) return 'Access was not granted';
  if (status === 502) return 'The provider did not answer as expected';
  if (status === 503) return 'Not available';
  if (status === 507) return 'No space left on the server';
  if (status === 413) return 'Request too large';
  if (status === 405) return 'Method not allowed';
  return status < 500 ? 'This request cannot be used' : 'Server error';
}
