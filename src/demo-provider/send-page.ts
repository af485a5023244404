import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { html, HTML_CONTENT_TYPE, pageHeaders, toErrorResponse, type ErrorResponse, type Site } from '../html/index.js';

/** The demo provider's pages in the shared frame (src/html): no title suffix, no header, its advice on errors. */
export const DEMO_SITE: Site = {
  titleSuffix: '',
  header: undefined,
  errorHint: html`Go back to the application and start again.`,
};

/** Headers for every page the demo provider renders: the shared set (its pages post forms), no caching. */
export const DEMO_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...pageHeaders({ postsForms: true }),
  'content-type': HTML_CONTENT_TYPE,
  'cache-control': 'no-store',
});

export function sendPage(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { ...DEMO_PAGE_HEADERS, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The one error answer (src/html/error-response.ts) for an error of the demo's pages; details only below 500. */
export function toDemoErrorResponse(error: unknown): ErrorResponse {
  return toErrorResponse(error, { site: DEMO_SITE, step: 'interaction', format: 'html' });
}

/** Writes the one error answer out: its log line, then the page (or ends the socket when a page was half sent). */
export function sendError(res: ServerResponse, error: unknown, log: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const response = toDemoErrorResponse(error);
  log[response.log.level](response.log.fields, response.log.message);
  sendPage(res, response.status, response.body);
}
