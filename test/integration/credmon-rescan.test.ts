/**
 * The scan after an issuance: the credmon's own `.use` writes changed every user directory, so it reads them all
 * again, and finds each token it wrote by its digest instead of verifying its signature again (local-renewal.ts).
 * A `.use` replaced since (by hand, by another process) is verified as before, and replaced when its signature is bad.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { lookupFrom, parseCredmonConfig, type CredmonConfig } from '../../src/config/index.js';
import { CredentialDirectory, formatLocalUseFile } from '../../src/credentials/index.js';
import { Credmon, stateOf } from '../../src/credmon/index.js';
import { LocalWorkPool } from '../../src/credmon/local-work-pool.js';
import {
  LocalIssuer,
  buildClaims,
  ensureSigningKey,
  loadSigningKey,
  parseSigningKey,
  signToken,
  tokenDigest,
  type SigningKey,
} from '../../src/issuer/index.js';
import { createMemoryLogger } from '../../src/log/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  readonly config: CredmonConfig;
  readonly credmon: Credmon;
  readonly issuer: LocalIssuer;
  readonly issued: string[];
  readonly lines: string[];
  put(user: string, file: string, content: string): Promise<void>;
  use(user: string): Promise<string>;
}

/** A Credmon on a temp credential directory with a real key; `bulk`: every scan's work on the worker threads. */
async function setup(bulk = false): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'credmon-rescan-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const credDir = join(root, 'oauth_credentials');
  const knobs = {
    SEC_CREDENTIAL_DIRECTORY_OAUTH: credDir,
    LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost',
    LOCAL_CREDMON_PRIVATE_KEY: join(root, 'keys', 'scitokens-private.pem'),
    LOCAL_CREDMON_PUBLIC_KEY: join(root, 'keys', 'scitokens.pem'),
    LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
  };
  const config = parseCredmonConfig(lookupFrom(new Map(Object.entries(knobs))));
  const directory = new CredentialDirectory(config.credDir);
  await directory.prepare();
  await ensureSigningKey(config.local.privateKeyPath, config.local.publicKeyPath);
  const { logger, lines } = createMemoryLogger('credmon', true);
  const key = await loadSigningKey(config.local.privateKeyPath, config.local.keyId);
  const issuer = new LocalIssuer(config.local, key, logger);
  const credmon = new Credmon({
    config,
    directory,
    issuers: new Map([[config.local.providerName, issuer]]),
    log: logger,
    ...(bulk ? { bulkThreshold: 0, mainThreadMaxJobs: 0 } : {}),
  });
  cleanups.push(() => credmon.stop());
  const issued: string[] = [];
  credmon.on('credential.issued', ({ user }) => issued.push(user));
  return {
    config,
    credmon,
    issuer,
    issued,
    lines,
    async put(user, file, content) {
      await mkdir(join(credDir, user), { recursive: true, mode: 0o700 });
      await rm(join(credDir, user, file), { force: true }); // the credmon writes its .use 0400
      await writeFile(join(credDir, user, file), content, { mode: 0o600 });
    },
    use: (user) => readFile(join(credDir, user, 'scitokens.use'), 'utf8'),
  };
}

/** Another key under the credmon's kid: its tokens look right but do not verify. */
function impostorKey(): SigningKey {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'sec1' })
    .toString();
  return parseSigningKey(pem, 'local', 'test');
}

/** A `.use` whose token has the right claims and kid but a signature of another key (a hand edit). */
function badlySigned(h: Harness, user: string): string {
  const jwt = signToken(impostorKey(), buildClaims(h.config.local, user, [], Math.floor(Date.now() / 1000)));
  return formatLocalUseFile(jwt, h.config.local.tokenLifetimeS, true);
}

async function issueFor(h: Harness, users: readonly string[]): Promise<Map<string, string>> {
  for (const user of users) await h.put(user, 'scitokens.top', user);
  assert.equal((await h.credmon.scanOnce()).issued, users.length);
  h.issued.length = 0;
  return new Map(await Promise.all(users.map(async (u) => [u, await h.use(u)] as const)));
}

function assertAllFresh(h: Harness): void {
  const states = [...h.credmon.trackedCredentials()].map((e) => stateOf(e.schedule, Date.now()));
  assert.ok(states.length > 0 && states.every((s) => s === 'fresh'), states.join(' '));
}

