/**
 * The real credmon process with HTCondor 24.x/25.x knobs (its knobs come from a generated condor_config_val): several
 * local providers with their own settings, which OAuth providers it refreshes, RS256 signing checked with the JWKS the
 * web app would publish, upstream's exit status 99 on a disallowed provider name, and a 25.x knob on 23.9.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { loadPublicKey, toPublicJwk } from '../../src/issuer/index.js';
import { prepareCredmonProcess, type CredmonProcessFactory } from '../helpers/credmon-process.js';
import { json, startTokenEndpoint, type FakeTokenEndpoint } from './fake-token-endpoint.js';

const V25 = '25.14.1';
const RT = 'rt-knobs-secret-1111';
const AT_OLD = 'at-knobs-old-2222';

let root: string;
/** One build of the credmon for the whole file; each run rewrites the generated condor_config_val (its knobs). */
let factory: CredmonProcessFactory;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'credmon-knobs-'));
  factory = await prepareCredmonProcess(root, {});
});
after(async () => {
  await factory.dispose();
  await rm(root, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Run {
  readonly credDir: string;
  readonly keys: string;
  readonly logFile: string;
  readonly factory: CredmonProcessFactory;
}

let runs = 0;
async function prepare(knobs: (paths: { credDir: string; keys: string }) => Record<string, string>): Promise<Run> {
  const base = join(root, `run-${++runs}`);
  const credDir = join(base, 'oauth_credentials');
  const keys = join(base, 'keys');
  await mkdir(credDir, { recursive: true, mode: 0o700 });
  const logFile = join(base, 'CredmonOauthLog');
  const all: Record<string, string> = {
    SEC_CREDENTIAL_DIRECTORY_OAUTH: credDir,
    LOCAL_CREDMON_PRIVATE_KEY: join(keys, 'scitokens-private.pem'),
    LOCAL_CREDMON_PUBLIC_KEY: join(keys, 'scitokens.pem'),
    LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
    LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://storage.example.org',
    CREDMON_OAUTH_LOG: logFile,
    ...knobs({ credDir, keys }),
  };
  // The same script prepareCredmonProcess writes: it prints the knobs as condor_config_val -dump would.
  const dump = Object.entries(all)
    .map(([name, value]) => `${name} = ${value}`)
    .join('\n');
  await writeFile(join(root, 'bin', 'condor_config_val'), `#!/bin/sh\ncat <<'EOF'\n${dump}\nEOF\n`);
  return { credDir, keys, logFile, factory };
}

async function put(run: Run, user: string, file: string, content: string): Promise<void> {
  await mkdir(join(run.credDir, user), { recursive: true, mode: 0o700 });
  await writeFile(join(run.credDir, user, file), content, { mode: 0o600 });
}

/** Starts the daemon and resolves once its first scan wrote CREDMON_COMPLETE (it stops at the end of the test). */
async function startAndScan(run: Run): Promise<void> {
  const child = run.factory.start();
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  const deadline = Date.now() + 20_000;
  while (!existsSync(join(run.credDir, 'CREDMON_COMPLETE'))) {
    assert.equal(child.exitCode, null, `the credmon exited with ${child.exitCode}; log:\n${await readLog(run)}`);
    assert.ok(Date.now() < deadline, `no CREDMON_COMPLETE after 20 s; log:\n${await readLog(run)}`);
    await delay(50);
  }
}

async function readLog(run: Run): Promise<string> {
  return readFile(run.logFile, 'utf8').catch(() => '');
}

async function accessToken(run: Run, user: string, name: string): Promise<string> {
  return (JSON.parse(await readFile(join(run.credDir, user, `${name}.use`), 'utf8')) as { access_token: string })
    .access_token;
}

describe('credmon process with HTCondor 25.x knobs', () => {
  it('issues a .use per local provider in LOCAL_CREDMON_PROVIDER_NAMES, each with its own per-provider settings', async () => {
    const run = await prepare(({ keys }) => ({
      CONDOR_VERSION: V25,
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens, chemistry',
      LOCAL_CREDMON_chemistry_ISSUER: 'https://chem.example.org',
      LOCAL_CREDMON_chemistry_PRIVATE_KEY: join(keys, 'chemistry-private.pem'),
      LOCAL_CREDMON_chemistry_KEY_ID: 'chem-key',
      LOCAL_CREDMON_chemistry_TOKEN_LIFETIME: '600',
      LOCAL_CREDMON_chemistry_TOKEN_AUDIENCE: 'https://chem-storage.example.org',
      LOCAL_CREDMON_chemistry_AUTHZ_TEMPLATE: 'read:/chem/{username}',
    }));
    // A per-provider key is the admin's to create (upstream generates only LOCAL_CREDMON_PRIVATE_KEY).
    const chemPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await mkdir(run.keys, { recursive: true });
    await writeFile(
      join(run.keys, 'chemistry-private.pem'),
      chemPair.privateKey.export({ format: 'pem', type: 'sec1' }),
      { mode: 0o600 },
    );
    await put(run, 'alice', 'scitokens.top', 'alice');
    await put(run, 'alice', 'chemistry.top', 'alice');
    await put(run, 'alice', 'chemistry_lab.top', 'alice'); // a handle of chemistry (25.13.2+ rules)
    await put(run, 'alice', 'physics.top', 'alice'); // not a local provider: left alone
    await startAndScan(run);

    const sciKey = createPublicKey(await readFile(join(run.keys, 'scitokens.pem')));
    const chemKey = createPublicKey(await readFile(join(run.keys, 'chemistry-private.pem')));
    const sci = await jwtVerify(await accessToken(run, 'alice', 'scitokens'), sciKey, {
      issuer: 'https://ap.example.org',
    });
    assert.equal(sci.protectedHeader.kid, 'local');
    assert.deepEqual(sci.payload.aud, ['https://storage.example.org']);
    assert.equal(sci.payload.scope, 'read:/user/alice write:/user/alice');
    assert.equal((sci.payload.exp ?? 0) - (sci.payload.iat ?? 0), 1200);
    for (const name of ['chemistry', 'chemistry_lab']) {
      const chem = await jwtVerify(await accessToken(run, 'alice', name), chemKey, {
        issuer: 'https://chem.example.org',
      });
      assert.equal(chem.protectedHeader.kid, 'chem-key');
      assert.deepEqual(chem.payload.aud, ['https://chem-storage.example.org']);
      assert.equal(chem.payload.scope, 'read:/chem/alice');
      assert.equal((chem.payload.exp ?? 0) - (chem.payload.iat ?? 0), 600);
      await assert.rejects(
        jwtVerify(await accessToken(run, 'alice', name), sciKey),
        'signed with its own key, not the scitokens key',
      );
    }
    assert.equal(
      existsSync(join(run.credDir, 'alice', 'physics.use')),
      false,
      'no token for a provider that is not local',
    );
  });

  it('refreshes only OAUTH2_CREDMON_PROVIDER_NAMES providers that have a <provider>_CLIENT_ID; the rest are left alone', async () => {
    const endpoint: FakeTokenEndpoint = await startTokenEndpoint(() =>
      json(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: 3600, refresh_token: RT }),
    );
    cleanups.push(() => endpoint.close());
    const run = await prepare(() => ({
      CONDOR_VERSION: V25,
      OAUTH2_CREDMON_PROVIDER_NAMES: 'box nocid',
      BOX_CLIENT_ID: 'box-client',
      GITHUB_CLIENT_ID: 'github-client',
    }));
    const expiredUse = `{"access_token": "${AT_OLD}", "token_type": "Bearer", "expires_in": 10}`;
    for (const name of ['box', 'box_readonly', 'github', 'nocid']) {
      await put(run, 'alice', `${name}.top`, `{"refresh_token": "${RT}"}`);
      await put(
        run,
        'alice',
        `${name}.meta`,
        JSON.stringify({ client_id: 'c', client_secret: 's', token_url: `${endpoint.url}/${name}` }),
      );
      await put(run, 'alice', `${name}.use`, expiredUse);
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(join(run.credDir, 'alice', `${name}.use`), hourAgo, hourAgo); // written an hour ago: due
    }
    await startAndScan(run);
    const deadline = Date.now() + 10_000;
    while (endpoint.requests.length < 2 && Date.now() < deadline) await delay(50);
    await delay(1_000); // time for any wrong refresh to happen too

    assert.deepEqual(endpoint.requests.map((r) => r.path.split('/').pop()).sort(), ['box', 'box_readonly']);
    assert.equal(await accessToken(run, 'alice', 'box'), 'at-new');
    assert.equal(await accessToken(run, 'alice', 'box_readonly'), 'at-new');
    assert.equal(
      await readFile(join(run.credDir, 'alice', 'github.use'), 'utf8'),
      expiredUse,
      'github is not in the list',
    );
    assert.equal(await readFile(join(run.credDir, 'alice', 'nocid.use'), 'utf8'), expiredUse, 'nocid has no CLIENT_ID');
    const log = await readLog(run);
    assert.equal(log.split('nocid_CLIENT_ID not set in config').length - 1, 1, `logged once:\n${log}`);
  });

  it('signs RS256 with LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM = RS256; the JWKS the web app publishes verifies it', async () => {
    const run = await prepare(() => ({
      CONDOR_VERSION: V25,
      LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'RS256',
      LOCAL_CREDMON_KEY_ID: 'rsa-1',
    }));
    await put(run, 'alice', 'scitokens.top', 'alice');
    await startAndScan(run);
    assert.match(
      (await readFile(join(run.keys, 'scitokens-private.pem'), 'utf8')).split('\n')[0] ?? '',
      /BEGIN RSA PRIVATE KEY/,
    );
    const jwk = await toPublicJwk(await loadPublicKey(join(run.keys, 'scitokens.pem')), 'rsa-1');
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.alg, 'RS256');
    const token = await accessToken(run, 'alice', 'scitokens');
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    const verified = await jwtVerify(token, createLocalJWKSet({ keys: [jwk] }), { issuer: 'https://ap.example.org' });
    assert.equal(verified.payload.sub, 'alice');
  });

  it('refuses an ES256 key when RS256 is configured: no token, and the log says why', async () => {
    const first = await prepare(() => ({ CONDOR_VERSION: V25 }));
    await put(first, 'alice', 'scitokens.top', 'alice');
    await startAndScan(first);
    const run = await prepare(() => ({
      CONDOR_VERSION: V25,
      LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM: 'RS256',
      LOCAL_CREDMON_PRIVATE_KEY: join(first.keys, 'scitokens-private.pem'),
      LOCAL_CREDMON_PUBLIC_KEY: join(first.keys, 'scitokens.pem'),
    }));
    await put(run, 'alice', 'scitokens.top', 'alice');
    await startAndScan(run);
    assert.equal(existsSync(join(run.credDir, 'alice', 'scitokens.use')), false);
    assert.match(await readLog(run), /is an ES256 key, but LOCAL_CREDMON_PRIVATE_KEY_ALGORITHM is RS256/);
  });

  it('exits 99 (DAEMON_NO_RESTART), as upstream, on a provider name with _ under 25.x rules', async () => {
    const run = await prepare(() => ({ CONDOR_VERSION: V25, LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens my_tokens' }));
    const child = run.factory.start();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 99);
    assert.equal(existsSync(join(run.credDir, 'pid')), false, 'it stopped before touching the credential directory');
  });

  it('on 23.9, LOCAL_CREDMON_PROVIDER_NAMES does not break anything: reported once, the single provider is served', async () => {
    const run = await prepare(() => ({
      CONDOR_VERSION: '23.9.6',
      LOCAL_CREDMON_PROVIDER_NAMES: 'scitokens my_tokens',
    }));
    await put(run, 'alice', 'scitokens.top', 'alice');
    await startAndScan(run);
    assert.ok(existsSync(join(run.credDir, 'alice', 'scitokens.use')));
    const log = await readLog(run);
    assert.equal(
      log.split('LOCAL_CREDMON_PROVIDER_NAMES is set, but HTCondor 23.9.6 does not know it').length - 1,
      1,
      log,
    );
  });
});
