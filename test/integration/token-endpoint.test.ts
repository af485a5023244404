import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { refreshAccessToken, requestTokens } from '../../src/oauth/index.js';
import { RefreshRejected, RefreshUnavailable } from '../../src/shared/errors.js';
import { json, refusedUrl, startTokenEndpoint, type FakeTokenEndpoint } from './fake-token-endpoint.js';

const REFRESH_TOKEN = 'rt-SECRET-0123456789';
const CLIENT = { clientId: 'client id:with/odd+chars', clientSecret: 'cs-SECRET-abc&=+' };
const OPTIONS = { timeoutMs: 5_000 };

let endpoint: FakeTokenEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

async function serve(...args: Parameters<typeof startTokenEndpoint>): Promise<FakeTokenEndpoint> {
  endpoint = await startTokenEndpoint(...args);
  return endpoint;
}

/** Asserts the rejection is `type` and that its message leaks neither the refresh token nor the client secret. */
function failsWith<T extends Error>(type: new (...args: never[]) => T, check: (error: T) => void = () => undefined) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.ok(!error.message.includes(REFRESH_TOKEN), `message leaks the refresh token: ${error.message}`);
    assert.ok(!error.message.includes(CLIENT.clientSecret), `message leaks the client secret: ${error.message}`);
    check(error);
    return true;
  };
}

