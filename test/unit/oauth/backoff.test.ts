import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from '../../../src/oauth/backoff.js';

describe('backoffDelayMs', () => {
  it('waits between half and all of 30 s on the first failure', () => {
    assert.equal(
      backoffDelayMs(1, () => 0),
      15_000,
    );
    assert.equal(
      backoffDelayMs(1, () => 0.999999),
      30_000,
    );
  });

  it('doubles the ceiling with each attempt', () => {
    assert.equal(
      backoffDelayMs(2, () => 0.999999),
      60_000,
    );
    assert.equal(
      backoffDelayMs(3, () => 0.999999),
      120_000,
    );
    assert.equal(
      backoffDelayMs(3, () => 0),
      60_000,
    );
  });

  it('never exceeds 30 minutes, even after many attempts', () => {
    for (const attempt of [7, 8, 20, 21, 100, 10_000]) {
      const max = backoffDelayMs(attempt, () => 0.999999);
      assert.ok(max <= 30 * 60_000 && max > 29 * 60_000, `attempt ${attempt}: ${max}`);
      assert.equal(
        backoffDelayMs(attempt, () => 0),
        15 * 60_000,
      );
    }
  });

  it('stays within bounds for real randomness', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(30 * 60_000, 30_000 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = backoffDelayMs(attempt);
        assert.ok(d >= ceiling / 2 && d <= ceiling, `attempt ${attempt}: ${d}`);
      }
    }
  });

  it('never returns less than one second with a tiny base', () => {
    assert.equal(
      backoffDelayMs(1, () => 0, 10, 100),
      1_000,
    );
  });

  it('refuses attempts below 1 or not whole', () => {
    assert.throws(() => backoffDelayMs(0), RangeError);
    assert.throws(() => backoffDelayMs(1.5), RangeError);
  });
});
