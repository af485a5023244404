export { ANSWER_BY_CODE, isErrorCode, titleFor, type CodeAnswer } from './error-answers.js';
export { toErrorPage, toErrorResponse } from './error-response.js';
export type { ErrorContext, ErrorLogLine, ErrorPage, ErrorResponse, ErrorStep } from './error-response.js';
export { escapeHtml, html, Html } from './html.js';
export { contentSecurityPolicy, HTML_CONTENT_TYPE, pageHeaders } from './page-headers.js';
export { PAGE_STYLE, PAGE_STYLE_SOURCE } from './page-style.js';
export { renderPage, type Site } from './render-page.js';
