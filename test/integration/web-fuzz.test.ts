/**
 * Property-based fuzzing of the web app (issue 7): at least 10,000 hostile requests through buildApp().inject()
 * (names, keys, states, cookies, methods, paths, sizes, encodings) against a real credential directory that holds a
 * good key file, a FIFO, a symlink and a directory named like key files, a malformed key file, and a user directory
 * that is a symlink to outside. For every request: an answer below 500, within 5 s; nothing written anywhere (the
 * tree is compared after each request), nothing sent to the token endpoint (no forged request gets a code exchanged),
 * and no full key in any log line.
 *
 * FUZZ_SEED and FUZZ_RUNS override the fixed seed and the number of requests; a failure prints the seed and the
 * shrunk counterexample (fast-check's report), so `FUZZ_SEED=<seed> node --import tsx --test <this file>` replays it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance, HTTPMethods, InjectOptions } from 'fastify';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { buildApp } from '../../src/web/index.js';
import { formatKeyFile, requestAd } from '../helpers/key-file.js';
import { json, startTokenEndpoint, type FakeTokenEndpoint } from './fake-token-endpoint.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261126);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
const ANSWER_WITHIN_MS = 5000;
const BATCH = 5;

interface World {
  readonly work: string;
  readonly root: string;
  readonly outside: string;
  readonly app: FastifyInstance;
  readonly endpoint: FakeTokenEndpoint;
  readonly lines: string[];
  readonly keys: { good: string; fifo: string; link: string; dir: string; malformed: string; bob: string };
  /** A real state, started by session A: the fuzzer may send it, never with session A's cookie. */
  readonly realState: string;
  /** Session B's cookie (same key file, another browser). */
  readonly otherCookie: string;
  readonly tree: string;
}

let w: World;

function keyFile(user: string, tokenUrl: string): string {
  const fuzz = { Audience: 'https://storage.example', ClientSecret: 'cs-SECRET-fuzz' };
  return formatKeyFile([requestAd({ ...fuzz, LocalUser: user, TokenUrl: tokenUrl })]);
}

/** Every path under `dir` with its type, sorted: what "nothing was written" is checked against. */
async function snapshot(dir: string): Promise<string> {
  const out: string[] = [];
  const walk = async (path: string, rel: string): Promise<void> => {
    for (const name of (await readdir(path)).sort()) {
      const info = await lstat(join(path, name));
      const type = info.isSymbolicLink() ? 'l' : info.isDirectory() ? 'd' : info.isFIFO() ? 'p' : 'f';
      out.push(`${type} ${rel}${name} ${info.isFile() ? info.size : ''}`);
      if (type === 'd') await walk(join(path, name), `${rel}${name}/`);
    }
  };
  await walk(dir, '');
  return out.join('\n');
}

function cookieOf(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  assert.ok(header, 'a session cookie');
  return header.split(';')[0] ?? '';
}

before(async () => {
  const work = await mkdtemp(join(tmpdir(), 'credmon-web-fuzz-'));
  const root = join(work, 'creds');
  const outside = join(work, 'outside');
  await mkdir(outside);
  const directory = new CredentialDirectory(root);
  await directory.prepare();
  const endpoint = await startTokenEndpoint(() =>
    json(200, { access_token: 'at-SECRET-fuzz', token_type: 'Bearer', expires_in: 60 }),
  );
  const hex = (): string => randomBytes(32).toString('hex');
  const keys = { good: hex(), fifo: hex(), link: hex(), dir: hex(), malformed: hex(), bob: hex() };
  await writeFile(join(root, keys.good), keyFile('alice', endpoint.url), { mode: 0o640 });
  await writeFile(join(root, keys.bob), keyFile('bob', endpoint.url), { mode: 0o640 });
  execFileSync('mkfifo', [join(root, keys.fifo)]);
  await writeFile(join(outside, 'target.txt'), 'OUTSIDE-CONTENT');
  await symlink(join(outside, 'target.txt'), join(root, keys.link));
  await mkdir(join(root, keys.dir));
  await writeFile(join(root, keys.malformed), 'Provider = scitokens\nnot a classad\n');
  await symlink(outside, join(root, 'bob'));

  const { logger, lines } = createMemoryLogger('web', false);
  const app = await buildApp({
    issuer: 'https://localhost:8443',
    keys: { jwks: () => Promise.resolve({ keys: [] }), maxAgeS: 60 },
    logger,
    directory,
  });
  const a = await app.inject({ method: 'GET', url: `/key/${keys.good}` });
  const cookieA = cookieOf(a.headers['set-cookie']);
  const login = await app.inject({ method: 'GET', url: `/login/${keys.good}/scitokens`, headers: { cookie: cookieA } });
  const realState = new URL(String(login.headers['location'])).searchParams.get('state') ?? '';
  const b = await app.inject({ method: 'GET', url: `/key/${keys.good}` });
  const otherCookie = cookieOf(b.headers['set-cookie']);
  w = { work, root, outside, app, endpoint, lines, keys, realState, otherCookie, tree: await snapshot(work) };
});

