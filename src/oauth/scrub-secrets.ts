/** What a scrubbed secret becomes. */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not scrubbed: they would match ordinary words (and are no secrets). */
const MIN_SECRET_LENGTH = 4;
/** Base64 fragments shorter than this are not scrubbed: they would match ordinary words by chance. */
const MIN_FRAGMENT_LENGTH = 6;

export type SecretScrubber = (text: string) => string;

/** Text decoded to bytes, each byte knowing the span of the text it came from. */
interface Decoded {
  readonly bytes: Buffer;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

const HTML_ENTITY = /^&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(amp|lt|gt|quot|apos));/;
const HTML_NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const JSON_SHORT: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};
const HEX2 = /^[0-9a-fA-F]{2}$/;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const PLUS = 0x2b;
const SPACE = 0x20;

/**
 * Undoes, in one pass, every encoding a provider or proxy may have put on a value it echoes: percent-encoding (once
 * or twice, either hex case), JSON escapes (`\uXXXX`, `\"`, `\/`...), HTML character references. A space and a `+`
 * both become `+`, as form encoding cannot tell them apart. The same function canonicalises the secrets, so a match
 * in the decoded bytes is a secret in some encoding, and the spans give back where it is in the original text.
 */
function decode(text: string): Decoded {
  // A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair: 2 units, 4 bytes); escapes only shrink.
  const bytes = Buffer.alloc(text.length * 3);
  const starts = new Int32Array(text.length * 3);
  const ends = new Int32Array(text.length * 3);
  let n = 0;
  const emitByte = (b: number, start: number, end: number): void => {
    bytes[n] = b === SPACE ? PLUS : b;
    starts[n] = start;
    ends[n] = end;
    n++;
  };
  const emit = (values: Iterable<number>, start: number, end: number): void => {
    for (const b of values) emitByte(b, start, end);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '%' && HEX2.test(text.slice(i + 1, i + 3))) {
      const twice = text.slice(i + 1, i + 3) === '25' && HEX2.test(text.slice(i + 3, i + 5));
      const hex = twice ? text.slice(i + 3, i + 5) : text.slice(i + 1, i + 3);
      const length = twice ? 5 : 3;
      emitByte(parseInt(hex, 16), i, i + length);
      i += length;
      continue;
    }
    if (c === '\\') {
      const next = text[i + 1] ?? '';
      if (next === 'u' && HEX4.test(text.slice(i + 2, i + 6))) {
        const high = parseInt(text.slice(i + 2, i + 6), 16);
        const low = text.slice(i + 8, i + 12);
        const pair = high >= 0xd800 && high < 0xdc00 && text.slice(i + 6, i + 8) === '\\u' && HEX4.test(low);
        const units = pair ? [high, parseInt(low, 16)] : [high];
        const length = pair ? 12 : 6;
        emit(Buffer.from(String.fromCharCode(...units), 'utf8'), i, i + length);
        i += length;
        continue;
      }
      const short = JSON_SHORT[next];
      if (short !== undefined) {
        emit(Buffer.from(short, 'utf8'), i, i + 2);
        i += 2;
        continue;
      }
    }
    if (c === '&') {
      const m = HTML_ENTITY.exec(text.slice(i, i + 12));
      const codePoint = m?.[1] !== undefined ? Number(m[1]) : m?.[2] !== undefined ? parseInt(m[2], 16) : undefined;
      const char =
        codePoint !== undefined && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : HTML_NAMED[m?.[3] ?? ''];
      if (m && char !== undefined) {
        emit(Buffer.from(char, 'utf8'), i, i + m[0].length);
        i += m[0].length;
        continue;
      }
    }
    const codePoint = text.codePointAt(i) ?? 0;
    if (codePoint < 0x80) {
      emitByte(codePoint, i, i + 1);
      i += 1;
      continue;
    }
    const length = codePoint > 0xffff ? 2 : 1;
    emit(Buffer.from(text.slice(i, i + length), 'utf8'), i, i + length);
    i += length;
  }
  return { bytes: bytes.subarray(0, n), starts: starts.subarray(0, n), ends: ends.subarray(0, n) };
}

