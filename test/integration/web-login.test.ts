/**
 * The browser login flow of the web app, end to end: condor_submit's link (/key/<key>), the redirect to the provider
 * (/login/<key>/<name>), and the provider's redirect back (/return/<provider>), against a real HTTP token endpoint and
 * a real credential directory on disk. Only what a user (or HTCondor) can see is asserted: status codes, page text,
 * Location parameters, files and their modes, and log lines.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { buildApp, type IssuerKeySource } from '../../src/web/index.js';
import { json, refusedUrl, startTokenEndpoint, type FakeTokenEndpoint, type Responder } from './fake-token-endpoint.js';

const NOW_MS = 1_760_000_000_000;
const NOW_S = NOW_MS / 1000;
const AUTHORIZE = 'https://provider.example/authorize';
const CLIENT_SECRET = 'cs-SECRET-0f1e2d3c';
const USER = 'alice';
const KEYS: IssuerKeySource = { jwks: () => Promise.resolve({ keys: [] }) };

type Ad = Record<string, string>;

/** One CHECK_CREDS request ad with all ten attributes (HTCondor 23.9 always writes all ten). */
function ad(tokenUrl: string, provider: string, handle: string, extra: Partial<Ad> = {}): Ad {
  return {
    Audience: 'https://storage.example/data',
    AuthorizationUrl: AUTHORIZE,
    ClientId: `client-${provider}`,
    ClientSecret: CLIENT_SECRET,
    Handle: handle,
    LocalUser: USER,
    Provider: provider,
    ReturnUrl: `https://localhost:8443/return/${provider}`,
    Scopes: 'read:/public, write:/public',
    TokenUrl: tokenUrl,
    ...extra,
  };
}

/** The credd's `sPrintAdWithSecrets` format: sorted `Name = "value"` lines (only `"` escaped), ads separated by one blank line. */
function formatKeyFile(ads: readonly Ad[]): string {
  return ads
    .map((a) =>
      Object.keys(a)
        .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
        .map((name) => `${name} = "${(a[name] ?? '').replace(/"/g, '\\"')}"\n`)
        .join(''),
    )
    .join('\n');
}

function newKey(): string {
  return randomBytes(32).toString('hex');
}

/** The visible text of a page: tags removed, numeric entities decoded, whitespace collapsed. */
function text(body: string): string {
  return body
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))
    .replace(/\s+/g, ' ')
    .trim();
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function tokenResponse(tag: string): Record<string, unknown> {
  return { access_token: `at-SECRET-${tag}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-SECRET-${tag}`, scope: 'read:/public write:/public' };
}

interface Harness {
  readonly root: string;
  readonly dir: FaultyDirectory;
  endpoint: FakeTokenEndpoint;
  readonly lines: string[];
  readonly app: FastifyInstance;
  /** Every secret that reached the app (tokens handed out, client secrets); none may be logged. */
  readonly secrets: Set<string>;
  /** Authorization codes sent back to /return (checked by a dedicated test, so one leak does not fail every test). */
  readonly codes: Set<string>;
}

let h: Harness;

/**
 * The real credential directory, with one fault that can be switched on for key-file reads: what the kernel answers
 * on a bad day (EIO, EMFILE) or for a file this process may not read (EACCES; the tests may run as root, where
 * chmod 000 does not refuse). The error is built as Node builds it, path included.
 */
class FaultyDirectory extends CredentialDirectory {
  fault: string | undefined;

  override async readKeyFile(name: string): ReturnType<CredentialDirectory['readKeyFile']> {
    if (this.fault !== undefined) {
      const path = join(this.root, name);
      throw Object.assign(new Error(`${this.fault}: simulated failure, open '${path}'`), { code: this.fault, path, syscall: 'open' });
    }
    return super.readKeyFile(name);
  }
}

beforeEach(async () => {
  const root = await mkdtemp(join(tmpdir(), 'credmon-web-'));
  const endpoint = await startTokenEndpoint((_r, i) => json(200, tokenResponse(String(i))));
  const { logger, lines } = createMemoryLogger('web');
  const dir = new FaultyDirectory(root);
  const app = await buildApp({ issuer: 'https://localhost:8443', keys: KEYS, logger, directory: dir, now: () => NOW_MS });
  h = { root, dir, endpoint, lines, app, secrets: new Set([CLIENT_SECRET]), codes: new Set<string>() };
  respond((_r, i) => json(200, tokenResponse(String(i))));
});

