import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import {
  keySetDirectoryFor,
  loadPublicKey,
  publishedKeysOf,
  readKeySet,
  readPublicPems,
  toPublicJwk,
} from '../issuer/index.js';

export interface IssuerKeySource {
  /** The JWKS documents to publish: re-read on each call so a rotated key shows up without a restart. */
  jwks(): Promise<{ keys: JWK[] }>;
  /** How long a relying party may cache the JWKS (Cache-Control max-age), well inside a rotation's lead. */
  readonly maxAgeS: number;
}

/** 60 s, or a quarter of the lead when that is shorter: a cached JWKS never hides a new key for long. */
export function jwksMaxAgeS(leadS: number): number {
  return Math.max(1, Math.min(60, Math.floor(leadS / 4)));
}

export interface IssuerKeyFiles {
  /** LOCAL_CREDMON_PUBLIC_KEY, published under `keyId` while the issuer has no key set; undefined: nothing then. */
  readonly publicKeyPath: string | undefined;
  readonly keyId: string;
  /** LOCAL_CREDMON_PRIVATE_KEY's path: its key set lies beside it (docs/key-rotation.md). */
  readonly privateKeyPath: string;
}

/**
 * Publishes the issuer's key set (every key in it: the next one first, then the one that signs, then those retiring,
 * except a retiring key whose end has passed and that the credmon has not removed yet), or, without a key set,
 * LOCAL_CREDMON_PUBLIC_KEY under LOCAL_CREDMON_KEY_ID as before.
 */
export function createIssuerKeySource(
  files: IssuerKeyFiles,
  options: { readonly leadS?: number; readonly now?: () => number } = {},
): IssuerKeySource {
  const now = options.now ?? Date.now;
  const dir = keySetDirectoryFor(files.privateKeyPath);
  return {
    maxAgeS: jwksMaxAgeS(options.leadS ?? 900),
    async jwks() {
      const set = await readKeySet(dir);
      if (set === undefined) {
        if (files.publicKeyPath === undefined) return { keys: [] };
        return { keys: [await toPublicJwk(await loadPublicKey(files.publicKeyPath), files.keyId)] };
      }
      const nowMs = now();
      const published = publishedKeysOf(set).filter((k) => !(k.state === 'retiring' && (k.untilMs ?? 0) <= nowMs));
      const keys: JWK[] = [];
      for (const key of published) {
        let pem: string;
        try {
          pem = (await readPublicPems(dir, { keys: [key] })).get(key.kid) ?? '';
        } catch (error) {
          // A retiring key whose files the credmon just removed (its end has come): left out. Any other: the error.
          if (key.state === 'retiring') continue;
          throw error;
        }
        keys.push(await toPublicJwk(createPublicKey(pem), key.kid));
      }
      return { keys };
    },
  };
}
