/**
 * The web app on its Unix socket (issue 15, item 2): it listens with mode 0660 in a directory that must be its own and
 * closed to others' writes, removes a socket left behind by a web app that was killed, refuses one that still answers
 * (another process's), and trusts the X-Forwarded-* headers of the web server that connects over the socket. Real
 * sockets in a temp directory, a real issuer key.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { ensureSigningKey } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { ListenSocketUnusable, buildApp, createIssuerKeySource, listenOnSocket } from '../../src/web/index.js';

let work: string;
let dir: string;
let socket: string;
let app: FastifyInstance;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'credmon-web-socket-'));
  dir = join(work, 'run');
  socket = join(dir, 'web.sock');
  await mkdir(dir, { mode: 0o750 });
  await chmod(dir, 0o2750);
  const directory = new CredentialDirectory(join(work, 'creds'));
  await directory.prepare();
  const publicKey = join(work, 'public.pem');
  await ensureSigningKey(join(work, 'private.pem'), publicKey);
  const { logger } = createMemoryLogger('web');
  app = await buildApp({
    issuer: 'https://localhost:8443',
    keys: createIssuerKeySource({
      publicKeyPath: publicKey,
      keyId: 'local',
      privateKeyPath: `${publicKey}.private.pem`,
    }),
    logger,
    directory,
  });
});

afterEach(async () => {
  await app.close();
  await rm(work, { recursive: true, force: true });
});

function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, headers: { host: 'localhost:8443', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A socket left behind as by a web app killed with SIGKILL: bound, listened on, never closed (never unlinked). */
async function leaveStaleSocket(): Promise<void> {
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok((await lstat(socket)).isSocket(), 'the killed process left its socket behind');
}

async function refusal(): Promise<string> {
  const error = await listenOnSocket(app, socket).then(
    () => assert.fail('expected listenOnSocket to refuse'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ListenSocketUnusable, String(error));
  assert.equal(error.code, 'ERR_LISTEN_SOCKET_UNUSABLE');
  return error.message;
}

describe('listenOnSocket', () => {
  it('listens with mode 0660 and serves over the socket', async () => {
    await listenOnSocket(app, socket);
    const info = await stat(socket);
    assert.ok(info.isSocket());
    assert.equal(info.mode & 0o777, 0o660);
    const health = await get('/healthz');
    assert.equal(health.status, 200, health.body);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
  });

  it('removes the socket a killed web app left behind, and removes its own when it closes', async () => {
    await leaveStaleSocket();
    await listenOnSocket(app, socket);
    assert.equal((await get('/healthz')).status, 200);
    await app.close();
    await assert.rejects(lstat(socket), { code: 'ENOENT' });
  });

  it('leaves alone a socket that still answers: another process listens there', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(socket, resolve));
    try {
      assert.equal(
        await refusal(),
        `WEB_LISTEN_SOCKET ${socket}: another process already listens there (a second web app?)`,
      );
      assert.ok((await lstat(socket)).isSocket(), 'the other socket is still there');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('refuses a path that is not a socket, a missing directory and a directory others may write to', async () => {
    await writeFile(socket, 'not a socket');
    assert.equal(await refusal(), `WEB_LISTEN_SOCKET ${socket} exists and is not a socket: remove it`);
    await rm(socket);
    await chmod(dir, 0o2770);
    assert.match(
      await refusal(),
      /its directory .*\/run is writable by its group \(mode 2770\), who could put another server in the web app's place: chmod 2750/,
    );
    if (process.getuid?.() === 0) {
      await chmod(dir, 0o2750);
      await chown(dir, 4242, 4242);
      assert.match(
        await refusal(),
        /its directory .*\/run belongs to uid 4242, not to this web app \(uid 0\): install -d -o root /,
      );
      await chown(dir, 0, 0);
    }
    await chmod(dir, 0o1777);
    assert.match(await refusal(), /its directory .*\/run is writable by every user \(mode 1777\)/);
    await rm(dir, { recursive: true });
    assert.match(
      await refusal(),
      /its directory .*\/run does not exist \(create it as root: install -d -o \S+ -g <the web server's group> -m 2750 /,
    );
  });

  it('trusts the X-Forwarded-Proto of the web server on the socket (HSTS over HTTPS only)', async () => {
    await listenOnSocket(app, socket);
    assert.equal(
      (await get('/healthz', { 'x-forwarded-proto': 'https' })).headers['strict-transport-security'],
      'max-age=300',
    );
    assert.equal((await get('/healthz')).headers['strict-transport-security'], undefined);
  });
});
