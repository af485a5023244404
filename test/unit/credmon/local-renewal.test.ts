/**
 * renewLocalCredential and runLocalJob with the digests the credential table knows: a `.use` that still holds the
 * token the credmon wrote or verified is not verified again. A token signed by another key under the current kid
 * stands for "not verified": kept when its digest is known, replaced otherwise.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { lookupFrom } from '../../../src/config/condor-config.js';
import { parseCredmonConfig, type LocalIssuerConfig } from '../../../src/config/credmon-config.js';
import { CredentialDirectory, formatLocalUseFile } from '../../../src/credentials/index.js';
import {
  renewLocalCredential,
  runLocalJob,
  type LocalOutcome,
  type LocalRenewalContext,
} from '../../../src/credmon/local-renewal.js';
import { LocalIssuer, buildClaims, signToken, tokenDigest } from '../../../src/issuer/index.js';
import { parseSigningKey } from '../../../src/issuer/signing-key.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function ecKey(kid: string) {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'sec1' })
    .toString();
  return parseSigningKey(pem, kid, 'test');
}

/** Another key under the current kid. */
const IMPOSTOR = ecKey('local');

interface Fixture {
  readonly ctx: LocalRenewalContext;
  readonly issuer: LocalIssuer;
  readonly config: LocalIssuerConfig;
  put(user: string, file: string, content: string): Promise<void>;
  /** The JWT in `<user>/scitokens.use`. */
  jwt(user: string): Promise<string>;
}

async function fixture(knobs: Record<string, string> = {}): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'local-renewal-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const all = { SEC_CREDENTIAL_DIRECTORY_OAUTH: root, LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://localhost', ...knobs };
  const config = parseCredmonConfig(lookupFrom(new Map(Object.entries(all)))).local;
  const issuer = new LocalIssuer(config, ecKey('local'), { warn: () => undefined });
  const ctx: LocalRenewalContext = {
    directory: new CredentialDirectory(root),
    issuers: new Map([[config.providerName, issuer]]),
    handles: false,
    clientProviders: [],
    processStartMs: 0,
  };
  return {
    ctx,
    issuer,
    config,
    async put(user, file, content) {
      await mkdir(join(root, user), { recursive: true, mode: 0o700 });
      await writeFile(join(root, user, file), content, { mode: 0o600 });
    },
    async jwt(user) {
      const use = JSON.parse(await readFile(join(root, user, 'scitokens.use'), 'utf8')) as { access_token: string };
      return use.access_token;
    },
  };
}

/** `<user>/scitokens.top` and a `.use` holding `jwt`, written just now (so not due). */
async function putLocal(f: Fixture, user: string, jwt: string): Promise<void> {
  await f.put(user, 'scitokens.top', user);
  await f.put(user, 'scitokens.use', formatLocalUseFile(jwt, f.config.tokenLifetimeS, true));
}

function forgedFor(f: Fixture, user: string): string {
  return signToken(IMPOSTOR, buildClaims(f.config, user, [], Math.floor(Date.now() / 1000)));
}

function digestOf(outcome: LocalOutcome): string | undefined {
  return outcome.kind === 'issued' || outcome.kind === 'fresh' ? outcome.digest : undefined;
}

