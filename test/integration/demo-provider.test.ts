import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { buildDemoApp, createFileAdapterFactory, parseDemoProviderConfig } from '../../src/demo-provider/index.js';
import { ConfigInvalid } from '../../src/shared/errors.js';
import { createMemoryLogger } from '../../src/log/index.js';

const CLIENT_ID = 'credmon-sandbox-scitokens';
const CLIENT_SECRET = 'demo-scitokens-secret';
const REDIRECT_URI = 'https://localhost:8443/return/scitokens';
const RESOURCE = 'https://localhost';
const ACCESS_TOKEN_TTL_S = 90;

/** Remembers cookies by name, as a browser would for one site (paths ignored: names do not collide here). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k = '', v = ''] = a.trim().split('=');
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A browser: follows nothing by itself, keeps cookies. */
class Browser {
  readonly jar = new CookieJar();

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { cookie: this.jar.header() };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body: body ?? null, redirect: 'manual' });
    this.jar.store(response);
    return response;
  }
}

interface Running {
  server: Server;
  issuer: string;
  port: number;
  lines: string[];
}

let running: Running;

function base64url(buf: Buffer): string {
  return buf.toString('base64url');
}

function location(response: Response, base: string): URL {
  const value = response.headers.get('location');
  assert.ok(value, `expected a redirect, got ${response.status}`);
  return new URL(value, base);
}

/** Follows redirects inside the provider until one leaves it (to the client's redirect_uri) or a page is shown. */
async function followWithinProvider(browser: Browser, response: Response): Promise<{ response: Response; url: URL }> {
  let current = response;
  let url = new URL(running.issuer);
  while (current.status >= 300 && current.status < 400) {
    url = location(current, running.issuer);
    if (url.origin !== running.issuer) return { response: current, url };
    await current.arrayBuffer();
    current = await browser.go(url.href);
  }
  return { response: current, url };
}

interface AuthorizationStart {
  browser: Browser;
  verifier: string;
  state: string;
  interactionUrl: string;
}

async function startAuthorization(overrides: Record<string, string> = {}): Promise<AuthorizationStart> {
  const browser = new Browser();
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: 'read:/public',
    state,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    resource: RESOURCE,
    ...overrides,
  });
  const response = await browser.go(`${running.issuer}/auth?${params.toString()}`);
  assert.equal(response.status, 303, 'the authorization endpoint redirects to our interaction page');
  const url = location(response, running.issuer);
  assert.match(url.pathname, /^\/interaction\/[\w-]+$/);
  return { browser, verifier, state, interactionUrl: url.href };
}

/** Logs in with the demo account and returns the consent page's response. */
async function logIn(start: AuthorizationStart): Promise<{ consentUrl: string; page: string }> {
  const after = await start.browser.go(start.interactionUrl, { form: { prompt: 'login', username: 'demo', password: 'demo' } });
  const { response, url } = await followWithinProvider(start.browser, after);
  assert.equal(response.status, 200, 'after login comes the consent page');
  return { consentUrl: url.href, page: await response.text() };
}

async function consent(start: AuthorizationStart, consentUrl: string, decision: 'allow' | 'deny'): Promise<URL> {
  const after = await start.browser.go(consentUrl, { form: { prompt: 'consent', decision } });
  const { url } = await followWithinProvider(start.browser, after);
  assert.equal(`${url.origin}${url.pathname}`, REDIRECT_URI);
  return url;
}

async function token(form: Record<string, string>, endpoint = `${running.issuer}/token`): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...form }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The whole browser flow up to the code exchange; returns the token response. */
async function obtainTokens(): Promise<Record<string, unknown>> {
  const start = await startAuthorization();
  const { consentUrl } = await logIn(start);
  const back = await consent(start, consentUrl, 'allow');
  const code = back.searchParams.get('code');
  assert.ok(code);
  const result = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: start.verifier });
  assert.equal(result.status, 200, JSON.stringify(result.body));
  return result.body;
}

