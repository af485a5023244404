/**
 * The browser login flow of the web app: token endpoint failures, a second login for the same credentials, and
 * what the log may hold.
 * The harness (a real directory, app and token endpoint per test) is in web-login-harness.ts.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json, refusedUrl, startTokenEndpoint } from './fake-token-endpoint.js';
import {
  CLIENT_SECRET,
  USER,
  ad,
  newKey,
  text,
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

describe('GET /return/<provider>: token endpoint failures', () => {
  it('shows a refused exchange (400 invalid_grant) as a provider refusal, and writes nothing', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    respond(() => json(400, { error: 'invalid_grant', error_description: 'code expired' }));
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    const response = await callback(cookie, 'scitokens', state(url), 'code-SECRET-expired');
    assert.equal(response.statusCode, 502);
    const page = text(response.body);
    assert.match(page, /refused/);
    assert.match(page, /invalid_grant/);
    assert.ok(!response.body.includes(CLIENT_SECRET));
    assert.ok(!response.body.includes('code-SECRET-expired'));
    assert.match(response.body, new RegExp(`href="/key/${key}"`));
    assert.equal(h.endpoint.requests.length, 1);
    await assertNoCredentialFiles();
    assert.equal(await exists(join(h.root, key)), true);
  });

  it('shows an unreachable token endpoint as such, and writes nothing', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(await refusedUrl(), 'scitokens', '')]);
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    const response = await callback(cookie, 'scitokens', state(url), 'code-SECRET-down');
    assert.equal(response.statusCode, 502);
    assert.match(text(response.body), /unreachable|could not be reached/i);
    assert.ok(!response.body.includes('code-SECRET-down'));
    await assertNoCredentialFiles();
    assert.equal(await exists(join(h.root, key)), true);
  });

  it('shows a token endpoint that went away after the login started as unreachable, and writes nothing', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    await h.endpoint.close();
    h.endpoint = await startTokenEndpoint(() => json(500, {}));
    const response = await callback(cookie, 'scitokens', state(url), 'code-SECRET-closed');
    assert.equal(response.statusCode, 502);
    assert.match(text(response.body), /unreachable|could not be reached/i);
    await assertNoCredentialFiles();
    assert.equal(await exists(join(h.root, key)), true);
  });

  it('shows a 5xx from the token endpoint as a provider problem, and writes nothing', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    respond(() => json(503, { error: 'temporarily_unavailable' }));
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    const response = await callback(cookie, 'scitokens', state(url), 'code-SECRET-503');
    assert.equal(response.statusCode, 502);
    await assertNoCredentialFiles();
    assert.equal(await exists(join(h.root, key)), true);
  });
});

describe('resubmission: a second login for the same credentials', () => {
  it('overwrites .use/.top/.meta atomically, with no temp files left behind', async () => {
    const key = newKey();
    const ads = [ad(h.endpoint.url, 'scitokens', '')];
    await writeKeyFile(key, ads);
    respond((_r, i) => json(200, tokenResponse(`round${i}`)));
    const first = await openKey(key);
    const a = await startLogin(first.cookie, key, 'scitokens');
    assert.equal((await callback(first.cookie, 'scitokens', state(a), 'code-SECRET-r0')).statusCode, 303);
    assert.equal(await exists(join(h.root, key)), false);

    // condor_submit again: the credd writes the key file again; the user opens it in a new browser session.
    await writeKeyFile(key, ads);
    const response = await get(`/key/${key}`);
    assert.equal(response.statusCode, 200);
    const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
    assert.notEqual(cookie, first.cookie);
    const b = await startLogin(cookie, key, 'scitokens');
    assert.equal((await callback(cookie, 'scitokens', state(b), 'code-SECRET-r1')).statusCode, 303);

    const userDir = join(h.root, USER);
    const all = await readdir(userDir);
    assert.deepEqual(
      all.filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left behind',
    );
    assert.deepEqual(all.sort(), ['scitokens.meta', 'scitokens.top', 'scitokens.use']);
    const rootEntries = await readdir(h.root);
    assert.deepEqual(
      rootEntries.filter((f) => f.endsWith('.tmp')),
      [],
    );
    const use = JSON.parse(await readFile(join(userDir, 'scitokens.use'), 'utf8')) as Record<string, unknown>;
    assert.equal(use['access_token'], 'at-SECRET-round1');
    const top = JSON.parse(await readFile(join(userDir, 'scitokens.top'), 'utf8')) as Record<string, unknown>;
    assert.equal(top['refresh_token'], 'rt-SECRET-round1');
    assert.equal(top['scopes'], 'read:/public, write:/public');
    for (const f of all) assert.equal(await mode(join(userDir, f)), 0o400, f);
    assert.equal(await exists(join(h.root, key)), false);
  });

  it('writes into an existing user directory created by the credd (0700)', async () => {
    await mkdir(join(h.root, USER), { mode: 0o700 });
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    assert.equal((await callback(cookie, 'scitokens', state(url), 'code-SECRET-dir')).statusCode, 303);
    assert.deepEqual(await userFiles(), ['scitokens.meta', 'scitokens.top', 'scitokens.use']);
  });
});

describe('log hygiene', () => {
  it('logs neither the tokens, the client secret nor the authorization code of a completed login', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    respond(() => json(200, tokenResponse('logged')));
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    assert.equal((await callback(cookie, 'scitokens', state(url), 'code-SECRET-logcheck')).statusCode, 303);
    assert.ok(
      h.lines.some((l) => l.includes('Stored tokens from a completed login')),
      'the login is logged',
    );
    const log = h.lines.join('');
    for (const secret of ['at-SECRET-logged', 'rt-SECRET-logged', CLIENT_SECRET, ...h.codes]) {
      assert.ok(
        !log.includes(secret),
        `the log contains ${JSON.stringify(secret)}:\n${h.lines.filter((l) => l.includes(secret)).join('')}`,
      );
    }
  });

  it('does not log the authorization code of a refused or failed callback either', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    respond(() => json(400, { error: 'invalid_grant' }));
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    await callback(cookie, 'scitokens', 'forged-state', 'code-SECRET-forgedlog');
    await callback(cookie, 'scitokens', state(url), 'code-SECRET-failedlog');
    const log = h.lines.join('');
    for (const code of h.codes) assert.ok(!log.includes(code), `the log contains the authorization code ${code}`);
  });
});
