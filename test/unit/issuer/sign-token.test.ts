import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseCredmonConfig } from '../../../src/config/credmon-config.js';
import { buildClaims } from '../../../src/issuer/build-claims.js';
import { buildDiscoveryDocument, toPublicJwk } from '../../../src/issuer/issuer-documents.js';
import { decodeToken, signToken, verifyToken } from '../../../src/issuer/sign-token.js';
import { parseSigningKey } from '../../../src/issuer/signing-key.js';

const config = parseCredmonConfig(
  lookupFrom(
    new Map(
      Object.entries({
        SEC_CREDENTIAL_DIRECTORY_OAUTH: '/creds',
        LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
        LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
      }),
    ),
  ),
).local;

function ecKey(kid = 'local') {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'sec1' })
    .toString();
  return parseSigningKey(pem, kid, 'test');
}

describe('signToken and toPublicJwk', () => {
  it('signs an ES256 token that verifies against the published JWK', async () => {
    const key = ecKey('key-1');
    const now = Math.floor(Date.now() / 1000);
    const claims = buildClaims(config, 'alice', [], now);
    const jwt = signToken(key, claims);
    assert.deepEqual(decodeProtectedHeader(jwt), { alg: 'ES256', kid: 'key-1', typ: 'JWT' });
    const jwk = await toPublicJwk(key.publicKey, key.kid);
    assert.equal(jwk.kty, 'EC');
    assert.equal(jwk.crv, 'P-256');
    assert.equal(jwk.alg, 'ES256');
    assert.equal(jwk.kid, 'key-1');
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.d, undefined, 'no private part in the JWK');
    assert.match(jwk.x ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.match(jwk.y ?? '', /^[A-Za-z0-9_-]{43}$/);
    const { payload, protectedHeader } = await jwtVerify(jwt, await importJWK(jwk, 'ES256'), {
      issuer: 'https://ap.example.org',
      audience: 'https://localhost',
      algorithms: ['ES256'],
      currentDate: new Date(now * 1000),
    });
    assert.equal(protectedHeader.kid, 'key-1');
    assert.deepEqual(payload, { ...claims });
    // ES256 signatures are raw R||S (64 bytes), as RFC 7518 and upstream PyJWT produce.
    assert.equal(Buffer.from(jwt.split('.')[2] ?? '', 'base64url').length, 64);
  });

  it('fails verification with another key', async () => {
    const jwt = signToken(ecKey(), buildClaims(config, 'alice', [], Math.floor(Date.now() / 1000)));
    const other = await importJWK(await toPublicJwk(ecKey().publicKey, 'local'), 'ES256');
    await assert.rejects(jwtVerify(jwt, other));
  });

  it('signs RS256 with an RSA key and publishes n and e', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs1' })
      .toString();
    const key = parseSigningKey(pem, 'rsa-1', 'test');
    const jwt = signToken(key, buildClaims(config, 'bob', [], Math.floor(Date.now() / 1000)));
    const jwk = await toPublicJwk(key.publicKey, key.kid);
    assert.deepEqual([jwk.kty, jwk.alg, jwk.kid, jwk.use, jwk.e], ['RSA', 'RS256', 'rsa-1', 'sig', 'AQAB']);
    const { payload } = await jwtVerify(jwt, await importJWK(jwk, 'RS256'));
    assert.equal(payload.sub, 'bob');
  });

  it('decodeToken reads header and claims without verifying; verifyToken verifies them', () => {
    const claims = buildClaims(config, 'alice', [], Math.floor(Date.now() / 1000));
    const jwt = signToken(ecKey('other'), claims);
    assert.deepEqual(decodeToken(jwt), { header: { alg: 'ES256', kid: 'other', typ: 'JWT' }, claims: { ...claims } });
    assert.equal(verifyToken(ecKey('other'), jwt), undefined, 'another key: not verified');
  });

  it('decodeToken and verifyToken refuse a malformed token', () => {
    const key = ecKey();
    const jwt = signToken(key, buildClaims(config, 'alice', [], Math.floor(Date.now() / 1000)));
    const [header = '', claims = '', signature = ''] = jwt.split('.');
    const b64 = (text: string): string => Buffer.from(text).toString('base64url');
    for (const bad of [
      '',
      `${header}.${claims}`,
      `${header}.${claims}.${signature}.x`,
      `${header}..${signature}`,
      `${header}.${claims}.`,
      `${b64('{"alg": "ES256"')}.${claims}.${signature}`,
      `${header}.${b64('"alice"')}.${signature}`,
      `${header}.${b64('null')}.${signature}`,
    ]) {
      assert.equal(decodeToken(bad), undefined, bad);
      assert.equal(verifyToken(key, bad), undefined, bad);
    }
    assert.ok(verifyToken(key, jwt));
  });

  it('builds a discovery document whose issuer is exactly the configured one', () => {
    assert.deepEqual(buildDiscoveryDocument('https://ap.example.org', 'https://ap.example.org/.well-known/jwks-uri'), {
      issuer: 'https://ap.example.org',
      jwks_uri: 'https://ap.example.org/.well-known/jwks-uri',
    });
  });
});
