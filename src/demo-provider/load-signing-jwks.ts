import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { SigningKeyInvalid } from '../shared/errors.js';

/** A private JWKS: what oidc-provider's `jwks` option takes. */
export interface SigningJwks {
  readonly keys: JWK[];
}

export type SigningJwksOrigin = 'generated' | 'existing' | 'ephemeral';

export interface LoadedSigningJwks {
  readonly jwks: SigningJwks;
  readonly origin: SigningJwksOrigin;
  /** True when an existing file is readable by group or others (the caller warns). */
  readonly looseMode: boolean;
}

async function generateJwks(): Promise<SigningJwks> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] };
}

function parseJwks(path: string, text: string): SigningJwks {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SigningKeyInvalid(`DEMO_SIGNING_KEY_FILE ${path}: not JSON`, { cause: error });
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new SigningKeyInvalid(`DEMO_SIGNING_KEY_FILE ${path}: expected a JWKS ({"keys": [...]})`);
  }
  const hasEs256 = keys.some((k: unknown) => {
    const key = k as Record<string, unknown> | null;
    return (
      key !== null &&
      key['kty'] === 'EC' &&
      key['crv'] === 'P-256' &&
      typeof key['d'] === 'string' &&
      (key['alg'] === undefined || key['alg'] === 'ES256')
    );
  });
  if (!hasEs256) {
    throw new SigningKeyInvalid(`DEMO_SIGNING_KEY_FILE ${path}: no private P-256 (ES256) key in the JWKS`);
  }
  return { keys: keys as JWK[] };
}

/**
 * Returns the provider's private signing JWKS. With a path: read it, or (when missing) claim the path with O_EXCL,
 * generate one ES256 key and write it 0600, so access tokens stay verifiable across restarts. Without a path: a fresh
 * in-memory key per start.
 */
export async function loadSigningJwks(path: string | undefined): Promise<LoadedSigningJwks> {
  if (path === undefined) return { jwks: await generateJwks(), origin: 'ephemeral', looseMode: false };
  let claimed;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    claimed = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SigningKeyInvalid(`cannot create DEMO_SIGNING_KEY_FILE ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let text: string;
    let mode: number;
    try {
      text = await readFile(path, 'utf8');
      mode = (await stat(path)).mode;
    } catch (readError) {
      throw new SigningKeyInvalid(`cannot read DEMO_SIGNING_KEY_FILE ${path}: ${(readError as Error).message}`, {
        cause: readError,
      });
    }
    return { jwks: parseJwks(path, text), origin: 'existing', looseMode: (mode & 0o077) !== 0 };
  }
  try {
    const jwks = await generateJwks();
    await claimed.writeFile(`${JSON.stringify(jwks)}\n`);
    await claimed.sync();
    await claimed.close();
    return { jwks, origin: 'generated', looseMode: false };
  } catch (error) {
    await claimed.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw new SigningKeyInvalid(`cannot write DEMO_SIGNING_KEY_FILE ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