after(async () => {
  await w.app.close();
  await w.endpoint.close();
  await rm(w.work, { recursive: true, force: true });
});

/** Text in many encodings: raw, percent-encoded, double-encoded, broken escapes, unicode, NULs, huge. */
function hostileText(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '..',
        '../..',
        '..%2F..%2Fetc%2Fpasswd',
        '%2e%2e%2f',
        '%252e%252e%252f',
        '%',
        '%E0%A4%A',
        '%00',
        '%ff%fe',
        '\u0000',
        '\u202e',
        'scitokens',
        'scitokens_read',
        'mytokens',
        'bob',
        'alice',
        '<script>alert(1)</script>',
        '"\'`',
        '{{7*7}}',
        '${jndi:ldap://x}',
        'CON',
        '.',
        '/',
        '//',
        '\\',
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom(2000, 9000, 20_000).map((n) => 'A'.repeat(n)) },
  );
}

function hostileKey(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...Object.values(w.keys)),
    fc.constantFrom(...Object.values(w.keys)).map((k) => k.toUpperCase()),
    fc
      .constantFrom(...Object.values(w.keys))
      .map((k) => [...k].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')),
    fc.constantFrom(...Object.values(w.keys)).map((k) => `${k}${'0'}`),
    fc.constantFrom(...Object.values(w.keys)).map((k) => k.slice(1)),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
    hostileText(),
  );
}

/** Percent-encodes the UTF-8 bytes of `text` (lone surrogates become U+FFFD), keeping RFC 3986 unreserved characters. */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

/** A path segment: the text percent-encoded, or raw (a `%` left as is) with only what a request line cannot carry encoded. */
function segment(text: string, raw: boolean): string {
  return raw ? [...text].map((c) => (/^[\x21-\x7e]$/.test(c) ? c : percentEncode(c))).join('') : percentEncode(text);
}

interface FuzzRequest extends InjectOptions {
  readonly method: HTTPMethods;
  readonly url: string;
}

