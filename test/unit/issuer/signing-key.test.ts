import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadPublicKey, loadSigningKey } from '../../../src/issuer/signing-key.js';
import { SigningKeyInvalid } from '../../../src/shared/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credmon-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keyFile(pem: string | Buffer): Promise<string> {
  const path = join(dir, 'scitokens-private.pem');
  await writeFile(path, pem, { mode: 0o600 });
  return path;
}

function rejectsWith(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof SigningKeyInvalid, String(error));
    assert.equal(error.code, 'ERR_SIGNING_KEY_INVALID');
    assert.match(error.message, pattern);
    return true;
  };
}

describe('loadSigningKey', () => {
  it('loads an EC P-256 SEC1 key ("BEGIN EC PRIVATE KEY", what upstream generates) as ES256', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    assert.match(pem, /BEGIN EC PRIVATE KEY/);
    const key = await loadSigningKey(await keyFile(pem), 'local');
    assert.equal(key.alg, 'ES256');
    assert.equal(key.kid, 'local');
    assert.equal(key.privateKey.type, 'private');
    assert.equal(key.publicKey.type, 'public');
    assert.equal(key.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('loads an EC P-256 PKCS#8 key as ES256 and a P-384 key as ES384', async () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    assert.match(p256, /BEGIN PRIVATE KEY/);
    assert.equal((await loadSigningKey(await keyFile(p256), 'k')).alg, 'ES256');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    assert.equal((await loadSigningKey(await keyFile(p384), 'k')).alg, 'ES384');
  });

  it('loads RSA 2048 keys in PKCS#1 and PKCS#8 as RS256', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    assert.equal((await loadSigningKey(await keyFile(pkcs1), 'r')).alg, 'RS256');
    const pkcs8 = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    assert.equal((await loadSigningKey(await keyFile(pkcs8), 'r')).alg, 'RS256');
  });

  it('says a missing key file "does not exist", naming the knob and the path', async () => {
    const path = join(dir, 'missing.pem');
    await assert.rejects(
      loadSigningKey(path, 'local'),
      rejectsWith(new RegExp(`LOCAL_CREDMON_PRIVATE_KEY ${path} does not exist`)),
    );
  });

  it('refuses garbage', async () => {
    await assert.rejects(
      loadSigningKey(await keyFile('hello, I am not a key\n'), 'local'),
      rejectsWith(/not a PEM private key/),
    );
  });

  it('refuses a public key given as the private key', async () => {
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    await assert.rejects(loadSigningKey(await keyFile(pub), 'local'), rejectsWith(/LOCAL_CREDMON_PRIVATE_KEY/));
  });

  it('refuses an encrypted key with a message saying so', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
    await assert.rejects(loadSigningKey(await keyFile(pem), 'local'), rejectsWith(/encrypted/));
  });

  it('refuses an Ed25519 key', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await assert.rejects(loadSigningKey(await keyFile(pem), 'local'), rejectsWith(/ed25519 keys are not supported/));
  });

  it('refuses a 1024-bit RSA key', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs1' })
      .toString();
    await assert.rejects(loadSigningKey(await keyFile(pem), 'local'), rejectsWith(/1024 bits is too short/));
  });

  it('refuses an EC key on an unsupported curve', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
      .privateKey.export({ format: 'pem', type: 'sec1' })
      .toString();
    await assert.rejects(loadSigningKey(await keyFile(pem), 'local'), rejectsWith(/curve/));
  });
});

describe('loadPublicKey', () => {
  it('loads an SPKI public key and names LOCAL_CREDMON_PUBLIC_KEY when it is missing', async () => {
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    const path = join(dir, 'scitokens.pem');
    await writeFile(path, pub);
    assert.equal((await loadPublicKey(path)).type, 'public');
    await assert.rejects(
      loadPublicKey(join(dir, 'nope.pem')),
      rejectsWith(/LOCAL_CREDMON_PUBLIC_KEY .* does not exist/),
    );
  });
});
