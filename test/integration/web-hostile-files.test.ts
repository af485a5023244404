/**
 * Hostile entries in the credential directory, seen from the web app (issue 7, item 2): a FIFO named like a key file
 * must not hang anything, neither the requests for it nor any other user's /key page nor the JWKS, and /healthz must
 * say when the app cannot serve. A real listening server on 127.0.0.1:0, a real credential directory, a real issuer
 * key, real FIFOs (mkfifo).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, closeSync, openSync } from 'node:fs';
import { mkdtemp, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { ensureSigningKey } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { JWKS_PATH, buildApp, createIssuerKeySource } from '../../src/web/index.js';
import { formatKeyFile, requestAd } from '../helpers/key-file.js';

/** A request that has not answered after this long counts as hung. */
const ANSWER_WITHIN_MS = 5000;

interface Harness {
  readonly root: string;
  readonly publicKey: string;
  readonly app: FastifyInstance;
  readonly base: string;
  readonly lines: string[];
}

let h: Harness;

beforeEach(async () => {
  const work = await mkdtemp(join(tmpdir(), 'credmon-web-fifo-'));
  const root = join(work, 'creds');
  const directory = new CredentialDirectory(root);
  await directory.prepare();
  const publicKey = join(work, 'keys', 'public.pem');
  await ensureSigningKey(join(work, 'keys', 'private.pem'), publicKey);
  const { logger, lines } = createMemoryLogger('web');
  const app = await buildApp({
    issuer: 'https://localhost:8443',
    keys: createIssuerKeySource({
      publicKeyPath: publicKey,
      keyId: 'local',
      privateKeyPath: `${publicKey}.private.pem`,
    }),
    logger,
    directory,
    healthTimeoutMs: 500,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  h = { root, publicKey, app, base: `http://127.0.0.1:${port}`, lines };
});

afterEach(async () => {
  await h.app.close();
  await rm(join(h.root, '..'), { recursive: true, force: true });
});

function newKey(): string {
  return randomBytes(32).toString('hex');
}

/** A key file as the credd writes it (HTCondor 23.9 sPrintAdWithSecrets), for local user `user`. */
async function writeKeyFile(key: string, user: string): Promise<void> {
  const text = formatKeyFile([requestAd({ ClientSecret: 'cs-SECRET-fifo', LocalUser: user })]);
  await writeFile(join(h.root, key), text, { mode: 0o640 });
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', ['-m', '0640', path]);
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** GET through the real server; a request that does not answer in time fails the test instead of hanging it. */
async function get(path: string): Promise<Answer> {
  const response = await fetch(`${h.base}${path}`, {
    headers: { accept: 'text/html' },
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  });
  return { status: response.status, body: await response.text() };
}

function text(body: string): string {
  return body
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))
    .replace(/\s+/g, ' ')
    .trim();
}

function assertFifoPage(answer: Answer, key: string): void {
  assert.equal(answer.status, 422, answer.body);
  const page = text(answer.body);
  assert.match(page, /FIFO/);
  assert.match(page, new RegExp(`key file ${key.slice(0, 8)}…`));
  assert.ok(!answer.body.includes(key.slice(0, 9)), 'only the first 8 characters of the key are shown');
  assert.ok(!answer.body.includes(h.root), 'the credential directory is not shown');
}

describe('a FIFO named like a key file', () => {
  it("answers 8 concurrent requests for it promptly with a 422 page, while JWKS and another user's /key page answer", async () => {
    const fifoKey = newKey();
    const bobKey = newKey();
    mkfifo(join(h.root, fifoKey));
    await writeKeyFile(bobKey, 'bob');

    const during = await Promise.all([
      ...Array.from({ length: 8 }, () => get(`/key/${fifoKey}`)),
      get(`/key/${bobKey}`),
      get(JWKS_PATH),
      get('/healthz'),
    ]);
    for (const answer of during.slice(0, 8)) assertFifoPage(answer, fifoKey);
    const [bob, jwks, health] = during.slice(8);
    assert.equal(bob?.status, 200, bob?.body);
    assert.match(text(bob?.body ?? ''), /bob/);
    assert.equal(jwks?.status, 200);
    assert.equal((JSON.parse(jwks?.body ?? '{}') as { keys: unknown[] }).keys.length, 1);
    assert.equal(health?.status, 200, health?.body);

    // And afterwards, with the FIFO still there and once it is gone: nothing is left holding the I/O threads.
    const after = await Promise.all([
      get(`/key/${bobKey}`),
      get(JWKS_PATH),
      get('/healthz'),
      get(`/login/${fifoKey}/scitokens`),
    ]);
    assert.deepEqual(
      after.map((a) => a.status),
      [200, 200, 200, 400],
    );
    await rm(join(h.root, fifoKey));
    assert.equal((await get(JWKS_PATH)).status, 200);
    assert.equal((await get(`/key/${fifoKey}`)).status, 404);
  });

  it("never logs the FIFO key file's full name", async () => {
    const fifoKey = newKey();
    mkfifo(join(h.root, fifoKey));
    for (let i = 0; i < 3; i++) assertFifoPage(await get(`/key/${fifoKey}`), fifoKey);
    const log = h.lines.join('');
    assert.match(log, /FIFO/, 'the refusal is logged');
    assert.ok(!log.includes(fifoKey), 'the full key is not logged');
    assert.ok(!log.toLowerCase().includes(fifoKey.slice(0, 9)), 'only 8 characters of the key are logged');
  });
});

describe('/healthz: does the web app answer what serving needs?', () => {
  it('answers 200 when the issuer keys and the credential directory can be read', async () => {
    const answer = await get('/healthz');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { status: 'ok' });
  });

  it('answers 503 when the issuer public key cannot be read, and 200 again once it is back', async () => {
    await rename(h.publicKey, `${h.publicKey}.away`);
    const answer = await get('/healthz');
    assert.equal(answer.status, 503, answer.body);
    assert.match(answer.body, /issuer keys/);
    assert.ok(!answer.body.includes(h.publicKey), 'no server path in the answer');
    await rename(`${h.publicKey}.away`, h.publicKey);
    assert.equal((await get('/healthz')).status, 200);
  });

  it('answers 503 within its timeout while every file-I/O thread is blocked, and 200 once they are free', async () => {
    // What a blocking open of a FIFO did to the web app: hold each of libuv's threads until a writer comes.
    const threads = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
    const fifos = Array.from({ length: threads }, (_, i) => join(h.root, `..`, `blocker-${i}`));
    for (const f of fifos) mkfifo(f);
    const blocked: Array<Promise<FileHandle>> = fifos.map((f) => open(f, 'r'));
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      const answer = await get('/healthz');
      assert.equal(answer.status, 503, answer.body);
      assert.match(answer.body, /did not answer|unhealthy/);
      assert.ok(Date.now() - started < ANSWER_WITHIN_MS, 'the health check answers within its own timeout');
    } finally {
      // A writer on the main thread (openSync does not need the pool) releases each blocked open.
      for (const f of fifos) closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
      for (const handle of await Promise.all(blocked)) await handle.close();
    }
    assert.equal((await get('/healthz')).status, 200);
  });
});
