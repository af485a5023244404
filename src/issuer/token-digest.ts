import { hash } from 'node:crypto';

/** Characters of base64url SHA-256 kept: 132 bits is beyond a guess or a collision, and short for 10,000+ users. */
const DIGEST_CHARS = 22;

/**
 * A short digest of a token's bytes (SHA-256, the first 22 base64url characters): what the credmon keeps of each
 * token it wrote or verified, so that finding the same token in a `.use` again costs a hash (~2 µs with the one-shot
 * `crypto.hash`; a Hash object costs three times that), not a signature verification (~190 µs for ES256). It says
 * only "these are the same bytes": LocalIssuer.isCurrent still checks what the token says.
 */
export function tokenDigest(token: string): string {
  return hash('sha256', token, 'base64url').slice(0, DIGEST_CHARS);
}
