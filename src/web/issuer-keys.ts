import type { JWK } from 'jose';
import { loadPublicKey, toPublicJwk } from '../issuer/index.js';

export interface IssuerKeySource {
  /** The JWKS documents to publish: re-read on each call so a rotated key shows up without a restart. */
  jwks(): Promise<{ keys: JWK[] }>;
}

/** Publishes LOCAL_CREDMON_PUBLIC_KEY under LOCAL_CREDMON_KEY_ID. */
export function createIssuerKeySource(publicKeyPath: string, keyId: string): IssuerKeySource {
  return {
    async jwks() {
      const key = await loadPublicKey(publicKeyPath);
      return { keys: [await toPublicJwk(key, keyId)] };
    },
  };
}
