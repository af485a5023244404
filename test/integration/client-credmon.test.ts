import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { lookupFrom, parseCredmonConfig } from '../../src/config/index.js';
import { CredentialDirectory } from '../../src/credentials/index.js';
import { Credmon, setUpClientProviders } from '../../src/credmon/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { json, startTokenEndpoint, type FakeTokenEndpoint } from './fake-token-endpoint.js';

const SECRET = 'robot-SECRET-7777';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.robot-access-token.sig';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  readonly endpoint: FakeTokenEndpoint;
  readonly credmon: Credmon;
  readonly lines: string[];
  readonly credDir: string;
  nowMs: number;
}

/** A credmon with one client provider `robot` whose token endpoint is a real HTTP server on 127.0.0.1. */
async function setup(options: { secret?: string; secretMode?: number; knobs?: Record<string, string> } = {}) {
  const root = await mkdtemp(join(tmpdir(), 'client-credmon-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const endpoint = await startTokenEndpoint(() =>
    json(200, { access_token: TOKEN, token_type: 'Bearer', expires_in: 600 }),
  );
  cleanups.push(() => endpoint.close());
  const secretFile = join(root, 'robot.secret');
  await writeFile(secretFile, options.secret ?? `${SECRET}\n`, { mode: 0o600 });
  await chmod(secretFile, options.secretMode ?? 0o600);
  const credDir = join(root, 'oauth_credentials');
  const knobs = {
    SEC_CREDENTIAL_DIRECTORY_OAUTH: credDir,
    CONDOR_VERSION: '25.14.1',
    LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
    LOCAL_CREDMON_PRIVATE_KEY: join(root, 'scitokens-private.pem'),
    CLIENT_CREDMON_PROVIDER_NAMES: 'robot',
    CLIENT_CREDMON_robot_CLIENT_ID: 'robot',
    CLIENT_CREDMON_robot_CLIENT_SECRET_FILE: secretFile,
    CLIENT_CREDMON_robot_TOKEN_URL: endpoint.url,
    CLIENT_CREDMON_robot_AUTHZ_TEMPLATE: 'storage.read:/user/{username} storage.create:/user/{username}',
    CLIENT_CREDMON_robot_TOKEN_AUDIENCE: 'https://storage.example',
    ...options.knobs,
  };
  const config = parseCredmonConfig(lookupFrom(new Map(Object.entries(knobs).map(([k, v]) => [k.toUpperCase(), v]))));
  const directory = new CredentialDirectory(config.credDir);
  await directory.prepare();
  const { logger, lines } = createMemoryLogger('credmon', true);
  const clients = await setUpClientProviders(config.clientProviders, logger, process.geteuid?.() ?? 0);
  const state = { nowMs: Date.now() } as Setup;
  const credmon = new Credmon({
    config,
    directory,
    issuers: new Map([[config.local.providerName, new Error('no local key in this test')]]),
    clients,
    log: logger,
    now: () => state.nowMs,
    random: () => 0,
  });
  cleanups.push(() => credmon.stop());
  return Object.assign(state, { endpoint, credmon, lines, credDir });
}

async function putTop(credDir: string, user: string, name = 'robot'): Promise<void> {
  await mkdir(join(credDir, user), { recursive: true, mode: 0o700 });
  await writeFile(join(credDir, user, `${name}.top`), '', { mode: 0o600 });
}

async function scan(s: Setup): Promise<void> {
  await s.credmon.scanOnce();
  await s.credmon.settle();
}

describe('client-credentials credmon (CLIENT_CREDMON_PROVIDER_NAMES)', () => {
  it("a credd's robot.top becomes robot.use, asked for by the client-credentials grant naming the user", async () => {
    const s = await setup();
    await putTop(s.credDir, 'alice');
    await scan(s);
    const use = JSON.parse(await readFile(join(s.credDir, 'alice', 'robot.use'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(use, { access_token: TOKEN, expires_in: 600 });
    assert.equal(s.endpoint.requests.length, 1);
    const { form, headers } = s.endpoint.requests[0]!;
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('scope'), 'storage.read:/user/alice storage.create:/user/alice condor.user:alice');
    assert.equal(form.get('audience'), 'https://storage.example');
    assert.equal(form.get('client_secret'), null, 'client_secret_basic by default: the secret is not in the body');
    const basic = Buffer.from(`robot:${SECRET}`).toString('base64');
    assert.equal(headers.authorization, `Basic ${basic}`);
    assert.ok(s.lines.some((l) => l.includes('Successfully obtained robot token for user alice')));
    assert.ok(!s.lines.some((l) => l.includes(SECRET) || l.includes(TOKEN)), 'no secret or token in the log');
  });

  it('a fresh token is not asked for again; one past half its life is', async () => {
    const s = await setup();
    await putTop(s.credDir, 'alice');
    await scan(s);
    await scan(s);
    assert.equal(s.endpoint.requests.length, 1);
    s.nowMs += 301_000;
    await scan(s);
    assert.equal(s.endpoint.requests.length, 2);
  });

  it('a refused client (401) keeps no .use, says so once, and backs off; other users are not held up', async () => {
    const s = await setup();
    s.endpoint.respondWith(() => json(401, { error: 'invalid_client', error_description: 'bad secret' }));
    await putTop(s.credDir, 'alice');
    await scan(s);
    await scan(s);
    assert.equal(s.endpoint.requests.length, 1, 'backed off: not asked again at the next scan');
    await assert.rejects(readFile(join(s.credDir, 'alice', 'robot.use')), { code: 'ENOENT' });
    const refusals = s.lines.filter((l) => l.includes('Cannot get robot token for user alice'));
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!, /invalid_client/);
  });

  it('a token endpoint that answers 503 is retried later with the provider backoff, then works', async () => {
    const s = await setup();
    let calls = 0;
    s.endpoint.respondWith(() =>
      ++calls === 1 ? json(503, {}) : json(200, { access_token: TOKEN, token_type: 'Bearer', expires_in: 600 }),
    );
    await putTop(s.credDir, 'bob');
    await scan(s);
    await assert.rejects(readFile(join(s.credDir, 'bob', 'robot.use')), { code: 'ENOENT' });
    assert.ok(s.lines.some((l) => l.includes('Cannot get robot token for user bob (temporarily)')));
    s.nowMs += 60_000;
    await scan(s);
    assert.match(await readFile(join(s.credDir, 'bob', 'robot.use'), 'utf8'), /robot-access-token/);
  });

  it('a secret file others can read disables the provider with a clear reason, and asks nothing', async () => {
    const s = await setup({ secretMode: 0o644 });
    await putTop(s.credDir, 'alice');
    await scan(s);
    assert.equal(s.endpoint.requests.length, 0);
    assert.ok(s.lines.some((l) => /mode 644 lets other users read the client secret \(chmod 600/.test(l)));
    assert.ok(!s.lines.some((l) => l.includes(SECRET)));
  });

  it('an empty secret file disables the provider with a clear reason', async () => {
    const s = await setup({ secret: '  \n' });
    await putTop(s.credDir, 'alice');
    await scan(s);
    assert.equal(s.endpoint.requests.length, 0);
    assert.ok(s.lines.some((l) => l.includes('CLIENT_CREDMON_robot_CLIENT_SECRET_FILE') && l.includes('is empty')));
  });

  it('WLCG profile and client_secret_post: scope wlcg, the secret in the body', async () => {
    const s = await setup({
      knobs: {
        CLIENT_CREDMON_TOKEN_VERSION: 'wlcg:1.0',
        CLIENT_CREDMON_robot_CLIENT_AUTH_METHOD: 'client_secret_post',
      },
    });
    await putTop(s.credDir, 'carol');
    await scan(s);
    const { form, headers } = s.endpoint.requests[0]!;
    assert.equal(form.get('scope'), 'storage.read:/user/carol storage.create:/user/carol wlcg condor.user:carol');
    assert.equal(form.get('client_secret'), SECRET);
    assert.equal(headers.authorization, undefined);
  });
});

describe('client provider configuration', () => {
  const base = {
    SEC_CREDENTIAL_DIRECTORY_OAUTH: '/var/lib/condor/oauth_credentials',
    LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
    CLIENT_CREDMON_PROVIDER_NAMES: 'robot',
  };
  const parse = (knobs: Record<string, string>) =>
    parseCredmonConfig(
      lookupFrom(new Map(Object.entries({ ...base, ...knobs }).map(([k, v]) => [k.toUpperCase(), v]))),
    );

  it('names every missing knob at once', () => {
    assert.throws(
      () => parse({ CONDOR_VERSION: '25.14.1' }),
      (error: Error) =>
        /CLIENT_CREDMON_CLIENT_ID must be set/.test(error.message) &&
        /CLIENT_CREDMON_CLIENT_SECRET_FILE must be set/.test(error.message),
    );
  });

  it('on HTCondor 23.9 the client knobs are ignored with a warning, as 23.9 ignores them', () => {
    const config = parse({ CONDOR_VERSION: '23.9.6' });
    assert.deepEqual(config.clientProviders, []);
    assert.ok(config.warnings.some((w) => w.startsWith('CLIENT_CREDMON_PROVIDER_NAMES is set, but HTCondor 23.9.6')));
  });

  it('a provider both local and client, or an unknown auth method, is refused', () => {
    const knobs = {
      CONDOR_VERSION: '25.14.1',
      CLIENT_CREDMON_PROVIDER_NAMES: 'scitokens',
      CLIENT_CREDMON_CLIENT_ID: 'x',
      CLIENT_CREDMON_CLIENT_SECRET_FILE: '/etc/condor/x',
      CLIENT_CREDMON_CLIENT_AUTH_METHOD: 'private_key_jwt',
    };
    assert.throws(
      () => parse(knobs),
      (error: Error) =>
        /scitokens is also in LOCAL_CREDMON_PROVIDER_NAME/.test(error.message) &&
        /CLIENT_CREDMON_CLIENT_AUTH_METHOD = private_key_jwt: expected/.test(error.message),
    );
  });
});