/** The part of base64(pad bytes + value) that depends on `value` alone, for pads of 0, 1 and 2 bytes. */
function base64Fragments(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (const pad of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const fragment = encoded.slice(Math.ceil((pad * 8) / 6), Math.floor(((pad + bytes.length) * 8) / 6));
    if (fragment.length >= MIN_FRAGMENT_LENGTH) out.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every (start, end) span of `needle` in `haystack`. */
function* occurrences(haystack: Buffer | string, needle: Buffer | string): Generator<[number, number]> {
  if (needle.length === 0) return;
  for (let at = haystack.indexOf(needle as never); at >= 0; at = haystack.indexOf(needle as never, at + 1))
    yield [at, at + needle.length];
}

/**
 * Builds a function that removes every given secret from text that may reach a log line, an error message or a
 * page, in whatever encoding a provider that echoes the request may have used: raw, URL- or form-encoded (either
 * hex case, even twice), JSON- or HTML-escaped, base64 or base64url, alone or inside a longer base64 value (an HTTP
 * Basic header). Undefined and very short values are ignored. Build it once per request; it is pure and linear in
 * the length of the text. The encodings are worked out on the first call only: most requests never need them.
 */
export function createSecretScrubber(secrets: Iterable<string | undefined>): SecretScrubber {
  const values = [
    ...new Set([...secrets].filter((s): s is string => s !== undefined && s.length >= MIN_SECRET_LENGTH)),
  ];
  if (values.length === 0) return (text) => text;
  let needles: Needles | undefined;
  return (text) => {
    if (text === '') return text;
    needles ??= needlesOf(values);
    return scrubWith(needles, text);
  };
}

interface Needles {
  readonly literal: readonly string[];
  readonly decoded: readonly Buffer[];
}

/** Every encoding of every secret that createSecretScrubber looks for, as text and as decoded bytes. */
function needlesOf(values: readonly string[]): Needles {
  const literal = new Set<string>();
  const decoded = new Set<string>();
  for (const secret of values) {
    const uri = encodeURIComponent(secret);
    const form = new URLSearchParams([['x', secret]]).toString().slice(2);
    for (const s of [secret, uri, form, JSON.stringify(secret).slice(1, -1)]) literal.add(s);
    decoded.add(decode(secret).bytes.toString('latin1'));
    decoded.add(Buffer.from(secret.replace(/ /g, '+'), 'utf8').toString('latin1'));
    for (const encoded of new Set([secret, uri, uri.replace(/%20/g, '+'), form])) {
      for (const fragment of base64Fragments(encoded)) {
        literal.add(fragment);
        decoded.add(fragment);
      }
    }
  }
  return {
    literal: [...literal],
    decoded: [...decoded].filter((n) => n.length >= MIN_SECRET_LENGTH).map((n) => Buffer.from(n, 'latin1')),
  };
}

/** `text` with every span that matches a needle replaced by REDACTED. */
function scrubWith(needles: Needles, text: string): string {
  const spans: Array<[number, number]> = [];
  for (const needle of needles.literal) spans.push(...occurrences(text, needle));
  const d = decode(text);
  for (const needle of needles.decoded) {
    for (const [from, to] of occurrences(d.bytes, needle))
      spans.push([d.starts[from] ?? 0, d.ends[to - 1] ?? text.length]);
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [from, to] of spans) {
    if (to <= at) continue;
    if (from >= at) out += text.slice(at, from) + REDACTED;
    at = to;
  }
  return out + text.slice(at);
}

/** One-off form of createSecretScrubber. */
export function scrubSecrets(text: string, secrets: Iterable<string | undefined>): string {
  return createSecretScrubber(secrets)(text);
}
