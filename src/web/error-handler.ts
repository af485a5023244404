import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CredmonSandboxError, describeError } from '../shared/errors.js';
import { renderErrorPage } from './pages/login-pages.js';
import { scrubText } from './redact.js';

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ERR_KEY_FILE_NOT_FOUND: 404,
  ERR_OAUTH_STATE_MISMATCH: 400,
  ERR_CREDENTIAL_FILE_INVALID: 422,
  ERR_CREDENTIAL_NAME_INVALID: 400,
  ERR_AUTHORIZATION_DENIED: 403,
  ERR_REFRESH_REJECTED: 502,
  ERR_REFRESH_UNAVAILABLE: 502,
  ERR_SIGNING_KEY_INVALID: 503,
  // A user directory that is a symlink, a key file that cannot be read right now: the admin's side, said plainly.
  ERR_CREDENTIAL_DIRECTORY_UNUSABLE: 503,
};

export interface ErrorPage {
  readonly status: number;
  readonly title: string;
  /** Safe to show: our own message for known errors, a generic sentence for everything else. */
  readonly message: string;
}

/**
 * Maps any error to what the user may see: the one place that decides statuses and wording. Details of unexpected
 * (5xx) errors stay in the log. `hide` lists texts never to show (the credential directory's path); login-link keys
 * are always cut to their first 8 characters.
 */
export function toErrorPage(error: unknown, hide: readonly string[] = []): ErrorPage {
  if (error instanceof CredmonSandboxError) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    const shown = status < 500 || status === 502 || status === 503;
    return { status, title: titleFor(status), message: shown ? scrubText(error.message, hide) : 'Something went wrong on the server.' };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    return { status, title: titleFor(status), message: scrubText(fastifyError.message ?? 'Bad request.', hide) };
  }
  return { status: 500, title: titleFor(500), message: 'Something went wrong on the server. The details are in the web app log.' };
}

/** An error for a log line: its message and code, with the hidden texts and every key removed. */
export function describeForLog(error: unknown, hide: readonly string[] = []): string {
  return scrubText(describeError(error), hide);
}

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 400 || status === 422) return 'This request cannot be used';
  if (status === 403) return 'Access was not granted';
  if (status === 502) return 'The provider did not answer as expected';
  if (status === 503) return 'Not available';
  if (status === 413) return 'Request too large';
  if (status === 405) return 'Method not allowed';
  return status < 500 ? 'This request cannot be used' : 'Server error';
}

/** The Fastify error handler: JSON for API clients, an HTML page for browsers. Never a stack trace, never a key. */
export function createErrorHandler(hide: readonly string[] = []): (error: unknown, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const page = toErrorPage(error, hide);
    if (page.status >= 500) request.log.error({ err: describeForLog(error, hide) }, 'request failed');
    else request.log.info({ err: describeForLog(error, hide) }, 'request refused');
    void reply.status(page.status).header('cache-control', 'no-store');
    if ((request.headers.accept ?? '').includes('text/html')) {
      void reply.type('text/html; charset=utf-8').send(renderErrorPage(page.title, page.message));
    } else {
      void reply.send({ error: page.title, message: page.message });
    }
  };
}
