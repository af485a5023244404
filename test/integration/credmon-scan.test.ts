import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { decodeJwt, jwtVerify } from 'jose';
import { lookupFrom, parseCredmonConfig, type CredmonConfig } from '../../src/config/index.js';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { Credmon } from '../../src/credmon/index.js';
import { LocalIssuer, ensureSigningKey, loadPublicKey, loadSigningKey } from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { SigningKeyInvalid } from '../../src/shared/errors.js';
import { json, startTokenEndpoint, type FakeTokenEndpoint, type Responder } from './fake-token-endpoint.js';

const RT_OLD = 'rt-OLD-secret-1111';
const RT_NEW = 'rt-NEW-secret-2222';
const AT_OLD = 'at-OLD-secret-3333';
const AT_NEW = 'at-NEW-secret-4444';
const CLIENT_SECRET = 'client-SECRET-5555';
const TOP = `{"refresh_token": "${RT_OLD}", "scopes": "read:/public  write:/home/alice", "audience": "https://storage.example https://other.example"}`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  readonly root: string;
  readonly credDir: string;
  readonly config: CredmonConfig;
  readonly credmon: Credmon;
  readonly lines: string[];
  /** The injected clock (epoch ms); tests move it forward. */
  nowMs: number;
  path(...parts: string[]): string;
  put(user: string, file: string, content: string): Promise<void>;
  read(user: string, file: string): Promise<string>;
  snapshot(user: string): Promise<Record<string, string>>;
  verify(jwt: string): Promise<Record<string, unknown>>;
}

async function setup(
  options: { knobs?: Record<string, string>; issuerError?: Error; bulkThreshold?: number } = {},
): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'credmon-scan-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const credDir = join(root, 'oauth_credentials');
  const knobs = new Map(
    Object.entries({
      SEC_CREDENTIAL_DIRECTORY_OAUTH: credDir,
      LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
      LOCAL_CREDMON_PRIVATE_KEY: join(root, 'keys', 'scitokens-private.pem'),
      LOCAL_CREDMON_PUBLIC_KEY: join(root, 'keys', 'scitokens.pem'),
      LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
      // The OAuth clients the tests' credentials belong to: upstream leaves tokens of other providers alone.
      MYTOKENS_CLIENT_ID: 'sandbox',
      SCITOKENS_CLIENT_ID: 'sandbox',
      ...options.knobs,
    }),
  );
  const config = parseCredmonConfig(lookupFrom(knobs));
  const directory = new CredentialDirectory(config.credDir);
  await directory.prepare();
  await ensureSigningKey(config.local.privateKeyPath, config.local.publicKeyPath);
  const { logger, lines } = createMemoryLogger('credmon', true);
  const issuer =
    options.issuerError ??
    new LocalIssuer(config.local, await loadSigningKey(config.local.privateKeyPath, config.local.keyId), logger);
  const publicKey = await loadPublicKey(config.local.publicKeyPath);
  const harness: Harness = {
    root,
    credDir,
    config,
    lines,
    nowMs: Date.now(),
    credmon: undefined as unknown as Credmon, // assigned just below; the clock closure needs `harness`
    path: (...parts) => join(credDir, ...parts),
    async put(user, file, content) {
      await mkdir(join(credDir, user), { recursive: true, mode: 0o700 });
      await writeFile(join(credDir, user, file), content, { mode: 0o600 });
    },
    read: (user, file) => readFile(join(credDir, user, file), 'utf8'),
    async snapshot(user) {
      const out: Record<string, string> = {};
      for (const name of (await readdir(join(credDir, user))).sort())
        out[name] = await readFile(join(credDir, user, name), 'utf8');
      return out;
    },
    async verify(jwt) {
      const { payload } = await jwtVerify(jwt, publicKey, {
        issuer: 'https://ap.example.org',
        audience: 'https://localhost',
        algorithms: ['ES256'],
        currentDate: new Date(harness.nowMs),
      });
      return payload;
    },
  };
  const credmon = new Credmon({
    config,
    directory,
    issuers: new Map([[config.local.providerName, issuer]]),
    log: logger,
    now: () => harness.nowMs,
    random: () => 0,
    ...(options.bulkThreshold !== undefined ? { bulkThreshold: options.bulkThreshold, mainThreadMaxJobs: 0 } : {}),
  });
  (harness as { credmon: Credmon }).credmon = credmon;
  cleanups.push(() => credmon.stop());
  return harness;
}