afterEach(async () => {
  await h.app.close();
  await h.endpoint.close();
  try {
    const log = h.lines.join('');
    for (const secret of h.secrets)
      assert.ok(!log.includes(secret), `the log contains the secret ${JSON.stringify(secret)}:\n${h.lines.filter((l) => l.includes(secret)).join('')}`);
  } finally {
    await rm(h.root, { recursive: true, force: true });
  }
});

/** Uses a responder that hands out `at-SECRET-<tag>-<n>` tokens and records them as secrets. */
function respond(responder: Responder): void {
  h.endpoint.respondWith((r, i) => {
    const answer = responder(r, i);
    if (typeof answer === 'object' && !(answer instanceof Promise)) {
      try {
        const parsed = JSON.parse(answer.body) as Record<string, unknown>;
        for (const k of ['access_token', 'refresh_token']) if (typeof parsed[k] === 'string') h.secrets.add(parsed[k]);
      } catch {
        // not JSON
      }
    }
    return answer;
  });
}

async function writeKeyFile(key: string, ads: readonly Ad[]): Promise<void> {
  await writeFile(join(h.root, key), formatKeyFile(ads), { mode: 0o640 });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function userFiles(): Promise<string[]> {
  return readdir(join(h.root, USER)).then(
    (names) => names.sort(),
    () => [],
  );
}

async function get(url: string, cookie?: string): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'GET', url, headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
}

/** Opens condor_submit's link; returns the session cookie (`name=value`) the browser would send back. */
async function openKey(key: string): Promise<{ cookie: string; response: LightMyRequestResponse }> {
  const response = await get(`/key/${key}`);
  assert.equal(response.statusCode, 200, response.body);
  const setCookie = response.headers['set-cookie'];
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  assert.ok(header, 'the key page sets a session cookie');
  return { cookie: header.split(';')[0] ?? '', response };
}

/** Clicks "Log in" for `name`; returns the provider URL the browser is sent to. */
async function startLogin(cookie: string, key: string, name: string): Promise<URL> {
  const response = await get(`/login/${key}/${name}`, cookie);
  assert.equal(response.statusCode, 303, response.body);
  const location = response.headers['location'];
  assert.equal(typeof location, 'string');
  return new URL(String(location));
}

/** The provider redirects the browser back with `code` and the state it was given. */
async function callback(cookie: string | undefined, provider: string, state: string, code: string): Promise<LightMyRequestResponse> {
  h.codes.add(code);
  return get(`/return/${provider}?${new URLSearchParams({ code, state }).toString()}`, cookie);
}

function state(url: URL): string {
  const value = url.searchParams.get('state');
  assert.ok(value, 'the authorization URL carries a state');
  return value;
}

async function assertNoCredentialFiles(): Promise<void> {
  const files = await userFiles();
  assert.deepEqual(
    files.filter((f) => /\.(use|top|meta)$/.test(f) || f.endsWith('.tmp')),
    [],
    `no credential file may be written, found ${files.join(', ')}`,
  );
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o7777;
}

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
    const content = formatKeyFile([ad(h.endpoint.url, 'scitokens', '')]).replace(`ClientSecret = "${CLIENT_SECRET}"`, `ClientSecret = ${secret}`);
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
    assert.ok(!location.includes(CLIENT_SECRET) && !location.includes(encodeURIComponent(CLIENT_SECRET)), 'no client secret in the Location');
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
    assert.equal(s256(form['code_verifier'] ?? ''), url.searchParams.get('code_challenge'), 'S256(code_verifier) is the code_challenge sent to the provider');

    const userDir = join(h.root, USER);
    assert.deepEqual(await userFiles(), ['scitokens.meta', 'scitokens.top', 'scitokens.use']);
    for (const f of ['scitokens.use', 'scitokens.meta', 'scitokens.top']) assert.equal(await mode(join(userDir, f)), 0o400, f);

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
    assert.deepEqual(JSON.parse(top), { refresh_token: 'rt-SECRET-one', scopes: 'read:/public, write:/public', audience: 'https://storage.example/data' });
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
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '', { Scopes: 'read:/public write:/public', Audience: 'https://a.example https://b.example' })]);
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
    await writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', ''), ad(h.endpoint.url, 'mytokens', 'read', { Scopes: 'read:/public write:/public' })]);
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
    assert.deepEqual(await userFiles(), ['mytokens_read.meta', 'mytokens_read.top', 'mytokens_read.use', 'scitokens.meta', 'scitokens.top', 'scitokens.use']);
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
    await assertRefused(await callback(cookie, 'scitokens', randomBytes(32).toString('base64url'), 'code-SECRET-forged'), key);
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
    const query = new URLSearchParams({ error: 'access_denied', error_description: 'The user <b>denied</b> the request', state: state(url) });
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
      assert.ok(!log.includes(secret), `the log contains ${JSON.stringify(secret)}:\n${h.lines.filter((l) => l.includes(secret)).join('')}`);
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