describe('Credmon: the scan after our own writes', () => {
  it('keeps every token it wrote (re-read, not re-signed), and replaces a badly signed .use put by hand', async () => {
    const h = await setup();
    const users = ['alice', 'bob', 'carol', 'dave'];
    const written = await issueFor(h, users);
    await h.put('carol', 'scitokens.use', badlySigned(h, 'carol'));
    const summary = await h.credmon.scanOnce();
    assert.equal(summary.usersRead, users.length, 'our writes changed every directory: all are read again');
    assert.deepEqual(h.issued, ['carol']);
    for (const user of ['alice', 'bob', 'dave']) assert.equal(await h.use(user), written.get(user), user);
    const replaced = JSON.parse(await h.use('carol')) as { access_token: string };
    assert.ok(h.issuer.isCurrent(replaced.access_token, 'carol'), 'signed again with the right key');
    assertAllFresh(h);
  });

  it('does not verify a token it wrote again: kept after a same-kid key swap, while others are verified', async () => {
    const h = await setup();
    const written = await issueFor(h, ['alice', 'bob']);
    // Carol's token is signed by the same key, but not written by this credmon (another process, before a restart).
    const carols = h.issuer.issue('carol', Math.floor(Date.now() / 1000)).jwt;
    await h.put('carol', 'scitokens.top', 'carol');
    await h.put('carol', 'scitokens.use', formatLocalUseFile(carols, h.config.local.tokenLifetimeS, true));
    // The verifying key changes under the same kid (the key set watcher never does this: a kid names one key), so
    // a token that is verified again fails: only the digest keeps alice's and bob's tokens.
    h.issuer.useKey(impostorKey());
    const summary = await h.credmon.scanOnce();
    assert.equal(summary.usersRead, 3);
    assert.deepEqual(h.issued, ['carol'], 'an unknown token is verified (and fails)');
    assert.equal(await h.use('alice'), written.get('alice'));
    assert.equal(await h.use('bob'), written.get('bob'));
  });

  it('on the worker threads too: tokens it wrote are kept, and a badly signed .use is replaced', async () => {
    const h = await setup(true);
    // More users than the main thread's first slice (50), so most of both scans run on the worker threads.
    const users = Array.from({ length: 150 }, (_, i) => `bulk${String(i).padStart(3, '0')}`);
    const written = await issueFor(h, users);
    const forged = users.filter((_, i) => i % 25 === 7);
    for (const user of forged) await h.put(user, 'scitokens.use', badlySigned(h, user));
    const summary = await h.credmon.scanOnce();
    assert.equal(summary.usersRead, users.length);
    assert.deepEqual(h.issued.sort(), forged);
    assert.ok(!h.lines.some((l) => l.includes('Signing threads failed')), 'the worker threads did the work');
    for (const user of users) {
      if (forged.includes(user)) assert.notEqual(await h.use(user), written.get(user), user);
      else assert.equal(await h.use(user), written.get(user), user);
    }
    assertAllFresh(h);
  });

  it('a worker thread uses the digests a job brings: a known token is not verified again there', async () => {
    const h = await setup();
    const forged = signToken(impostorKey(), buildClaims(h.config.local, 'alice', [], Math.floor(Date.now() / 1000)));
    await h.put('alice', 'scitokens.top', 'alice');
    await h.put('alice', 'scitokens.use', formatLocalUseFile(forged, h.config.local.tokenLifetimeS, true));
    await h.put('bob', 'scitokens.top', 'bob');
    await h.put('bob', 'scitokens.use', badlySigned(h, 'bob'));
    const { config, issuer } = h;
    const pool = new LocalWorkPool({
      size: 1,
      setup: {
        root: config.credDir,
        issuers: [
          {
            provider: config.local.providerName,
            kind: 'key',
            config: config.local,
            key: issuer.key,
            classadPath: undefined,
          },
        ],
        handles: config.handles,
        clientProviders: [],
        processStartMs: 0,
      },
    });
    cleanups.push(() => pool.close());
    const outcomes = new Map<string, string>();
    const digests = new Map([['scitokens', tokenDigest(forged)]]);
    await pool.run(
      [
        { user: 'alice', names: ['scitokens'], digests },
        { user: 'bob', names: ['scitokens'] },
      ],
      Date.now(),
      (results) => {
        for (const r of results) outcomes.set(r.user, r.local.map((l) => l.outcome.kind).join());
      },
    );
    assert.deepEqual(Object.fromEntries(outcomes), { alice: 'fresh', bob: 'issued' });
  });
});
