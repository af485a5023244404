import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse, type ErrorResponse } from '../html/index.js';
import { describeError } from '../shared/errors.js';
import { WEB_SITE } from './pages/web-site.js';
import { scrubText } from './redact.js';

/** An error for a log line: its message and code, with the hidden texts and every key removed. */
export function describeForLog(error: unknown, hide: readonly string[] = []): string {
  return scrubText(describeError(error), hide);
}

/** What the web app never shows nor logs: each of `hide` (the credential directory's path) and every login-link key. */
export function createScrub(hide: readonly string[]): (text: string) => string {
  return (text) => scrubText(text, hide);
}

/** Writes the one error answer (src/html/error-response.ts) out: its log line, then status, headers and body. */
export function sendErrorResponse(reply: FastifyReply, log: FastifyBaseLogger, response: ErrorResponse): FastifyReply {
  log[response.log.level](response.log.fields, response.log.message);
  return reply.status(response.status).headers(response.headers).send(response.body);
}

/**
 * The Fastify error handler (and not-found handler, and frameworkErrors): JSON for API clients, an HTML page for
 * browsers, both from the one error answer. Never a stack trace, never a key.
 */
export function createErrorHandler(hide: readonly string[] = []): ErrorHandler {
  const scrub = createScrub(hide);
  return (error, request, reply) => {
    const accept = request.headers.accept;
    void sendErrorResponse(
      reply,
      request.log,
      toErrorResponse(error, { site: WEB_SITE, step: 'request', format: 'negotiate', accept, scrub }),
    );
  };
}

type ErrorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;
