import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOCAL_RENEWAL_FRACTION,
  MIN_RENEW_AFTER_MS,
  UNKNOWN_LIFETIME_RENEW_AFTER_MS,
  renewAfterWriteMs,
  renewAtMs,
  renewalFraction,
  lifeAfterWrite,
  useLifeOf,
} from '../../../src/credmon/renewal.js';
import type { FileInfo, UseFile } from '../../../src/credentials/index.js';

const info = (writtenMs: number) => ({ mtimeMs: writtenMs, ctimeMs: writtenMs, size: 1 });

describe('the renewal rule', () => {
  it('renews at half-life (upstream), and at 95 % for Box, whose refresh tokens are single-use', () => {
    assert.equal(LOCAL_RENEWAL_FRACTION, 0.5);
    assert.equal(renewalFraction('https://issuer.example/token'), 0.5);
    assert.equal(renewalFraction('https://api.box.com/oauth2/token'), 0.95);
    assert.equal(renewalFraction('https://box.com.evil.example/token'), 0.5);
    assert.equal(renewAfterWriteMs(1_000_000, 1_200_000, 0.5), 1_600_000);
  });

  it('a .use with expires_in 1200 written at t is due at t + 600 s', () => {
    const use = { accessToken: 'x', expiresInS: 1200, expEpochS: undefined };
    assert.equal(renewAtMs(use, info(10_000_000), 0.5), 10_600_000);
  });

  it('never sooner than 30 s after the write, never later than a minute before exp, ten minutes when unknown', () => {
    assert.equal(renewAfterWriteMs(0, 0, 0.5), MIN_RENEW_AFTER_MS);
    assert.equal(MIN_RENEW_AFTER_MS, 30_000);
    assert.equal(renewAfterWriteMs(0, 10_000, 0.5), 30_000, 'a 10 s life is not believed');
    assert.equal(renewAfterWriteMs(0, undefined, 0.5), UNKNOWN_LIFETIME_RENEW_AFTER_MS);
    const lying = { accessToken: 'x', expiresInS: 86_400, expEpochS: 1_000 };
    assert.equal(renewAtMs(lying, info(0), 0.5), 1_000_000 - 60_000);
    const bare = { accessToken: 'x', expiresInS: undefined, expEpochS: 1_200 };
    assert.equal(renewAtMs(bare, info(0), 0.5), 600_000);
  });

  it('a short-lived JWT (60 s) is renewed at half-life, not at every scan (was: due at once, a minute before exp)', () => {
    const written = 5_000_000;
    const short = { accessToken: 'x', expiresInS: 60, expEpochS: written / 1000 + 60 };
    assert.equal(renewAtMs(short, info(written), 0.5), written + 30_000);
    const tiny = { accessToken: 'x', expiresInS: 20, expEpochS: written / 1000 + 20 };
    assert.equal(renewAtMs(tiny, info(written), 0.5), written + 10_000, 'half of a 20 s life, still before exp');
    const ninety = { accessToken: 'x', expiresInS: 90, expEpochS: written / 1000 + 90 };
    assert.equal(renewAtMs(ninety, info(written), 0.5), written + 45_000);
    const box = { accessToken: 'x', expiresInS: 3600, expEpochS: written / 1000 + 3600 };
    assert.equal(renewAtMs(box, info(written), 0.95), written + 3_420_000);
  });
});

describe('the life of a .use', () => {
  const written = { ctimeMs: 5_000, mtimeMs: 4_000, size: 1 } as FileInfo;
  it('expires at its JWT exp, else expires_in after it was written (the earlier of ctime and mtime), else unknown', () => {
    assert.deepEqual(useLifeOf({ accessToken: 't', expEpochS: 100, expiresInS: 9 }, written), {
      writtenMs: 4_000,
      expiresMs: 100_000,
    });
    assert.deepEqual(useLifeOf({ accessToken: 't', expiresInS: 9 } as UseFile, written), {
      writtenMs: 4_000,
      expiresMs: 13_000,
    });
    assert.deepEqual(useLifeOf({ accessToken: 't' } as UseFile, written), { writtenMs: 4_000, expiresMs: undefined });
  });

  it('a token just written lives its lifetime from now', () => {
    assert.deepEqual(lifeAfterWrite(1_000, 60), { writtenMs: 1_000, expiresMs: 61_000 });
    assert.deepEqual(lifeAfterWrite(1_000, undefined), { writtenMs: 1_000, expiresMs: undefined });
  });
});
