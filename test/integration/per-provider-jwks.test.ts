/**
 * Every local issuer published (issue 18, item 4): a per-provider issuer (`LOCAL_CREDMON_<provider>_ISSUER` with its
 * own key) on the web app's origin gets its discovery document and JWKS at its own path, from the key set the credmon
 * creates for it; a token it signs verifies there, and after a rotation its JWKS holds both keys.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { lookupFrom, parseCredmonConfig } from '../../src/config/index.js';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { KeySetWatcher } from '../../src/credmon/key-set-watcher.js';
import { LocalIssuer, ensureSigningKey, keySetTargetFor, loadSigningKey, rotateKeys } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { ReportOnce } from '../../src/shared/report-once.js';
import { buildApp, createIssuerKeySource, issuerSitesOf } from '../../src/web/index.js';

const root = await mkdtemp(join(tmpdir(), 'pp-jwks-'));
after(() => rm(root, { recursive: true, force: true }));
const keys = join(root, 'keys');
const knobs = {
  CONDOR_VERSION: '25.14.1',
  SEC_CREDENTIAL_DIRECTORY_OAUTH: join(root, 'creds'),
  LOCAL_CREDMON_PRIVATE_KEY: join(keys, 'scitokens-private.pem'),
  LOCAL_CREDMON_PUBLIC_KEY: join(keys, 'scitokens.pem'),
  LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
  LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://storage.example.org',
  LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens, chemistry, elsewhere',
  LOCAL_CREDMON_CHEMISTRY_ISSUER: 'https://ap.example.org/chemistry',
  LOCAL_CREDMON_CHEMISTRY_PRIVATE_KEY: join(keys, 'chemistry-private.pem'),
  LOCAL_CREDMON_CHEMISTRY_KEY_ID: 'chem',
  LOCAL_CREDMON_ELSEWHERE_ISSUER: 'https://other.example.org',
};

describe('per-provider issuers are published', () => {
  it('at their own path, from the key set the credmon makes; their tokens verify there', async () => {
    const config = parseCredmonConfig(lookupFrom(new Map(Object.entries(knobs))));
    await ensureSigningKey(config.local.privateKeyPath, config.local.publicKeyPath);
    await mkdir(keys, { recursive: true });
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(
      knobs.LOCAL_CREDMON_CHEMISTRY_PRIVATE_KEY,
      pair.privateKey.export({ format: 'pem', type: 'sec1' }),
      {
        mode: 0o600,
      },
    );
    const chemistry = config.localProviders.find((p) => p.providerName === 'chemistry');
    assert.ok(chemistry && !chemistry.sharedKey);
    const { logger } = createMemoryLogger('credmon', true);
    const issuer = new LocalIssuer(chemistry, await loadSigningKey(chemistry.privateKeyPath, 'chem'), logger);
    const watcher = new KeySetWatcher(new Map([['chemistry', issuer]]), config.keyRotation, logger, new ReportOnce());
    await watcher.sync(Date.now());

    const defaultKeys = createIssuerKeySource({ ...config.local });
    const { sites, skipped } = issuerSitesOf(config.local.issuer, config.localProviders, defaultKeys, 900);
    assert.deepEqual(skipped, [
      'provider elsewhere: issuer https://other.example.org is not under https://ap.example.org; publish it there',
    ]);
    assert.deepEqual(
      sites.map((s) => [s.issuer, s.path]),
      [
        ['https://ap.example.org', ''],
        ['https://ap.example.org/chemistry', '/chemistry'],
      ],
    );
    const app = await buildApp({
      issuer: config.local.issuer,
      keys: defaultKeys,
      otherIssuers: sites.slice(1),
      logger,
      directory: new CredentialDirectory(config.credDir),
    });
    const get = async (url: string): Promise<Record<string, unknown>> => {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      return JSON.parse(res.body) as Record<string, unknown>;
    };
    const discovery = await get('/chemistry/.well-known/openid-configuration');
    assert.deepEqual(discovery, {
      issuer: 'https://ap.example.org/chemistry',
      jwks_uri: 'https://ap.example.org/chemistry/.well-known/jwks-uri',
    });
    const jwks = async (): Promise<JSONWebKeySet> =>
      (await get('/chemistry/.well-known/jwks-uri')) as unknown as JSONWebKeySet;
    const token = issuer.issue('alice', Math.floor(Date.now() / 1000)).jwt;
    const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks()), {
      issuer: 'https://ap.example.org/chemistry',
    });
    assert.equal(payload.sub, 'alice');
    assert.deepEqual(
      (await jwks()).keys.map((k) => k.kid),
      ['chem'],
    );
    const defaultKids = ((await get('/.well-known/jwks-uri')) as unknown as JSONWebKeySet).keys.map((k) => k.kid);
    assert.deepEqual(defaultKids, ['local'], 'the default issuer publishes only its own key');

    const { added } = await rotateKeys(keySetTargetFor(chemistry, 'ES256', config.keyRotation), Date.now(), 'lead');
    assert.deepEqual(
      (await jwks()).keys.map((k) => k.kid),
      [added.kid, 'chem'],
    );
    await app.close();
  });
});
