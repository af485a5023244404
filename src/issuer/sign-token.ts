import { sign, verify, type KeyObject } from 'node:crypto';
import type { SciTokenClaims } from './build-claims.js';
import type { SigningAlgorithm, SigningKey } from './signing-key.js';

const HASH: Record<SigningAlgorithm, string> = { ES256: 'sha256', ES384: 'sha384', RS256: 'sha256' };

/**
 * Signs `claims` as a compact JWS with the key's algorithm and `kid`, `typ: JWT` (what upstream emits).
 * Synchronous, straight on node:crypto: one ECDSA signature is ~30 µs, and the credmon signs thousands in a row
 * (in worker threads), where a promise per token would cost more than the signature.
 */
export function signToken(key: SigningKey, claims: SciTokenClaims): string {
  const header = base64url(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'JWT' }));
  const input = `${header}.${base64url(JSON.stringify(claims))}`;
  const signature = sign(HASH[key.alg], Buffer.from(input), keyFor(key.alg, key.privateKey));
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * Verifies a compact JWS made by signToken with `key`; returns its header and claims, or undefined when the token
 * is malformed, uses another algorithm, or the signature does not verify. Expiry is not checked here.
 */
export function verifyToken(
  key: SigningKey,
  token: string,
): { readonly header: Record<string, unknown>; readonly claims: Record<string, unknown> } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[0] || !parts[1] || !parts[2]) return undefined;
  try {
    const header = parseObject(parts[0]);
    if (!header || header['alg'] !== key.alg) return undefined;
    const ok = verify(
      HASH[key.alg],
      Buffer.from(`${parts[0]}.${parts[1]}`),
      keyFor(key.alg, key.publicKey),
      Buffer.from(parts[2], 'base64url'),
    );
    const claims = ok ? parseObject(parts[1]) : undefined;
    return claims ? { header, claims } : undefined;
  } catch {
    return undefined;
  }
}

function keyFor(alg: SigningAlgorithm, key: KeyObject): KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' } {
  // JWS (RFC 7518 §3.4) wants ECDSA signatures as R || S, not DER.
  return alg === 'RS256' ? key : { key, dsaEncoding: 'ieee-p1363' };
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function parseObject(segment: string): Record<string, unknown> | undefined {
  const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
