import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/log/index.js';
import {
  exchangeAuthorizationCode,
  MAX_RETRY_AFTER_S,
  MAX_TOKEN_BYTES,
  MAX_TOKEN_RESPONSE_BYTES,
  refreshAccessToken,
  requestTokens,
} from '../../src/oauth/index.js';
import { describeError, RefreshRejected, RefreshUnavailable } from '../../src/shared/errors.js';
import { assertNoSecretLeak } from '../helpers/secret-scan.js';
import {
  json,
  refusedUrl,
  startTokenEndpoint,
  type FakeTokenEndpoint,
  type RecordedRequest,
} from './fake-token-endpoint.js';

const REFRESH_TOKEN = 'rt-SECRET-0123456789';
const CLIENT = { clientId: 'client id:with/odd+chars', clientSecret: 'cs-SECRET-abc&=+' };
const OPTIONS = { timeoutMs: 5_000 };
/** Secrets with every character that encodings change: + / = & % space and non-ASCII. */
const ECHO_REFRESH_TOKEN = 'rt/SECRET+with=padding and space==';
const ECHO_CLIENT = { clientId: 'client id', clientSecret: 'cs SECRET+/=&%é-0123' };
const ECHO_CODE = 'code/SECRET+=x y';
const ECHO_VERIFIER = 'verifier-SECRET_0123456789abcdefghijklmnopqrstuvwxyzABCDEF';
const ECHO_SECRETS = [ECHO_REFRESH_TOKEN, ECHO_CLIENT.clientSecret, ECHO_CODE, ECHO_VERIFIER];

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
    assertNoSecretLeak([REFRESH_TOKEN, CLIENT.clientSecret, ...ECHO_SECRETS], error.message, 'error message');
    assert.doesNotMatch(error.message, /[\r\n\u2028\u2029]/, 'one line');
    check(error);
    return true;
  };
}

describe('refreshAccessToken against a real HTTP token endpoint', () => {
  it('POSTs a form-encoded refresh grant with client credentials in the body and returns the tokens', async () => {
    const server = await serve(() =>
      json(200, {
        access_token: 'at-new',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'rt-new',
        scope: 'read:/public',
      }),
    );
    const response = await refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS);
    assert.deepEqual(response, {
      raw: {
        access_token: 'at-new',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'rt-new',
        scope: 'read:/public',
      },
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
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, { timeoutMs: 300 }),
      failsWith(RefreshUnavailable),
    );
    assert.ok(Date.now() - started < 3_000);
  });

  it('keeps the refresh token and client secret out of the error even when the provider echoes them', async () => {
    const server = await serve(() =>
      json(400, {
        error: 'invalid_grant',
        error_description: `refresh token ${REFRESH_TOKEN} for client secret ${CLIENT.clientSecret} is revoked`,
      }),
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
      request.headers['authorization'] === undefined
        ? json(401, { error: 'invalid_client' })
        : json(200, { access_token: 'at-basic', expires_in: 10 }),
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
      request.path === '/elsewhere'
        ? json(200, { access_token: 'at' })
        : { status: 307, body: '', headers: { location: '/elsewhere' } },
    );
    await assert.rejects(refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS), failsWith(RefreshUnavailable));
    assert.deepEqual(
      server.requests.map((r) => r.path),
      ['/oauth2/token'],
    );
  });

  it('sends other grants through requestTokens (authorization code)', async () => {
    const server = await serve(() => json(200, { access_token: 'at', refresh_token: 'rt' }));
    await requestTokens(
      server.url,
      { grant_type: 'authorization_code', code: 'c0de', redirect_uri: 'https://ap/return/x' },
      CLIENT,
      OPTIONS,
    );
    assert.deepEqual(Object.fromEntries(server.requests[0]?.form ?? []), {
      grant_type: 'authorization_code',
      code: 'c0de',
      redirect_uri: 'https://ap/return/x',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
  });
});

