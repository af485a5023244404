/**
 * Operational errors of credmon-sandbox. Each class names the condition and carries a stable `code`,
 * so callers (and the web error handler) branch on codes, never on message text.
 */
export abstract class CredmonSandboxError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One or more configuration knobs are invalid; `problems` names every knob at once. */
export class ConfigInvalid extends CredmonSandboxError {
  readonly code = 'ERR_CONFIG_INVALID';
  readonly problems: readonly string[];
  /**
   * The status the daemon exits with: 1, or 99 (DAEMON_NO_RESTART, src/condor_includes/exit.h) when upstream's credmon
   * exits that way too (a provider name that the running HTCondor's name rules refuse), so condor_master does not
   * restart it in a loop.
   */
  readonly exitStatus: number;

  constructor(problems: readonly string[], options: { exitStatus?: number } = {}) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
    this.exitStatus = options.exitStatus ?? 1;
  }
}

/** A credential file (.top, .use, .meta, key file) exists but cannot be understood. */
export class CredentialFileInvalid extends CredmonSandboxError {
  readonly code = 'ERR_CREDENTIAL_FILE_INVALID';
  readonly path: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
    this.path = path;
  }
}

/** A user, provider or handle name that could escape the credential directory or confuse HTCondor. */
export class CredentialNameInvalid extends CredmonSandboxError {
  readonly code = 'ERR_CREDENTIAL_NAME_INVALID';
}

/** The credential directory itself is unusable (missing, not a directory, world-accessible, not writable). */
export class CredentialDirectoryUnusable extends CredmonSandboxError {
  readonly code = 'ERR_CREDENTIAL_DIRECTORY_UNUSABLE';
}

/**
 * A write found no space left on the file system (ENOSPC; EDQUOT, a quota, counts the same): nothing was renamed into
 * place, the old file is kept as it was and the temp file is removed. Retry once space is freed.
 */
export class DiskFull extends CredmonSandboxError {
  readonly code = 'ERR_DISK_FULL';
  readonly path: string;

  constructor(path: string, options?: { cause?: unknown }) {
    super(`cannot write ${path}: no space left on the file system; the old file is kept`, options);
    this.path = path;
  }
}

/** The local issuer's signing key is missing, unreadable or of an unsupported type. */
export class SigningKeyInvalid extends CredmonSandboxError {
  readonly code = 'ERR_SIGNING_KEY_INVALID';
}

/** A key set (`keyset.json` and its key files) cannot be used: every reason, naming the files. */
export class KeySetFileInvalid extends CredmonSandboxError {
  readonly code = 'ERR_KEY_SET_FILE_INVALID';
}

/** A key rotation cannot begin (one is in progress, a kid is taken): said to the admin as it is. */
export class RotationRefused extends CredmonSandboxError {
  readonly code = 'ERR_ROTATION_REFUSED';
}

/** A ClassAd expression (LOCAL_CREDMON_AUTHZ_TEMPLATE_EXPR) cannot be evaluated at all: no classad_eval, bad syntax. */
export class ClassAdEvaluationFailed extends CredmonSandboxError {
  readonly code = 'ERR_CLASSAD_EVALUATION_FAILED';
}

/** The local issuer cannot decide whether a user may have a token (the group mapfile cannot be read). */
export class IssuerUndecided extends CredmonSandboxError {
  readonly code = 'ERR_ISSUER_UNDECIDED';
}

/** The token endpoint refused the grant for good (invalid_grant, invalid_client, other 4xx): the user must log in again. */
export class RefreshRejected extends CredmonSandboxError {
  readonly code = 'ERR_REFRESH_REJECTED';
  readonly oauthError: string | undefined;
  readonly status: number | undefined;

  constructor(
    message: string,
    details: { oauthError?: string | undefined; status?: number | undefined },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.oauthError = details.oauthError;
    this.status = details.status;
  }
}

/**
 * The token endpoint could not be reached or failed temporarily (5xx, timeout, refused, reset, bad or oversized
 * body): retry later. `retryAfterS` is the provider's Retry-After (503/429), already capped: wait at least that long.
 */
export class RefreshUnavailable extends CredmonSandboxError {
  readonly code = 'ERR_REFRESH_UNAVAILABLE';
  readonly status: number | undefined;
  readonly retryAfterS: number | undefined;

  constructor(
    message: string,
    details: { status?: number | undefined; retryAfterS?: number | undefined },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = details.status;
    this.retryAfterS = details.retryAfterS;
  }
}

/** The OAuth callback's state is unknown, used already, expired, or bound to another key file. */
export class OAuthStateMismatch extends CredmonSandboxError {
  readonly code = 'ERR_OAUTH_STATE_MISMATCH';
}

/** The key file named in a URL does not exist (or was already used up). */
export class KeyFileNotFound extends CredmonSandboxError {
  readonly code = 'ERR_KEY_FILE_NOT_FOUND';
}

/** The provider answered the authorization request with an error (the user denied consent, for example). */
export class AuthorizationDenied extends CredmonSandboxError {
  readonly code = 'ERR_AUTHORIZATION_DENIED';
  readonly oauthError: string;

  constructor(oauthError: string, description: string | undefined) {
    super(description ? `${oauthError}: ${description}` : oauthError);
    this.oauthError = oauthError;
  }
}

/**
 * Every code an error above carries: the key type of the one code-to-answer table (src/html/error-answers.ts), so a
 * table that forgets a code fails `tsc`. test/unit/html/error-answers.test.ts checks that no class is left out here.
 */
export type ErrorCode =
  | ConfigInvalid['code']
  | CredentialFileInvalid['code']
  | CredentialNameInvalid['code']
  | CredentialDirectoryUnusable['code']
  | DiskFull['code']
  | SigningKeyInvalid['code']
  | KeySetFileInvalid['code']
  | RotationRefused['code']
  | ClassAdEvaluationFailed['code']
  | IssuerUndecided['code']
  | RefreshRejected['code']
  | RefreshUnavailable['code']
  | OAuthStateMismatch['code']
  | KeyFileNotFound['code']
  | AuthorizationDenied['code'];

/** Returns a short description of any thrown value, for logs (never includes a stack). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
