import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636 PKCE with S256: a 43-character verifier and its challenge. */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** 256 bits of randomness, base64url: OAuth `state` values and session ids. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
