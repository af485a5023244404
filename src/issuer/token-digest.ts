import * as crypto from 'node:crypto';

/** Characters of base64url SHA-256 kept: 132 bits is beyond a guess or a collision, and short for 10,000+ users. */
const DIGEST_CHARS = 22;

/**
 * A short digest of a token's bytes (SHA-256, the first 22 base64url characters): what the credmon keeps of each
 * token it wrote or verified, so that finding the same token in a `.use` again costs a hash (~2 µs with the one-shot
 * `crypto.hash`; a Hash object costs three times that), not a signature verification (~190 µs for ES256). It says
 * only "these are the same bytes": LocalIssuer.isCurrent still checks what the token says.
 */
export function tokenDigest(token: string): string {
  return sha256(token).slice(0, DIGEST_CHARS);
}

/** `crypto.hash` came with Node 20.12; the credmon supports 20.11, where a Hash object gives the same digest. */
const sha256: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'base64url')
    : (text) => crypto.createHash('sha256').update(text).digest('base64url');
