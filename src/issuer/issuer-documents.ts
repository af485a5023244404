import { exportJWK, type JWK } from 'jose';
import type { KeyObject } from 'node:crypto';
import { algorithmFor } from './signing-key.js';

/** An RFC 7517 JWK for a public key, with `alg`, `kid` and `use: "sig"` (RFC 7518 encoding: unpadded base64url). */
export async function toPublicJwk(publicKey: KeyObject, kid: string): Promise<JWK> {
  const alg = algorithmFor(publicKey, 'public key');
  const jwk = await exportJWK(publicKey);
  return { ...jwk, alg, kid, use: 'sig' };
}

/** The OpenID discovery document of the local issuer; `issuer` is exactly the configured LOCAL_CREDMON_ISSUER. */
export function buildDiscoveryDocument(issuer: string, jwksUri: string): Record<string, unknown> {
  return { issuer, jwks_uri: jwksUri };
}
