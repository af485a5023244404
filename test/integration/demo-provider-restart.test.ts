import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ACCESS_TOKEN_TTL_S, obtainTokens, token, useProvider, verifyAccessToken } from './demo-provider-client.js';

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
    useProvider({ server: createServer(), issuer, port, lines: [] });
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
    assert.ok(
      stateFiles.includes('Grant') && stateFiles.includes('RefreshToken'),
      `state kept in files: ${stateFiles.join(', ')}`,
    );
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
