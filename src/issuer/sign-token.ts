import { SignJWT } from 'jose';
import type { SigningKey } from './signing-key.js';
import type { SciTokenClaims } from './build-claims.js';

/** Signs `claims` as a compact JWS with the key's algorithm and `kid`, `typ: JWT` (what upstream emits). */
export async function signToken(key: SigningKey, claims: SciTokenClaims): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}
