import { RotationRefused } from '../../src/shared/errors.js';
/**
 * Key rotation on real files (issue 18): rotateKeys and advanceKeys on a temp key set beside a real single key, the
 * credmon's KeySetWatcher switching a real LocalIssuer, the web app's JWKS, credmon-key's commands, and what a crash
 * between two steps leaves.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { lookupFrom, parseCredmonConfig, type CredmonConfig } from '../../src/config/index.js';
import { KeySetWatcher } from '../../src/credmon/key-set-watcher.js';
import {
  LocalIssuer,
  ensureSigningKey,
  keySetDirectoryFor,
  keySetTargetFor,
  loadSigningKey,
  readKeySet,
  rotateKeys,
  verifyToken,
} from '../../src/issuer/index.js';
import { parseKeyCommand, runKeyCommand } from '../../src/key-admin/index.js';
import { createMemoryLogger } from '../../src/log/index.js';
import { ReportOnce } from '../../src/shared/report-once.js';
import { createIssuerKeySource } from '../../src/web/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const T0 = Date.UTC(2026, 11, 3, 7, 0, 0);
const LEAD_S = 100;
const LIFETIME_S = 300;

async function setup(extra: Record<string, string> = {}): Promise<{
  config: CredmonConfig;
  issuer: LocalIssuer;
  dir: string;
  lines: string[];
  watcher: KeySetWatcher;
}> {
  const root = await mkdtemp(join(tmpdir(), 'key-rotation-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const knobs = new Map(
    Object.entries({
      SEC_CREDENTIAL_DIRECTORY_OAUTH: join(root, 'creds'),
      LOCAL_CREDMON_PRIVATE_KEY: join(root, 'keys', 'scitokens-private.pem'),
      LOCAL_CREDMON_PUBLIC_KEY: join(root, 'keys', 'scitokens.pem'),
      LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
      LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://storage.example.org',
      LOCAL_CREDMON_TOKEN_LIFETIME: String(LIFETIME_S),
      LOCAL_CREDMON_KEY_ROTATION_LEAD: String(LEAD_S),
      ...extra,
    }),
  );
  const config = parseCredmonConfig(lookupFrom(knobs));
  await ensureSigningKey(config.local.privateKeyPath, config.local.publicKeyPath);
  const { logger, lines } = createMemoryLogger('credmon', true);
  const issuer = new LocalIssuer(config.local, await loadSigningKey(config.local.privateKeyPath, 'local'), logger);
  const watcher = new KeySetWatcher(new Map([['scitokens', issuer]]), config.keyRotation, logger, new ReportOnce());
  return { config, issuer, dir: keySetDirectoryFor(config.local.privateKeyPath), lines, watcher };
}

const kidsOf = async (config: CredmonConfig, nowMs: number): Promise<string[]> => {
  const source = createIssuerKeySource(config.local, { now: () => nowMs, leadS: LEAD_S });
  return (await source.jwks()).keys.map((k) => String(k.kid));
};

describe('key rotation', () => {
  it('without a key set, nothing changes: the single key signs and is the JWKS', async () => {
    const { config, issuer, watcher } = await setup();
    assert.equal(await watcher.sync(T0), false);
    assert.equal(issuer.key.kid, 'local');
    assert.equal(watcher.nextDueMs(), undefined);
    assert.deepEqual(await kidsOf(config, T0), ['local']);
  });

  it('a rotation publishes the new key at once, switches after the lead, retires the old one, then drops it', async () => {
    const { config, issuer, dir, watcher, lines } = await setup();
    const out = await runKeyCommand(parseKeyCommand(['rotate']), config, T0);
    const kid = /new key (\S+) \(ES256\) is in the JWKS now/.exec(out)?.[1] ?? '';
    assert.match(kid, /^local-20261203T070000Z-[0-9a-f]{4}$/);
    assert.match(out, /signs from 2026-12-03T07:01:40\.000Z \(in 100 s, LOCAL_CREDMON_KEY_ROTATION_LEAD\)/);
    assert.match(out, /Warning: a lead of 100 s is shorter than scitokens-cpp's 600 s key refresh/);
    assert.deepEqual(await kidsOf(config, T0), [kid, 'local'], 'the new key is published before it signs');
    assert.equal((await stat(join(dir, `${kid}.pem`))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, `${kid}.pub`))).mode & 0o777, 0o644);

    await watcher.sync(T0 + 1000);
    assert.equal(issuer.key.kid, 'local', 'the old key signs until the lead has passed');
    assert.equal(watcher.nextDueMs(), T0 + LEAD_S * 1000);
    const before = issuer.issue('alice', T0 / 1000).jwt;

    assert.equal(await watcher.sync(T0 + LEAD_S * 1000), false, 'a switch is no revocation');
    assert.equal(issuer.key.kid, kid);
    assert.ok(!issuer.isCurrent(before, 'alice'), 'tokens of the old key are re-signed when next looked at');
    assert.ok(verifyToken(issuer.key, issuer.issue('alice', T0 / 1000 + LEAD_S).jwt));
    assert.ok(lines.some((l) => l.includes(`Signing with key ${kid} (key rotation)`)));
    const retireEnd = T0 + (LEAD_S + LIFETIME_S + 60) * 1000;
    assert.equal(watcher.nextDueMs(), retireEnd);
    assert.deepEqual(await kidsOf(config, retireEnd - 1), [kid, 'local'], 'the old key stays while its tokens live');
    assert.deepEqual(await kidsOf(config, retireEnd), [kid], 'the JWKS drops it at its end even before the credmon');

    await watcher.sync(retireEnd);
    assert.deepEqual(
      (await readKeySet(dir))?.keys.map((k) => `${k.kid}:${k.state}`),
      [`${kid}:active`],
    );
    assert.deepEqual((await readdir(dir)).sort(), ['keyset.json', `${kid}.pem`, `${kid}.pub`]);
    const status = await runKeyCommand(parseKeyCommand(['status', '--json']), config, retireEnd);
    const parsed = JSON.parse(status) as { providers: Array<{ keySet: boolean; keys: Array<{ kid: string }> }> };
    assert.deepEqual(
      parsed.providers[0]?.keys.map((k) => k.kid),
      [kid],
    );
  });

  it('a second rotation before the switch is refused and leaves no key files behind', async () => {
    const { config, dir } = await setup();
    await runKeyCommand(parseKeyCommand(['rotate']), config, T0);
    const files = (await readdir(dir)).sort();
    await assert.rejects(runKeyCommand(parseKeyCommand(['rotate']), config, T0 + 1000), (e: unknown) => {
      return (
        e instanceof RotationRefused &&
        /a rotation is already in progress: key local-\S+ starts signing at/.test(e.message)
      );
    });
    assert.deepEqual((await readdir(dir)).sort(), files);
  });

  it('--now --revoke-old: only the new key is published, and the credmon re-signs every token now', async () => {
    const { config, issuer, watcher } = await setup();
    assert.equal(await watcher.sync(T0 - 1), false, "the credmon's start");
    const out = await runKeyCommand(parseKeyCommand(['rotate', '--now', '--revoke-old']), config, T0);
    assert.match(out, /Revoked, gone from the JWKS now: local\. Every token is re-signed at once\./);
    assert.match(out, /up to keycache\.update_interval_s, 600 s by default/);
    const kids = await kidsOf(config, T0);
    assert.equal(kids.length, 1);
    assert.notEqual(kids[0], 'local');
    assert.equal(await watcher.sync(T0 + 1), true);
    assert.equal(issuer.key.kid, kids[0]);
  });

  it('after a crash between writing a key and naming it, the leftover files go and the set is as before', async () => {
    const { config, dir, issuer, watcher } = await setup();
    await runKeyCommand(parseKeyCommand(['rotate', '--now']), config, T0);
    await watcher.sync(T0 + 1);
    const kid = issuer.key.kid;
    await writeFile(join(dir, 'local-20261203T070500Z-dead.pem'), 'half a key', { mode: 0o600 });
    await writeFile(join(dir, 'local-20261203T070500Z-dead.pub'), '', { mode: 0o644 });
    await watcher.sync(T0 + (LIFETIME_S + 61) * 1000);
    assert.deepEqual((await readdir(dir)).sort(), ['keyset.json', `${kid}.pem`, `${kid}.pub`]);
  });

  it('a switch whose new key cannot be read is not written: the old key keeps signing and stays published', async () => {
    const { config, dir, issuer, watcher, lines } = await setup();
    await watcher.sync(T0 - 1);
    const out = await runKeyCommand(parseKeyCommand(['rotate']), config, T0);
    const kid = /new key (\S+) /.exec(out)?.[1] ?? '';
    await rm(join(dir, `${kid}.pem`));
    await watcher.sync(T0 + LEAD_S * 1000);
    assert.equal(issuer.key.kid, 'local');
    assert.deepEqual(
      (await readKeySet(dir))?.keys.map((k) => `${k.kid}:${k.state}`),
      ['local:active', `${kid}:next`],
    );
    assert.ok(
      lines.some((l) => l.includes(`${kid}.pem, named in keyset.json, is missing`)),
      lines.join('\n'),
    );
  });

  it('a key set it cannot use is said once, naming the file, and the issuer keeps signing with its key', async () => {
    const { config, dir, issuer, watcher, lines } = await setup();
    const target = keySetTargetFor(config.local, 'ES256', config.keyRotation);
    const { added } = await rotateKeys(target, T0, 'now');
    await rm(join(dir, `${added.kid}.pem`));
    assert.equal(await watcher.sync(T0 + 1), false);
    assert.equal(issuer.key.kid, 'local');
    await watcher.sync(T0 + 2);
    const said = lines.filter((l) => l.includes(`${added.kid}.pem, named in keyset.json, is missing`));
    assert.equal(said.length, 1, lines.join('\n'));
    assert.match(said[0] ?? '', /signing with key local/);
  });

  it('LOCAL_CREDMON_KEY_ROTATION_INTERVAL rotates by itself, with the same lead', async () => {
    const { issuer, watcher, dir } = await setup({ LOCAL_CREDMON_KEY_ROTATION_INTERVAL: '1000' });
    await watcher.sync(T0);
    assert.deepEqual(
      (await readKeySet(dir))?.keys.map((k) => k.state),
      ['active'],
      'the key set is created at once',
    );
    assert.equal(watcher.nextDueMs(), T0 + 1_000_000);
    await watcher.sync(T0 + 1_000_000);
    const set = await readKeySet(dir);
    assert.deepEqual(
      set?.keys.map((k) => `${k.kid === 'local' ? 'local' : 'new'}:${k.state}`),
      ['local:active', 'new:next'],
    );
    await watcher.sync(T0 + 1_000_000 + LEAD_S * 1000);
    assert.notEqual(issuer.key.kid, 'local');
  });

  it('credmon-key refuses what it cannot do, saying why', () => {
    assert.throws(() => parseKeyCommand(['rotate', '--revoke-old']), /--revoke-old needs --now/);
    assert.throws(() => parseKeyCommand(['status', '--now']), /status takes only --json/);
    assert.throws(() => parseKeyCommand(['spin']), /unknown command spin/);
    assert.throws(() => parseKeyCommand(['rotate', '--provider']), /--provider needs a name/);
    assert.deepEqual(parseKeyCommand(['rotate', '--provider', 'x', '--now']), {
      kind: 'rotate',
      provider: 'x',
      mode: 'now',
    });
  });

  it('credmon-key rotate --provider names an unknown issuer: the local providers are listed', async () => {
    const { config } = await setup();
    await assert.rejects(
      runKeyCommand(parseKeyCommand(['rotate', '--provider', 'nope']), config, T0),
      /no local issuer nope; the local providers are scitokens/,
    );
  });
});
