import { PAGE_STYLE_SOURCE } from './page-style.js';

export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

/**
 * The one Content-Security-Policy of both apps: no script, no image, nothing but the one style sheet (by its hash),
 * nothing may frame the pages (clickjacking of a "Log in" or "Allow" button). `form-action` is the one directive that
 * follows the page: the web app posts no form ('none'); the demo provider's login and consent forms leave it out,
 * because Chrome applies it to the redirect that follows the POST, which leaves the provider's origin.
 */
export function contentSecurityPolicy(options: { postsForms: boolean }): string {
  return [
    "default-src 'none'",
    `style-src ${PAGE_STYLE_SOURCE}`,
    "img-src 'none'",
    ...(options.postsForms ? [] : ["form-action 'none'"]),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The headers every answer of both apps carries (the content type and caching are set per answer). */
export function pageHeaders(options: { postsForms: boolean }): Readonly<Record<string, string>> {
  return Object.freeze({
    'content-security-policy': contentSecurityPolicy(options),
    // /key/<64 hex> is a capability, /interaction/<uid> a sign-in: neither may leak in a Referer header.
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
  });
}
