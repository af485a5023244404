import { escapeHtml, renderPage } from './render-page.js';

/** An error page: the OAuth error code and, below 500, its description. */
export function renderErrorPage(error: string, description: string | undefined): string {
  return renderPage(
    'Something went wrong',
    `<p class="error" role="alert"><code>${escapeHtml(error)}</code>${description ? `: ${escapeHtml(description)}` : ''}</p>
<p>Go back to the application and start again.</p>`,
  );
}
