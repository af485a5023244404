import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildDemoApp, parseDemoProviderConfig } from '../../src/demo-provider/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import {
  ACCESS_TOKEN_TTL_S,
  Browser,
  CLIENT_ID,
  CLIENT_SECRET,
  REDIRECT_URI,
  RESOURCE,
  base64url,
  consent,
  followWithinProvider,
  logIn,
  obtainTokens,
  startAuthorization,
  token,
  useProvider,
  verifyAccessToken,
  type Running,
} from './demo-provider-client.js';

let running: Running;

describe('demo OAuth 2.0 authorization server', () => {
  before(async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const issuer = `http://127.0.0.1:${port}`;
    const config = parseDemoProviderConfig({
      DEMO_ISSUER: issuer,
      DEMO_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_S),
      DEMO_ROTATE_REFRESH_TOKENS: 'true',
    });
    const { logger, lines } = createMemoryLogger('demo-provider');
    const app = await buildDemoApp(config, { logger });
    server.on('request', app.handleRequest);
    running = { server, issuer, port, lines };
    useProvider(running);
  });

  after(async () => {
    if (process.env['DEMO_TEST_SHOW_LOG'] === '1') process.stderr.write(running.lines.join(''));
    running.server.closeAllConnections();
    await new Promise<void>((resolve) => running.server.close(() => resolve()));
  });

  it('answers the health check', async () => {
    const response = await fetch(`${running.issuer}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('runs the code flow without openid: login (wrong password first), consent, code, JWT, refresh with rotation', async () => {
    const start = await startAuthorization();

    const form = await start.browser.go(start.interactionUrl);
    assert.equal(form.status, 200);
    const formHtml = await form.text();
    assert.match(formHtml, /Demo provider — user: <code>demo<\/code>, password: <code>demo<\/code>/);
    assert.match(formHtml, /<label for="username">/);
    assert.match(formHtml, /<label for="password">/);
    assert.doesNotMatch(formHtml, /<script/i);

    const wrong = await start.browser.go(start.interactionUrl, {
      form: { prompt: 'login', username: 'demo', password: 'nope' },
    });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /Wrong user name or password/);

    const { consentUrl, page } = await logIn(start);
    assert.match(page, /<code>read:\/public<\/code>/);
    assert.match(page, /<code>https:\/\/localhost<\/code>/);
    assert.match(page, /value="allow">Allow</);
    assert.match(page, /value="deny">Deny</);

    const back = await consent(start, consentUrl, 'allow');
    assert.equal(back.searchParams.get('state'), start.state);
    const code = back.searchParams.get('code');
    assert.ok(code);

    const before = Math.floor(Date.now() / 1000);
    const exchanged = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: start.verifier,
    });
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert.equal(exchanged.body['token_type'], 'Bearer');
    assert.equal(exchanged.body['expires_in'], ACCESS_TOKEN_TTL_S);
    assert.equal(exchanged.body['scope'], 'read:/public');
    assert.equal(typeof exchanged.body['refresh_token'], 'string');
    assert.equal(exchanged.body['id_token'], undefined, 'plain OAuth 2.0: no ID token');

    const claims = await verifyAccessToken(exchanged.body['access_token']);
    assert.equal(claims['aud'], RESOURCE);
    assert.equal(claims['scope'], 'read:/public');
    assert.equal(claims['sub'], 'demo');
    assert.equal(claims['iss'], running.issuer);
    const exp = claims['exp'] as number;
    assert.ok(
      exp >= before + ACCESS_TOKEN_TTL_S && exp <= before + ACCESS_TOKEN_TTL_S + 5,
      `exp ${exp} is not now + TTL`,
    );

    // Refresh as the credmon does: no resource, no scope.
    const oldRefreshToken = exchanged.body['refresh_token'] as string;
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: oldRefreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body['scope'], 'read:/public');
    assert.equal(refreshed.body['expires_in'], ACCESS_TOKEN_TTL_S);
    const newRefreshToken = refreshed.body['refresh_token'];
    assert.equal(typeof newRefreshToken, 'string');
    assert.notEqual(newRefreshToken, oldRefreshToken, 'rotation gives a new refresh token');
    const refreshedClaims = await verifyAccessToken(refreshed.body['access_token']);
    assert.equal(refreshedClaims['aud'], RESOURCE);
    assert.equal(refreshedClaims['scope'], 'read:/public');
    assert.equal(refreshedClaims['sub'], 'demo');

    const reused = await token({ grant_type: 'refresh_token', refresh_token: oldRefreshToken });
    assert.equal(reused.status, 400);
    assert.equal(reused.body['error'], 'invalid_grant');

    // The code is single use (last: oidc-provider revokes the whole grant when a code is replayed).
    const replay = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: start.verifier,
    });
    assert.equal(replay.body['error'], 'invalid_grant');

    // Nothing secret reached the log.
    const log = running.lines.join('');
    for (const secret of [
      code,
      oldRefreshToken,
      newRefreshToken as string,
      exchanged.body['access_token'] as string,
      CLIENT_SECRET,
      start.verifier,
    ]) {
      assert.ok(!log.includes(secret), 'a secret was logged');
    }
    assert.ok(!/password=nope|"nope"| nope/.test(log), 'the wrong password was logged');
  });

  it('redirects with error=access_denied when the user denies', async () => {
    const start = await startAuthorization();
    const { consentUrl } = await logIn(start);
    const back = await consent(start, consentUrl, 'deny');
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), start.state);
    assert.equal(back.searchParams.get('code'), null);
  });

  it('grants no scope that writes under /public or touches /user, whatever the public client asks for', async () => {
    // The attack (issue 15): the client secret and demo/demo are public, so anyone can run this flow and ask for
    // anything; /user/<name> belongs to the robot client's per-user tokens.
    const widest =
      'read:/public write:/public storage.read:/ storage.modify:/ storage.create:/ write:/ storage.read:/public ' +
      'storage.read:/user/alice storage.modify:/user/alice storage.create:/user storage.read:/user';
    const start = await startAuthorization({ scope: widest });
    const { consentUrl, page } = await logIn(start);
    assert.match(page, /<code>read:\/public<\/code>/);
    assert.doesNotMatch(page, /write:\/public|storage\.modify|storage\.create|write:\/<|\/user|storage\.read:\/</);
    const back = await consent(start, consentUrl, 'allow');
    const code = back.searchParams.get('code');
    assert.ok(code);
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: start.verifier };
    const exchanged = await token(form);
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert.equal(exchanged.body['scope'], 'read:/public storage.read:/public');
    const claims = await verifyAccessToken(exchanged.body['access_token']);
    assert.equal(claims['scope'], 'read:/public storage.read:/public');

    // A refresh cannot widen it either.
    const refreshToken = exchanged.body['refresh_token'] as string;
    const wider = await token({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'write:/public' });
    assert.deepEqual([wider.status, wider.body['error']], [400, 'invalid_scope']);

    // Asking only for writes there: nothing to consent to, so right after the login the request ends with
    // access_denied and no code.
    const only = await startAuthorization({ scope: 'write:/public storage.modify:/' });
    const login = { prompt: 'login', username: 'demo', password: 'demo' };
    const loggedIn = await only.browser.go(only.interactionUrl, { form: login });
    const { url: refused } = await followWithinProvider(only.browser, loggedIn);
    assert.equal(`${refused.origin}${refused.pathname}`, REDIRECT_URI);
    assert.equal(refused.searchParams.get('error'), 'access_denied');
    assert.equal(refused.searchParams.get('code'), null);
  });

  it('shows an error page, not a redirect, for an unregistered redirect_uri', async () => {
    const browser = new Browser();
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: 'https://evil.example/return',
      scope: 'read:/public',
      state: 'x',
      code_challenge: base64url(createHash('sha256').update('v'.repeat(43)).digest()),
      code_challenge_method: 'S256',
      resource: RESOURCE,
    });
    const response = await browser.go(`${running.issuer}/auth?${params.toString()}`);
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
    assert.match(await response.text(), /redirect_uri/);
  });

  it('rejects a revoked refresh token with invalid_grant', async () => {
    const tokens = await obtainTokens();
    const refreshToken = tokens['refresh_token'] as string;
    const revoked = await fetch(`${running.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token: refreshToken,
        token_type_hint: 'refresh_token',
      }).toString(),
    });
    assert.equal(revoked.status, 200);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body['error'], 'invalid_grant');
  });

  it('answers the token endpoint under another host name than the issuer', async () => {
    const tokens = await obtainTokens();
    let refreshToken = tokens['refresh_token'] as string;
    // fetch() cannot set Host, so a raw request: connect to 127.0.0.1, say Host: localhost:<port> (or demo-provider).
    for (const host of [`localhost:${running.port}`, `demo-provider:${running.port}`]) {
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }).toString();
      const { status, json } = await new Promise<{ status: number; json: Record<string, unknown> }>(
        (resolve, reject) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port: running.port,
              path: '/token',
              method: 'POST',
              headers: {
                host,
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(body),
              },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () =>
                resolve({
                  status: res.statusCode ?? 0,
                  json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
                }),
              );
            },
          );
          req.on('error', reject);
          req.end(body);
        },
      );
      assert.equal(status, 200, JSON.stringify(json));
      const claims = await verifyAccessToken(json['access_token']);
      assert.equal(claims['iss'], running.issuer, 'iss stays the configured issuer whatever the Host header');
      assert.equal(claims['aud'], RESOURCE);
      refreshToken = json['refresh_token'] as string;
    }
  });

  it('rejects oversized and non-form interaction posts', async () => {
    const start = await startAuthorization();
    const big = await start.browser.go(start.interactionUrl, {
      form: { prompt: 'login', username: 'demo', password: 'x'.repeat(17 * 1024) },
    });
    assert.equal(big.status, 413);
    const again = await start.browser.go(start.interactionUrl);
    assert.equal(again.status, 200, 'the interaction survives a rejected post');
  });
});
