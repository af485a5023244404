import { RotationRefused } from '../../../src/shared/errors.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_KEYS,
  advanceKeySet,
  beginRotation,
  checkKeySet,
  createKeySet,
  isRotating,
  nextTransitionMs,
  publishedKeysOf,
  signingKeyOf,
  switchNow,
  type KeySet,
} from '../../../src/issuer/key-set.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const MIN = 60_000;
const timing = { leadMs: 15 * MIN, retainMs: 40 * MIN };
const summary = (set: KeySet): string[] => set.keys.map((k) => `${k.kid}:${k.state}`);

describe('key set', () => {
  it('starts with one active key, published and signing, with nothing scheduled', () => {
    const set = createKeySet({ kid: 'k1', alg: 'ES256' }, T0);
    assert.deepEqual(checkKeySet(set), []);
    assert.equal(signingKeyOf(set).kid, 'k1');
    assert.deepEqual(
      publishedKeysOf(set).map((k) => k.kid),
      ['k1'],
    );
    assert.equal(nextTransitionMs(set), undefined);
    assert.equal(advanceKeySet(set, T0 + 365 * 24 * 60 * MIN, timing), set, 'a set that never rotates never changes');
  });

  it('a rotation publishes the new key at once, and the old key keeps signing until the lead has passed', () => {
    const set = beginRotation(createKeySet({ kid: 'k1', alg: 'ES256' }, T0), { kid: 'k2', alg: 'ES256' }, T0, timing);
    assert.deepEqual(summary(set), ['k1:active', 'k2:next']);
    assert.ok(isRotating(set));
    assert.deepEqual(
      publishedKeysOf(set).map((k) => k.kid),
      ['k2', 'k1'],
      'the next key first',
    );
    assert.equal(signingKeyOf(set).kid, 'k1');
    assert.equal(nextTransitionMs(set), T0 + timing.leadMs);
    assert.equal(advanceKeySet(set, T0 + timing.leadMs - 1, timing), set);
  });

  it('at the switch the new key signs and the old one retires for retainMs, then leaves the set', () => {
    const rotating = beginRotation(
      createKeySet({ kid: 'k1', alg: 'ES256' }, T0),
      { kid: 'k2', alg: 'RS256' },
      T0,
      timing,
    );
    const switchAt = T0 + timing.leadMs;
    const switched = advanceKeySet(rotating, switchAt, timing);
    assert.deepEqual(summary(switched), ['k1:retiring', 'k2:active']);
    assert.equal(signingKeyOf(switched).kid, 'k2');
    assert.equal(signingKeyOf(switched).alg, 'RS256');
    assert.equal(nextTransitionMs(switched), switchAt + timing.retainMs);
    assert.ok(!isRotating(switched));
    assert.deepEqual(summary(advanceKeySet(switched, switchAt + timing.retainMs - 1, timing)), [
      'k1:retiring',
      'k2:active',
    ]);
    const done = advanceKeySet(switched, switchAt + timing.retainMs, timing);
    assert.deepEqual(summary(done), ['k2:active']);
    assert.deepEqual(checkKeySet(done), []);
  });

  it('a credmon that was down through the whole rotation applies every due step at once, timed from the switch', () => {
    const rotating = beginRotation(
      createKeySet({ kid: 'k1', alg: 'ES256' }, T0),
      { kid: 'k2', alg: 'ES256' },
      T0,
      timing,
    );
    const late = advanceKeySet(rotating, T0 + timing.leadMs + 10 * MIN, timing);
    assert.deepEqual(summary(late), ['k1:retiring', 'k2:active']);
    assert.equal(late.keys[0]?.untilMs, T0 + timing.leadMs + timing.retainMs, 'retirement counts from the switch');
    assert.deepEqual(summary(advanceKeySet(rotating, T0 + 24 * 60 * MIN, timing)), ['k2:active']);
  });

  it('refuses a second rotation before the first has switched, and a key id already in the set', () => {
    const rotating = beginRotation(
      createKeySet({ kid: 'k1', alg: 'ES256' }, T0),
      { kid: 'k2', alg: 'ES256' },
      T0,
      timing,
    );
    assert.throws(
      () => beginRotation(rotating, { kid: 'k3', alg: 'ES256' }, T0 + MIN, timing),
      (e: unknown) =>
        e instanceof RotationRefused &&
        /already in progress: key k2 starts signing at 2026-12-03T12:15/.test(e.message),
    );
    const switched = advanceKeySet(rotating, T0 + timing.leadMs, timing);
    assert.throws(
      () => beginRotation(switched, { kid: 'k1', alg: 'ES256' }, T0, timing),
      /k1 is already in the key set/,
    );
    const again = beginRotation(switched, { kid: 'k3', alg: 'ES256' }, T0 + timing.leadMs, timing);
    assert.deepEqual(
      summary(again),
      ['k1:retiring', 'k2:active', 'k3:next'],
      'a retiring key does not block a rotation',
    );
  });

  it('--now: the new key signs at once, the old one (and a pending next key) retire as in a rotation', () => {
    const rotating = beginRotation(
      createKeySet({ kid: 'k1', alg: 'ES256' }, T0),
      { kid: 'k2', alg: 'ES256' },
      T0,
      timing,
    );
    const now = switchNow(rotating, { kid: 'k3', alg: 'ES256' }, T0 + MIN, timing, false);
    assert.deepEqual(summary(now), ['k1:retiring', 'k2:retiring', 'k3:active']);
    assert.equal(signingKeyOf(now).kid, 'k3');
    assert.deepEqual(checkKeySet(now), []);
    assert.equal(nextTransitionMs(now), T0 + MIN + timing.retainMs);
  });

  it('--now --revoke-old: every other key leaves the set at once', () => {
    const switched = advanceKeySet(
      beginRotation(createKeySet({ kid: 'k1', alg: 'ES256' }, T0), { kid: 'k2', alg: 'ES256' }, T0, timing),
      T0 + timing.leadMs,
      timing,
    );
    const revoked = switchNow(switched, { kid: 'k3', alg: 'ES256' }, T0 + timing.leadMs + MIN, timing, true);
    assert.deepEqual(summary(revoked), ['k3:active']);
    assert.deepEqual(
      publishedKeysOf(revoked).map((k) => k.kid),
      ['k3'],
    );
  });

  it('refuses a rotation that would hold more than MAX_KEYS keys, except a revocation, which empties the set', () => {
    let set = createKeySet({ kid: 'k0', alg: 'ES256' }, T0);
    for (let i = 1; i < MAX_KEYS; i++) set = switchNow(set, { kid: `k${i}`, alg: 'ES256' }, T0 + i, timing, false);
    assert.equal(set.keys.length, MAX_KEYS);
    assert.throws(
      () => switchNow(set, { kid: 'one-more', alg: 'ES256' }, T0 + MIN, timing, false),
      /already holds 16 keys \(at most 16\); try again after 2026-12-03T12:40:00.001Z, when one leaves, or use --now --revoke-old/,
    );
    assert.throws(() => beginRotation(set, { kid: 'one-more', alg: 'ES256' }, T0 + MIN, timing), RotationRefused);
    assert.deepEqual(summary(switchNow(set, { kid: 'clean', alg: 'ES256' }, T0 + MIN, timing, true)), ['clean:active']);
  });

  it('names every problem of a set read from disk', () => {
    const bad: KeySet = {
      keys: [
        { kid: 'a', alg: 'ES256', state: 'next', sinceMs: T0, untilMs: undefined },
        { kid: 'a', alg: 'ES256', state: 'next', sinceMs: T0, untilMs: T0 },
        { kid: 'b', alg: 'ES256', state: 'retiring', sinceMs: T0, untilMs: T0 },
      ],
    };
    assert.deepEqual(checkKeySet(bad), [
      'expected exactly one active key, found 0',
      'expected at most one next key, found 2',
      'key ids appear more than once: a',
      'next key a has no end',
    ]);
    assert.throws(() => signingKeyOf(bad), RangeError);
  });

  it('returns frozen sets, so that no caller changes one in place', () => {
    const set = createKeySet({ kid: 'k1', alg: 'ES256' }, T0);
    assert.ok(Object.isFrozen(set) && Object.isFrozen(set.keys) && Object.isFrozen(set.keys[0]));
  });
});
