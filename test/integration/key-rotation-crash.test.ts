/**
 * Crash safety of key rotation (issue 18): a child process rotates the key set again and again (`--now`, so every
 * round changes keyset.json and writes key files) and is killed with SIGKILL at a random moment, 25 times. After each
 * kill the next step (advanceKeys, as the credmon's next scan does) must find a consistent set: it parses, every key
 * it names loads, its active key signs a token that the published JWKS verifies, no file is left that it does not
 * name, and the dead process's lock does not block it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { lookupFrom, parseCredmonConfig } from '../../src/config/index.js';
import {
  advanceKeys,
  ensureSigningKey,
  keySetTargetFor,
  loadKeySetKeys,
  signToken,
  signingKeyOf,
} from '../../src/issuer/index.js';
import { createIssuerKeySource } from '../../src/web/index.js';

const ROUNDS = 25;
const root = await mkdtemp(join(tmpdir(), 'key-crash-'));
after(() => rm(root, { recursive: true, force: true }));

const knobs = {
  SEC_CREDENTIAL_DIRECTORY_OAUTH: join(root, 'creds'),
  LOCAL_CREDMON_PRIVATE_KEY: join(root, 'keys', 'scitokens-private.pem'),
  LOCAL_CREDMON_PUBLIC_KEY: join(root, 'keys', 'scitokens.pem'),
  LOCAL_CREDMON_ISSUER: 'https://ap.example.org',
  LOCAL_CREDMON_TOKEN_AUDIENCE: 'https://storage.example.org',
};
const config = parseCredmonConfig(lookupFrom(new Map(Object.entries(knobs))));
const target = keySetTargetFor(config.local, 'ES256', config.keyRotation);

/** The child: rotate forever, until killed. */
const CHILD = `
import { rotateKeys } from ${JSON.stringify(new URL('../../src/issuer/index.ts', import.meta.url).href)};
const target = JSON.parse(process.argv[1]);
// Each round an hour later than the last, so that retired keys leave and the set stays small.
for (let i = 0; ; i++) await rotateKeys(target, Date.now() + i * 3_600_000, 'now');
`;

function rotateUntilKilled(afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', CHILD, JSON.stringify(target)],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the rotating child ended by itself (${code}): ${stderr.slice(-800)}`));
    });
  });
}

describe('key rotation killed at any moment', () => {
  it(`leaves a consistent key set every time (${ROUNDS} kills)`, async () => {
    await ensureSigningKey(config.local.privateKeyPath, config.local.publicKeyPath);
    const jwks = createIssuerKeySource(config.local);
    for (let round = 0; round < ROUNDS; round++) {
      // tsx needs ~400 ms to start: kill anywhere from before the first rotation to several rotations in.
      await rotateUntilKilled(300 + Math.floor(Math.random() * 900));
      const set = await advanceKeys(target, Date.now());
      if (set === undefined) continue; // killed before the first rotation committed
      const loaded = await loadKeySetKeys(target.dir, set);
      const active = loaded.keys.get(signingKeyOf(set).kid);
      assert.ok(active, `round ${round}: the active key loads`);
      const nowS = Math.floor(Date.now() / 1000);
      const claims = {
        iss: 'https://ap.example.org',
        sub: 'alice',
        scope: 'read:/',
        iat: nowS,
        nbf: nowS,
        exp: nowS + 60,
      };
      const token = signToken(active, { ...claims, jti: `round-${round}` });
      await jwtVerify(token, createLocalJWKSet(await jwks.jwks()));
      const named = new Set(set.keys.flatMap((k) => [`${k.kid}.pem`, `${k.kid}.pub`]));
      const files = (await readdir(target.dir)).filter((f) => f !== 'keyset.json');
      assert.deepEqual(
        files.filter((f) => !named.has(f)),
        [],
        `round ${round}: only named key files remain`,
      );
    }
  });
});