async function verifyAccessToken(accessToken: unknown): Promise<Record<string, unknown>> {
  assert.equal(typeof accessToken, 'string');
  const discovery = (await (await fetch(`${running.issuer}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
  assert.equal(discovery.issuer, running.issuer);
  const { payload, protectedHeader } = await jwtVerify(accessToken as string, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
    issuer: running.issuer,
    audience: RESOURCE,
  });
  assert.equal(protectedHeader.alg, 'ES256');
  return payload;
}

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

    const wrong = await start.browser.go(start.interactionUrl, { form: { prompt: 'login', username: 'demo', password: 'nope' } });
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
    const exchanged = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: start.verifier });
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
    assert.ok(exp >= before + ACCESS_TOKEN_TTL_S && exp <= before + ACCESS_TOKEN_TTL_S + 5, `exp ${exp} is not now + TTL`);

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
    const replay = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: start.verifier });
    assert.equal(replay.body['error'], 'invalid_grant');

    // Nothing secret reached the log.
    const log = running.lines.join('');
    for (const secret of [code, oldRefreshToken, newRefreshToken as string, exchanged.body['access_token'] as string, CLIENT_SECRET, start.verifier]) {
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

  it('grants no scope that writes under /public, whatever the public client asks for (issue 15)', async () => {
    // The attack: the client secret and demo/demo are public, so anyone can run this flow and ask for anything.
    const widest = 'read:/public write:/public storage.read:/ storage.modify:/ storage.create:/ write:/';
    const start = await startAuthorization({ scope: widest });
    const { consentUrl, page } = await logIn(start);
    assert.match(page, /<code>read:\/public<\/code>/);
    assert.doesNotMatch(page, /write:\/public|storage\.modify|storage\.create|write:\/</);
    const back = await consent(start, consentUrl, 'allow');
    const code = back.searchParams.get('code');
    assert.ok(code);
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: start.verifier };
    const exchanged = await token(form);
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert.equal(exchanged.body['scope'], 'read:/public storage.read:/');
    assert.equal((await verifyAccessToken(exchanged.body['access_token']))['scope'], 'read:/public storage.read:/');

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
      body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token: refreshToken, token_type_hint: 'refresh_token' }).toString(),
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
      const { status, json } = await new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: running.port,
            path: '/token',
            method: 'POST',
            headers: { host, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(status, 200, JSON.stringify(json));
      const claims = await verifyAccessToken(json['access_token']);
      assert.equal(claims['iss'], running.issuer, 'iss stays the configured issuer whatever the Host header');
      assert.equal(claims['aud'], RESOURCE);
      refreshToken = json['refresh_token'] as string;
    }
  });

  it('rejects oversized and non-form interaction posts', async () => {
    const start = await startAuthorization();
    const big = await start.browser.go(start.interactionUrl, { form: { prompt: 'login', username: 'demo', password: 'x'.repeat(17 * 1024) } });
    assert.equal(big.status, 413);
    const again = await start.browser.go(start.interactionUrl);
    assert.equal(again.status, 200, 'the interaction survives a rejected post');
  });
});

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
    const scopes = ['read:/public', 'read:/protected', 'write:/protected', 'compute.create', 'storage.read:/'];
    assert.deepEqual(config.scopes, scopes, 'nothing that writes under /public');
    assert.deepEqual(
      config.clients.map((c) => [c.clientId, c.clientSecret, c.redirectUris, c.tokenEndpointAuthMethod]),
      [
        ['credmon-sandbox-scitokens', 'demo-scitokens-secret', ['https://sandbox.example:8443/return/scitokens'], 'client_secret_post'],
        ['credmon-sandbox-demo', 'demo-demo-secret', ['https://sandbox.example:8443/return/demo'], 'client_secret_post'],
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

describe('demo provider restart (issue 7: grants survive)', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  /** Starts src/bin/demo-provider.ts as its own process on `port`, with its state in `dir`; waits for /healthz. */
  async function startProcess(port: number, state: boolean): Promise<ChildProcess> {
    const issuer = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      DEMO_ISSUER: issuer,
      DEMO_LISTEN_HOST: '127.0.0.1',
      DEMO_LISTEN_PORT: String(port),
      DEMO_SIGNING_KEY_FILE: join(dir, 'signing-keys.json'),
      DEMO_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_S),
      ...(state ? { DEMO_STATE_DIR: join(dir, 'state') } : {}),
    };
    const started = spawn(process.execPath, ['--import', 'tsx', 'src/bin/demo-provider.ts'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (started.exitCode !== null) assert.fail(`the demo provider exited: ${stderr}`);
      const ok = await fetch(`${issuer}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) assert.fail(`the demo provider did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    running = { server: createServer(), issuer, port, lines: [] };
    return started;
  }

  async function stopProcess(): Promise<void> {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-provider-restart-'));
  });

  after(async () => {
    await stopProcess();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the grant across a restart: the refresh token issued before works after, and rotates', async () => {
    const port = await freePort();
    child = await startProcess(port, true);
    const first = await obtainTokens();
    assert.equal(typeof first['refresh_token'], 'string');
    const stateFiles = await readdir(join(dir, 'state'));
    assert.ok(stateFiles.includes('Grant') && stateFiles.includes('RefreshToken'), `state kept in files: ${stateFiles.join(', ')}`);
    assert.equal((await stat(join(dir, 'state'))).mode & 0o777, 0o700);

    await stopProcess();
    child = await startProcess(port, true);

    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first['refresh_token'] as string });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body['refresh_token'], first['refresh_token'], 'the refresh token is rotated');
    const claims = await verifyAccessToken(refreshed.body['access_token']);
    assert.equal(claims['sub'], 'demo');
    assert.equal(claims['scope'], 'read:/public');

    const reused = await token({ grant_type: 'refresh_token', refresh_token: first['refresh_token'] as string });
    assert.equal(reused.status, 400, 'the rotated-out refresh token is refused');
    assert.equal(reused.body['error'], 'invalid_grant');
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
      assert.equal((await stat(join(dir, 'RefreshToken', (await readdir(join(dir, 'RefreshToken')))[0] ?? ''))).mode & 0o777, 0o600);
      assert.deepEqual(await tokens.find(hostileId), { grantId: 'g1', accountId: 'demo' });

      await tokens.consume(hostileId);
      assert.equal((await tokens.find(hostileId))?.consumed, 1000);

      const restarted = (await createFileAdapterFactory(dir, { now: () => nowMs }))('RefreshToken');
      assert.deepEqual((await restarted.find('other'))?.grantId, 'g2', 'a new instance on the same directory finds it');

      await restarted.revokeByGrantId('g1');
      assert.equal(await restarted.find(hostileId), undefined);
      assert.deepEqual(await grants.find('g1'), { accountId: 'demo' }, "as in oidc-provider's memory adapter, the Grant goes by destroy()");

      nowMs += 60_001;
      assert.equal(await restarted.find('other'), undefined, 'expired');
      assert.deepEqual(await readdir(join(dir, 'RefreshToken')), [], 'and removed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
