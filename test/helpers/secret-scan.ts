/**
 * Finds secrets in what a user or an admin can see (log lines, pages, error messages), in every encoding a provider,
 * a proxy or our own code could have given them: raw, URL-encoded (upper- and lower-case hex, `+` or `%20` for a
 * space), form-encoded, JSON-escaped (also with `\/`), HTML-escaped, base64 and base64url, and base64 fragments at
 * each of the three byte alignments (a secret inside a longer base64 value, such as an HTTP Basic header).
 *
 * This is a test oracle written independently of src/oauth/scrub-secrets.ts: it lists concrete encodings, where the
 * scrubber builds patterns, so a bug in one does not hide the same bug in the other.
 */
import assert from 'node:assert/strict';

export interface SecretEncoding {
  /** What the encoding is, for failure messages ("url-encoded", "base64 fragment @1", ...). */
  readonly name: string;
  readonly value: string;
}

/** Base64 fragments shorter than this are not searched for: they would match ordinary text by chance. */
const MIN_FRAGMENT_LENGTH = 8;

const formEncode = (s: string): string => new URLSearchParams([['x', s]]).toString().slice(2);
const lowerHex = (s: string): string => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
const htmlEscape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The part of base64(pad bytes + value) that depends on `value` alone, for pads of 0, 1 and 2 bytes. */
function base64Fragments(value: string): SecretEncoding[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: SecretEncoding[] = [];
  for (const pad of [0, 1, 2]) {
    const all = Buffer.concat([Buffer.alloc(pad), bytes]);
    const start = Math.ceil((pad * 8) / 6);
    const end = Math.floor(((pad + bytes.length) * 8) / 6);
    const fragment = all.toString('base64').slice(start, end);
    if (fragment.length < MIN_FRAGMENT_LENGTH) continue;
    out.push({ name: `base64 fragment @${pad}`, value: fragment });
    out.push({ name: `base64url fragment @${pad}`, value: fragment.replace(/\+/g, '-').replace(/\//g, '_') });
  }
  return out;
}

/** Every encoding of one secret that this project must never show. */
export function secretEncodings(secret: string): SecretEncoding[] {
  const uri = encodeURIComponent(secret);
  const form = formEncode(secret);
  const basicForm = uri.replace(/%20/g, '+');
  const json = JSON.stringify(secret).slice(1, -1);
  const candidates: SecretEncoding[] = [
    { name: 'raw', value: secret },
    { name: 'url-encoded', value: uri },
    { name: 'url-encoded (lower-case hex)', value: lowerHex(uri) },
    { name: 'form-encoded', value: form },
    { name: 'form-encoded (lower-case hex)', value: lowerHex(form) },
    { name: 'double url-encoded', value: encodeURIComponent(uri) },
    { name: 'json-escaped', value: json },
    { name: 'json-escaped with \\/', value: json.replace(/\//g, '\\/') },
    { name: 'html-escaped', value: htmlEscape(secret) },
    { name: 'base64', value: Buffer.from(secret, 'utf8').toString('base64') },
    { name: 'base64url', value: Buffer.from(secret, 'utf8').toString('base64url') },
    { name: 'base64 of the form-encoded value', value: Buffer.from(form, 'utf8').toString('base64') },
    ...base64Fragments(secret),
    ...base64Fragments(uri).map((e) => ({ ...e, name: `${e.name} of the url-encoded value` })),
    ...base64Fragments(form).map((e) => ({ ...e, name: `${e.name} of the form-encoded value` })),
    ...base64Fragments(basicForm).map((e) => ({ ...e, name: `${e.name} of the Basic-header value` })),
  ];
  const seen = new Set<string>();
  return candidates.filter((e) => e.value !== '' && !seen.has(e.value) && seen.add(e.value));
}

export interface SecretLeak {
  readonly secretIndex: number;
  readonly encoding: string;
  readonly where: number;
  /** Up to 40 characters around the leak, to find it. */
  readonly context: string;
}

/** Every (secret, encoding, text) where an encoding of a secret occurs. */
export function findSecretLeaks(secrets: Iterable<string>, texts: Iterable<string> | string): SecretLeak[] {
  const haystacks = typeof texts === 'string' ? [texts] : [...texts];
  const leaks: SecretLeak[] = [];
  [...secrets].forEach((secret, secretIndex) => {
    if (secret.length < 4) throw new RangeError('a test secret must have at least 4 characters');
    for (const encoding of secretEncodings(secret)) {
      haystacks.forEach((text, where) => {
        const at = text.indexOf(encoding.value);
        if (at >= 0)
          leaks.push({
            secretIndex,
            encoding: encoding.name,
            where,
            context: text.slice(Math.max(0, at - 20), at + 20),
          });
      });
    }
  });
  return leaks;
}

/** Fails with a list of leaks when any encoding of any secret occurs in `texts`; returns how many texts were scanned. */
export function assertNoSecretLeak(
  secrets: Iterable<string>,
  texts: Iterable<string> | string,
  label = 'output',
): number {
  const haystacks = typeof texts === 'string' ? [texts] : [...texts];
  const leaks = findSecretLeaks(secrets, haystacks);
  assert.deepEqual(
    leaks.map((l) => `secret #${l.secretIndex} ${l.encoding} in ${label} #${l.where}: …${l.context}…`),
    [],
    `${label} leaks secrets`,
  );
  return haystacks.length;
}