async function tokenEndpoint(responder: Responder): Promise<FakeTokenEndpoint> {
  const endpoint = await startTokenEndpoint(responder);
  cleanups.push(() => endpoint.close());
  return endpoint;
}

function meta(tokenUrl: string, useRefreshToken = true): string {
  return `{"client_id": "credmon-client", "client_secret": "${CLIENT_SECRET}", "token_url": "${tokenUrl}", "use_refresh_token": ${useRefreshToken}}`;
}

/** An OAuth credential whose access token has expired (10 s lifetime, clock moved 60 s on). */
async function putExpiredOAuth(h: Harness, tokenUrl: string, name = 'mytokens'): Promise<void> {
  await h.put('alice', `${name}.top`, TOP);
  await h.put('alice', `${name}.meta`, meta(tokenUrl));
  await h.put(
    'alice',
    `${name}.use`,
    `{"access_token": "${AT_OLD}", "token_type": "Bearer", "expires_in": 10, "expires_at": 1}`,
  );
  h.nowMs = Date.now() + 60_000;
}

function assertNoSecretsLogged(h: Harness, extra: readonly string[] = []): void {
  const text = h.lines.join('');
  for (const secret of [RT_OLD, RT_NEW, AT_OLD, AT_NEW, CLIENT_SECRET, ...extra]) {
    assert.ok(!text.includes(secret), `the log contains ${secret}:\n${text}`);
  }
}

const USE_JSON = /^\{"access_token": "([A-Za-z0-9_.-]+)", "expires_in": 1200\}$/;

