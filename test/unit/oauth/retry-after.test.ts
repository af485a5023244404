import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RETRY_AFTER_S, parseRetryAfter } from '../../../src/oauth/index.js';

const NOW_MS = Date.UTC(2026, 0, 12, 10, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delay-seconds, capped at MAX_RETRY_AFTER_S', () => {
    assert.equal(parseRetryAfter('120', NOW_MS), 120);
    assert.equal(parseRetryAfter(' 0 ', NOW_MS), 0);
    assert.equal(parseRetryAfter('99999999999', NOW_MS), MAX_RETRY_AFTER_S);
  });

  it('reads the three HTTP-date forms relative to the injected clock, never negative, capped', () => {
    assert.equal(parseRetryAfter('Mon, 12 Jan 2026 10:01:30 GMT', NOW_MS), 90);
    assert.equal(parseRetryAfter('Monday, 12-Jan-26 10:00:10 GMT', NOW_MS), 10);
    assert.equal(parseRetryAfter('Mon, 12 Jan 2026 09:00:00 GMT', NOW_MS), 0);
    assert.equal(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', NOW_MS), MAX_RETRY_AFTER_S);
  });

  it('ignores what is neither (the caller backs off on its own)', () => {
    for (const v of [null, undefined, '', '-5', '1.5', 'soon', '12abc', 'Mon, 99 Foo 2026 99:99:99 GMT', '1e9']) {
      assert.equal(parseRetryAfter(v, NOW_MS), undefined, String(v));
    }
  });
});
