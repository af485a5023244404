/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Headers for every page we render: no caching, no framing, no scripts. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  // No form-action: Chrome applies it to the redirect that follows the POST, which leaves this origin.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
});

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
.banner{background:#fff3cd;border:1px solid #c9a227;padding:.5rem .75rem}
.error{background:#f8d7da;border:1px solid #b02a37;padding:.5rem .75rem}
label{display:block;margin-top:.75rem}input{font-size:1rem;padding:.3rem;width:100%;box-sizing:border-box}
button{font-size:1rem;margin:1rem .5rem 0 0;padding:.4rem 1.2rem}code{background:#eee;padding:0 .2rem}`;

/** A complete, script-free HTML document. `bodyHtml` must already be escaped. */
export function renderPage(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${bodyHtml}
</main>
</body>
</html>
`;
}
