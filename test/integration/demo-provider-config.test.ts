import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildDemoApp, createFileAdapterFactory, parseDemoProviderConfig } from '../../src/demo-provider/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { ConfigInvalid } from '../../src/shared/errors.js';

describe('demo provider configuration and signing key', () => {
  it('has the documented defaults, and DEMO_REDIRECT_BASE moves the default clients', () => {
    const config = parseDemoProviderConfig({ DEMO_REDIRECT_BASE: 'https://sandbox.example:8443/' });
    assert.equal(config.issuer, 'https://localhost:9443');
    assert.equal(config.listenHost, '0.0.0.0');
    assert.equal(config.listenPort, 9443);
    assert.equal(config.tls, undefined);
    assert.equal(config.accessTokenTtlS, 120);
    assert.equal(config.refreshTokenTtlS, 86400);
    assert.equal(config.rotateRefreshTokens, true);
    assert.equal(config.user, 'demo');
    assert.equal(config.password, 'demo');
    const scopes = ['read:/public', 'read:/protected', 'write:/protected', 'compute.create', 'storage.read:/public'];
    assert.deepEqual(config.scopes, scopes, 'nothing that writes under /public, nothing under /user');
    assert.deepEqual(
      config.clients.map((c) => [c.clientId, c.clientSecret, c.redirectUris, c.tokenEndpointAuthMethod]),
      [
        [
          'credmon-sandbox-scitokens',
          'demo-scitokens-secret',
          ['https://sandbox.example:8443/return/scitokens'],
          'client_secret_post',
        ],
        [
          'credmon-sandbox-demo',
          'demo-demo-secret',
          ['https://sandbox.example:8443/return/demo'],
          'client_secret_post',
        ],
      ],
    );
    assert.equal(config.stateDir, undefined);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.clients));
  });

  it('reports every bad variable at once', () => {
    assert.throws(
      () =>
        parseDemoProviderConfig({
          DEMO_ISSUER: 'not a url',
          DEMO_LISTEN_PORT: '70000',
          DEMO_TLS_CERT: '/cert.pem',
          DEMO_CLIENTS: '[{"client_id":""}]',
          DEMO_ACCESS_TOKEN_TTL: '-1',
          DEMO_ROTATE_REFRESH_TOKENS: 'maybe',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigInvalid);
        for (const name of [
          'DEMO_ISSUER',
          'DEMO_LISTEN_PORT',
          'DEMO_TLS_KEY',
          'DEMO_CLIENTS[0].client_id',
          'DEMO_CLIENTS[0].redirect_uris',
          'DEMO_ACCESS_TOKEN_TTL',
          'DEMO_ROTATE_REFRESH_TOKENS',
        ]) {
          assert.ok(
            error.problems.some((p) => p.includes(name)),
            `no problem names ${name}: ${error.message}`,
          );
        }
        return true;
      },
    );
  });

  it('keeps the signing JWKS in DEMO_SIGNING_KEY_FILE (0600) so tokens stay verifiable across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-provider-'));
    try {
      const path = join(dir, 'keys', 'jwks.json');
      const config = parseDemoProviderConfig({ DEMO_ISSUER: 'http://127.0.0.1:1', DEMO_SIGNING_KEY_FILE: path });
      const { logger } = createMemoryLogger('demo-provider');
      const first = await buildDemoApp(config, { logger });
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      const stored = JSON.parse(await readFile(path, 'utf8')) as { keys: Array<Record<string, unknown>> };
      assert.equal(stored.keys[0]?.['alg'], 'ES256');
      assert.equal(typeof stored.keys[0]?.['d'], 'string');
      const second = await buildDemoApp(config, { logger });
      const jwksOf = async (app: typeof first): Promise<unknown> => {
        const server = createServer(app.handleRequest);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          return await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`)).json();
        } finally {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        }
      };
      const published = (await jwksOf(first)) as { keys: Array<Record<string, unknown>> };
      assert.deepEqual(await jwksOf(second), published);
      assert.equal(published.keys[0]?.['kid'], stored.keys[0]?.['kid']);
      assert.equal(published.keys[0]?.['d'], undefined, 'the JWKS endpoint publishes no private part');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('demo provider file storage', () => {
  it('stores entries atomically under hashed names, expires them, consumes and revokes by grant', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-provider-store-'));
    try {
      let nowMs = 1_000_000;
      const factory = await createFileAdapterFactory(dir, { now: () => nowMs });
      const tokens = factory('RefreshToken');
      const grants = factory('Grant');
      const hostileId = '../../../etc/passwd\u0000';
      await tokens.upsert(hostileId, { grantId: 'g1', accountId: 'demo' }, 60);
      await tokens.upsert('other', { grantId: 'g2' }, 60);
      await grants.upsert('g1', { accountId: 'demo' }, 0); // no expiry
      for (const file of await readdir(join(dir, 'RefreshToken'))) assert.match(file, /^[0-9a-f]{64}\.json$/);
      assert.equal(
        (await stat(join(dir, 'RefreshToken', (await readdir(join(dir, 'RefreshToken')))[0] ?? ''))).mode & 0o777,
        0o600,
      );
      assert.deepEqual(await tokens.find(hostileId), { grantId: 'g1', accountId: 'demo' });

      await tokens.consume(hostileId);
      assert.equal((await tokens.find(hostileId))?.consumed, 1000);

      const restarted = (await createFileAdapterFactory(dir, { now: () => nowMs }))('RefreshToken');
      assert.deepEqual((await restarted.find('other'))?.grantId, 'g2', 'a new instance on the same directory finds it');

      await restarted.revokeByGrantId('g1');
      assert.equal(await restarted.find(hostileId), undefined);
      assert.deepEqual(
        await grants.find('g1'),
        { accountId: 'demo' },
        "as in oidc-provider's memory adapter, the Grant goes by destroy()",
      );

      nowMs += 60_001;
      assert.equal(await restarted.find('other'), undefined, 'expired');
      assert.deepEqual(await readdir(join(dir, 'RefreshToken')), [], 'and removed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
