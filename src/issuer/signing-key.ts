import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SigningKeyInvalid } from '../shared/errors.js';

export type SigningAlgorithm = 'ES256' | 'ES384' | 'RS256';

export interface SigningKey {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Picks the JWS algorithm a SciTokens verifier expects for a key: P-256 → ES256 (upstream's only choice), P-384 → ES384,
 * RSA (2048 bits or more) → RS256. Anything else is refused with a message that says what is supported.
 */
export function algorithmFor(key: KeyObject, source: string): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    throw new SigningKeyInvalid(
      `${source}: EC curve ${curve ?? 'unknown'} is not supported; use P-256 (ES256) or P-384`,
    );
  }
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048)
      throw new SigningKeyInvalid(`${source}: RSA key of ${bits} bits is too short; use 2048 bits or more`);
    return 'RS256';
  }
  throw new SigningKeyInvalid(`${source}: ${type ?? 'unknown'} keys are not supported; use an EC P-256 or RSA key`);
}

/** Loads a PEM private key: SEC1 ("BEGIN EC PRIVATE KEY"), PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1 RSA. */
export async function loadSigningKey(path: string, kid: string): Promise<SigningKey> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable by this process'
          : `cannot be read (${code ?? 'error'})`;
    throw new SigningKeyInvalid(`LOCAL_CREDMON_PRIVATE_KEY ${path} ${why}`, { cause: error });
  }
  return parseSigningKey(pem, kid, `LOCAL_CREDMON_PRIVATE_KEY ${path}`);
}

export function parseSigningKey(pem: string, kid: string, source: string): SigningKey {
  if (pem.includes('ENCRYPTED'))
    throw new SigningKeyInvalid(`${source}: the key is encrypted; the credmon needs an unencrypted PEM key`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SigningKeyInvalid(
      `${source}: not a PEM private key (expected "BEGIN EC PRIVATE KEY", "BEGIN PRIVATE KEY" or "BEGIN RSA PRIVATE KEY")`,
      {
        cause: error,
      },
    );
  }
  const alg = algorithmFor(privateKey, source);
  return { alg, kid, privateKey, publicKey: createPublicKey(privateKey) };
}

/** Loads a PEM public key (SPKI "BEGIN PUBLIC KEY", or a certificate). */
export async function loadPublicKey(path: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SigningKeyInvalid(
      `LOCAL_CREDMON_PUBLIC_KEY ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`,
      {
        cause: error,
      },
    );
  }
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SigningKeyInvalid(
      `LOCAL_CREDMON_PUBLIC_KEY ${path}: not a PEM public key (expected "BEGIN PUBLIC KEY")`,
      { cause: error },
    );
  }
}
