/**
 * Login-link keys (64 hex characters) are capabilities: whoever holds one can complete the login it asks for. Nothing
 * the web app logs or shows carries more than their first 8 characters, whatever the encoding the text came in.
 */

/** Percent-encoded hex digits (`%61` is `a`), decoded so that an encoded key is recognised too. */
const ENCODED_HEX_DIGIT = /%(3[0-9]|[46][1-6])/gi;
/** Any run of 16 or more hex digits, either case: a key, a part of one, or a key spelt in upper case. */
const HEX_RUN = /([0-9a-f]{8})[0-9a-f]{8,}/gi;

/** Cuts every long hex run (in any case, percent-encoded or not) to its first 8 characters and "…". */
export function redactKeys(text: string): string {
  return text
    .replace(ENCODED_HEX_DIGIT, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(HEX_RUN, '$1…');
}

/** A request path fit for a log line: no query (codes, states) and login-link keys cut to their first 8 characters. */
export function redactUrl(url: string): string {
  return redactKeys(url.split('?')[0] ?? '');
}

/** Removes each of `hide` (the credential directory's path, ...) and every key from a text meant for a page or log. */
export function scrubText(text: string, hide: readonly string[]): string {
  let out = text;
  for (const h of hide) if (h !== '') out = out.split(h).join('…');
  return redactKeys(out);
}