describe('Credmon.scanOnce: local issuer', () => {
  it('issues <user>/scitokens.use for a scitokens.top holding the user name', async () => {
    const h = await setup();
    await h.put('alice', 'scitokens.top', 'alice');
    const summary = await h.credmon.scanOnce();
    assert.equal(summary.issued, 1);
    const use = await h.read('alice', 'scitokens.use');
    const jwt = USE_JSON.exec(use)?.[1];
    assert.ok(jwt, `unexpected .use: ${use}`);
    const claims = await h.verify(jwt);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.scope, 'read:/user/alice write:/user/alice');
    assert.equal(claims.ver, 'scitoken:2.0');
    assert.deepEqual(claims.aud, ['https://localhost']);
    assert.equal(claims.iat, Math.floor(h.nowMs / 1000));
    assert.equal(claims.exp, Math.floor(h.nowMs / 1000) + 1200);
    assert.equal((await stat(h.path('alice', 'scitokens.use'))).mode & 0o777, 0o400);
    assert.deepEqual(
      (await readdir(h.path('alice'))).sort(),
      ['scitokens.top', 'scitokens.use'],
      'no temp file left behind',
    );
    assert.ok(h.lines.some((l) => l.includes('Successfully renewed SciToken for user: alice')));
    assertNoSecretsLogged(h, [jwt]);
  });

  it('touches CREDMON_COMPLETE at the scan time', async () => {
    const h = await setup();
    h.nowMs = Date.parse('2031-05-06T07:08:09Z');
    await h.credmon.scanOnce();
    const info = await stat(h.path('CREDMON_COMPLETE'));
    assert.equal(info.size, 0);
    assert.equal(info.mtimeMs, h.nowMs);
  });

  it('does not re-sign a fresh token on the next scan, and renews it after half its lifetime', async () => {
    const h = await setup();
    await h.put('alice', 'scitokens.top', 'alice');
    await h.credmon.scanOnce();
    const first = await h.read('alice', 'scitokens.use');
    const second = await h.credmon.scanOnce();
    assert.equal(second.issued, 0);
    assert.equal(await h.read('alice', 'scitokens.use'), first, 'same bytes after a second scan');
    h.nowMs += 601_000;
    const third = await h.credmon.scanOnce();
    assert.equal(third.issued, 1);
    assert.notEqual(await h.read('alice', 'scitokens.use'), first);
  });

  it('writes a bare JWT line when LOCAL_CREDMON_TOKEN_USE_JSON is false, and does not re-sign it every scan', async () => {
    const h = await setup({ knobs: { LOCAL_CREDMON_TOKEN_USE_JSON: 'false' } });
    await h.put('bob', 'scitokens.top', 'bob');
    await h.credmon.scanOnce();
    const use = await h.read('bob', 'scitokens.use');
    assert.match(use, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    assert.equal((await h.verify(use.trim())).sub, 'bob');
    await h.credmon.scanOnce();
    assert.equal(await h.read('bob', 'scitokens.use'), use);
  });

  it('replaces a token signed for another issuer or audience at once', async () => {
    const h = await setup();
    await h.put('alice', 'scitokens.top', 'alice');
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const foreign = `${b64({ alg: 'ES256', kid: 'local', typ: 'JWT' })}.${b64({ sub: 'alice', iss: 'https://old.example', aud: ['https://localhost'], exp: Math.floor(Date.now() / 1000) + 1200 })}.c2ln`;
    await h.put('alice', 'scitokens.use', `{"access_token": "${foreign}", "expires_in": 1200}`);
    assert.equal((await h.credmon.scanOnce()).issued, 1);
    const jwt = USE_JSON.exec(await h.read('alice', 'scitokens.use'))?.[1] ?? '';
    assert.equal(decodeJwt(jwt).iss, 'https://ap.example.org');
  });

  it('reports a malformed JSON .top once and still issues other users their tokens', async () => {
    const h = await setup();
    await h.put('bob', 'scitokens.top', '{"refresh_token": ');
    await h.put('alice', 'scitokens.top', 'alice');
    await h.credmon.scanOnce();
    assert.match(await h.read('alice', 'scitokens.use'), USE_JSON);
    assert.deepEqual(await readdir(h.path('bob')), ['scitokens.top']);
    await h.credmon.scanOnce();
    await h.put('bob', 'notes.txt', 'changes the directory'); // forces bob's directory to be read again
    h.nowMs += 5_000;
    await h.credmon.scanOnce();
    const reports = h.lines.filter((l) => l.includes('bob/scitokens.top'));
    assert.equal(reports.length, 1, reports.join(''));
    assert.match(reports[0] ?? '', /ERROR/);
    assert.deepEqual((await readdir(h.path('bob'))).sort(), ['notes.txt', 'scitokens.top']);
  });

  it('ignores a directory whose name is not a valid user name, with one warning', async () => {
    const h = await setup();
    await h.put('bad user', 'scitokens.top', 'bad user');
    await h.put('x;rm -rf', 'scitokens.top', 'x');
    await h.put('carol', 'scitokens.top', 'carol');
    await h.credmon.scanOnce();
    await h.credmon.scanOnce();
    assert.deepEqual(await readdir(h.path('bad user')), ['scitokens.top']);
    assert.deepEqual(await readdir(h.path('x;rm -rf')), ['scitokens.top']);
    assert.match(await h.read('carol', 'scitokens.use'), USE_JSON);
    const warnings = h.lines.filter((l) => l.includes('WARNING') && l.includes('not a valid user name'));
    assert.equal(warnings.length, 2, warnings.join(''));
    assert.ok(warnings.some((w) => w.includes('bad user')));
  });

  it('issues no token for a provider other than LOCAL_CREDMON_PROVIDER_NAME', async () => {
    const h = await setup({ knobs: { LOCAL_CREDMON_PROVIDER_NAME: 'localtokens' } });
    await h.put('alice', 'scitokens.top', 'alice');
    await h.put('alice', 'localtokens.top', 'alice');
    await h.credmon.scanOnce();
    assert.deepEqual((await readdir(h.path('alice'))).sort(), ['localtokens.top', 'localtokens.use', 'scitokens.top']);
  });

  it('never writes scitokens.use when scitokens has a .meta (OAuth owns it)', async () => {
    const endpoint = await tokenEndpoint(() => json(200, { access_token: 'at-from-provider', expires_in: 3600 }));
    const h = await setup();
    // A local-looking .top next to a .meta: the OAuth side owns it, finds no refresh token, and nobody signs.
    await h.put('alice', 'scitokens.top', 'alice');
    await h.put('alice', 'scitokens.meta', meta(endpoint.url));
    // An OAuth provider named like the local one, without refresh tokens, and an expired access token.
    await h.put('bob', 'scitokens.top', `{"refresh_token": "", "scopes": "s"}`);
    await h.put('bob', 'scitokens.meta', meta(endpoint.url, false));
    await h.put('bob', 'scitokens.use', '{"access_token": "opaque-from-provider", "expires_in": 10}');
    const before = await h.snapshot('bob');
    h.nowMs = Date.now() + 3_600_000;
    const summary = await h.credmon.scanOnce();
    await h.credmon.settle();
    await h.credmon.scanOnce();
    assert.equal(summary.issued, 0);
    assert.deepEqual((await readdir(h.path('alice'))).sort(), ['scitokens.meta', 'scitokens.top']);
    assert.deepEqual(await h.snapshot('bob'), before);
    assert.equal(endpoint.requests.length, 0);
  });

  it('keeps refreshing OAuth tokens when the local signing key is unusable', async () => {
    const endpoint = await tokenEndpoint(() => json(200, { access_token: AT_NEW, expires_in: 3600 }));
    const h = await setup({ issuerError: new SigningKeyInvalid('LOCAL_CREDMON_PRIVATE_KEY /nope does not exist') });
    await h.put('dave', 'scitokens.top', 'dave');
    await putExpiredOAuth(h, endpoint.url);
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal((JSON.parse(await h.read('alice', 'mytokens.use')) as Record<string, unknown>).access_token, AT_NEW);
    assert.deepEqual(await readdir(h.path('dave')), ['scitokens.top']);
    assert.ok(
      h.lines.some((l) => l.includes('Failed to renew SciToken for user: dave') && l.includes('does not exist')),
    );
  });
});

