/**
 * The demo provider's client-credentials client `robot` (the sandbox's CLIENT_CREDMON provider), driven over real
 * HTTP on 127.0.0.1 with the credmon's own request (requestClientCredentialsToken), its JWT checked with jose against
 * the provider's JWKS as a relying party would.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { buildDemoApp, parseDemoProviderConfig } from '../../src/demo-provider/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { buildClientCredentialsScope, requestClientCredentialsToken } from '../../src/oauth/index.js';
import type { ClientAuthMethod } from '../../src/oauth/index.js';
import { ConfigInvalid, RefreshRejected } from '../../src/shared/errors.js';

const TTL_S = 90;
const AUDIENCE = 'https://storage.example';
const TEMPLATE = ['storage.read:/user/alice storage.create:/user/alice storage.modify:/user/alice'];

interface Running {
  server: Server;
  issuer: string;
  lines: string[];
}

async function start(env: Record<string, string>): Promise<Running> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { logger, lines } = createMemoryLogger('demo-provider');
  try {
    const config = parseDemoProviderConfig({ DEMO_ISSUER: issuer, DEMO_ACCESS_TOKEN_TTL: String(TTL_S), ...env });
    server.on('request', (await buildDemoApp(config, { logger })).handleRequest);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  return { server, issuer, lines };
}

async function stop(running: Running | undefined): Promise<void> {
  if (running === undefined) return;
  running.server.closeAllConnections();
  await new Promise<void>((resolve) => running.server.close(() => resolve()));
}

describe('demo provider: the client-credentials client robot', () => {
  let dir: string;
  let secretFile: string;
  let running: Running;
  let secret: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-robot-'));
    secretFile = join(dir, 'robot', 'client-secret');
    running = await start({ DEMO_ROBOT_SECRET_FILE: secretFile });
    secret = (await readFile(secretFile, 'utf8')).trim();
  });

  after(async () => {
    await stop(running);
    await rm(dir, { recursive: true, force: true });
  });

  function ask(
    scope: string,
    options: { clientSecret?: string; clientAuth?: ClientAuthMethod; audience?: string[] } = {},
  ): ReturnType<typeof requestClientCredentialsToken> {
    const request = {
      tokenUrl: `${running.issuer}/token`,
      client: { clientId: 'robot', clientSecret: options.clientSecret ?? secret },
      clientAuth: options.clientAuth ?? 'client_secret_basic',
      scope,
      audience: options.audience ?? [AUDIENCE],
    };
    return requestClientCredentialsToken(request, { timeoutMs: 5_000 });
  }

  async function verify(accessToken: string, audience = AUDIENCE): Promise<JWTPayload> {
    const discovery = (await (await fetch(`${running.issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload } = await jwtVerify(accessToken, jwks, { issuer: running.issuer, audience, algorithms: ['ES256'] });
    return payload;
  }

  it('generates its secret once, 0600 in a 0700 directory, and keeps it across a restart', async () => {
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await stat(secretFile)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'robot'))).mode & 0o777, 0o700);
    assert.ok(running.lines.some((l) => /client-credentials client registered/.test(l) && /origin=generated/.test(l)));
    const again = await start({ DEMO_ROBOT_SECRET_FILE: secretFile });
    try {
      assert.equal((await readFile(secretFile, 'utf8')).trim(), secret);
      assert.ok(again.lines.some((l) => /client-credentials client registered/.test(l) && /origin=existing/.test(l)));
      assert.ok(![...running.lines, ...again.lines].some((l) => l.includes(secret)), 'the secret is never logged');
    } finally {
      await stop(again);
    }
  });

  it('advertises the client_credentials grant', async () => {
    const discovery = (await (await fetch(`${running.issuer}/.well-known/openid-configuration`)).json()) as {
      grant_types_supported: string[];
    };
    assert.ok(discovery.grant_types_supported.includes('client_credentials'));
  });

  it("issues an ES256 JWT for the credmon's request: sub robot, the audience asked for, the scopes, wlcg.ver", async () => {
    const scope = buildClientCredentialsScope({ scopes: TEMPLATE, profile: 'wlcg:1.0', user: 'alice' });
    const token = await ask(scope);
    const payload = await verify(token.accessToken);
    assert.equal(payload.sub, 'robot');
    assert.equal(payload['client_id'], 'robot');
    assert.equal(payload.aud, AUDIENCE);
    assert.equal(payload['scope'], scope);
    assert.match(
      scope,
      /^storage\.read:\/user\/alice storage\.create:\/user\/alice storage\.modify:\/user\/alice wlcg condor\.user:alice$/,
    );
    assert.equal(payload['wlcg.ver'], '1.0');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), TTL_S, 'the lifetime of the demo access tokens');
    assert.equal(typeof payload.jti, 'string');
    assert.deepEqual(
      [decodeProtectedHeader(token.accessToken).alg, decodeProtectedHeader(token.accessToken).typ],
      ['ES256', 'at+jwt'],
    );
    assert.equal(token.grantedScope, scope);
    assert.equal(token.tokenType, 'Bearer');
    assert.ok(token.expiresInS !== undefined && token.expiresInS > TTL_S - 5 && token.expiresInS <= TTL_S);
  });

  it('accepts the secret in the body too, and without an audience the token is for the default resource', async () => {
    const token = await ask('condor.user:bob', { clientAuth: 'client_secret_post', audience: [] });
    const payload = await verify(token.accessToken, 'https://localhost');
    assert.equal(payload['scope'], 'condor.user:bob');
    assert.equal(payload['wlcg.ver'], undefined, 'no WLCG profile claim without the wlcg scope');
  });

  it('drops every requested scope outside its policy, and the log names them', async () => {
    const outside = [
      'storage.read:/',
      'storage.create:/public',
      'read:/public',
      'write:/user/alice',
      'storage.modify:/user/../etc',
      'storage.read:/user/alice/',
      'storage.read:/userx/alice',
      'compute.create',
    ];
    const token = await ask(['storage.read:/user/alice', ...outside, 'condor.user:alice'].join(' '));
    const payload = await verify(token.accessToken);
    assert.equal(payload['scope'], 'storage.read:/user/alice condor.user:alice');
    assert.equal(token.grantedScope, 'storage.read:/user/alice condor.user:alice');
    const line = running.lines.filter((l) => /tokens issued/.test(l)).at(-1) ?? '';
    for (const word of outside) assert.ok(line.includes(word), `${word} in ${line}`);
  });

  it('refuses a wrong secret (401 invalid_client), and the message quotes neither secret', async () => {
    for (const clientAuth of ['client_secret_basic', 'client_secret_post'] as const) {
      const wrong = `${secret.slice(0, -4)}XXXX`;
      await assert.rejects(ask('condor.user:alice', { clientSecret: wrong, clientAuth }), (error: unknown) => {
        assert.ok(error instanceof RefreshRejected, String(error));
        assert.equal(error.oauthError, 'invalid_client');
        assert.equal(error.status, 401);
        assert.ok(!error.message.includes(wrong) && !error.message.includes(secret), error.message);
        return true;
      });
    }
  });

  it("refuses the grant to the demo's other clients, whose secrets are public", async () => {
    const response = await fetch(`${running.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'credmon-sandbox-scitokens',
        client_secret: 'demo-scitokens-secret',
        scope: 'storage.create:/user/alice wlcg condor.user:alice',
      }).toString(),
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: 'invalid_request',
      error_description: 'requested grant type is not allowed for this client',
    });
  });
});

describe('demo provider without DEMO_ROBOT_SECRET_FILE, and bad robot settings', () => {
  it('has no robot client and no client_credentials grant', async () => {
    const running = await start({});
    try {
      const discovery = (await (await fetch(`${running.issuer}/.well-known/openid-configuration`)).json()) as {
        grant_types_supported: string[];
      };
      assert.ok(!discovery.grant_types_supported.includes('client_credentials'));
      const request = {
        tokenUrl: `${running.issuer}/token`,
        client: { clientId: 'robot', clientSecret: 'a'.repeat(43) },
        clientAuth: 'client_secret_basic' as const,
        scope: 'condor.user:alice',
        audience: [],
      };
      await assert.rejects(requestClientCredentialsToken(request, { timeoutMs: 5_000 }), RefreshRejected);
    } finally {
      await stop(running);
    }
  });

  it('reports a relative secret path and a client id that is already taken', () => {
    assert.throws(
      () => parseDemoProviderConfig({ DEMO_ROBOT_SECRET_FILE: 'robot-secret' }),
      (error: unknown) => error instanceof ConfigInvalid && /DEMO_ROBOT_SECRET_FILE = robot-secret/.test(error.message),
    );
    assert.throws(
      () => parseDemoProviderConfig({ DEMO_ROBOT_SECRET_FILE: '/x', DEMO_ROBOT_CLIENT_ID: 'credmon-sandbox-demo' }),
      (error: unknown) => error instanceof ConfigInvalid && /already the id of a client/.test(error.message),
    );
  });

  it('refuses to start with a secret file that is too short', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-robot-bad-'));
    try {
      const file = join(dir, 'client-secret');
      await writeFile(file, 'short\n', { mode: 0o600 });
      await assert.rejects(
        start({ DEMO_ROBOT_SECRET_FILE: file }),
        (error: unknown) => error instanceof ConfigInvalid && /at least 16 printable characters/.test(error.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
