import { CredmonSandboxError, describeError } from '../shared/errors.js';
import { ANSWER_BY_CODE, isErrorCode, titleFor, type CodeAnswer } from './error-answers.js';
import { html } from './html.js';
import { HTML_CONTENT_TYPE } from './page-headers.js';
import { renderPage, type Site } from './render-page.js';

/** Removes what must never be shown nor logged from a text. */
type Scrub = (text: string) => string;

/** What failed, as the log line says it: `<step> failed` (our side, level error) or `<step> refused` / `rejected`. */
export type ErrorStep = 'request' | 'login step' | 'interaction';

const LOG_BY_STEP = {
  request: { failed: 'request failed', refused: 'request refused', refusedLevel: 'info' },
  'login step': { failed: 'login step failed', refused: 'login step refused', refusedLevel: 'warn' },
  interaction: { failed: 'interaction failed', refused: 'interaction rejected', refusedLevel: 'warn' },
} as const satisfies Record<ErrorStep, { failed: string; refused: string; refusedLevel: 'info' | 'warn' }>;

export interface ErrorContext {
  readonly site: Site;
  readonly step: ErrorStep;
  /** 'html' for a browser page whatever the Accept header; 'negotiate' gives JSON unless Accept names text/html. */
  readonly format: 'html' | 'negotiate';
  readonly accept?: string | undefined;
  /** Removes what must never be shown nor logged (the credential directory's path, login-link keys). */
  readonly scrub?: Scrub | undefined;
  /** A link back to where the user may try again ("Back to the login page"). */
  readonly retry?: { readonly href: string; readonly label: string } | undefined;
}

/** What the user may see of an error. */
export interface ErrorPage {
  readonly status: number;
  readonly title: string;
  /** Safe to show: our own message for known errors, a generic sentence for everything else. */
  readonly message: string;
  /** The OAuth error code of a provider's error (`invalid_request`), shown beside the message. */
  readonly oauthError?: string | undefined;
}

export interface ErrorResponse extends ErrorPage {
  readonly headers: { readonly 'content-type': string; readonly 'cache-control': 'no-store' };
  readonly body: string;
  readonly log: ErrorLogLine;
}

/** The log line of an error answer: `log[level](fields, message)`. */
export interface ErrorLogLine {
  readonly level: 'error' | 'warn' | 'info';
  readonly message: string;
  readonly fields: { readonly status: number; readonly err: string };
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const HIDDEN = 'Something went wrong on the server. The details are in its log.';

/**
 * Maps any error to what the user may see: the one place that decides statuses and wording. Our coded errors follow
 * ANSWER_BY_CODE; an error that carries a 4xx status (Fastify's refusals, oidc-provider's OAuth errors, a form
 * refused) keeps it and its message; everything else is a 500 whose details stay in the log.
 */
export function toErrorPage(error: unknown, scrub: Scrub = (t) => t): ErrorPage {
  if (error instanceof CredmonSandboxError && isErrorCode(error.code)) {
    const { status, say } = ANSWER_BY_CODE[error.code];
    return { status, title: titleFor(status), message: wordFor(say, error, scrub) };
  }
  const e = error as {
    statusCode?: unknown;
    status?: unknown;
    error?: unknown;
    error_description?: unknown;
    message?: unknown;
  };
  const status = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 500;
  if (status >= 400 && status < 500) {
    const description = typeof e.error_description === 'string' ? e.error_description : e.message;
    const text = typeof description === 'string' ? description : 'Bad request.';
    const oauthError = typeof e.error === 'string' ? e.error : undefined;
    return { status, title: titleFor(status), message: scrub(text), oauthError };
  }
  return { status: 500, title: titleFor(500), message: HIDDEN };
}

function wordFor(say: CodeAnswer['say'], error: CredmonSandboxError, scrub: Scrub): string {
  if (say === 'message') return scrub(error.message);
  if (say === 'hidden') return HIDDEN;
  return typeof say === 'function' ? scrub(say(error)) : say.text;
}

/**
 * The one answer to every error of both apps: status, log line (level, message, scrubbed description) and body, an
 * HTML page (the site's frame, a link to retry, what to do next) or `{ error, message }` JSON. Each app only writes
 * it out (src/web/send-error.ts, src/demo-provider/send-page.ts). Never a stack trace, never a key.
 */
export function toErrorResponse(error: unknown, context: ErrorContext): ErrorResponse {
  const scrub = context.scrub ?? ((t: string) => t);
  const page = toErrorPage(error, scrub);
  const log = LOG_BY_STEP[context.step];
  // 502 is the provider's failure, not ours: a refusal in the log, like every 4xx.
  const failed = page.status >= 500 && page.status !== 502;
  const level = failed ? 'error' : log.refusedLevel;
  const fields = { status: page.status, err: scrub(describeError(error)) };
  const asHtml = context.format === 'html' || (context.accept ?? '').includes('text/html');
  return {
    ...page,
    headers: { 'content-type': asHtml ? HTML_CONTENT_TYPE : JSON_CONTENT_TYPE, 'cache-control': 'no-store' },
    body: asHtml ? renderErrorBody(context, page) : JSON.stringify({ error: page.title, message: page.message }),
    log: { level, message: failed ? log.failed : log.refused, fields },
  };
}

function renderErrorBody(context: ErrorContext, page: ErrorPage): string {
  const code = page.oauthError === undefined ? html`` : html`<code>${page.oauthError}</code>: `;
  const back = context.retry;
  const retry = back ? html`<p><a class="button" href="${back.href}">${back.label}</a></p>` : html``;
  return renderPage(
    context.site,
    page.title,
    html`<p class="error" role="alert">${code}${page.message}</p>
      ${retry}
      <p>${context.site.errorHint}</p>`,
  );
}