describe('Credmon.scanOnce: OAuth refresh against a local token endpoint', () => {
  it('refreshes an expired .use, keeps .top scopes/audience and stores the rotated refresh token', async () => {
    const endpoint = await tokenEndpoint(() =>
      json(200, {
        access_token: AT_NEW,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: RT_NEW,
        scope: 'read:/public',
      }),
    );
    const h = await setup();
    await putExpiredOAuth(h, endpoint.url);
    const refreshed = once(h.credmon, 'credential.refreshed');
    const summary = await h.credmon.scanOnce();
    assert.equal(summary.refreshesStarted, 1);
    await h.credmon.settle();
    assert.deepEqual(await refreshed, [{ user: 'alice', name: 'mytokens', kind: 'oauth', rotated: true }]);

    assert.equal(endpoint.requests.length, 1);
    assert.deepEqual(Object.fromEntries(endpoint.requests[0]?.form ?? []), {
      grant_type: 'refresh_token',
      refresh_token: RT_OLD,
      client_id: 'credmon-client',
      client_secret: CLIENT_SECRET,
    });

    const use = await h.read('alice', 'mytokens.use');
    assert.ok(!use.includes('\n'), '.use is one line');
    assert.ok(!use.includes(RT_NEW) && !use.includes('refresh_token'), '.use holds no refresh token');
    assert.deepEqual(JSON.parse(use), {
      access_token: AT_NEW,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read:/public',
      expires_at: Math.floor(h.nowMs / 1000) + 3600,
    });
    assert.equal(
      await h.read('alice', 'mytokens.top'),
      `{"refresh_token": "${RT_NEW}", "scopes": "read:/public  write:/home/alice", "audience": "https://storage.example https://other.example"}`,
    );
    for (const file of ['mytokens.use', 'mytokens.top'])
      assert.equal((await stat(h.path('alice', file))).mode & 0o777, 0o400, file);
    assert.deepEqual((await readdir(h.path('alice'))).sort(), ['mytokens.meta', 'mytokens.top', 'mytokens.use']);

    // The new token is fresh: the next scan sends nothing.
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 1);
    assert.ok(h.lines.some((l) => l.includes('Successfully refreshed mytokens tokens for user alice')));
    assertNoSecretsLogged(h);
  });

  it('leaves .top byte-identical when the provider does not rotate the refresh token', async () => {
    const endpoint = await tokenEndpoint((_r, i) =>
      json(
        200,
        i === 0
          ? { access_token: AT_NEW, expires_in: 3600 }
          : { access_token: AT_NEW, expires_in: 3600, refresh_token: RT_OLD },
      ),
    );
    const h = await setup();
    await putExpiredOAuth(h, endpoint.url);
    const topBefore = await stat(h.path('alice', 'mytokens.top'));
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal((JSON.parse(await h.read('alice', 'mytokens.use')) as Record<string, unknown>).access_token, AT_NEW);
    assert.equal(await h.read('alice', 'mytokens.top'), TOP);
    assert.equal((await stat(h.path('alice', 'mytokens.top'))).mtimeMs, topBefore.mtimeMs, '.top was not rewritten');

    // Same when the provider echoes the same refresh token back.
    h.nowMs += 3_600_000;
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 2);
    assert.equal(await h.read('alice', 'mytokens.top'), TOP);
    assertNoSecretsLogged(h);
  });

  it('on invalid_grant changes no file, says the user must log in again, and does not retry', async () => {
    const endpoint = await tokenEndpoint(() =>
      json(400, { error: 'invalid_grant', error_description: 'Token is not active' }),
    );
    const h = await setup();
    await putExpiredOAuth(h, endpoint.url);
    const before = await h.snapshot('alice');
    const failed = once(h.credmon, 'credential.refresh_failed');
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.deepEqual(await failed, [{ user: 'alice', name: 'mytokens', kind: 'oauth', code: 'ERR_REFRESH_REJECTED' }]);
    assert.deepEqual(await h.snapshot('alice'), before);
    const reports = h.lines.filter((l) => l.includes('must log in again'));
    assert.equal(reports.length, 1);
    assert.match(reports[0] ?? '', /invalid_grant/);
    assert.match(reports[0] ?? '', /condor_store_cred delete-oauth -s mytokens/);

    for (const stepMs of [60_000, 3_600_000, 86_400_000]) {
      h.nowMs += stepMs;
      await h.credmon.scanOnce();
      await h.credmon.settle();
    }
    assert.equal(endpoint.requests.length, 1, 'a rejected refresh token is not tried again');
    assert.deepEqual(await h.snapshot('alice'), before);
    assert.equal(h.lines.filter((l) => l.includes('must log in again')).length, 1, 'reported once');
    assertNoSecretsLogged(h);
  });

  it('tries again when a new login replaces the rejected .top', async () => {
    const endpoint = await tokenEndpoint((r) =>
      r.form.get('refresh_token') === RT_OLD
        ? json(400, { error: 'invalid_grant' })
        : json(200, { access_token: AT_NEW, expires_in: 3600 }),
    );
    const h = await setup();
    await putExpiredOAuth(h, endpoint.url);
    await h.credmon.scanOnce();
    await h.credmon.settle();
    // The credd stores a new login as <name>.top.tmp and renames it over <name>.top.
    await delay(20); // a distinct mtime for the new .top
    await writeFile(h.path('alice', 'mytokens.top.tmp'), TOP.replace(RT_OLD, RT_NEW), { mode: 0o600 });
    await rename(h.path('alice', 'mytokens.top.tmp'), h.path('alice', 'mytokens.top'));
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 2);
    assert.equal((JSON.parse(await h.read('alice', 'mytokens.use')) as Record<string, unknown>).access_token, AT_NEW);
  });

  it('on 503 changes no file and retries after the backoff', async () => {
    const endpoint = await tokenEndpoint((_r, i) =>
      i === 0
        ? { status: 503, body: 'maintenance' }
        : json(200, { access_token: AT_NEW, expires_in: 3600, refresh_token: RT_NEW }),
    );
    const h = await setup();
    await putExpiredOAuth(h, endpoint.url);
    const before = await h.snapshot('alice');
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 1);
    assert.deepEqual(await h.snapshot('alice'), before);
    assert.ok(h.lines.some((l) => l.includes('WARNING') && l.includes('temporarily') && l.includes('HTTP 503')));
    assert.ok(!h.lines.some((l) => l.includes('must log in again')));

    // With random() = 0 the first backoff is 15 s: nothing happens before, a retry after.
    h.nowMs += 10_000;
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 1, 'no retry before the backoff ends');
    h.nowMs += 6_000;
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 2);
    assert.equal((JSON.parse(await h.read('alice', 'mytokens.use')) as Record<string, unknown>).access_token, AT_NEW);
    assert.equal((JSON.parse(await h.read('alice', 'mytokens.top')) as Record<string, unknown>).refresh_token, RT_NEW);
    assertNoSecretsLogged(h);
  });

  it('does not refresh a .use that is still fresh', async () => {
    const endpoint = await tokenEndpoint(() => json(200, { access_token: AT_NEW, expires_in: 3600 }));
    const h = await setup();
    await h.put('alice', 'mytokens.top', TOP);
    await h.put('alice', 'mytokens.meta', meta(endpoint.url));
    await h.put('alice', 'mytokens.use', `{"access_token": "${AT_OLD}", "expires_in": 3600}`);
    h.nowMs = Date.now() + 1_000_000; // < 0.5 × 3600 s
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 0);
    h.nowMs = Date.now() + 1_900_000; // > 0.5 × 3600 s
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 1);
  });
});