describe('refreshAccessToken against a real HTTP token endpoint', () => {
  it('POSTs a form-encoded refresh grant with client credentials in the body and returns the tokens', async () => {
    const server = await serve(() =>
      json(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-new', scope: 'read:/public' }),
    );
    const response = await refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS);
    assert.deepEqual(response, {
      raw: { access_token: 'at-new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-new', scope: 'read:/public' },
      accessToken: 'at-new',
      refreshToken: 'rt-new',
      expiresInS: 3600,
    });
    assert.equal(server.requests.length, 1);
    const [request] = server.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, '/oauth2/token');
    assert.equal(request?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request?.headers['accept'], 'application/json');
    assert.equal(request?.headers['authorization'], undefined);
    assert.deepEqual(Object.fromEntries(request?.form ?? []), {
      grant_type: 'refresh_token',
      refresh_token: REFRESH_TOKEN,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    assert.equal(request?.form.has('scope'), false, 'no scope is sent, so the provider keeps the granted scopes');
  });

  it('reports no refresh token when the provider does not rotate it', async () => {
    const server = await serve(() => json(200, { access_token: 'at', expires_in: 60 }));
    const response = await refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS);
    assert.equal(response.refreshToken, undefined);
    assert.equal(response.expiresInS, 60);
  });

  it('accepts a form-encoded token response and a string expires_in', async () => {
    const server = await serve(() => ({
      status: 200,
      body: 'access_token=at-form&expires_in=300&token_type=bearer',
      contentType: 'application/x-www-form-urlencoded',
    }));
    const response = await refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS);
    assert.equal(response.accessToken, 'at-form');
    assert.equal(response.expiresInS, 300);
    assert.equal(response.raw['expires_in'], 300);
  });

  it('turns 400 invalid_grant into RefreshRejected with the OAuth error code', async () => {
    const server = await serve(() => json(400, { error: 'invalid_grant', error_description: 'Refresh token expired' }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshRejected, (error) => {
        assert.equal(error.code, 'ERR_REFRESH_REJECTED');
        assert.equal(error.oauthError, 'invalid_grant');
        assert.equal(error.status, 400);
        assert.match(error.message, /invalid_grant: Refresh token expired/);
      }),
    );
    assert.equal(server.requests.length, 1, 'a rejected grant is not retried');
  });

  it('turns an OAuth error in a 200 answer into RefreshRejected', async () => {
    const server = await serve(() => json(200, { error: 'invalid_grant' }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshRejected, (e) => assert.equal(e.oauthError, 'invalid_grant')),
    );
  });

  it('turns 503 and 429 into RefreshUnavailable', async () => {
    const server = await serve(() => ({ status: 503, body: `upstream down; your token was ${REFRESH_TOKEN}` }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (error) => {
        assert.equal(error.code, 'ERR_REFRESH_UNAVAILABLE');
        assert.equal(error.status, 503);
      }),
    );
    server.respondWith(() => json(429, { error: 'slow_down' }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.equal(e.status, 429)),
    );
  });

  it('gives up on a server that never answers within timeoutMs', async () => {
    const server = await serve(() => 'hang');
    const started = Date.now();
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, { timeoutMs: 300 }),
      failsWith(RefreshUnavailable, (error) => assert.match(error.message, /no answer within 300 ms/)),
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 3_000, `gave up after ${elapsed} ms`);
  });

  it('gives up on a server that sends headers and then stalls the body', async () => {
    const server = await serve(() => 'hang-body');
    const started = Date.now();
    await assert.rejects(refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, { timeoutMs: 300 }), failsWith(RefreshUnavailable));
    assert.ok(Date.now() - started < 3_000);
  });

  it('keeps the refresh token and client secret out of the error even when the provider echoes them', async () => {
    const server = await serve(() =>
      json(400, { error: 'invalid_grant', error_description: `refresh token ${REFRESH_TOKEN} for client secret ${CLIENT.clientSecret} is revoked` }),
    );
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshRejected, (e) => assert.equal(e.oauthError, 'invalid_grant')),
    );
  });

  it('turns a refused connection into RefreshUnavailable', async () => {
    await assert.rejects(
      refreshAccessToken(await refusedUrl(), REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (error) => assert.match(error.message, /ECONNREFUSED/)),
    );
  });

  it('turns a 200 answer that is not JSON, or has no access_token, into RefreshUnavailable', async () => {
    const server = await serve(() => ({ status: 200, body: '<html>login page</html>', contentType: 'text/html' }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.equal(e.status, 200)),
    );
    server.respondWith(() => json(200, { token_type: 'Bearer' }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.match(e.message, /without an access_token/)),
    );
  });

  it('retries once with HTTP Basic when body authentication gets 401 invalid_client', async () => {
    const server = await serve((request) =>
      request.headers['authorization'] === undefined ? json(401, { error: 'invalid_client' }) : json(200, { access_token: 'at-basic', expires_in: 10 }),
    );
    const response = await refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS);
    assert.equal(response.accessToken, 'at-basic');
    assert.equal(server.requests.length, 2);
    const basic = server.requests[1];
    const auth = basic?.headers['authorization'] ?? '';
    assert.match(auth, /^Basic /);
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
    const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
    assert.equal(decodeURIComponent((id ?? '').replace(/\+/g, ' ')), CLIENT.clientId);
    assert.equal(decodeURIComponent((secret ?? '').replace(/\+/g, ' ')), CLIENT.clientSecret);
    assert.equal(basic?.form.has('client_secret'), false, 'the secret is not also sent in the body');
    assert.equal(basic?.form.get('refresh_token'), REFRESH_TOKEN);
    assert.equal(basic?.form.get('grant_type'), 'refresh_token');
  });

  it('reports RefreshRejected when Basic authentication is refused as well', async () => {
    const server = await serve(() => json(401, { error: 'invalid_client' }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshRejected, (e) => assert.equal(e.oauthError, 'invalid_client')),
    );
    assert.equal(server.requests.length, 2, 'exactly one retry');
  });

  it('does not retry with Basic for other rejections', async () => {
    const server = await serve(() => json(400, { error: 'invalid_client' }));
    await assert.rejects(refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS), RefreshRejected);
    assert.equal(server.requests.length, 1);
  });

  it('does not follow redirects (the body would carry the secret elsewhere)', async () => {
    const server = await serve((request) =>
      request.path === '/elsewhere' ? json(200, { access_token: 'at' }) : { status: 307, body: '', headers: { location: '/elsewhere' } },
    );
    await assert.rejects(refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS), failsWith(RefreshUnavailable));
    assert.deepEqual(
      server.requests.map((r) => r.path),
      ['/oauth2/token'],
    );
  });

  it('sends other grants through requestTokens (authorization code)', async () => {
    const server = await serve(() => json(200, { access_token: 'at', refresh_token: 'rt' }));
    await requestTokens(server.url, { grant_type: 'authorization_code', code: 'c0de', redirect_uri: 'https://ap/return/x' }, CLIENT, OPTIONS);
    assert.deepEqual(Object.fromEntries(server.requests[0]?.form ?? []), {
      grant_type: 'authorization_code',
      code: 'c0de',
      redirect_uri: 'https://ap/return/x',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
  });
});