const request = (): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
      shape: fc.constantFrom('key', 'login', 'return', 'root', 'well-known', 'health', 'random'),
      key: hostileKey(),
      name: hostileText(),
      raw: fc.boolean(),
      query: fc.array(
        fc.tuple(
          fc.constantFrom('state', 'code', 'error', 'error_description', 'iss', 'session_state', 'state', 'x'),
          fc.oneof(hostileText(), fc.constant(w.realState), fc.string({ unit: 'grapheme-ascii', maxLength: 43 })),
        ),
        { maxLength: 5 },
      ),
      cookie: fc.oneof(
        fc.constant(undefined),
        fc.constant(w.otherCookie),
        fc.string({ unit: 'grapheme-ascii', maxLength: 200 }).map((v) => `credmon_session=${v}`),
        fc.string({ unit: 'grapheme-ascii', maxLength: 300 }),
        fc.integer({ min: 100, max: 8000 }).map((n) => `credmon_session=${'a'.repeat(n)}`),
        fc.constant(`credmon_session=x; credmon_session=${w.otherCookie.split('=')[1] ?? ''}`),
      ),
      accept: fc.constantFrom(undefined, 'text/html', 'application/json', '*/*', 'text/html;q=0', ''),
      contentType: fc.constantFrom(
        undefined,
        'application/json',
        'application/x-www-form-urlencoded',
        'text/plain',
        'multipart/form-data; boundary=x',
        'x/y',
      ),
      body: fc.oneof(
        { weight: 10, arbitrary: fc.string({ maxLength: 100 }) },
        { weight: 3, arbitrary: fc.constant('{"a":') },
        { weight: 1, arbitrary: fc.constantFrom(65_536, 1_048_577).map((n) => 'x'.repeat(n)) },
      ),
      forwardedProto: fc.constantFrom(undefined, 'https', 'http', 'gopher'),
      host: fc.constantFrom(undefined, 'localhost:8443', 'evil.example', '[::1]', '', 'a'.repeat(300)),
    })
    .map((r) => {
      const key = segment(r.key, r.raw);
      const name = segment(r.name, r.raw);
      const query = r.query.map(([k, v]) => `${k}=${segment(v, r.raw)}`).join('&');
      const path = {
        key: `/key/${key}`,
        login: `/login/${key}/${name}`,
        return: `/return/${name}`,
        root: '/',
        'well-known': `/.well-known/${name}`,
        health: '/healthz',
        random: `/x/${name}/${key}`,
      }[r.shape];
      const headers: Record<string, string> = {};
      if (r.cookie !== undefined) headers['cookie'] = r.cookie;
      if (r.accept !== undefined) headers['accept'] = r.accept;
      if (r.forwardedProto !== undefined) headers['x-forwarded-proto'] = r.forwardedProto;
      if (r.host !== undefined) headers['host'] = r.host;
      const withBody = r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH';
      if (withBody && r.contentType !== undefined) headers['content-type'] = r.contentType;
      return {
        method: r.method as HTTPMethods,
        url: query === '' ? path : `${path}?${query}`,
        headers,
        ...(withBody ? { payload: r.body } : {}),
      } satisfies FuzzRequest;
    });

describe(`fuzzing the web app: ${RUNS} hostile requests (seed ${SEED})`, () => {
  it('answers each below 500 and in time, writes nothing, exchanges nothing, logs no key', async (t) => {
    t.diagnostic(`seed ${SEED}, ${RUNS} runs (FUZZ_SEED / FUZZ_RUNS to change)`);
    const statuses = new Map<number, number>();
    let sent = 0;
    const started = Date.now();
    // Requests go in concurrent batches of BATCH (a browser and a flooder do not wait for each other either); the
    // tree is compared after each batch.
    await fc.assert(
      fc.asyncProperty(fc.array(request(), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(
          batch.map(async (options) => {
            let timer: NodeJS.Timeout | undefined;
            const timeout = new Promise<never>((_resolve, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
            });
            const response = await Promise.race([w.app.inject(options), timeout]).finally(() => clearTimeout(timer));
            sent++;
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
            const what = `${options.method} ${options.url.slice(0, 200)}`;
            assert.ok(response.statusCode < 500, `${response.statusCode} for ${what}: ${response.body.slice(0, 300)}`);
            assert.ok(
              !response.body.includes('OUTSIDE-CONTENT'),
              `content from outside the credential directory for ${what}`,
            );
          }),
        );
        assert.equal(w.endpoint.requests.length, 0, 'no forged request reaches the token endpoint');
        assert.equal(await snapshot(w.work), w.tree, 'nothing is written, moved or removed');
      }),
      {
        seed: SEED,
        numRuns: Math.ceil(RUNS / BATCH),
        endOnFailure: true,
        interruptAfterTimeLimit: 240_000,
        markInterruptAsFailure: true,
      },
    );
    const log = w.lines.join('');
    for (const key of Object.values(w.keys))
      assert.ok(!log.includes(key) && !log.toLowerCase().includes(key), `the log holds the key ${key.slice(0, 8)}…`);
    t.diagnostic(
      `${sent} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
    );
    assert.ok(sent >= RUNS, `${sent} requests sent`);
  });
});
