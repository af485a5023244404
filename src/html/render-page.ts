import { escapeHtml, type Html } from './html.js';
import { PAGE_STYLE } from './page-style.js';

/** What tells the two apps' pages apart: everything else (frame, style, escaping, headers) is shared. */
export interface Site {
  /** Appended to every <title> (" – HTCondor credentials"); '' for none. */
  readonly titleSuffix: string;
  /** The line above <main>, as text; undefined for none. */
  readonly header: string | undefined;
  /** The last line of every error page: what to do next. */
  readonly errorHint: Html;
}

/** The page frame of both apps: language, title, one <main> with one <h1>, the one style sheet, no JavaScript. */
export function renderPage(site: Site, title: string, body: Html): string {
  const header = site.header === undefined ? '' : `<header><p>${escapeHtml(site.header)}</p></header>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}${escapeHtml(site.titleSuffix)}</title><style>${PAGE_STYLE}</style></head>
<body>${header}<main>
<h1>${escapeHtml(title)}</h1>
${body.value}
</main></body></html>
`;
}
