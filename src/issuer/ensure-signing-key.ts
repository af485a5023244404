import { generateKeyPairSync, createPublicKey, createPrivateKey } from 'node:crypto';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomically } from '../credentials/index.js';
import { SigningKeyInvalid } from '../shared/errors.js';

export type KeySetupOutcome = 'generated' | 'existing' | 'public-key-written';

/**
 * Makes sure a signing key exists, as upstream's credmon does at every start: when the private key path does not
 * exist, claim it with O_EXCL, generate a P-256 pair (an RSA 2048 pair for RS256), write the private key (SEC1 PEM, 0600) and the public key
 * (SPKI PEM, 0644). An existing private key is never overwritten. When only the public key is missing, it is derived
 * from the private key so the JWKS always matches what the credmon signs with.
 */
export async function ensureSigningKey(
  privatePath: string,
  publicPath: string,
  algorithm: 'ES256' | 'RS256' = 'ES256',
): Promise<KeySetupOutcome> {
  let claimed;
  try {
    await mkdir(dirname(privatePath), { recursive: true, mode: 0o755 });
    claimed = await open(privatePath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SigningKeyInvalid(
        `cannot create LOCAL_CREDMON_PRIVATE_KEY ${privatePath}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return (await writePublicKeyIfMissing(privatePath, publicPath)) ? 'public-key-written' : 'existing';
  }
  try {
    // PEM as upstream's credmon writes it (TraditionalOpenSSL): "BEGIN EC PRIVATE KEY" or "BEGIN RSA PRIVATE KEY".
    const { privateKey, publicKey } =
      algorithm === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await claimed.writeFile(privateKey.export({ format: 'pem', type: algorithm === 'RS256' ? 'pkcs1' : 'sec1' }));
    await claimed.sync();
    await claimed.close();
    await mkdir(dirname(publicPath), { recursive: true, mode: 0o755 });
    await writeFileAtomically(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
    return 'generated';
  } catch (error) {
    await claimed.close().catch(() => undefined);
    await unlink(privatePath).catch(() => undefined);
    throw new SigningKeyInvalid(`cannot generate a signing key at ${privatePath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function writePublicKeyIfMissing(privatePath: string, publicPath: string): Promise<boolean> {
  try {
    await readFile(publicPath);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  let pem: string;
  try {
    pem = await readFile(privatePath, 'utf8');
  } catch {
    return false; // loadSigningKey reports the real problem
  }
  try {
    const pub = createPublicKey(createPrivateKey(pem));
    await mkdir(dirname(publicPath), { recursive: true, mode: 0o755 });
    await writeFileAtomically(publicPath, pub.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
    return true;
  } catch {
    return false;
  }
}
