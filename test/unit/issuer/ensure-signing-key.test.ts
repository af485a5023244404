import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ensureSigningKey } from '../../../src/issuer/ensure-signing-key.js';
import { loadSigningKey } from '../../../src/issuer/signing-key.js';

let dir: string;
let privatePath: string;
let publicPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credmon-ensure-'));
  privatePath = join(dir, 'keys', 'scitokens-private.pem');
  publicPath = join(dir, 'pub', 'scitokens.pem');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spki(pemPrivate: string): string {
  return createPublicKey(createPrivateKey(pemPrivate)).export({ format: 'pem', type: 'spki' }).toString();
}

describe('ensureSigningKey', () => {
  it('generates a P-256 SEC1 private key (0600) and its SPKI public key (0644)', async () => {
    assert.equal(await ensureSigningKey(privatePath, publicPath), 'generated');
    const priv = await readFile(privatePath, 'utf8');
    const pub = await readFile(publicPath, 'utf8');
    assert.match(priv, /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.match(pub, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(pub, spki(priv), 'the public key belongs to the private key');
    assert.equal((await stat(privatePath)).mode & 0o777, 0o600);
    assert.equal((await stat(publicPath)).mode & 0o777, 0o644);
    assert.equal((await loadSigningKey(privatePath, 'local')).alg, 'ES256');
    assert.deepEqual(await readdir(join(dir, 'pub')), ['scitokens.pem'], 'no temp file left');
  });

  it('never overwrites an existing key: a second call returns "existing" and the bytes stay the same', async () => {
    await ensureSigningKey(privatePath, publicPath);
    const priv = await readFile(privatePath);
    const pub = await readFile(publicPath);
    assert.equal(await ensureSigningKey(privatePath, publicPath), 'existing');
    assert.deepEqual(await readFile(privatePath), priv);
    assert.deepEqual(await readFile(publicPath), pub);
  });

  it('keeps an admin-provided RSA key untouched and derives the missing public key from it', async () => {
    const adminPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs1' })
      .toString();
    const path = join(dir, 'admin.pem');
    await writeFile(path, adminPem, { mode: 0o600 });
    const pubPath = join(dir, 'admin.pub');
    assert.equal(await ensureSigningKey(path, pubPath), 'public-key-written');
    assert.equal(await readFile(path, 'utf8'), adminPem);
    assert.equal(await readFile(pubPath, 'utf8'), spki(adminPem));
    assert.equal((await stat(pubPath)).mode & 0o777, 0o644);
    assert.equal(await ensureSigningKey(path, pubPath), 'existing');
  });

  it('does not replace a public key that already exists, even a mismatched one', async () => {
    await ensureSigningKey(privatePath, publicPath);
    await writeFile(publicPath, 'admin content');
    assert.equal(await ensureSigningKey(privatePath, publicPath), 'existing');
    assert.equal(await readFile(publicPath, 'utf8'), 'admin content');
  });

  it('leaves a garbage private key alone (loadSigningKey reports it)', async () => {
    const path = join(dir, 'garbage.pem');
    await writeFile(path, 'garbage');
    assert.equal(await ensureSigningKey(path, join(dir, 'garbage.pub')), 'existing');
    assert.equal(await readFile(path, 'utf8'), 'garbage');
    assert.deepEqual((await readdir(dir)).includes('garbage.pub'), false);
  });

  it('two concurrent first starts generate one key between them', async () => {
    const outcomes = await Promise.all([
      ensureSigningKey(privatePath, publicPath),
      ensureSigningKey(privatePath, publicPath),
    ]);
    assert.deepEqual(outcomes.filter((o) => o === 'generated').length, 1);
  });
});
