import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CredmonSandboxError, describeError } from '../shared/errors.js';
import { renderErrorPage } from './pages/login-pages.js';

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ERR_KEY_FILE_NOT_FOUND: 404,
  ERR_OAUTH_STATE_MISMATCH: 400,
  ERR_CREDENTIAL_FILE_INVALID: 422,
  ERR_CREDENTIAL_NAME_INVALID: 400,
  ERR_AUTHORIZATION_DENIED: 403,
  ERR_REFRESH_REJECTED: 502,
  ERR_REFRESH_UNAVAILABLE: 502,
  ERR_SIGNING_KEY_INVALID: 503,
};

export interface ErrorPage {
  readonly status: number;
  readonly title: string;
  /** Safe to show: our own message for known errors, a generic sentence for everything else. */
  readonly message: string;
}

/** Maps any error to what the user may see. Details of unexpected (5xx) errors stay in the log. */
export function toErrorPage(error: unknown): ErrorPage {
  if (error instanceof CredmonSandboxError) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    return {
      status,
      title: titleFor(status),
      message: status < 500 || status === 502 || status === 503 ? error.message : 'Something went wrong on the server.',
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, title: titleFor(fastifyError.statusCode), message: fastifyError.message ?? 'Bad request.' };
  }
  return { status: 500, title: titleFor(500), message: 'Something went wrong on the server. The details are in the web app log.' };
}

function titleFor(status: number): string {
  if (status === 404) return 'Not found';
  if (status === 400 || status === 422) return 'This request cannot be used';
  if (status === 403) return 'Access was not granted';
  if (status === 502) return 'The provider did not answer as expected';
  if (status === 503) return 'Not available';
  return 'Server error';
}

/** Fastify error handler: JSON for API clients, an HTML page for browsers. Never a stack trace. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const page = toErrorPage(error);
  if (page.status >= 500) request.log.error({ err: describeError(error) }, 'request failed');
  else request.log.info({ err: describeError(error) }, 'request refused');
  void reply.status(page.status);
  if ((request.headers.accept ?? '').includes('text/html')) {
    void reply.type('text/html; charset=utf-8').send(renderErrorPage(page.title, page.message));
  } else {
    void reply.send({ error: page.title, message: page.message });
  }
}