describe('Credmon.scanOnce: key files', () => {
  it('removes 64-hex key files older than the key file lifetime and keeps fresh ones', async () => {
    const h = await setup({ knobs: { CREDMON_OAUTH_KEY_FILE_LIFETIME: '1000' } });
    const stale = 'a'.repeat(64);
    const fresh = 'b'.repeat(64);
    await writeFile(h.path(stale), 'Provider = "x"\n', { mode: 0o640 });
    await delay(700);
    await writeFile(h.path(fresh), 'Provider = "y"\n', { mode: 0o640 });
    await writeFile(h.path('C'.repeat(64)), 'not a key file name (upper case)');
    await mkdir(h.path('d'.repeat(64)));
    const staleCtime = (await stat(h.path(stale))).ctimeMs;
    h.nowMs = staleCtime + 1000 * 1000 + 350; // stale is 350 ms past its lifetime, fresh about 350 ms short of it

    await h.credmon.scanOnce();
    const left = (await readdir(h.credDir)).sort();
    assert.ok(!left.includes(stale), 'the stale key file is removed');
    assert.ok(left.includes(fresh), 'the fresh key file is kept');
    assert.ok(left.includes('C'.repeat(64)) && left.includes('d'.repeat(64)), 'other names are left alone');
    assert.ok(h.lines.some((l) => l.includes('Removing stale key file aaaaaaaa')));
    assert.ok(!h.lines.some((l) => l.includes(stale)), 'the full key name (a capability) is not logged');

    h.nowMs += 1000;
    await h.credmon.scanOnce();
    assert.ok(!(await readdir(h.credDir)).includes(fresh));
  });
});