describe('renewLocalCredential with a known digest', () => {
  it("'issued' carries the written token's digest; the next look at it is 'fresh' with the same digest", async () => {
    const f = await fixture();
    await f.put('alice', 'scitokens.top', 'alice');
    const issued = renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now());
    assert.equal(issued.kind, 'issued');
    const digest = tokenDigest(await f.jwt('alice'));
    assert.equal(digestOf(issued), digest);
    const fresh = renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now(), { digest });
    assert.deepEqual([fresh.kind, digestOf(fresh)], ['fresh', digest]);
  });

  it('a .use still holding the known token is not verified again; without the digest it is', async () => {
    const f = await fixture();
    const forged = forgedFor(f, 'alice');
    await putLocal(f, 'alice', forged);
    const kept = renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now(), { digest: tokenDigest(forged) });
    assert.deepEqual([kept.kind, digestOf(kept)], ['fresh', tokenDigest(forged)]);
    assert.equal(await f.jwt('alice'), forged);
    const verified = renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now());
    assert.equal(verified.kind, 'issued');
    assert.notEqual(await f.jwt('alice'), forged);
    assert.ok(f.issuer.isCurrent(await f.jwt('alice'), 'alice'));
  });

  it('a .use holding another token (another digest) is verified, and replaced if its signature is bad', async () => {
    const f = await fixture();
    await f.put('alice', 'scitokens.top', 'alice');
    const issued = renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now());
    const forged = forgedFor(f, 'alice');
    await f.put('alice', 'scitokens.use', formatLocalUseFile(forged, f.config.tokenLifetimeS, true));
    const outcome = renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now(), { digest: digestOf(issued) });
    assert.equal(outcome.kind, 'issued');
    assert.notEqual(await f.jwt('alice'), forged);
    assert.equal(digestOf(outcome), tokenDigest(await f.jwt('alice')));
  });

  it("a token verified once (another process wrote it, or a restart) gives its digest with 'fresh'", async () => {
    const f = await fixture();
    const jwt = f.issuer.issue('alice', Math.floor(Date.now() / 1000)).jwt;
    await putLocal(f, 'alice', jwt);
    const outcome = renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now());
    assert.deepEqual([outcome.kind, digestOf(outcome)], ['fresh', tokenDigest(jwt)]);
  });

  it('after a key rotation, the known digest does not keep the old key’s token', async () => {
    const f = await fixture();
    await f.put('alice', 'scitokens.top', 'alice');
    const digest = digestOf(renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now()));
    f.issuer.useKey(ecKey('local-2'));
    assert.equal(renewLocalCredential(f.ctx, 'alice', 'scitokens', Date.now(), { digest }).kind, 'issued');
  });

  it('the empty token of a refused user has no digest (nothing to verify)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-renewal-groups-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const mapfile = join(dir, 'groups');
    await writeFile(mapfile, '* alice physics\n');
    const f = await fixture({
      LOCAL_CREDMON_AUTHZ_GROUP_REQUIREMENT: 'physics',
      LOCAL_CREDMON_AUTHZ_GROUP_MAPFILE: mapfile,
    });
    await f.put('bob', 'scitokens.top', 'bob');
    const issued = renewLocalCredential(f.ctx, 'bob', 'scitokens', Date.now());
    assert.deepEqual([issued.kind, digestOf(issued)], ['issued', undefined]);
    const fresh = renewLocalCredential(f.ctx, 'bob', 'scitokens', Date.now());
    assert.deepEqual([fresh.kind, digestOf(fresh)], ['fresh', undefined]);
  });
});

describe('runLocalJob passes the job’s digests on', () => {
  it('for a changed directory and for due names: a known token is kept, an unknown one replaced', async () => {
    const f = await fixture();
    const forged = { alice: forgedFor(f, 'alice'), bob: forgedFor(f, 'bob'), carol: forgedFor(f, 'carol') };
    for (const [user, jwt] of Object.entries(forged)) await putLocal(f, user, jwt);
    const known = (jwt: string): ReadonlyMap<string, string> => new Map([['scitokens', tokenDigest(jwt)]]);
    const noVersion = (): undefined => undefined;
    const now = Date.now();
    const read = runLocalJob(f.ctx, { user: 'alice', version: 'v1', digests: known(forged.alice) }, now, noVersion);
    assert.deepEqual(
      read.local.map((l) => l.outcome.kind),
      ['fresh'],
    );
    const named = { user: 'bob', names: ['scitokens'], digests: known(forged.bob) };
    assert.deepEqual(
      runLocalJob(f.ctx, named, now, noVersion).local.map((l) => l.outcome.kind),
      ['fresh'],
    );
    assert.deepEqual(
      runLocalJob(f.ctx, { user: 'carol', names: ['scitokens'] }, now, noVersion).local.map((l) => l.outcome.kind),
      ['issued'],
    );
    assert.equal(await f.jwt('alice'), forged.alice);
    assert.equal(await f.jwt('bob'), forged.bob);
    assert.notEqual(await f.jwt('carol'), forged.carol);
  });
});