/** What a provider that echoes the request may put in error_description: the body and headers, in several encodings. */
function echoOf(request: RecordedRequest): string {
  const form = new URLSearchParams(request.body);
  return [
    `you sent ${request.body}`,
    `decoded ${JSON.stringify(Object.fromEntries(form))}`,
    `lower-case ${request.body.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
    `twice ${encodeURIComponent(request.body)}`,
    `authorization ${request.headers.authorization ?? 'none'}`,
    `html ${[...form.values()].map((v) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;')).join(' ')}`,
    `base64 ${[...form.values()].map((v) => Buffer.from(v).toString('base64url')).join(' ')}`,
  ].join('; ');
}

describe('secrets echoed by the token endpoint', () => {
  it('never reach the error of a refresh, in any encoding (form, JSON, percent-encoded twice, Basic header)', async () => {
    // Body authentication is refused with 401 invalid_client, so the Basic retry is echoed too.
    const server = await serve((request) =>
      json(request.headers['authorization'] === undefined ? 401 : 400, {
        error: 'invalid_client',
        error_description: echoOf(request),
      }),
    );
    await assert.rejects(
      refreshAccessToken(server.url, ECHO_REFRESH_TOKEN, ECHO_CLIENT, OPTIONS),
      failsWith(RefreshRejected, (e) =>
        assert.match(
          e.message,
          /HTTP 400 invalid_client: you sent grant_type=refresh_token&refresh_token=\[redacted\]/,
        ),
      ),
    );
    assert.equal(server.requests.length, 2);
  });

  it('never reach the error of a code exchange (code, code_verifier, client secret), nor the log line made of it', async () => {
    const server = await serve((request) => json(400, { error: 'invalid_grant', error_description: echoOf(request) }));
    let message = '';
    await assert.rejects(
      exchangeAuthorizationCode(server.url, ECHO_CODE, 'https://ap/return/x', ECHO_VERIFIER, ECHO_CLIENT, OPTIONS),
      failsWith(RefreshRejected, (e) => {
        message = describeError(e);
      }),
    );
    const text = await logToFile((logger) => logger.warn({ user: 'alice' }, `login step refused: ${message}`));
    assertNoSecretLeak(ECHO_SECRETS, text, 'log file');
    assert.match(text, /code=\[redacted\]/);
  });

  it('never reach the error of an OAuth error in a 200 answer', async () => {
    const server = await serve((request) => json(200, { error: 'invalid_grant', error_description: echoOf(request) }));
    await assert.rejects(
      refreshAccessToken(server.url, ECHO_REFRESH_TOKEN, ECHO_CLIENT, OPTIONS),
      failsWith(RefreshRejected),
    );
  });
});

/** Writes through a real createLogger() into a temp daemon log and returns the file once written. */
async function logToFile(write: (logger: ReturnType<typeof createLogger>) => void): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'credmon-log-'));
  try {
    const file = join(dir, 'CredMonOAuthLog');
    write(createLogger({ name: 'credmon', debug: true, file, stderr: false }));
    for (let i = 0; i < 100 && !(await readFile(file, 'utf8').catch(() => '')).includes('\n'); i++) await sleep(20);
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('log injection through the token endpoint', () => {
  const FORGED = '\n12/01/26 10:00:00 [credmon] Successfully refreshed scitokens tokens for user alice';

  it('gives one line for an error_description (or an error code) full of line breaks, and so one log line', async () => {
    const server = await serve(() =>
      json(400, {
        error: `invalid_grant${FORGED}`,
        error_description: `expired${FORGED}\r\u2028\u2029\u0085\u001b[2Kdone`,
      }),
    );
    let message = '';
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshRejected, (e) => {
        assert.equal(e.oauthError, undefined, 'a malformed error code is not passed on');
        assert.match(
          e.message,
          /HTTP 400 with a malformed OAuth error code: expired 12\/01\/26 10:00:00 \[credmon\] Successfully refreshed .* \[2Kdone$/,
        );
        message = e.message;
      }),
    );
    const text = await logToFile((logger) =>
      logger.warn(`Failed to refresh scitokens tokens for user bob: ${message}`),
    );
    assert.equal(text.split('\n').length, 2, text);
  });

  it('passes plain OAuth error codes on, and cuts long descriptions', async () => {
    const server = await serve(() => json(400, { error: 'invalid_scope', error_description: 'x'.repeat(5_000) }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshRejected, (e) => {
        assert.equal(e.oauthError, 'invalid_scope');
        assert.ok(e.message.length < 400, `${e.message.length} characters`);
      }),
    );
  });
});

