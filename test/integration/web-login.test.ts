/**
 * The browser login flow of the web app: condor_submit's link (/key/<key>) and the redirect to the provider
 * (/login/<key>/<name>).
 * The harness (a real directory, app and token endpoint per test) is in web-login-harness.ts.
 */
import assert from 'node:assert/strict';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  AUTHORIZE,
  CLIENT_SECRET,
  ad,
  formatKeyFile,
  newKey,
  text,
  h,
  writeKeyFile,
  get,
  openKey,
  startLogin,
  useHarness,
} from './web-login-harness.js';

useHarness();

describe('GET /key/<key>: the page condor_submit links to', () => {
  it('shows what the job asks for and starts an HttpOnly, Secure, SameSite=Lax session', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'mytokens', 'read')]);
    const { response } = await openKey(key);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    const setCookie = String(response.headers['set-cookie']);
    assert.match(setCookie, /^credmon_session=[A-Za-z0-9_-]{20,};/);
    assert.match(setCookie, /;\s*HttpOnly(;|$)/i);
    assert.match(setCookie, /;\s*Secure(;|$)/i);
    assert.match(setCookie, /;\s*SameSite=Lax(;|$)/i);
    const page = text(response.body);
    assert.match(page, /mytokens/);
    assert.match(page, /handle read/);
    assert.match(page, /read:\/public, write:\/public/);
    assert.match(page, /https:\/\/storage\.example\/data/);
    assert.match(page, /alice/);
    assert.match(response.body, new RegExp(`href="/login/${key}/mytokens_read"`));
    assert.ok(!response.body.includes(CLIENT_SECRET), 'the page never shows the client secret');
  });

  it('answers an unknown key with a 404 page in plain words', async () => {
    const response = await get(`/key/${newKey()}`);
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    const page = text(response.body);
    assert.match(page, /unknown/i);
    assert.match(page, /Run condor_submit again/);
    assert.equal(response.headers['set-cookie'], undefined);
  });

  for (const [label, key] of [
    ['a non-hex key', 'z'.repeat(64)],
    ['a 63-character key', 'a'.repeat(63)],
    ['a 65-character key', 'a'.repeat(65)],
    ['an upper-case hex key', 'A'.repeat(64)],
  ] as const) {
    it(`answers ${label} with 404`, async () => {
      const response = await get(`/key/${key}`);
      assert.equal(response.statusCode, 404);
      assert.equal(response.headers['set-cookie'], undefined);
    });
  }

  it('answers a key that is 64 hex characters followed by more with 404 (no prefix match, unlike upstream)', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const response = await get(`/key/${key}..%2F..%2Fetc%2Fpasswd`);
    assert.equal(response.statusCode, 404);
  });

  for (const path of [
    '/key/..%2F..%2Fetc%2Fpasswd',
    '/key/..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/key/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/key/..%5C..%5Cetc%5Cpasswd',
    '/key/../../etc/passwd',
    '/key/%2Fetc%2Fpasswd',
  ]) {
    it(`refuses the path traversal ${path} with 404 and no file content`, async () => {
      const response = await get(path);
      assert.equal(response.statusCode, 404, response.body);
      assert.ok(!response.body.includes('root:'), 'no /etc/passwd content');
    });
  }

  it('does not follow a key file that is a symlink (no content of the target, no 200)', async () => {
    const key = newKey();
    const target = join(h.root, 'outside.txt');
    await writeFile(target, 'TOP-SECRET-OUTSIDE-CONTENT\n');
    await symlink(target, join(h.root, key));
    const response = await get(`/key/${key}`);
    assert.notEqual(response.statusCode, 200);
    assert.ok(!response.body.includes('TOP-SECRET-OUTSIDE-CONTENT'));
    assert.ok(!response.body.includes(h.root), 'no server path in the page');
  });

  it('answers a malformed key file with a 422 page, not a stack trace or a server path', async () => {
    const key = newKey();
    await writeFile(join(h.root, key), 'this is not a ClassAd\nProvider = scitokens\n');
    const response = await get(`/key/${key}`);
    assert.equal(response.statusCode, 422);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    const page = text(response.body);
    assert.ok(!/\bat \S+ \(|\bat \/|\bat file:|\bat node:/.test(response.body), `no stack lines: ${page}`);
    assert.ok(!response.body.includes(h.root), 'the credential directory path is not shown');
    assert.ok(!response.body.includes(key), 'only a prefix of the key is shown');
    assert.ok(!response.body.includes(key.slice(0, 9)), 'only the first 8 characters of the key are shown');
    assert.equal(response.headers['set-cookie'], undefined);
  });

  it('answers a key file with a missing attribute with a 422 page', async () => {
    const key = newKey();
    const broken = ad(h.endpoint.url, 'scitokens', '');
    delete broken['TokenUrl'];
    await writeKeyFile(key, [broken]);
    const response = await get(`/key/${key}`);
    assert.equal(response.statusCode, 422);
    assert.match(text(response.body), /TokenUrl/);
  });

  it('never shows (or logs) the client secret of a malformed key file line', async () => {
    const key = newKey();
    const secret = 'cs-SECRET-unquoted-77';
    h.secrets.add(secret);
    // The ClientSecret value lacks its quotes: the line is malformed, and it is the first line.
    const content = formatKeyFile([ad(h.endpoint.url, 'scitokens', '')]).replace(
      `ClientSecret = "${CLIENT_SECRET}"`,
      `ClientSecret = ${secret}`,
    );
    await writeFile(join(h.root, key), content);
    const response = await get(`/key/${key}`);
    assert.equal(response.statusCode, 422);
    assert.ok(!response.body.includes(secret), `the error page shows the client secret: ${text(response.body)}`);
  });
});