describe('Credmon.start', () => {
  it('writes the pid, scans at once, answers wake() with another scan and stops cleanly', async () => {
    const h = await setup();
    await h.put('alice', 'scitokens.top', 'alice');
    await writeFile(h.path('CREDMON_COMPLETE'), '');
    await h.credmon.start(4321);
    assert.equal(await readFile(h.path('pid'), 'utf8'), '4321');
    assert.match(await h.read('alice', 'scitokens.use'), USE_JSON);
    await stat(h.path('CREDMON_COMPLETE'));

    await h.put('bob', 'scitokens.top', 'bob');
    const scanned = once(h.credmon, 'scan.completed');
    h.credmon.wake();
    await scanned;
    assert.match(await h.read('bob', 'scitokens.use'), USE_JSON);
    await h.credmon.stop();
  });
});

/** A token endpoint that holds every request until the test releases it (to put a refresh "in flight"). */
async function heldTokenEndpoint(body: Record<string, unknown>): Promise<FakeTokenEndpoint & { release(): void }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const endpoint = await tokenEndpoint(async () => {
    await gate;
    return json(200, body);
  });
  cleanups.push(() => Promise.resolve(release()));
  return Object.assign(endpoint, { release: () => release() });
}

describe('credmon: races and recoveries', () => {
  it('after a failed issuance, the next SIGHUP for a new submit issues the missing .use at once', async () => {
    const h = await setup();
    await h.put('carol', 'scitokens.top', 'carol');
    await mkdir(h.path('carol', 'scitokens.use')); // a directory where the file should go: the write fails
    await h.credmon.scanOnce();
    await rm(h.path('carol', 'scitokens.use'), { recursive: true });
    h.nowMs += 10_000; // past the short retry delay
    assert.equal((await h.credmon.scanOnce()).issued, 1);
    // A later submit: the credd rewrites .top (temp file + rename); the .use is gone meanwhile.
    await rm(h.path('carol', 'scitokens.use'));
    await writeFile(h.path('carol', 'scitokens.top.tmp'), 'carol');
    await rename(h.path('carol', 'scitokens.top.tmp'), h.path('carol', 'scitokens.top'));
    assert.equal(
      (await h.credmon.scanOnce()).issued,
      1,
      'the credd waits only 20 s: no leftover backoff may delay this',
    );
    const use = JSON.parse(await h.read('carol', 'scitokens.use')) as { access_token: string };
    assert.equal((await h.verify(use.access_token))['sub'], 'carol');
  });

  it('a refresh in flight does not bring back a credential deleted meanwhile', async () => {
    const h = await setup();
    const endpoint = await heldTokenEndpoint({
      access_token: AT_NEW,
      refresh_token: RT_NEW,
      token_type: 'Bearer',
      expires_in: 3600,
    });
    await putExpiredOAuth(h, endpoint.url);
    await h.credmon.scanOnce();
    await waitUntil(() => endpoint.requests.length === 1);
    await rm(h.path('alice'), { recursive: true }); // condor_store_cred delete-oauth, or the credd's sweep
    endpoint.release();
    await h.credmon.settle();
    await assert.rejects(stat(h.path('alice')), /ENOENT/, 'the user directory stays deleted');
    assert.match(h.lines.join(''), /changed or was removed during the refresh/);
  });

  it('a refresh in flight does not overwrite the files of a new login', async () => {
    const h = await setup();
    const endpoint = await heldTokenEndpoint({ access_token: AT_NEW, token_type: 'Bearer', expires_in: 3600 });
    await putExpiredOAuth(h, endpoint.url);
    await h.credmon.scanOnce();
    await waitUntil(() => endpoint.requests.length === 1);
    await delay(20); // a distinct mtime
    const newLogin = {
      'mytokens.use': '{"access_token": "at-from-new-login"}',
      'mytokens.top': '{"refresh_token": "rt-from-new-login", "scopes": "write:/x"}',
    };
    for (const [file, content] of Object.entries(newLogin)) {
      await writeFile(h.path('alice', `${file}.tmp`), content);
      await rename(h.path('alice', `${file}.tmp`), h.path('alice', file));
    }
    endpoint.release();
    await h.credmon.settle();
    for (const [file, content] of Object.entries(newLogin)) assert.equal(await h.read('alice', file), content);
  });

  it('a provider answering expires_in 0 is not asked again in a loop', async () => {
    const h = await setup();
    const endpoint = await tokenEndpoint(() =>
      json(200, { access_token: AT_NEW, token_type: 'Bearer', expires_in: 0 }),
    );
    await putExpiredOAuth(h, endpoint.url);
    await h.credmon.scanOnce();
    await h.credmon.settle();
    h.nowMs = Date.now(); // back to the clock the files were written with
    for (let i = 0; i < 5; i++) {
      h.nowMs += 2_000;
      await h.credmon.scanOnce();
      await h.credmon.settle();
    }
    assert.equal(endpoint.requests.length, 1, 'at most one refresh per 30 s');
  });

  it('tokens signed with a replaced key are re-signed, even under the same key id', async () => {
    const h = await setup();
    await h.put('dave', 'scitokens.top', 'dave');
    await h.credmon.scanOnce();
    const before = await h.read('dave', 'scitokens.use');
    await h.credmon.stop();
    // The admin replaces the key (same kid "local"); the public key follows.
    await rm(h.config.local.privateKeyPath);
    await rm(h.config.local.publicKeyPath);
    await ensureSigningKey(h.config.local.privateKeyPath, h.config.local.publicKeyPath);
    const { logger } = createMemoryLogger('credmon', true);
    const issuer = new LocalIssuer(
      h.config.local,
      await loadSigningKey(h.config.local.privateKeyPath, 'local'),
      logger,
    );
    const issuers = new Map([[h.config.local.providerName, issuer]]);
    const credmon = new Credmon({
      config: h.config,
      directory: new CredentialDirectory(h.credDir),
      issuers,
      log: logger,
      now: () => h.nowMs,
    });
    cleanups.push(() => credmon.stop());
    assert.equal((await credmon.scanOnce()).issued, 1);
    const after = await h.read('dave', 'scitokens.use');
    assert.notEqual(after, before);
    const { payload } = await jwtVerify(
      (JSON.parse(after) as { access_token: string }).access_token,
      await loadPublicKey(h.config.local.publicKeyPath),
      {
        currentDate: new Date(h.nowMs),
      },
    );
    assert.equal(payload.sub, 'dave');
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await delay(10);
  }
}

describe('credmon: hostile files, crashes, bulk work and the SIGHUP fast path', () => {
  it('a FIFO in place of a .top or .use never blocks the scan: others get tokens, the .use FIFO is replaced', async () => {
    const h = await setup();
    await h.put('alice', 'scitokens.top', 'alice');
    await mkdir(h.path('mallory'), { mode: 0o700 });
    execFileSync('mkfifo', [h.path('mallory', 'scitokens.top')]);
    await h.put('eve', 'scitokens.top', 'eve');
    execFileSync('mkfifo', [h.path('eve', 'scitokens.use')]);
    const scan = h.credmon.scanOnce();
    const outcome = await Promise.race([scan.then(() => 'scanned'), delay(5_000).then(() => 'hung')]);
    assert.equal(outcome, 'scanned');
    assert.match(await h.read('alice', 'scitokens.use'), USE_JSON);
    assert.match(await h.read('eve', 'scitokens.use'), USE_JSON, 'the FIFO .use was replaced by a real token');
    assert.ok((await stat(h.path('eve', 'scitokens.use'))).isFile());
    await stat(h.path('CREDMON_COMPLETE'));
    await h.credmon.scanOnce();
    const warnings = h.lines.filter((l) => l.includes('mallory/scitokens.top: it is a FIFO'));
    assert.equal(warnings.length, 1, `one warning for the FIFO, not one per scan:\n${h.lines.join('')}`);
  });

  it('at start, removes the temp files a crashed writer left, and keeps those of a live writer', async () => {
    const h = await setup();
    await h.put('alice', 'scitokens.top', 'alice');
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid ?? 999_999; // a pid that just ended
    const abandoned = `.credmon-${dead}-aaaaaaaaaaaa.tmp`;
    const live = `.credmon-${process.ppid}-bbbbbbbbbbbb.tmp`;
    await h.put('alice', abandoned, '{"access_token": "half');
    await h.put('alice', live, 'being written');
    await writeFile(h.path(abandoned), '12');
    await h.credmon.start(4321);
    const left = await readdir(h.path('alice'));
    assert.ok(!left.includes(abandoned), "the crashed writer's temp file is gone");
    assert.ok(left.includes(live), 'a live writer (the web app) keeps its temp file');
    assert.ok(!(await readdir(h.credDir)).includes(abandoned));
    assert.match(await h.read('alice', 'scitokens.use'), USE_JSON);
  });

  it('bulk issuance on worker threads: every token verifies and names its user', async () => {
    const h = await setup({ bulkThreshold: 0 });
    const users = Array.from({ length: 300 }, (_, i) => `bulk${i}`);
    for (const user of users) await h.put(user, 'scitokens.top', user);
    const summary = await h.credmon.scanOnce();
    assert.equal(summary.issued, 300);
    for (const user of users) {
      const jwt = USE_JSON.exec(await h.read(user, 'scitokens.use'))?.[1] ?? '';
      assert.equal((await h.verify(jwt))['sub'], user);
    }
  });

  it('a new user who submits during a bulk issuance gets a token before the bulk finishes', async () => {
    const h = await setup({ bulkThreshold: 0 });
    for (let i = 0; i < 2_000; i++) await h.put(`many${i}`, 'scitokens.top', `many${i}`);
    await h.credmon.start();
    for (let i = 2_000; i < 4_000; i++) await h.put(`many${i}`, 'scitokens.top', `many${i}`);
    const bulkDone = once(h.credmon, 'scan.completed');
    h.credmon.wake();
    await delay(5);
    await h.put('late', 'scitokens.top', 'late');
    h.credmon.wake();
    let lateFirst: boolean | undefined;
    void bulkDone.then(() => (lateFirst ??= false));
    await waitUntil(() => existsSync(h.path('late', 'scitokens.use')) || lateFirst !== undefined, 30_000);
    lateFirst ??= true;
    assert.ok(lateFirst, 'the late user waited behind the bulk issuance');
    await bulkDone;
    assert.ok(existsSync(h.path('many3999', 'scitokens.use')));
  });

  it('refreshes run at most CREDMON_OAUTH_REFRESH_CONCURRENCY at a time per provider, and all complete', async () => {
    const h = await setup({ knobs: { CREDMON_OAUTH_REFRESH_CONCURRENCY: '4' } });
    let active = 0;
    let most = 0;
    const endpoint = await tokenEndpoint(async () => {
      active++;
      most = Math.max(most, active);
      await delay(30);
      active--;
      return json(200, { access_token: AT_NEW, token_type: 'Bearer', expires_in: 3600 });
    });
    for (let i = 0; i < 20; i++) {
      await h.put(`u${i}`, 'mytokens.top', TOP);
      await h.put(`u${i}`, 'mytokens.meta', meta(endpoint.url));
      await h.put(`u${i}`, 'mytokens.use', `{"access_token": "${AT_OLD}", "expires_in": 10}`);
    }
    h.nowMs = Date.now() + 60_000;
    assert.equal((await h.credmon.scanOnce()).refreshesStarted, 20);
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 20);
    assert.equal(most, 4);
    for (let i = 0; i < 20; i++) assert.match(await h.read(`u${i}`, 'mytokens.use'), new RegExp(AT_NEW));
  });

  it("honours a provider's Retry-After: no request before it ends, one after", async () => {
    const h = await setup();
    const endpoint = await tokenEndpoint((_request, index) =>
      index === 0
        ? { status: 503, body: 'busy', headers: { 'retry-after': '600' } }
        : json(200, { access_token: AT_NEW, token_type: 'Bearer', expires_in: 3600 }),
    );
    await putExpiredOAuth(h, endpoint.url);
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 1);
    assert.match(h.lines.join(''), /retryInS=600/);
    h.nowMs += 300_000; // past any backoff without Retry-After (30-60 s), before the provider's 600 s
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 1, 'asked again before Retry-After ended');
    h.nowMs += 301_000;
    await h.credmon.scanOnce();
    await h.credmon.settle();
    assert.equal(endpoint.requests.length, 2);
    assert.match(await h.read('alice', 'mytokens.use'), new RegExp(AT_NEW));
  });
});
