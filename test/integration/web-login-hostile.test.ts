/**
 * The browser login flow of the web app on a bad day: key files that cannot be read, a user directory that is a
 * symlink, a flood of one link, and the headers every answer carries.
 * The harness (a real directory, app and token endpoint per test) is in web-login-harness.ts.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { json } from './fake-token-endpoint.js';
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
  get,
  openKey,
  startLogin,
  callback,
  state,
  assertNoCredentialFiles,
  assertKeyNowhere,
  useHarness,
} from './web-login-harness.js';

useHarness();

describe('key files that cannot be read (issue 7, item 8): a clear page, and no key in any log line', () => {
  const permanent: Array<[string, (key: string) => Promise<void>, RegExp]> = [
    ['a FIFO', (key) => Promise.resolve(void execFileSync('mkfifo', [join(h.root, key)])), /FIFO/],
    [
      'a symlink',
      (key) =>
        writeFile(join(h.root, 'elsewhere'), 'x').then(() => symlink(join(h.root, 'elsewhere'), join(h.root, key))),
      /symbolic link/,
    ],
    ['a directory', (key) => mkdir(join(h.root, key)), /directory/],
    ['larger than 1 MiB', (key) => writeFile(join(h.root, key), 'x'.repeat(1024 * 1024 + 1)), /larger than/],
    [
      'unreadable (EACCES)',
      (key) => writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]).then(() => void (h.dir.fault = 'EACCES')),
      /cannot be read/,
    ],
  ];
  for (const [label, plant, reason] of permanent) {
    it(`answers a key file that is ${label} with a 422 page that says why`, async () => {
      const key = newKey();
      await plant(key);
      const response = await get(`/key/${key}`);
      assert.equal(response.statusCode, 422, text(response.body));
      const page = text(response.body);
      assert.match(page, new RegExp(`key file ${key.slice(0, 8)}…`));
      assert.match(page, reason);
      assert.equal(response.headers['set-cookie'], undefined);
      assertKeyNowhere(key, response.body);
    });
  }

  for (const code of ['EIO', 'EMFILE']) {
    it(`answers a passing failure (${code}) on a good key file with a 503 "try again" page, before and during a login`, async () => {
      const key = newKey();
      await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
      const { cookie } = await openKey(key);
      const url = await startLogin(cookie, key, 'scitokens');
      h.dir.fault = code;
      const pages = [
        await get(`/key/${key}`),
        await get(`/login/${key}/scitokens`, cookie),
        await callback(cookie, 'scitokens', state(url), 'code-SECRET-eio'),
      ];
      for (const response of pages) {
        assert.equal(response.statusCode, 503, text(response.body));
        assert.match(text(response.body), /cannot be read right now/);
        assert.match(text(response.body), /Try the link again in a moment/);
        assertKeyNowhere(key, response.body);
      }
      assert.ok(
        h.lines.some((l) => l.includes(code)),
        'the log says what happened',
      );
      assert.equal(h.endpoint.requests.length, 0, 'the code is not exchanged');
      await assertNoCredentialFiles();
      h.dir.fault = undefined;
      assert.equal((await get(`/key/${key}`, cookie)).statusCode, 200, 'the same link works once the fault passes');
    });
  }

  it('never logs a key given in upper case, percent-encoded or in a bad URL', async () => {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const encoded = [...key].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    const bodies = [
      (await get(`/key/${key.toUpperCase()}`)).body,
      (await get(`/key/${encoded}`)).body,
      (await get(`/login/${key}/%E0%A4%A`)).body,
      (await get(`/nowhere/${key}`)).body,
      (await h.app.inject({ method: 'POST', url: `/key/${key}`, payload: 'x' })).body,
    ];
    for (const body of bodies) assertKeyNowhere(key, body);
  });
});

describe('a user directory that is a symlink (issue 7, item 3)', () => {
  it('completes no login through it: nothing written where it points, a clear page, nothing secret shown', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'credmon-web-outside-'));
    try {
      await symlink(outside, join(h.root, USER));
      const key = newKey();
      await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
      respond(() => json(200, tokenResponse('symlinked')));
      const { cookie } = await openKey(key);
      const url = await startLogin(cookie, key, 'scitokens');
      const response = await callback(cookie, 'scitokens', state(url), 'code-SECRET-symlinked');
      assert.equal(response.statusCode, 503, text(response.body));
      const page = text(response.body);
      assert.match(page, /user directory of alice is a symbolic link/);
      assert.match(page, /refusing to write there/);
      for (const secret of [
        CLIENT_SECRET,
        'at-SECRET-symlinked',
        'rt-SECRET-symlinked',
        'code-SECRET-symlinked',
        outside,
        h.root,
      ]) {
        assert.ok(!response.body.includes(secret), `the page shows ${secret}`);
      }
      assert.deepEqual(await readdir(outside), [], 'nothing is written where the link points');
      assert.equal(
        await exists(join(h.root, key)),
        true,
        'the key file is kept for a retry once an admin fixed the directory',
      );
      assert.ok(
        h.lines.some((l) => /ERROR/.test(l) && /symbolic link/.test(l)),
        'the admin finds it in the log',
      );
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('a flood of one login link (issue 7, item 4)', () => {
  it("opening one link 10,001 times does not remove another user's pending login", async () => {
    const bobKey = newKey();
    await writeKeyFile(bobKey, [ad(h.endpoint.url, 'scitokens', '', { LocalUser: 'bob' })]);
    const { cookie } = await openKey(bobKey);
    const url = await startLogin(cookie, bobKey, 'scitokens');

    const floodKey = newKey();
    await writeKeyFile(floodKey, [ad(h.endpoint.url, 'scitokens', '', { LocalUser: 'mallory' })]);
    const flood = 10_001;
    for (let sent = 0; sent < flood; sent += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, flood - sent) }, () => get(`/key/${floodKey}`)),
      );
      for (const r of batch) assert.equal(r.statusCode, 200);
    }

    respond(() => json(200, tokenResponse('bob')));
    const response = await callback(cookie, 'scitokens', state(url), 'code-SECRET-bob');
    assert.equal(response.statusCode, 303, text(response.body));
    assert.deepEqual((await readdir(join(h.root, 'bob'))).sort(), ['scitokens.meta', 'scitokens.top', 'scitokens.use']);
  });
});

describe('browser-facing headers (issue 7, item 9)', () => {
  async function pages(): Promise<Record<string, LightMyRequestResponse>> {
    const key = newKey();
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]);
    const { response: keyPage, cookie } = await openKey(key);
    return {
      'the key page': keyPage,
      'the front page': await get('/', cookie),
      'the login redirect': await h.app.inject({ method: 'GET', url: `/login/${key}/scitokens`, headers: { cookie } }),
      'an error page': await get(`/key/${newKey()}`),
      'a refused callback': await get('/return/scitokens?state=forged&code=code-SECRET-h', cookie),
      'an unknown path': await get('/nowhere'),
      'the JWKS': await get('/.well-known/jwks-uri'),
    };
  }

  it('sends Referrer-Policy no-referrer, a CSP with frame-ancestors none, X-Frame-Options DENY and nosniff everywhere', async () => {
    for (const [label, r] of Object.entries(await pages())) {
      assert.equal(r.headers['referrer-policy'], 'no-referrer', label);
      assert.equal(r.headers['x-frame-options'], 'DENY', label);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', label);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, label);
      assert.match(csp, /(^|; )default-src 'none'(;|$)/, label);
      assert.match(csp, /(^|; )base-uri 'none'(;|$)/, label);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, label);
    }
  });

  it("allows the pages' own inline style by its hash, and nothing else", async () => {
    const r = (await pages())['the key page'];
    const style = /<style>([\s\S]*?)<\/style>/.exec(r?.body ?? '')?.[1] ?? '';
    assert.ok(style.length > 0);
    const hash = createHash('sha256').update(style).digest('base64');
    assert.match(
      String(r?.headers['content-security-policy']),
      new RegExp(`style-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`),
    );
    assert.doesNotMatch(r?.body ?? '', /<script|style="/, 'no script and no style attribute to allow');
  });

  it('sends Cache-Control no-store on every page that carries a key, a state or a session, and lets the JWKS be cached', async () => {
    for (const [label, r] of Object.entries(await pages())) {
      if (label === 'the JWKS') assert.equal(r.headers['cache-control'], 'public, max-age=60');
      else assert.equal(r.headers['cache-control'], 'no-store', label);
    }
  });

  it('sends HSTS only over HTTPS: one year for a real host name, five minutes for localhost', async () => {
    const over = async (host: string, proto?: string): Promise<unknown> =>
      (
        await h.app.inject({
          method: 'GET',
          url: '/',
          headers: { host, ...(proto ? { 'x-forwarded-proto': proto } : {}) },
        })
      ).headers['strict-transport-security'];
    assert.equal(await over('sandbox.example.org:8443', 'https'), 'max-age=31536000');
    assert.equal(await over('localhost:8443', 'https'), 'max-age=300');
    assert.equal(await over('127.0.0.1:8443', 'https'), 'max-age=300');
    assert.equal(await over('sandbox.example.org:8080'), undefined, 'not over plain HTTP');
  });
});
