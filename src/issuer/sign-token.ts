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

/** A compact JWS's protected header and claims, both JSON objects. */
export interface DecodedToken {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/**
 * The header and claims of a compact JWS, without verifying its signature (the caller knows the token by other means:
 * LocalIssuer.isCurrent with a known digest); undefined when it is malformed: not three non-empty segments, or a
 * header or claims segment that is not a JSON object.
 */
export function decodeToken(token: string): DecodedToken | undefined {
  return splitToken(token)?.decoded;
}

/**
 * Verifies a compact JWS made by signToken with `key`; returns its header and claims, or undefined when the token
 * is malformed, uses another algorithm, or the signature does not verify. Expiry is not checked here.
 */
export function verifyToken(key: SigningKey, token: string): DecodedToken | undefined {
  const split = splitToken(token);
  if (!split || split.decoded.header['alg'] !== key.alg) return undefined;
  try {
    const ok = verify(
      HASH[key.alg],
      Buffer.from(split.signingInput),
      keyFor(key.alg, key.publicKey),
      Buffer.from(split.signature, 'base64url'),
    );
    return ok ? split.decoded : undefined;
  } catch {
    return undefined;
  }
}

/** The one parser of both: the decoded segments, and what the signature covers. */
function splitToken(
  token: string,
): { readonly decoded: DecodedToken; readonly signingInput: string; readonly signature: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[0] || !parts[1] || !parts[2]) return undefined;
  try {
    const header = parseObject(parts[0]);
    const claims = header && parseObject(parts[1]);
    if (!header || !claims) return undefined;
    return { decoded: { header, claims }, signingInput: `${parts[0]}.${parts[1]}`, signature: parts[2] };
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
