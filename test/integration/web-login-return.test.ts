/**
 * The browser login flow of the web app: the provider's redirect back (/return/<provider>), the files HTCondor
 * reads, the app under a path prefix, and the responses that must not be accepted.
 * The harness (a real directory, app and token endpoint per test) is in web-login-harness.ts.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { json } from './fake-token-endpoint.js';
import { buildApp } from '../../src/web/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import {
  NOW_S,
  CLIENT_SECRET,
  USER,
  KEYS,
  ad,
  newKey,
  text,
  s256,
  tokenResponse,
  h,
  respond,
  writeKeyFile,
  exists,
  userFiles,
  get,
  openKey,
  startLogin,
  callback,
  state,
  assertNoCredentialFiles,
  mode,
  useHarness,
} from './web-login-harness.js';

useHarness();

describe('GET /return/<provider>: the code exchange and the files HTCondor reads', () => {
  it('exchanges the code with the PKCE verifier, writes .use/.meta/.top (0400), removes the key file and says all done', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    respond(() => json(200, tokenResponse('one')));
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');

    const response = await callback(cookie, 'scitokens', state(url), 'code-SECRET-123');
    assert.equal(response.statusCode, 303, text(response.body));
    assert.equal(response.headers['location'], `/key/${key}`);

    assert.equal(h.endpoint.requests.length, 1);
    const [request] = h.endpoint.requests;
    assert.equal(request?.method, 'POST');
    const form = Object.fromEntries(request?.form ?? []);
    assert.equal(form['grant_type'], 'authorization_code');
    assert.equal(form['code'], 'code-SECRET-123');
    assert.equal(form['redirect_uri'], 'https://localhost:8443/return/scitokens');
    assert.equal(form['client_id'], 'client-scitokens');
    assert.equal(form['client_secret'], CLIENT_SECRET);
    assert.match(form['code_verifier'] ?? '', /^[A-Za-z0-9._~-]{43,128}$/);
    assert.equal(
      s256(form['code_verifier'] ?? ''),
      url.searchParams.get('code_challenge'),
      'S256(code_verifier) is the code_challenge sent to the provider',
    );

    const userDir = join(h.root, USER);
    assert.deepEqual(await userFiles(), ['scitokens.meta', 'scitokens.top', 'scitokens.use']);
    for (const f of ['scitokens.use', 'scitokens.meta', 'scitokens.top'])
      assert.equal(await mode(join(userDir, f)), 0o400, f);

    const use = await readFile(join(userDir, 'scitokens.use'), 'utf8');
    assert.equal(use.split('\n').filter((l) => l !== '').length, 1, '.use is one line');
    assert.ok(use.startsWith('{'));
    const useJson = JSON.parse(use) as Record<string, unknown>;
    assert.equal(useJson['access_token'], 'at-SECRET-one');
    assert.equal('refresh_token' in useJson, false);
    assert.equal(useJson['expires_in'], 3600);
    assert.equal(useJson['expires_at'], NOW_S + 3600);

    assert.deepEqual(JSON.parse(await readFile(join(userDir, 'scitokens.meta'), 'utf8')), {
      client_id: 'client-scitokens',
      client_secret: CLIENT_SECRET,
      token_url: h.endpoint.url,
      use_refresh_token: true,
    });
    const top = await readFile(join(userDir, 'scitokens.top'), 'utf8');
    assert.deepEqual(JSON.parse(top), {
      refresh_token: 'rt-SECRET-one',
      scopes: 'read:/public, write:/public',
      audience: 'https://storage.example/data',
    });
    assert.ok(top.includes('"scopes": "read:/public, write:/public"'), 'scopes kept byte for byte (bug B1)');

    assert.equal(await exists(join(h.root, key)), false, 'the key file is removed once every credential is done');

    const done = await get(`/key/${key}`, cookie);
    assert.equal(done.statusCode, 200);
    const page = text(done.body);
    assert.match(page, /All done/);
    assert.match(page, /condor_submit/);
    assert.match(page, /again/);
  });

  it('keeps Scopes and Audience with spaces exactly as the key file has them (bug B1)', async () => {
    const key = newKey();
    await writeKeyFile(key, [
      ad(h.endpoint.url, 'scitokens', '', {
        Scopes: 'read:/public write:/public',
        Audience: 'https://a.example https://b.example',
      }),
    ]);
    respond(() => json(200, tokenResponse('b1')));
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    assert.equal(url.searchParams.get('scope'), 'read:/public write:/public');
    assert.equal((await callback(cookie, 'scitokens', state(url), 'code-SECRET-b1')).statusCode, 303);
    const top = JSON.parse(await readFile(join(h.root, USER, 'scitokens.top'), 'utf8')) as Record<string, unknown>;
    assert.equal(top['scopes'], 'read:/public write:/public');
    assert.equal(top['audience'], 'https://a.example https://b.example');
  });

  it('records use_refresh_token false and an empty refresh token when the provider sends none', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '', { Scopes: '', Audience: '' })]);
    respond(() => json(200, { access_token: 'at-SECRET-norefresh', token_type: 'Bearer', expires_in: 600 }));
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    assert.equal((await callback(cookie, 'scitokens', state(url), 'code-SECRET-nr')).statusCode, 303);
    const meta = JSON.parse(await readFile(join(h.root, USER, 'scitokens.meta'), 'utf8')) as Record<string, unknown>;
    assert.equal(meta['use_refresh_token'], false);
    assert.deepEqual(JSON.parse(await readFile(join(h.root, USER, 'scitokens.top'), 'utf8')), { refresh_token: '' });
  });

  it('completes two providers (one with a handle) in sequence and removes the key file only after the second', async () => {
    const key = newKey();
    await writeKeyFile(key, [
      ad(h.endpoint.url, 'scitokens', ''),
      ad(h.endpoint.url, 'mytokens', 'read', { Scopes: 'read:/public write:/public' }),
    ]);
    respond((r) => json(200, tokenResponse(r.form.get('client_id') ?? 'x')));
    const { cookie, response: first } = await openKey(key);
    assert.match(first.body, new RegExp(`href="/login/${key}/scitokens"`));
    assert.match(first.body, new RegExp(`href="/login/${key}/mytokens_read"`));

    const a = await startLogin(cookie, key, 'scitokens');
    assert.equal((await callback(cookie, 'scitokens', state(a), 'code-SECRET-a')).statusCode, 303);
    assert.deepEqual(await userFiles(), ['scitokens.meta', 'scitokens.top', 'scitokens.use']);
    assert.equal(await exists(join(h.root, key)), true, 'the key file stays while mytokens/read is missing');
    const halfway = await get(`/key/${key}`, cookie);
    assert.equal(halfway.statusCode, 200);
    assert.doesNotMatch(text(halfway.body), /All done/);
    assert.match(text(halfway.body), /1 of 2 done/);

    const b = await startLogin(cookie, key, 'mytokens_read');
    assert.equal(b.searchParams.get('client_id'), 'client-mytokens');
    assert.equal(b.searchParams.get('redirect_uri'), 'https://localhost:8443/return/mytokens');
    assert.equal(b.searchParams.get('scope'), 'read:/public write:/public');
    assert.equal((await callback(cookie, 'mytokens', state(b), 'code-SECRET-b')).statusCode, 303);
    assert.deepEqual(await userFiles(), [
      'mytokens_read.meta',
      'mytokens_read.top',
      'mytokens_read.use',
      'scitokens.meta',
      'scitokens.top',
      'scitokens.use',
    ]);
    assert.equal(await exists(join(h.root, key)), false);

    const use = JSON.parse(await readFile(join(h.root, USER, 'mytokens_read.use'), 'utf8')) as Record<string, unknown>;
    assert.equal(use['access_token'], 'at-SECRET-client-mytokens');
    const top = JSON.parse(await readFile(join(h.root, USER, 'mytokens_read.top'), 'utf8')) as Record<string, unknown>;
    assert.equal(top['refresh_token'], 'rt-SECRET-client-mytokens');
    assert.equal(top['scopes'], 'read:/public write:/public');
    assert.equal(h.endpoint.requests[1]?.form.get('client_id'), 'client-mytokens');
    assert.equal(h.endpoint.requests[1]?.form.get('redirect_uri'), 'https://localhost:8443/return/mytokens');

    const done = await get(`/key/${key}`, cookie);
    assert.equal(done.statusCode, 200);
    assert.match(text(done.body), /All done/);
  });
});

describe('served under a path (CREDMON_WEB_PREFIX = https://ap.example.org/credmon)', () => {
  it('links, redirects, the cookie and error pages carry the path; the routes stay where the web server sends them', async () => {
    const { logger } = createMemoryLogger('web');
    const app = await buildApp({ issuer: 'https://ap', keys: KEYS, logger, directory: h.dir, basePath: '/credmon' });
    try {
      const key = newKey();
      await writeKeyFile(key, [ad(h.endpoint.url, 'box', '')]);
      const page = await app.inject({ method: 'GET', url: `/key/${key}` });
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, new RegExp(`href="/credmon/login/${key}/box"`));
      const setCookie = String(page.headers['set-cookie']);
      assert.match(setCookie, /; Path=\/credmon\/;/);
      const cookie = setCookie.split(';')[0] ?? '';
      const login = await app.inject({ method: 'GET', url: `/login/${key}/box`, headers: { cookie } });
      assert.equal(login.statusCode, 303, login.body);
      const url = new URL(String(login.headers['location']));
      const unknown = await app.inject({ method: 'GET', url: `/login/${key}/other`, headers: { cookie } });
      assert.match(unknown.body, new RegExp(`href="/credmon/key/${key}"`), 'the way back carries the path');
      const code = 'code-SECRET-prefix';
      h.codes.add(code);
      const query = new URLSearchParams({ code, state: state(url) }).toString();
      const back = await app.inject({ method: 'GET', url: `/return/box?${query}`, headers: { cookie } });
      assert.equal(back.statusCode, 303, back.body);
      assert.equal(back.headers['location'], `/credmon/key/${key}`);
    } finally {
      await app.close();
    }
  });
});

describe('GET /return/<provider>: responses that must not be accepted', () => {
  async function assertRefused(response: LightMyRequestResponse, key: string): Promise<void> {
    assert.equal(response.statusCode, 400, text(response.body));
    assert.match(text(response.body), /login response cannot be accepted/);
    assert.equal(h.endpoint.requests.length, 0, 'the code is never sent to the token endpoint');
    await assertNoCredentialFiles();
    assert.equal(await exists(join(h.root, key)), true, 'the key file is kept');
  }

  async function started(): Promise<{ key: string; cookie: string; url: URL }> {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', ''), ad(h.endpoint.url, 'mytokens', 'read')]);
    const { cookie } = await openKey(key);
    return { key, cookie, url: await startLogin(cookie, key, 'scitokens') };
  }

  it('refuses a forged state', async () => {
    const { key, cookie } = await started();
    await assertRefused(
      await callback(cookie, 'scitokens', randomBytes(32).toString('base64url'), 'code-SECRET-forged'),
      key,
    );
  });

  it('refuses a missing state', async () => {
    const { key, cookie } = await started();
    h.codes.add('code-SECRET-nostate');
    await assertRefused(await get('/return/scitokens?code=code-SECRET-nostate', cookie), key);
  });

  it('refuses a replayed state (second use of a consumed state)', async () => {
    const { key, cookie, url } = await started();
    respond(() => json(200, tokenResponse('replay')));
    assert.equal((await callback(cookie, 'scitokens', state(url), 'code-SECRET-first')).statusCode, 303);
    const filesAfterFirst = await userFiles();
    const useBefore = await readFile(join(h.root, USER, 'scitokens.use'), 'utf8');
    const replay = await callback(cookie, 'scitokens', state(url), 'code-SECRET-second');
    assert.equal(replay.statusCode, 400);
    assert.match(text(replay.body), /login response cannot be accepted/);
    assert.equal(h.endpoint.requests.length, 1, 'the replayed code is not exchanged');
    assert.deepEqual(await userFiles(), filesAfterFirst);
    assert.equal(await readFile(join(h.root, USER, 'scitokens.use'), 'utf8'), useBefore);
    assert.equal(await exists(join(h.root, key)), true, 'mytokens/read is still missing, so the key file is kept');
  });

  it('refuses a state that was started by another browser session', async () => {
    const { key, url } = await started();
    const { cookie: other } = await openKey(key);
    await assertRefused(await callback(other, 'scitokens', state(url), 'code-SECRET-other'), key);
  });

  it('refuses a state when the browser sends no session cookie', async () => {
    const { key, url } = await started();
    await assertRefused(await callback(undefined, 'scitokens', state(url), 'code-SECRET-nocookie'), key);
  });

  it("refuses a state that comes back on another provider's return URL", async () => {
    const { key, cookie, url } = await started();
    await assertRefused(await callback(cookie, 'mytokens', state(url), 'code-SECRET-wrongprov'), key);
  });

  it('refuses a callback without a code', async () => {
    const { key, cookie, url } = await started();
    const response = await get(`/return/scitokens?state=${encodeURIComponent(state(url))}`, cookie);
    assert.equal(response.statusCode, 400);
    assert.equal(h.endpoint.requests.length, 0);
    await assertNoCredentialFiles();
    assert.equal(await exists(join(h.root, key)), true);
  });

  it('shows a provider error (access_denied) as a 403 page in plain words with a link back, and writes nothing', async () => {
    const { key, cookie, url } = await started();
    const query = new URLSearchParams({
      error: 'access_denied',
      error_description: 'The user <b>denied</b> the request',
      state: state(url),
    });
    const response = await get(`/return/scitokens?${query.toString()}`, cookie);
    assert.equal(response.statusCode, 403);
    const page = text(response.body);
    assert.match(page, /declined/);
    assert.match(page, /no token was stored/);
    assert.match(page, /The user <b>denied<\/b> the request/, 'the description is shown as text');
    assert.ok(!response.body.includes('<b>denied</b>'), 'the description is escaped');
    assert.match(response.body, new RegExp(`href="/key/${key}"`));
    assert.equal(h.endpoint.requests.length, 0);
    await assertNoCredentialFiles();
    assert.equal(await exists(join(h.root, key)), true);
  });
});