/** Streams `total` bytes of a JSON token response (no Content-Length), honouring backpressure; resolves with the bytes
 * written when the client drops the connection. */
function streamHugeBody(res: ServerResponse, total: number, declare = false): Promise<number> {
  return new Promise((resolve) => {
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    res.on('close', () => resolve(written));
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(declare ? { 'content-length': String(total + 20) } : {}),
    });
    res.write('{"access_token":"');
    const pump = (): void => {
      while (written < total && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end('"}');
    };
    pump();
  });
}

describe('provider faults: each classified, with one clear, scrubbed line', () => {
  it('500 is transient, without a Retry-After', async () => {
    const server = await serve(() => ({ status: 500, body: `boom ${REFRESH_TOKEN}` }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => {
        assert.equal(e.status, 500);
        assert.equal(e.retryAfterS, undefined);
        assert.match(e.message, /answered HTTP 500$/);
      }),
    );
  });

  it('503 with Retry-After in seconds exposes retryAfterS', async () => {
    const server = await serve(() => ({ status: 503, body: 'maintenance', headers: { 'retry-after': '120' } }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => {
        assert.equal(e.retryAfterS, 120);
        assert.match(e.message, /answered HTTP 503 \(Retry-After: 120 s\)$/);
      }),
    );
  });

  it('503 with Retry-After as an HTTP-date, read against the injected clock', async () => {
    const nowMs = Date.UTC(2026, 0, 12, 10, 0, 0);
    const server = await serve(() => ({
      status: 503,
      body: '',
      headers: { 'retry-after': new Date(nowMs + 90_000).toUTCString() },
    }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, { ...OPTIONS, now: () => nowMs }),
      failsWith(RefreshUnavailable, (e) => assert.equal(e.retryAfterS, 90)),
    );
  });

  it('429 with an absurd Retry-After is capped; a garbage one is ignored', async () => {
    const server = await serve(() => ({ status: 429, body: '', headers: { 'retry-after': '999999999' } }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.equal(e.retryAfterS, MAX_RETRY_AFTER_S)),
    );
    server.respondWith(() => ({ status: 503, body: '', headers: { 'retry-after': 'after lunch' } }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => {
        assert.equal(e.retryAfterS, undefined);
        assert.match(e.message, /answered HTTP 503$/);
      }),
    );
  });

  it('a connection reset before any answer is transient', async () => {
    const server = await serve(() => ({ raw: (res) => res.socket?.destroy() }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.match(e.message, /unreachable: /)),
    );
  });

  it('a connection reset in the middle of the body is transient, and says so', async () => {
    const server = await serve(() => ({
      raw: (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
        res.write('{"access_token": "at-partial');
        setTimeout(() => res.socket?.destroy(), 50);
      },
    }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => {
        assert.equal(e.status, 200);
        assert.match(e.message, /broke off its answer \(HTTP 200\) after 28 bytes: /);
      }),
    );
  });

  it('a slow answer that ends within the timeout is accepted', async () => {
    const body = JSON.stringify({ access_token: 'at-slow', expires_in: 60 });
    const server = await serve(() => ({
      raw: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        let i = 0;
        const timer = setInterval(() => {
          res.write(body.slice(i, i + 10));
          i += 10;
          if (i >= body.length) {
            clearInterval(timer);
            res.end();
          }
        }, 60);
      },
    }));
    const response = await refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, { timeoutMs: 5_000 });
    assert.equal(response.accessToken, 'at-slow');
  });

  it('a body that trickles past the timeout is transient ("no answer within")', async () => {
    const server = await serve(() => ({
      raw: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"access_token": "');
        const timer = setInterval(() => res.write('a'), 50);
        res.on('close', () => clearInterval(timer));
      },
    }));
    const started = Date.now();
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, { timeoutMs: 400 }),
      failsWith(RefreshUnavailable, (e) => assert.match(e.message, /after \d+ bytes: no answer within 400 ms$/)),
    );
    assert.ok(Date.now() - started < 3_000);
  });

  it('a 400 MiB answer is cut off at the cap: the client drops the connection after a few MB at most', async () => {
    let written: Promise<number> = Promise.resolve(0);
    const server = await serve(() => ({
      raw: (res) => {
        written = streamHugeBody(res, 400 * 1024 * 1024);
      },
    }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, { timeoutMs: 30_000 }),
      failsWith(RefreshUnavailable, (e) =>
        assert.match(e.message, new RegExp(`answered more than ${MAX_TOKEN_RESPONSE_BYTES} bytes$`)),
      ),
    );
    const bytes = await Promise.race([written, sleep(10_000).then(() => Infinity)]);
    assert.ok(bytes < 16 * 1024 * 1024, `the server wrote ${bytes} bytes before the client closed the connection`);
  });

  it('a declared Content-Length over the cap is refused before the body is read', async () => {
    let written: Promise<number> = Promise.resolve(0);
    const server = await serve(() => ({
      raw: (res) => {
        written = streamHugeBody(res, 400 * 1024 * 1024, true);
      },
    }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, { timeoutMs: 30_000 }),
      failsWith(RefreshUnavailable, (e) => assert.match(e.message, /answered more than \d+ bytes$/)),
    );
    const bytes = await Promise.race([written, sleep(10_000).then(() => Infinity)]);
    assert.ok(bytes < 16 * 1024 * 1024, `the server wrote ${bytes} bytes`);
  });

  it('a 5 MB access token is refused (transient), so nothing is written that could not be read back', async () => {
    const huge = `at-${'x'.repeat(5 * 1024 * 1024)}`;
    const server = await serve(() => json(200, { access_token: huge, refresh_token: 'rt-new', expires_in: 60 }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.ok(!e.message.includes('xxxxxxxx'))),
    );
  });

  it('an access or refresh token over MAX_TOKEN_BYTES is refused even in a body under the cap', async () => {
    const big = 'y'.repeat(MAX_TOKEN_BYTES + 1);
    const server = await serve(() => json(200, { access_token: big, expires_in: 60 }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) =>
        assert.match(
          e.message,
          new RegExp(`an access_token of ${MAX_TOKEN_BYTES + 1} bytes, more than the ${MAX_TOKEN_BYTES}`),
        ),
      ),
    );
    server.respondWith(() => json(200, { access_token: 'at', refresh_token: big, expires_in: 60 }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.match(e.message, /a refresh_token of \d+ bytes/)),
    );
    server.respondWith(() => json(200, { access_token: 'y'.repeat(MAX_TOKEN_BYTES), expires_in: 60 }));
    const response = await refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS);
    assert.equal(response.accessToken.length, MAX_TOKEN_BYTES, 'a token at the limit is accepted');
  });

  it('a form-encoded answer that grows past the cap once stored is refused', async () => {
    // %00 is 3 bytes on the wire and 6 (\u0000) in the stored JSON.
    const body = `access_token=at&expires_in=60&extra=${'%00'.repeat(Math.ceil(MAX_TOKEN_RESPONSE_BYTES / 5))}`;
    assert.ok(body.length < MAX_TOKEN_RESPONSE_BYTES);
    const server = await serve(() => ({ status: 200, body, contentType: 'application/x-www-form-urlencoded' }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.match(e.message, /answered \d+ bytes of tokens, more than the \d+/)),
    );
  });

  it('a 3xx without a Location is transient, not a rejection', async () => {
    const server = await serve(() => ({ status: 304, body: '' }));
    await assert.rejects(
      refreshAccessToken(server.url, REFRESH_TOKEN, CLIENT, OPTIONS),
      failsWith(RefreshUnavailable, (e) => assert.equal(e.status, 304)),
    );
  });
});