describe('GET /login/<key>/<name>: sending the browser to the provider', () => {
  it('refuses a browser without the session cookie', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const response = await get(`/login/${key}/scitokens`);
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['location'], undefined);
    assert.match(text(response.body), /Start from the link condor_submit printed/);
  });

  it('refuses a session cookie that belongs to another key', async () => {
    const key = newKey();
    const other = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    await writeKeyFile(other, [ad(h.endpoint.url, 'scitokens', '')]);
    const { cookie } = await openKey(other);
    const response = await get(`/login/${key}/scitokens`, cookie);
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers['location'], undefined);
  });

  it('refuses a credential the key file does not ask for', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const { cookie } = await openKey(key);
    const response = await get(`/login/${key}/..%2F..%2Fetc`, cookie);
    assert.equal(response.statusCode, 404);
    assert.equal(response.headers['location'], undefined);
  });

  it('redirects (303) to the provider with an authorization-code request, PKCE S256, and no client secret', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const { cookie } = await openKey(key);
    const response = await get(`/login/${key}/scitokens`, cookie);
    assert.equal(response.statusCode, 303);
    const location = String(response.headers['location']);
    assert.ok(
      !location.includes(CLIENT_SECRET) && !location.includes(encodeURIComponent(CLIENT_SECRET)),
      'no client secret in the Location',
    );
    const url = new URL(location);
    assert.equal(`${url.origin}${url.pathname}`, AUTHORIZE);
    const p = url.searchParams;
    assert.equal(p.get('response_type'), 'code');
    assert.equal(p.get('client_id'), 'client-scitokens');
    assert.equal(p.get('redirect_uri'), 'https://localhost:8443/return/scitokens');
    assert.equal(p.get('scope'), 'read:/public write:/public');
    assert.equal(p.get('resource'), 'https://storage.example/data');
    assert.match(p.get('state') ?? '', /^[A-Za-z0-9_-]{20,}$/);
    assert.match(p.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(p.get('code_challenge_method'), 'S256');
    assert.equal(p.has('client_secret'), false);
    assert.equal(p.has('code_verifier'), false);
  });

  it('gives every login a fresh state and challenge', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const { cookie } = await openKey(key);
    const a = await startLogin(cookie, key, 'scitokens');
    const b = await startLogin(cookie, key, 'scitokens');
    assert.notEqual(a.searchParams.get('state'), b.searchParams.get('state'));
    assert.notEqual(a.searchParams.get('code_challenge'), b.searchParams.get('code_challenge'));
  });

  it('omits scope and resource when the key file has none', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '', { Scopes: '', Audience: '' })]);
    const { cookie } = await openKey(key);
    const url = await startLogin(cookie, key, 'scitokens');
    assert.equal(url.searchParams.has('scope'), false);
    assert.equal(url.searchParams.has('resource'), false);
  });
});