/** The forms a secret could take in a log line: as is, upper case, percent-, JSON- and base64-encoded. */
function encodingsOf(secret: string): string[] {
  const forms = [
    secret,
    secret.toUpperCase(),
    encodeURIComponent(secret),
    [...secret].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
  if (/^[0-9a-f]+$/.test(secret) && secret.length % 2 === 0) {
    forms.push(Buffer.from(secret, 'hex').toString('base64'), Buffer.from(secret, 'hex').toString('base64url'));
  }
  return [...new Set(forms)];
}

/**
 * Fails when a key (or its 9-character prefix, in any case) is in any log line, in any encoding, or in the page
 * other than in its own links (/key/<key>, /login/<key>/...: the URL the user's own browser came from).
 */
function assertKeyNowhere(key: string, page: string): void {
  const log = h.lines.join('');
  const body = page.split(`href="/key/${key}"`).join('').split(`href="/login/${key}/`).join('');
  for (const form of encodingsOf(key)) {
    assert.ok(!log.includes(form), `the log holds the key as ${form}:\n${h.lines.filter((l) => l.includes(form)).join('')}`);
    assert.ok(!body.includes(form), `the page holds the key as ${form}`);
  }
  assert.ok(!log.toLowerCase().includes(key.slice(0, 9)), 'the log holds more than 8 characters of the key');
  assert.ok(!body.toLowerCase().includes(key.slice(0, 9)), 'the page holds more than 8 characters of the key');
  assert.ok(!body.includes(h.root), 'the page shows no server path');
}

describe('key files that cannot be read (issue 7, item 8): a clear page, and no key in any log line', () => {
  const permanent: Array<[string, (key: string) => Promise<void>, RegExp]> = [
    ['a FIFO', (key) => Promise.resolve(void execFileSync('mkfifo', [join(h.root, key)])), /FIFO/],
    ['a symlink', (key) => writeFile(join(h.root, 'elsewhere'), 'x').then(() => symlink(join(h.root, 'elsewhere'), join(h.root, key))), /symbolic link/],
    ['a directory', (key) => mkdir(join(h.root, key)), /directory/],
    ['larger than 1 MiB', (key) => writeFile(join(h.root, key), 'x'.repeat(1024 * 1024 + 1)), /larger than/],
    ['unreadable (EACCES)', (key) => writeKeyFile(key, [ad(h.endpoint.url, 'scitokens', '')]).then(() => void (h.dir.fault = 'EACCES')), /cannot be read/],
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
      for (const secret of [CLIENT_SECRET, 'at-SECRET-symlinked', 'rt-SECRET-symlinked', 'code-SECRET-symlinked', outside, h.root]) {
        assert.ok(!response.body.includes(secret), `the page shows ${secret}`);
      }
      assert.deepEqual(await readdir(outside), [], 'nothing is written where the link points');
      assert.equal(await exists(join(h.root, key)), true, 'the key file is kept for a retry once an admin fixed the directory');
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
      const batch = await Promise.all(Array.from({ length: Math.min(100, flood - sent) }, () => get(`/key/${floodKey}`)));
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
    assert.match(String(r?.headers['content-security-policy']), new RegExp(`style-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
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
      (await h.app.inject({ method: 'GET', url: '/', headers: { host, ...(proto ? { 'x-forwarded-proto': proto } : {}) } })).headers[
        'strict-transport-security'
      ];
    assert.equal(await over('sandbox.example.org:8443', 'https'), 'max-age=31536000');
    assert.equal(await over('localhost:8443', 'https'), 'max-age=300');
    assert.equal(await over('127.0.0.1:8443', 'https'), 'max-age=300');
    assert.equal(await over('sandbox.example.org:8080'), undefined, 'not over plain HTTP');
  });
});
